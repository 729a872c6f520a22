/**
 * A shard's memory for keys and values: one resizable ArrayBuffer cut into 64 KiB pages. A
 * page serves one size class (16 bytes to 16 KiB, Redis/jemalloc-like classes: 8-byte steps up
 * to 512, then four per doubling), with its own free list and a bump pointer for blocks never
 * used; bigger blocks take a run of whole pages (a span). A block is named by its ref, its
 * byte offset / 8, so a u32 reaches 32 GiB; ref 0 is never a block (page 0 stays unused).
 *
 * Memory goes back to the system by shrinking the buffer from its top (V8 decommits the
 * pages), so allocation prefers low pages and compaction (defrag.ts) moves blocks out of
 * the top ones. Nothing here knows what the blocks hold.
 */

export const PAGE_SHIFT = 16;
export const PAGE_BYTES = 1 << PAGE_SHIFT;
/** refs count 8-byte units: a page holds 2^13 of them */
const PAGE_UNITS_SHIFT = PAGE_SHIFT - 3;
/** blocks up to this size come from size-class pages; larger ones take whole pages */
export const MAX_SMALL_BLOCK = 16 * 1024;
/** virtual address space reserved per arena (never committed until used) */
const RESERVE_BYTES = 32 * 1024 ** 3;
export const MAX_PAGES = RESERVE_BYTES / PAGE_BYTES;
/** committed pages beyond the ones in use that trim() leaves alone (avoids grow/shrink churn) */
const TRIM_SLACK_PAGES = 16;
/** the buffer grows by at least this many pages at a time */
const GROW_MIN_PAGES = 16;

/** pageKind values besides a class id (1..CLASSES) */
const KIND_FREE = 0;
/** page 0: never handed out, so no block has ref 0 */
const KIND_RESERVED = 253;
const KIND_SPAN = 254;
const KIND_SPAN_TAIL = 255;

/** The size classes, ascending; index 0 unused so a class id is never 0. */
export const CLASS_BYTES: number[] = [0];
for (let s = 16; s <= 512; s += 8) CLASS_BYTES.push(s);
for (let base = 512; base < MAX_SMALL_BLOCK; base *= 2) {
  for (let k = 1; k <= 4; k++) CLASS_BYTES.push(base + (base / 4) * k);
}
const CLASSES = CLASS_BYTES.length - 1;

/** class of a size <= 512, by (size + 7) >> 3; of a size <= MAX_SMALL_BLOCK, by (size + 127) >> 7 */
const SMALL_CLASS = new Uint8Array(65);
const LARGE_CLASS = new Uint8Array((MAX_SMALL_BLOCK >> 7) + 1);
{
  let c = 1;
  for (let i = 0; i <= 64; i++) {
    while (CLASS_BYTES[c] < i << 3) c++;
    SMALL_CLASS[i] = c;
  }
  c = 1;
  for (let i = 0; i < LARGE_CLASS.length; i++) {
    while (CLASS_BYTES[c] < i << 7) c++;
    LARGE_CLASS[i] = c;
  }
}

/** The class of a block of `size` bytes (size <= MAX_SMALL_BLOCK). */
export function classOf(size: number): number {
  return size <= 512 ? SMALL_CLASS[(size + 7) >> 3] : LARGE_CLASS[(size + 127) >> 7];
}

/** The bytes a block of `size` bytes really takes. */
export function blockBytesFor(size: number): number {
  if (size <= MAX_SMALL_BLOCK) return CLASS_BYTES[classOf(size)];
  return Math.ceil(size / PAGE_BYTES) * PAGE_BYTES;
}

export class Arena {
  readonly buf: ArrayBuffer;
  /** views over the whole buffer; they follow its length as it grows and shrinks */
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  /** pages the buffer holds (committed) */
  private pages = 0;
  /** pages handed out at least once: above this everything is free */
  private used = 1;
  private kind = new Uint8Array(0);
  private live = new Uint32Array(0);
  private freeList = new Uint32Array(0);
  private bump = new Uint32Array(0);
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private inList = new Uint8Array(0);
  private evac = new Uint8Array(0);
  /** per class: first page with room (a doubly linked list through next/prev), -1 if none */
  private readonly head = new Int32Array(CLASSES + 1).fill(-1);
  /** free pages below `used`, counted; the lowest is searched from freeHint */
  private freePages = 0;
  private freeHint = 1;
  /** bytes of the live blocks (class sizes, whole pages for spans) */
  liveBytes = 0;
  /** live blocks */
  blocks = 0;

  constructor(initialPages = GROW_MIN_PAGES) {
    this.buf = new ArrayBuffer(0, { maxByteLength: RESERVE_BYTES });
    this.u8 = new Uint8Array(this.buf);
    this.u32 = new Uint32Array(this.buf);
    this.commit(Math.max(2, initialPages));
  }

