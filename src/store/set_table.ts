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
import { MemberIndex } from "./member_index.ts";

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
  /** hash -> dense position */
  private index = new MemberIndex();
  /** the slot the last failed find stopped at (where the member would go) */
  private hole = 0;
  private readonly hashOf = (d: number): number => this.ent[3 * d + 2];

  /** Bytes held (MEMORY USAGE): the heap, the dense array and the index. */
  get bytes(): number {
    return this.heap.byteLength + this.ent.byteLength + this.index.bytes;
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
    const x = this.index, heap = this.heap, ent = this.ent;
    for (let i = x.home(h);; i = x.next(i)) {
      const d = x.posAt(i);
      if (d < 0) {
        this.hole = i;
        return -1;
      }
      if (x.hashAt(i) === h && ent[3 * d + 1] === len) {
        const o = ent[3 * d];
        let k = 0;
        while (k < len && heap[o + k] === src[off + k]) k++;
        if (k === len) return d;
      }
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
    this.n = d + 1;
    this.index.put(this.hole, h, d, d + 1, this.hashOf);
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
    const ent = this.ent, x = this.index;
    x.remove(ent[3 * d + 2], d);
    this.garbage += ent[3 * d + 1];
    const last = this.n - 1;
    if (d !== last) {
      x.renumber(ent[3 * last + 2], last, d);
      ent.copyWithin(3 * d, 3 * last, 3 * last + 3);
    }
    this.n = last;
    x.fit(last, this.hashOf);
    if (this.garbage > 4096 && this.garbage * 2 > this.heapLen) this.compact();
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
    t.index = this.index.clone();
    return t;
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
