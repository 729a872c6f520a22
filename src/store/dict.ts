/**
 * A database's key index: Redis's dict, over typed arrays. Buckets are a Uint32Array of record
 * refs; each record (record.ts) links to the next one in its bucket and keeps its key's hash.
 * The table doubles when it holds as many keys as buckets and shrinks below 1/10 full, and
 * like Redis's it rehashes incrementally: while a new table is filled, every lookup moves one
 * bucket over and the shard's tick moves more for a millisecond, so no command ever waits for
 * millions of keys to move. SCAN is Redis's dictScan: a reverse-binary cursor over both
 * tables, so every key present for a whole scan is returned even while the table resizes.
 */
import type { Arena } from "./arena.ts";
import { HEADER_BYTES, keyEquals, W_HASH, W_NEXT } from "./record.ts";
import { nextCursor } from "../util/scan_cursor.ts";

const MIN_BUCKETS = 16;
/** the most keys one prefetch looks at */
export const PREFETCH_MAX = 64;
/** Redis's HASHTABLE_MIN_FILL: shrink when under 10% full */
const MIN_FILL_PERCENT = 10;
/** a rehash step visits at most this many empty buckets per bucket it should move */
const EMPTY_VISITS = 10;
/** fairRandom draws a position in a chain below this (chains are ~1-2 long at load <= 1) */
const FAIR_CHAIN = 8;

function pow2AtLeast(n: number): number {
  let s = MIN_BUCKETS;
  while (s < n) s *= 2;
  return s;
}

/** prefetch's refs to look at next */
const prefetchRefs = new Uint32Array(PREFETCH_MAX);

export class Dict {
  private t0: Uint32Array;
  private m0: number;
  private t1: Uint32Array | null = null;
  private m1 = 0;
  /** the next bucket of t0 to move, -1 when not rehashing */
  private rehashIdx = -1;
  /** keys held */
  size = 0;
  /** drain(): the table (0: t0, 1: t1) and bucket it goes on from */
  private drainTable = 0;
  private drainBucket = 0;
  /** where the last find/locate ended: its table, bucket and predecessor (0: the bucket head) */
  private atTable: Uint32Array;
  private atBucket = 0;
  private atPrev = 0;
  /** where prefetch's loads go, so that the compiler keeps them */
  private prefetched = 0;

  constructor(private readonly arena: Arena) {
    this.t0 = new Uint32Array(MIN_BUCKETS);
    this.m0 = MIN_BUCKETS - 1;
    this.atTable = this.t0;
  }

  get rehashing(): boolean {
    return this.rehashIdx >= 0;
  }

  /** Bytes of the bucket arrays. */
  get tableBytes(): number {
    return (this.t0.length + (this.t1 === null ? 0 : this.t1.length)) * 4;
  }