  /** Bytes the buffer holds (what counts against RSS once touched). */
  get committedBytes(): number {
    return this.pages * PAGE_BYTES;
  }

  /** Bytes of pages handed out (live blocks plus the room inside their pages). */
  get usedPageBytes(): number {
    return (this.used - 1 - this.freePages) * PAGE_BYTES;
  }

  /** The bytes a block really takes. */
  blockBytes(ref: number): number {
    const p = ref >>> PAGE_UNITS_SHIFT;
    const k = this.kind[p];
    return k === KIND_SPAN ? this.live[p] * PAGE_BYTES : CLASS_BYTES[k];
  }

  /** A block of at least `size` bytes (its contents are whatever was there). */
  alloc(size: number): number {
    if (size > MAX_SMALL_BLOCK) return this.allocSpan(Math.ceil(size / PAGE_BYTES));
    const c = classOf(size);
    let p = this.head[c];
    if (p < 0) p = this.classPage(c);
    const bytes = CLASS_BYTES[c];
    let r = this.freeList[p];
    if (r !== 0) {
      this.freeList[p] = this.u32[r * 2];
    } else {
      const b = this.bump[p];
      r = (p * PAGE_BYTES + b) / 8;
      this.bump[p] = b + bytes;
    }
    this.live[p]++;
    this.liveBytes += bytes;
    this.blocks++;
    if (this.freeList[p] === 0 && this.bump[p] + bytes > PAGE_BYTES) this.unlist(c, p);
    return r;
  }

  /** Give a block back. */
  free(ref: number): void {
    const p = ref >>> PAGE_UNITS_SHIFT;
    const k = this.kind[p];
    this.blocks--;
    if (k === KIND_SPAN) return this.freeSpan(p);
    const bytes = CLASS_BYTES[k];
    this.u32[ref * 2] = this.freeList[p];
    this.freeList[p] = ref;
    this.liveBytes -= bytes;
    if (--this.live[p] === 0) {
      if (this.inList[p]) this.unlist(k, p);
      this.releasePage(p);
    } else if (!this.inList[p] && !this.evac[p]) this.enlist(k, p);
  }

  /** Whether a block lies in a page being emptied (defrag moves such blocks elsewhere). */
  evacuating(ref: number): boolean {
    return this.evac[ref >>> PAGE_UNITS_SHIFT] === 1;
  }

  /**
   * Mark pages to be emptied: class pages that are at most `maxFill` full, and every class
   * page at or above `fromPage`. Their free room is no longer handed out; blocks moved out of
   * them (by whoever owns the blocks) let them go free. Returns the number of pages marked.
   */
  markEvacuation(maxFill: number, fromPage: number): number {
    let n = 0;
    for (let p = 1; p < this.used; p++) {
      const k = this.kind[p];
      if (k === KIND_FREE || k >= KIND_SPAN || this.evac[p]) continue;
      const capacity = Math.floor(PAGE_BYTES / CLASS_BYTES[k]);
      if (p < fromPage && this.live[p] > capacity * maxFill) continue;
      if (this.head[k] === p && this.next[p] < 0) continue; // the class's only page with room
      if (this.inList[p]) this.unlist(k, p);
      this.evac[p] = 1;
      n++;
    }
    return n;
  }

  /** Clear every evacuation mark (the pages not emptied take blocks again). */
  endEvacuation(): void {
    for (let p = 1; p < this.used; p++) {
      if (!this.evac[p]) continue;
      this.evac[p] = 0;
      const k = this.kind[p];
      if (k !== KIND_FREE && k < KIND_SPAN && this.hasRoom(p, k)) this.enlist(k, p);
    }
  }

  /** Pages at or above which a compact arena would hold nothing (for evacuating the top). */
  compactTop(): number {
    return 1 + Math.ceil(this.liveBytes / PAGE_BYTES);
  }

  /**
   * Give the free pages at the top back to the system (shrink the buffer), keeping a little
   * slack unless `all`. Returns the bytes released.
   */
  trim(all = false): number {
    while (this.used > 1 && this.kind[this.used - 1] === KIND_FREE) {
      this.used--;
      this.freePages--;
    }
    if (this.freeHint > this.used) this.freeHint = this.used;
    // shrink to what is used (plus some slack), and only once the free top is more than a
    // growth step (commit's eighth) and the slack: a growing arena is never shrunk in between
    const keep = Math.max(2, all ? this.used : this.used + TRIM_SLACK_PAGES);
    const hysteresis = all ? 0 : TRIM_SLACK_PAGES + Math.max(GROW_MIN_PAGES, this.pages >> 2);
    if (this.pages <= keep + hysteresis) return 0;
    const before = this.pages;
    this.pages = keep;
    this.buf.resize(keep * PAGE_BYTES);
    return (before - keep) * PAGE_BYTES;
  }

