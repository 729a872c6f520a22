/**
 * The "hashtable" encoding of a hash: a chained hash table shaped like Redis's dict, so HSCAN
 * uses Redis's reverse-binary bucket cursor (every field present for the whole scan is
 * returned, even when the table grows or shrinks between calls), but with no JS object per
 * field: entries are numbered slots of typed arrays (hash, chain link, where the bytes are)
 * and the field and value bytes lie side by side in one byte pool owned by the table.
 * An HSET writes the argument bytes straight into the pool and an HGET replies from it, so
 * neither makes a JS string, and the V8 heap holds a few arrays however many fields there are
 * (no per-field objects for the GC to trace or promote).
 *
 * - Buckets: `heads[b]` is the first entry of bucket b (0: empty), `next[i]` the following one.
 *   The table doubles when it holds more entries than buckets and shrinks below 1/8 full.
 * - The pool: entry i's field is pool[off[i], off[i] + flen[i]), its value follows; `room[i]`
 *   bytes are reserved there, so a value rewritten no longer than before stays in place. A
 *   longer one moves to the pool's end; the dead bytes are reclaimed by compacting the pool
 *   (copying the live entries) once they outweigh the live ones: amortized O(1) per write.
 * - An entry whose field and value together exceed BIG_ENTRY bytes keeps them as JS values
 *   (`bigF`/`bigV`) instead: the pool never grows to hold a huge value twice over.
 * - Random picks are uniform: a random entry slot until a live one (slots are renumbered
 *   compactly whenever the buckets shrink, so at least 1/8 of them are live).
 */
import { latin1Range } from "../util/bytes.ts";
import { MAX_STRING_VALUE, type StringValue } from "./types.ts";
import { nextCursor } from "../util/scan_cursor.ts";
import { memberHash, memberHashStr } from "../util/hash.ts";

const MIN_BUCKETS = 4;
/** An entry with more bytes than this keeps its field and value as JS values. */
const BIG_ENTRY = 1024;
/** The pool is compacted once its dead bytes exceed the live ones and this. */
const MIN_DEAD = 64 * 1024;

const FREE = 0, POOL = 1, BIG = 2;

/** The hash of a field given as a latin1 string. */
export const hashField = memberHashStr;

/** The hash of a field given as bytes (equal to hashField of its latin1 string). */
export function hashFieldBytes(b: Uint8Array): number {
  return memberHash(b, 0, b.length);
}

function pow2AtLeast(n: number): number {
  let s = MIN_BUCKETS;
  while (s < n) s *= 2;
  return s;
}

export class Dict {
  private heads: Int32Array;
  private mask: number;
  /** per entry slot (slot 0 is unused: 0 ends a chain) */
  private hash: Uint32Array;
  private next: Int32Array;
  private off: Uint32Array;
  private flen: Uint32Array;
  private vlen: Uint32Array;
  private room: Uint32Array;
  /** a big entry's field and value (only read where `live` says BIG) */
  private bigF = new Map<number, string>();
  private bigV = new Map<number, StringValue>();
  /** per slot: FREE, POOL (its bytes are in the pool) or BIG */
  private live: Uint8Array;
  /** slots handed out so far (the highest used + 1), and the freed ones (a chain via next) */
  private top = 1;
  private freeSlot = 0;
  /** the byte pool: used up to poolEnd, of which dead bytes no entry owns any more */
  private pool: Uint8Array;
  private poolEnd = 0;
  private dead = 0;
  /** bytes of the big entries' fields and values */
  private bigBytes = 0;
  count = 0;

  constructor(sizeHint = MIN_BUCKETS) {
    const n = pow2AtLeast(sizeHint);
    this.heads = new Int32Array(n);
    this.mask = n - 1;
    this.hash = new Uint32Array(n + 1);
    this.next = new Int32Array(n + 1);
    this.off = new Uint32Array(n + 1);
    this.flen = new Uint32Array(n + 1);
    this.vlen = new Uint32Array(n + 1);
    this.room = new Uint32Array(n + 1);
    this.live = new Uint8Array(n + 1);
    this.pool = new Uint8Array(Math.max(256, n * 32));
  }