  /**
   * Bring the buckets and records of the keys hashed `hashes[0..n)` into the cache before they
   * are looked up one by one. In a large keyspace a bucket or record is a cache and TLB miss
   * (300-450 ns on the 2-core VM), and a lookup chains two or three of them: the bucket, its
   * first record, the next one. Misses that do not depend on each other overlap (under 100 ns
   * each there), so loading every key's bucket first, then every first record, then the second
   * where the first is another key's, makes a multi-key command wait about once per level
   * instead of once per level and key (Redis 8's memory_prefetch.c, for a batch of commands).
   */
  prefetch(hashes: Uint32Array, n: number): void {
    const u32 = this.arena.u32, refs = prefetchRefs, last = u32.length - 1;
    const t0 = this.t0, m0 = this.m0, t1 = this.t1, m1 = this.m1, moved = this.rehashIdx;
    for (let i = 0; i < n; i++) {
      const h = hashes[i], b = h & m0;
      refs[i] = t1 !== null && b < moved ? t1[h & m1] : t0[b];
    }
    let sink = 0;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < n; i++) {
        const r = refs[i];
        if (r === 0) continue;
        // the header, and 16 bytes on where a short key's bytes end (a record may cross a line)
        sink ^= u32[Math.min(r * 2 + 8, last)];
        const hit = u32[r * 2 + W_HASH] === hashes[i];
        refs[i] = hit ? 0 : u32[r * 2 + W_NEXT];
      }
    }
    this.prefetched = sink;
  }

  /** The record holding `key` (hash h), or 0. Remembers where, for unlink/replace/insert. */
  find(key: Uint8Array, h: number): number {
    if (this.rehashIdx >= 0) this.rehashStep(1);
    const u32 = this.arena.u32, u8 = this.arena.u8;
    let t = this.t0;
    let b = h & this.m0;
    for (let pass = 0; pass < 2; pass++) {
      let prev = 0;
      for (let r = t[b]; r !== 0; r = u32[r * 2 + W_NEXT]) {
        if (u32[r * 2 + W_HASH] === h && keyEquals(u8, r, key)) {
          this.atTable = t;
          this.atBucket = b;
          this.atPrev = prev;
          return r;
        }
        prev = r;
      }
      if (this.t1 === null) break;
      t = this.t1;
      b = h & this.m1;
    }
    return 0;
  }

  /** Finds a record known to be in the table (by ref), for unlink/replace. */
  locate(ref: number): boolean {
    const u32 = this.arena.u32;
    const h = u32[ref * 2 + W_HASH];
    let t = this.t0;
    let b = h & this.m0;
    for (let pass = 0; pass < 2; pass++) {
      let prev = 0;
      for (let r = t[b]; r !== 0; r = u32[r * 2 + W_NEXT]) {
        if (r === ref) {
          this.atTable = t;
          this.atBucket = b;
          this.atPrev = prev;
          return true;
        }
        prev = r;
      }
      if (this.t1 === null) break;
      t = this.t1;
      b = h & this.m1;
    }
    return false;
  }

  /** Adds a record (its hash already written) that is not in the table. */
  insert(ref: number): void {
    const u32 = this.arena.u32;
    const h = u32[ref * 2 + W_HASH];
    const t = this.t1 ?? this.t0;
    const b = h & (this.t1 === null ? this.m0 : this.m1);
    u32[ref * 2 + W_NEXT] = t[b];
    t[b] = ref;
    this.size++;
    if (this.rehashIdx < 0 && this.size >= this.t0.length) this.resize(this.size + 1);
  }

  /** Removes the record the last find/locate found. */
  unlinkFound(ref: number): void {
    const u32 = this.arena.u32;
    const next = u32[ref * 2 + W_NEXT];
    if (this.atPrev === 0) this.atTable[this.atBucket] = next;
    else u32[this.atPrev * 2 + W_NEXT] = next;
    this.size--;
  }

  /** Puts `fresh` where the last find/locate found `old` (a record that moved). */
  replaceFound(old: number, fresh: number): void {
    const u32 = this.arena.u32;
    u32[fresh * 2 + W_NEXT] = u32[old * 2 + W_NEXT];
    if (this.atPrev === 0) this.atTable[this.atBucket] = fresh;
    else u32[this.atPrev * 2 + W_NEXT] = fresh;
  }

  /** Shrink a table that is mostly empty (Redis's htNeedsResize); called after deletes. */
  maybeShrink(): void {
    const n = this.t0.length;
    if (this.rehashIdx >= 0 || n <= MIN_BUCKETS) return;
    if (this.size * 100 < n * MIN_FILL_PERCENT) this.resize(this.size);
  }

  /**
   * An empty index sized for `keys` keys at once (Redis's dictExpand on RDB's RESIZEDB), so a
   * load of that many inserts without a resize and its incremental rehash, which (no tick
   * running while loading) would otherwise drag on and leave long chains to walk.
   */
  reserve(keys: number): void {
    if (this.size !== 0 || this.rehashIdx >= 0 || keys <= this.t0.length) return;
    this.t0 = new Uint32Array(pow2AtLeast(keys));
    this.m0 = this.t0.length - 1;
    this.atTable = this.t0;
  }

  /** Start moving to a table of at least `want` buckets. */
  private resize(want: number): void {
    const n = pow2AtLeast(want);
    if (n === this.t0.length) return;
    this.t1 = new Uint32Array(n);
    this.m1 = n - 1;
    this.rehashIdx = 0;
  }

  /** Move up to `n` buckets to the new table; returns true while rehashing goes on. */
  rehashStep(n: number): boolean {
    if (this.rehashIdx < 0) return false;
    const u32 = this.arena.u32;
    const t0 = this.t0, t1 = this.t1!, m1 = this.m1;
    let idx = this.rehashIdx;
    let empty = n * EMPTY_VISITS;
    while (n-- > 0 && idx < t0.length) {
      while (idx < t0.length && t0[idx] === 0) {
        idx++;
        if (--empty === 0) {
          this.rehashIdx = idx;
          return this.finishIfDone();
        }
      }
      if (idx === t0.length) break;
      let r = t0[idx];
      while (r !== 0) {
        const next = u32[r * 2 + W_NEXT];
        const b = u32[r * 2 + W_HASH] & m1;
        u32[r * 2 + W_NEXT] = t1[b];
        t1[b] = r;
        r = next;
      }
      t0[idx++] = 0;
    }
    this.rehashIdx = idx;
    return this.finishIfDone();
  }

  private finishIfDone(): boolean {
    if (this.rehashIdx < this.t0.length) return true;
    this.t0 = this.t1!;
    this.m0 = this.m1;
    this.t1 = null;
    this.m1 = 0;
    this.rehashIdx = -1;
    this.atTable = this.t0;
    return false;
  }

  /** Rehash for up to `ms` milliseconds (the shard's tick, as Redis's databasesCron). */
  rehashFor(ms: number): void {
    if (this.rehashIdx < 0) return;
    const deadline = performance.now() + ms;
    while (this.rehashStep(100) && performance.now() < deadline);
  }

  /** Drop every key at once (the records are the caller's to free). */
  clear(): void {
    this.t0 = new Uint32Array(MIN_BUCKETS);
    this.m0 = MIN_BUCKETS - 1;
    this.t1 = null;
    this.m1 = 0;
    this.rehashIdx = -1;
    this.size = 0;
    this.atTable = this.t0;
  }

  /**
   * Take up to `max` records out of a dict no one else uses any more (FLUSHDB ASYNC's detached
   * index, store/lazyfree.ts), calling f on each after it left; returns how many.
   */
  drain(max: number, f: (ref: number) => void): number {
    const u32 = this.arena.u32;
    let n = 0;
    // the emptied buckets are not looked at again: the next call starts where this one ended
    while (n < max && this.size > 0) {
      const t = this.drainTable === 0 ? this.t0 : this.t1;
      if (t === null || this.drainBucket >= t.length) {
        this.drainTable++;
        this.drainBucket = 0;
        continue;
      }
      const b = this.drainBucket;
      let r = t[b];
      while (r !== 0 && n < max) {
        const next = u32[r * 2 + W_NEXT];
        t[b] = next;
        this.size--;
        n++;
        f(r);
        r = next;
      }
      if (r === 0) this.drainBucket++;
    }
    return n;
  }

  /** Exchange contents with another dict of the same arena (SWAPDB). */
  swap(o: Dict): void {
    const t0 = this.t0, m0 = this.m0, t1 = this.t1, m1 = this.m1, idx = this.rehashIdx;
    const size = this.size;
    this.t0 = o.t0;
    this.m0 = o.m0;
    this.t1 = o.t1;
    this.m1 = o.m1;
    this.rehashIdx = o.rehashIdx;
    this.size = o.size;
    o.t0 = t0;
    o.m0 = m0;
    o.t1 = t1;
    o.m1 = m1;
    o.rehashIdx = idx;
    o.size = size;
    this.atTable = this.t0;
    o.atTable = o.t0;
  }

  /**
   * Calls f on every record. f may free the record it is given (FLUSHDB), not other records,
   * and must not add to the table: the link is read before f runs.
   */
  forEach(f: (ref: number) => void): void {
    const u32 = this.arena.u32;
    for (const t of this.t1 === null ? [this.t0] : [this.t0, this.t1]) {
      for (let b = 0; b < t.length; b++) {
        for (let r = t[b]; r !== 0;) {
          const next = u32[r * 2 + W_NEXT];
          f(r);
          r = next;
        }
      }
    }
  }

  /**
   * One step of Redis's dictScan from cursor v: calls f on every record of the bucket(s) the
   * cursor names, and returns the next cursor (0 when the scan is complete).
   */
  scan(v: number, f: (ref: number) => void): number {
    const u32 = this.arena.u32;
    const emit = (t: Uint32Array, b: number) => {
      for (let r = t[b]; r !== 0; r = u32[r * 2 + W_NEXT]) f(r);
    };
    v >>>= 0;
    if (this.t1 === null) {
      emit(this.t0, v & this.m0);
      return nextCursor(v, this.m0);
    }
    let small = this.t0, big = this.t1, ms = this.m0, mb = this.m1;
    if (small.length > big.length) {
      [small, big] = [big, small];
      [ms, mb] = [mb, ms];
    }
    emit(small, v & ms);
    do {
      emit(big, v & mb);
      v = nextCursor(v, mb);
    } while ((v & (ms ^ mb)) !== 0);
    return v;
  }

  /** A random record (Redis's dictGetRandomKey), or 0 when empty. */
  random(rnd: () => number): number {
    if (this.size === 0) return 0;
    if (this.rehashIdx >= 0) this.rehashStep(1);
    const u32 = this.arena.u32;
    let head = 0;
    while (head === 0) {
      if (this.t1 !== null) {
        const s0 = this.t0.length;
        const h = this.rehashIdx + Math.floor(rnd() * (s0 + this.t1.length - this.rehashIdx));
        head = h >= s0 ? this.t1[h - s0] : this.t0[h];
      } else {
        head = this.t0[Math.floor(rnd() * this.t0.length)];
      }
    }
    let len = 0;
    for (let r = head; r !== 0; r = u32[r * 2 + W_NEXT]) len++;
    let r = head;
    for (let k = Math.floor(rnd() * len); k > 0; k--) r = u32[r * 2 + W_NEXT];
    return r;
  }

  /**
   * A uniformly random record, or 0 when empty: a random bucket, then a random position among
   * the first FAIR_CHAIN of its chain, retried when the position is past the chain's end (so a
   * key in a long chain is not drawn less often than one alone in its bucket). Gives up with
   * 0 after `tries` attempts (a nearly empty table of many buckets).
   */
  fairRandom(rnd: () => number, tries = 200): number {
    if (this.size === 0) return 0;
    const u32 = this.arena.u32;
    for (let t = 0; t < tries; t++) {
      let head: number;
      if (this.t1 !== null) {
        const s0 = this.t0.length;
        const h = this.rehashIdx + Math.floor(rnd() * (s0 + this.t1.length - this.rehashIdx));
        head = h >= s0 ? this.t1[h - s0] : this.t0[h];
      } else {
        head = this.t0[Math.floor(rnd() * this.t0.length)];
      }
      if (head === 0) continue;
      let r = head;
      for (let j = Math.floor(rnd() * FAIR_CHAIN); j > 0 && r !== 0; j--) r = u32[r * 2 + W_NEXT];
      if (r !== 0) return r;
    }
    return 0;
  }

  /**
   * Up to `count` records from consecutive buckets starting at a random one (Redis's
   * dictGetSomeKeys, for eviction sampling). Appends them to `out`; returns how many.
   */
  sample(count: number, rnd: () => number, out: number[]): number {
    if (this.size === 0) return 0;
    const u32 = this.arena.u32;
    const tables = this.t1 === null ? [this.t0] : [this.t0, this.t1];
    let maxSteps = count * 10;
    let found = 0;
    let i = Math.floor(rnd() * 0x100000000) >>> 0;
    let emptyRun = 0;
    while (found < count && maxSteps-- > 0) {
      for (let j = 0; j < tables.length && found < count; j++) {
        const t = tables[j];
        // buckets of the old table below rehashIdx are empty
        if (j === 0 && this.t1 !== null && (i & (t.length - 1)) < this.rehashIdx) continue;
        const b = i & (t.length - 1);
        let r = t[b];
        if (r === 0) {
          if (++emptyRun >= 5 && emptyRun > count) {
            i = Math.floor(rnd() * 0x100000000) >>> 0;
            emptyRun = 0;
          }
          continue;
        }
        emptyRun = 0;
        for (; r !== 0 && found < count; r = u32[r * 2 + W_NEXT]) {
          out.push(r);
          found++;
        }
      }
      i = (i + 1) >>> 0;
    }
    return found;
  }
}

/** The key's first byte offset in a record (after the two varints). */
export function keyOffsetOf(u8: Uint8Array, ref: number): number {
  let p = ref * 8 + HEADER_BYTES;
  while (u8[p++] >= 0x80);
  while (u8[p++] >= 0x80);
  return p;
}
