/**
 * A large set's members as bytes in typed arrays, with no JS object per member: members' bytes
 * packed in one heap, a dense array of members (heap offset, length, hash), and an
 * open-addressing index (linear probing, backward-shift deletion) from hash to dense position.
 *
 * Lookups hash the member's bytes where they lie (a request's argument): no string is made to
 * add, test or remove a member. Removal swaps the last member into the hole, so members stay
 * dense: a random member is a uniform pick of a position (SPOP, SRANDMEMBER are fair), and a
 * scan from the end by position sees every member present for the whole scan (a removal only
 * moves an already visited member down; adds go to the end). A removed member's bytes are
 * garbage in the heap until the heap is compacted (when garbage passes half of it), which
 * keeps positions.
 *
 * Cost per member: its bytes, 12 bytes of dense array and 8-16 bytes of index.
 */
import { latin1Range } from "../util/bytes.ts";
import { memberHash } from "../util/hash.ts";

const MIN_SLOTS = 16;

/** scratch for a member given as a latin1 string */
let strBytes = new Uint8Array(256);

function toBytes(s: string): Uint8Array {
  const n = s.length;
  if (strBytes.length < n) strBytes = new Uint8Array(Math.max(n, strBytes.length * 2));
  for (let i = 0; i < n; i++) strBytes[i] = s.charCodeAt(i);
  return strBytes;
}

export class SetTable {
  /** the members' bytes (and garbage) */
  heap = new Uint8Array(256);
  heapLen = 0;
  /** bytes of removed members still in the heap */
  private garbage = 0;
  /** dense position d -> [heap offset, length, hash] at 3d (one cache line for all three) */
  private ent = new Uint32Array(3 * 8);
  /** members */
  n = 0;
  /** open addressing, pairs [hash, dense position + 1] (0: an empty slot) */
  private slots = new Uint32Array(2 * MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  /** the slot the last failed find stopped at (where the member would go) */
  private hole = 0;

  /** Bytes held (MEMORY USAGE): the heap, the dense array and the index. */
  get bytes(): number {
    return this.heap.byteLength + this.ent.byteLength + this.slots.byteLength;
  }

  /** Member d's first byte in `heap`. */
  offOf(d: number): number {
    return this.ent[3 * d];
  }

  /** Member d's length in bytes. */
  lenOf(d: number): number {
    return this.ent[3 * d + 1];
  }

  /** Dense position of the member src[off, off + len), or -1 (then `hole` is its slot). */
  private find(src: Uint8Array, off: number, len: number, h: number): number {
    const slots = this.slots, mask = this.mask, heap = this.heap, ent = this.ent;
    let i = h & mask;
    for (;;) {
      const v = slots[2 * i + 1];
      if (v === 0) {
        this.hole = i;
        return -1;
      }
      if (slots[2 * i] === h) {
        const d = v - 1;
        if (ent[3 * d + 1] === len) {
          const o = ent[3 * d];
          let k = 0;
          while (k < len && heap[o + k] === src[off + k]) k++;
          if (k === len) return d;
        }
      }
      i = (i + 1) & mask;
    }
  }

  hasBytes(src: Uint8Array, off: number, len: number): boolean {
    return this.find(src, off, len, memberHash(src, off, len)) >= 0;
  }

  has(m: string): boolean {
    const b = toBytes(m);
    return this.hasBytes(b, 0, m.length);
  }

  /** Adds the member src[off, off + len); false if present. */
  addBytes(src: Uint8Array, off: number, len: number): boolean {
    const h = memberHash(src, off, len);
    if (this.find(src, off, len, h) >= 0) return false;
    if ((this.n + 1) * 4 > (this.mask + 1) * 3) {
      this.rehash((this.mask + 1) * 2);
      this.find(src, off, len, h);
    }
    const d = this.n;
    if (3 * d === this.ent.length) {
      // growth by half: a large set's arrays waste a quarter on average, not half
      const e = new Uint32Array(3 * (d + (d >> 1)));
      e.set(this.ent);
      this.ent = e;
    }
    if (this.heapLen + len > this.heap.length) this.growHeap(this.heapLen + len);
    const heap = this.heap, at = this.heapLen;
    if (len <= 64) { for (let k = 0; k < len; k++) heap[at + k] = src[off + k]; }
    else heap.set(src.subarray(off, off + len), at);
    const ent = this.ent;
    ent[3 * d] = at;
    ent[3 * d + 1] = len;
    ent[3 * d + 2] = h;
    this.heapLen = at + len;
    this.slots[2 * this.hole] = h;
    this.slots[2 * this.hole + 1] = d + 1;
    this.n = d + 1;
    return true;
  }

  add(m: string): boolean {
    return this.addBytes(toBytes(m), 0, m.length);
  }

  /** Removes the member src[off, off + len); false if absent. */
  removeBytes(src: Uint8Array, off: number, len: number): boolean {
    const d = this.find(src, off, len, memberHash(src, off, len));
    if (d < 0) return false;
    this.removeAt(d);
    return true;
  }

  remove(m: string): boolean {
    return this.removeBytes(toBytes(m), 0, m.length);
  }

  /** Member d as a latin1 string. */
  at(d: number): string {
    const o = this.ent[3 * d];
    return latin1Range(this.heap, o, o + this.ent[3 * d + 1]);
  }

  /** Removes the member at dense position d: the last member takes its place. */
  removeAt(d: number): void {
    const slots = this.slots, mask = this.mask, ent = this.ent;
    // the slot naming d, then backward-shift deletion: later entries of the run move up
    let i = ent[3 * d + 2] & mask;
    while (slots[2 * i + 1] !== d + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = slots[2 * j + 1];
      if (v === 0) break;
      const k = slots[2 * j] & mask;
      // the entry at j may fill i unless its home k lies cyclically in (i, j]
      const stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);
      if (!stays) {
        slots[2 * i] = slots[2 * j];
        slots[2 * i + 1] = v;
        i = j;
      }
    }
    slots[2 * i] = 0;
    slots[2 * i + 1] = 0;
    this.garbage += ent[3 * d + 1];
    const last = this.n - 1;
    if (d !== last) {
      let s = ent[3 * last + 2] & mask;
      while (slots[2 * s + 1] !== last + 1) s = (s + 1) & mask;
      slots[2 * s + 1] = d + 1;
      ent.copyWithin(3 * d, 3 * last, 3 * last + 3);
    }
    this.n = last;
    if (this.garbage > 4096 && this.garbage * 2 > this.heapLen) this.compact();
    if (this.n * 8 < mask + 1 && mask + 1 > MIN_SLOTS) this.rehash((mask + 1) / 2);
    const cap = this.ent.length / 3;
    if (this.n * 8 < cap && cap > 64) this.ent = this.ent.slice(0, 3 * (cap >> 1));
  }