  // ---- lookups

  /** The slot of field f (a latin1 string), 0 when absent. */
  find(f: string): number {
    const h = hashField(f);
    const n = f.length;
    for (let i = this.heads[h & this.mask]; i !== 0; i = this.next[i]) {
      if (this.hash[i] !== h || this.flen[i] !== n) continue;
      if (this.fieldIs(i, f)) return i;
    }
    return 0;
  }

  /** The slot of field f given as bytes, 0 when absent. */
  findBytes(f: Uint8Array): number {
    const h = hashFieldBytes(f);
    const n = f.length;
    for (let i = this.heads[h & this.mask]; i !== 0; i = this.next[i]) {
      if (this.hash[i] !== h || this.flen[i] !== n) continue;
      if (this.fieldIsBytes(i, f)) return i;
    }
    return 0;
  }

  private fieldIs(i: number, f: string): boolean {
    if (this.live[i] === BIG) return this.bigF.get(i)! === f;
    const p = this.pool, o = this.off[i];
    for (let k = 0; k < f.length; k++) if (p[o + k] !== f.charCodeAt(k)) return false;
    return true;
  }

  private fieldIsBytes(i: number, f: Uint8Array): boolean {
    if (this.live[i] === BIG) {
      const big = this.bigF.get(i)!;
      for (let k = 0; k < f.length; k++) if (big.charCodeAt(k) !== f[k]) return false;
      return true;
    }
    const p = this.pool, o = this.off[i];
    for (let k = 0; k < f.length; k++) if (p[o + k] !== f[k]) return false;
    return true;
  }

  get(f: string): StringValue | undefined {
    const i = this.find(f);
    return i === 0 ? undefined : this.valueAt(i);
  }

  has(f: string): boolean {
    return this.find(f) !== 0;
  }

  /** Slot i's field. */
  fieldAt(i: number): string {
    if (this.live[i] === BIG) return this.bigF.get(i)!;
    const o = this.off[i];
    return latin1Range(this.pool, o, o + this.flen[i]);
  }

  /** Slot i's value. */
  valueAt(i: number): StringValue {
    if (this.live[i] === BIG) return this.bigV.get(i)!;
    const o = this.off[i] + this.flen[i];
    return latin1Range(this.pool, o, o + this.vlen[i]);
  }

  /** Slot i's value length (HSTRLEN). */
  valueLength(i: number): number {
    return this.vlen[i];
  }

  /**
   * Where slot i's value lies, for a reply written without a JS string: its first byte in
   * `bytes` (valid until the next write), or -1 when the entry is big (use valueAt).
   */
  valueOffset(i: number): number {
    return this.live[i] === BIG ? -1 : this.off[i] + this.flen[i];
  }

  /** The pool's bytes (see valueOffset). */
  get bytes(): Uint8Array {
    return this.pool;
  }

  // ---- writes

  /** Sets f to v; true when f was added, false when an existing value was replaced. */
  set(f: string, v: StringValue): boolean {
    const i = this.find(f);
    if (i !== 0) {
      this.replace(i, f, null, v);
      return false;
    }
    this.insert(hashField(f), f, null, v);
    return true;
  }

  /** Sets field f to value v, both given as bytes; true when f was added. */
  setBytes(f: Uint8Array, v: Uint8Array): boolean {
    const i = this.findBytes(f);
    if (i !== 0) {
      this.replace(i, null, f, v);
      return false;
    }
    this.insert(hashFieldBytes(f), null, f, v);
    return true;
  }

  /** Gives entry i the value v (the field, fs or fb, is the same as i's). */
  private replace(i: number, fs: string | null, fb: Uint8Array | null, v: StringValue): void {
    const n = this.flen[i];
    const size = n + v.length;
    if (this.live[i] === POOL && size <= this.room[i]) {
      // in place
      const o = this.off[i] + n;
      writeValue(this.pool, o, v);
      this.vlen[i] = v.length;
      return;
    }
    const field = this.live[i] === BIG ? this.bigF.get(i)! : fs ?? latin1Range(fb!, 0, fb!.length);
    this.release(i);
    // free while it has no bytes: a compaction making room for them must not copy old ones
    this.live[i] = FREE;
    this.place(i, field, null, v);
  }