  /** Forget every block at once (FLUSHALL) and give the memory back. */
  reset(): void {
    this.kind.fill(0);
    this.live.fill(0);
    this.freeList.fill(0);
    this.bump.fill(0);
    this.inList.fill(0);
    this.evac.fill(0);
    this.head.fill(-1);
    this.used = 1;
    this.freePages = 0;
    this.freeHint = 1;
    this.liveBytes = 0;
    this.blocks = 0;
    this.pages = 0;
    this.buf.resize(0);
    this.commit(GROW_MIN_PAGES);
  }

  private hasRoom(p: number, k: number): boolean {
    return this.freeList[p] !== 0 || this.bump[p] + CLASS_BYTES[k] <= PAGE_BYTES;
  }

  private enlist(c: number, p: number): void {
    const h = this.head[c];
    this.next[p] = h;
    this.prev[p] = -1;
    if (h >= 0) this.prev[h] = p;
    this.head[c] = p;
    this.inList[p] = 1;
  }

  private unlist(c: number, p: number): void {
    const n = this.next[p], pr = this.prev[p];
    if (pr >= 0) this.next[pr] = n;
    else this.head[c] = n;
    if (n >= 0) this.prev[n] = pr;
    this.inList[p] = 0;
  }

  /** A fresh page for class c, listed as the class's page with room. */
  private classPage(c: number): number {
    const p = this.takePages(1);
    this.kind[p] = c;
    this.live[p] = 0;
    this.freeList[p] = 0;
    this.bump[p] = 0;
    this.enlist(c, p);
    return p;
  }

  private releasePage(p: number): void {
    this.kind[p] = KIND_FREE;
    this.evac[p] = 0;
    this.freePages++;
    if (p < this.freeHint) this.freeHint = p;
  }

  /** The lowest run of n free pages, taken (the buffer grows when there is none). */
  private takePages(n: number): number {
    let start = -1;
    if (this.freePages >= n) {
      let run = 0;
      for (let p = this.freeHint; p < this.used; p++) {
        if (this.kind[p] !== KIND_FREE) {
          run = 0;
          continue;
        }
        if (run === 0 && n === 1) {
          start = p;
          break;
        }
        if (++run === n) {
          start = p - n + 1;
          break;
        }
      }
    }
    if (start >= 0) {
      this.freePages -= n;
      if (start === this.freeHint) this.freeHint = start + n;
    } else {
      // no run below the top: the free pages just below it (fewer than n) plus new ones
      let top = this.used;
      while (top > 1 && this.kind[top - 1] === KIND_FREE) top--;
      start = top;
      const end = start + n;
      if (end > MAX_PAGES) throw new RangeError("arena full: 32 GiB reserved per shard");
      this.freePages -= this.used - top;
      if (end > this.pages) {
        this.commit(Math.max(end, this.pages + Math.max(GROW_MIN_PAGES, this.pages >> 3)));
      }
      this.used = end;
    }
    for (let p = start; p < start + n; p++) {
      this.evac[p] = 0;
      this.inList[p] = 0;
    }
    return start;
  }

  private allocSpan(n: number): number {
    const p = this.takePages(n);
    this.kind[p] = KIND_SPAN;
    this.live[p] = n;
    for (let i = 1; i < n; i++) this.kind[p + i] = KIND_SPAN_TAIL;
    this.liveBytes += n * PAGE_BYTES;
    this.blocks++;
    return p * (PAGE_BYTES / 8);
  }

  private freeSpan(p: number): void {
    const n = this.live[p];
    this.live[p] = 0;
    this.liveBytes -= n * PAGE_BYTES;
    for (let i = 0; i < n; i++) this.releasePage(p + i);
  }

  /** Grow the buffer (and the per-page tables) to `pages` pages. */
  private commit(pages: number): void {
    pages = Math.min(pages, MAX_PAGES);
    this.buf.resize(pages * PAGE_BYTES);
    this.pages = pages;
    if (pages > this.kind.length) {
      const cap = Math.min(MAX_PAGES, Math.max(pages, this.kind.length * 2));
      this.kind = grow(this.kind, cap);
      this.live = grow(this.live, cap);
      this.freeList = grow(this.freeList, cap);
      this.bump = grow(this.bump, cap);
      this.next = grow(this.next, cap);
      this.prev = grow(this.prev, cap);
      this.inList = grow(this.inList, cap);
      this.evac = grow(this.evac, cap);
    }
    this.kind[0] = KIND_RESERVED;
  }

  /** Bytes of the per-page tables (for memory accounting). */
  get tableBytes(): number {
    return this.kind.length * 27;
  }
}

function grow<T extends Uint8Array | Uint32Array | Int32Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}