  /** A copy (COPY, a store command's result). */
  clone(): SetTable {
    const t = new SetTable();
    t.heap = this.heap.slice();
    t.heapLen = this.heapLen;
    t.garbage = this.garbage;
    t.ent = this.ent.slice();
    t.n = this.n;
    t.slots = this.slots.slice();
    t.mask = this.mask;
    return t;
  }

  private rehash(size: number): void {
    const slots = new Uint32Array(2 * size), mask = size - 1, ent = this.ent;
    for (let d = 0; d < this.n; d++) {
      const h = ent[3 * d + 2];
      let i = h & mask;
      while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
      slots[2 * i] = h;
      slots[2 * i + 1] = d + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }

  private growHeap(need: number): void {
    let size = this.heap.length + (this.heap.length >> 1);
    while (size < need) size += size >> 1;
    const h = new Uint8Array(size);
    h.set(this.heap.subarray(0, this.heapLen));
    this.heap = h;
  }

  /** Rewrites the heap with the live members only, in dense order (positions stay). */
  private compact(): void {
    const live = this.heapLen - this.garbage;
    let size = 256;
    while (size < live * 1.5) size *= 2;
    const h = new Uint8Array(size), ent = this.ent;
    let p = 0;
    for (let d = 0; d < this.n; d++) {
      const o = ent[3 * d], l = ent[3 * d + 1];
      h.set(this.heap.subarray(o, o + l), p);
      ent[3 * d] = p;
      p += l;
    }
    this.heap = h;
    this.heapLen = p;
    this.garbage = 0;
  }
}