  private insert(h: number, fs: string | null, fb: Uint8Array | null, v: StringValue): void {
    let i = this.freeSlot;
    if (i !== 0) this.freeSlot = this.next[i];
    else {
      if (this.top === this.hash.length) this.growSlots(this.hash.length * 2);
      i = this.top++;
    }
    this.hash[i] = h;
    this.place(i, fs, fb, v);
    const b = h & this.mask;
    this.next[i] = this.heads[b];
    this.heads[b] = i;
    if (++this.count > this.heads.length) this.rebuild(this.heads.length * 2, false);
  }

  /** Stores entry i's field (fs or fb) and value v: in the pool, or as JS values when big. */
  private place(i: number, fs: string | null, fb: Uint8Array | null, v: StringValue): void {
    const n = fs !== null ? fs.length : fb!.length;
    const size = n + v.length;
    this.flen[i] = n;
    this.vlen[i] = v.length;
    if (size > BIG_ENTRY) {
      this.bigF.set(i, fs ?? latin1Range(fb!, 0, n));
      // bytes given by setBytes become a string, as stored values are (bytes only when huge)
      this.bigV.set(
        i,
        typeof v === "string"
          ? v
          : v.length <= MAX_STRING_VALUE
          ? latin1Range(v, 0, v.length)
          : v.slice(),
      );
      this.room[i] = 0;
      this.live[i] = BIG;
      this.bigBytes += size;
      return;
    }
    // a little slack, so a counter or a value growing by a few bytes stays in place
    const room = size + (size >> 3);
    if (this.poolEnd + room > this.pool.length) this.makeRoom(room);
    this.live[i] = POOL;
    const o = this.poolEnd;
    const p = this.pool;
    if (fs !== null) { for (let k = 0; k < n; k++) p[o + k] = fs.charCodeAt(k); }
    else if (n < 32) { for (let k = 0; k < n; k++) p[o + k] = fb![k]; }
    else p.set(fb!, o);
    writeValue(p, o + n, v);
    this.off[i] = o;
    this.room[i] = room;
    this.poolEnd = o + room;
  }

  /** Entry i's bytes become dead (its big values are dropped). */
  private release(i: number): void {
    if (this.live[i] === BIG) {
      this.bigBytes -= this.bigF.get(i)!.length + this.bigV.get(i)!.length;
      this.bigF.delete(i);
      this.bigV.delete(i);
    } else this.dead += this.room[i];
  }

  delete(f: string): boolean {
    const h = hashField(f);
    const b = h & this.mask;
    let prev = 0;
    for (let i = this.heads[b]; i !== 0; prev = i, i = this.next[i]) {
      if (this.hash[i] !== h || this.flen[i] !== f.length || !this.fieldIs(i, f)) continue;
      if (prev === 0) this.heads[b] = this.next[i];
      else this.next[prev] = this.next[i];
      this.release(i);
      this.live[i] = FREE;
      this.next[i] = this.freeSlot;
      this.freeSlot = i;
      this.count--;
      const nb = this.heads.length;
      if (nb > MIN_BUCKETS && this.count * 8 < nb) this.rebuild(pow2AtLeast(this.count), true);
      else if (this.dead > MIN_DEAD && this.dead > this.poolEnd - this.dead) this.compactPool();
      return true;
    }
    return false;
  }

  // ---- walks

  /** Calls fn(field, value, arg) for every entry, bucket by bucket. */
  forEach<T>(fn: (f: string, v: StringValue, arg: T) => void, arg: T): void {
    const hd = this.heads, nx = this.next;
    for (let b = 0; b < hd.length; b++) {
      for (let i = hd[b]; i !== 0; i = nx[i]) fn(this.fieldAt(i), this.valueAt(i), arg);
    }
  }

  /** Every entry, bucket by bucket, appended to fields and values. */
  entries(fields: string[], values: StringValue[]): void {
    const hd = this.heads, nx = this.next;
    for (let b = 0; b < hd.length; b++) {
      for (let i = hd[b]; i !== 0; i = nx[i]) {
        fields.push(this.fieldAt(i));
        values.push(this.valueAt(i));
      }
    }
  }

  /** A uniformly random live slot (the table must not be empty). */
  randomSlot(): number {
    const top = this.top;
    for (;;) {
      const i = 1 + ((Math.random() * (top - 1)) | 0);
      if (this.live[i] !== FREE) return i;
    }
  }

  /** Appends `count` random entries, repetitions allowed. */
  randomPairs(count: number, fields: string[], values: StringValue[]): void {
    for (let k = 0; k < count; k++) {
      const i = this.randomSlot();
      fields.push(this.fieldAt(i));
      values.push(this.valueAt(i));
    }
  }

  /** Appends `count` distinct random entries (count < size). */
  randomUnique(count: number, fields: string[], values: StringValue[]): void {
    if (count * 3 > this.count) {
      // most of the hash: shuffle the live slots partially
      const slots: number[] = [];
      for (let i = 1; i < this.top; i++) if (this.live[i] !== FREE) slots.push(i);
      for (let k = 0; k < count; k++) {
        const j = k + ((Math.random() * (slots.length - k)) | 0);
        const t = slots[k];
        slots[k] = slots[j];
        slots[j] = t;
        fields.push(this.fieldAt(slots[k]));
        values.push(this.valueAt(slots[k]));
      }
      return;
    }
    const seen = new Set<number>();
    while (seen.size < count) {
      const i = this.randomSlot();
      if (seen.has(i)) continue;
      seen.add(i);
      fields.push(this.fieldAt(i));
      values.push(this.valueAt(i));
    }
  }

  /**
   * One HSCAN step from `cursor` (Redis's dictScan order): visits buckets, appending their
   * entries to fields/values, until `count` entries were collected or 10 * count buckets were
   * visited. Returns the next cursor, 0 when the scan is complete.
   */
  scan(cursor: number, count: number, fields: string[], values: StringValue[]): number {
    let v = cursor >>> 0;
    let budget = count * 10;
    const start = fields.length;
    const m = this.mask;
    do {
      for (let i = this.heads[v & m]; i !== 0; i = this.next[i]) {
        fields.push(this.fieldAt(i));
        values.push(this.valueAt(i));
      }
      v = nextCursor(v, m);
    } while (v !== 0 && budget-- > 0 && fields.length - start < count);
    return v;
  }

  /** Bucket count (tests). */
  get capacity(): number {
    return this.heads.length;
  }

  /** Bytes the table holds (its arrays and pool; big entries' strings counted by length). */
  get byteSize(): number {
    // per slot: hash, next, off, flen, vlen, room (u32 each) and live (u8)
    return this.heads.byteLength + this.pool.byteLength + this.hash.length * 25 + this.bigBytes;
  }

  /** A copy (COPY): the arrays and the live part of the pool, as they are. */
  clone(): Dict {
    const d = new Dict();
    d.heads = this.heads.slice();
    d.mask = this.mask;
    d.hash = this.hash.slice();
    d.next = this.next.slice();
    d.off = this.off.slice();
    d.flen = this.flen.slice();
    d.vlen = this.vlen.slice();
    d.room = this.room.slice();
    d.live = this.live.slice();
    d.bigF = new Map(this.bigF);
    d.bigV = new Map(this.bigV);
    d.top = this.top;
    d.freeSlot = this.freeSlot;
    d.pool = this.pool.slice();
    d.poolEnd = this.poolEnd;
    d.dead = this.dead;
    d.bigBytes = this.bigBytes;
    d.count = this.count;
    return d;
  }

  // ---- growth, shrinking, compaction

  private growSlots(n: number): void {
    this.hash = grow(this.hash, n);
    this.next = grow(this.next, n);
    this.off = grow(this.off, n);
    this.flen = grow(this.flen, n);
    this.vlen = grow(this.vlen, n);
    this.room = grow(this.room, n);
    this.live = grow(this.live, n);
  }

  /** Room for `need` more pool bytes: compact when half of it is dead, else grow. */
  private makeRoom(need: number): void {
    const liveBytes = this.poolEnd - this.dead;
    if (this.dead > MIN_DEAD && this.dead > liveBytes) {
      this.compactPool();
      if (this.poolEnd + need <= this.pool.length) return;
    }
    // doubling while small; by half beyond 64 MiB, so a huge hash wastes less
    const grow = (n: number) => n < 1 << 26 ? n * 2 : n + (n >> 1);
    let c = grow(this.pool.length);
    while (c < this.poolEnd + need) c = grow(c);
    const p = new Uint8Array(c);
    p.set(this.pool.subarray(0, this.poolEnd));
    this.pool = p;
  }

  /** Copies the live entries' bytes to a fresh pool (slots keep their numbers). */
  private compactPool(): void {
    const live = this.poolEnd - this.dead;
    const p = new Uint8Array(Math.max(256, pow2AtLeast(live + (live >> 1))));
    let end = 0;
    const old = this.pool;
    for (let i = 1; i < this.top; i++) {
      if (this.live[i] !== POOL) continue;
      const o = this.off[i], r = this.room[i];
      p.set(old.subarray(o, o + this.flen[i] + this.vlen[i]), end);
      this.off[i] = end;
      end += r;
    }
    this.pool = p;
    this.poolEnd = end;
    this.dead = 0;
  }

  /**
   * New buckets of `size`; when `renumber`, the live entries also move to slots 1..count and
   * the pool is compacted (after a shrink, so random picks stay cheap and memory goes back).
   */
  private rebuild(size: number, renumber: boolean): void {
    if (renumber) this.renumber(Math.max(size, MIN_BUCKETS));
    const hd = new Int32Array(size);
    const mask = size - 1;
    const nx = this.next, hs = this.hash, lv = this.live;
    for (let i = 1; i < this.top; i++) {
      if (lv[i] === FREE) continue;
      const b = hs[i] & mask;
      nx[i] = hd[b];
      hd[b] = i;
    }
    this.heads = hd;
    this.mask = mask;
  }

  private renumber(slots: number): void {
    const n = slots + 1;
    const hash = new Uint32Array(n), off = new Uint32Array(n), flen = new Uint32Array(n);
    const vlen = new Uint32Array(n), room = new Uint32Array(n), live = new Uint8Array(n);
    const bigF = new Map<number, string>(), bigV = new Map<number, StringValue>();
    const liveBytes = this.poolEnd - this.dead;
    const p = new Uint8Array(Math.max(256, pow2AtLeast(liveBytes + (liveBytes >> 1))));
    let end = 0;
    let j = 1;
    for (let i = 1; i < this.top; i++) {
      if (this.live[i] === FREE) continue;
      hash[j] = this.hash[i];
      flen[j] = this.flen[i];
      vlen[j] = this.vlen[i];
      live[j] = this.live[i];
      if (live[j] === BIG) {
        bigF.set(j, this.bigF.get(i)!);
        bigV.set(j, this.bigV.get(i)!);
      } else {
        const o = this.off[i], r = this.room[i];
        p.set(this.pool.subarray(o, o + flen[j] + vlen[j]), end);
        off[j] = end;
        room[j] = r;
        end += r;
      }
      j++;
    }
    this.hash = hash;
    this.next = new Int32Array(n);
    this.off = off;
    this.flen = flen;
    this.vlen = vlen;
    this.room = room;
    this.live = live;
    this.bigF = bigF;
    this.bigV = bigV;
    this.top = j;
    this.freeSlot = 0;
    this.pool = p;
    this.poolEnd = end;
    this.dead = 0;
  }
}

function writeValue(p: Uint8Array, o: number, v: StringValue): void {
  if (typeof v !== "string") {
    p.set(v, o);
    return;
  }
  for (let k = 0; k < v.length; k++) p[o + k] = v.charCodeAt(k);
}

function grow<T extends Uint32Array | Int32Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}
