/**
 * A database's keys with a TTL: dense arrays indexed by slot (1..count), each slot holding the
 * record's ref and its expiry. A record keeps its slot in its header (record.ts `vslot`), so
 * setting, changing and clearing a TTL never moves the record, and a slot is removed in O(1)
 * by moving the last one into its place. Random slots feed the active expiry cycle and the
 * volatile-* eviction policies, as Redis's `expires` dict does.
 *
 * Expiry times are int64 milliseconds; a time beyond 2^53 (only ever set on purpose) keeps its
 * exact value beside, so EXPIRETIME echoes it digit for digit.
 */
import type { Arena } from "./arena.ts";
import { W_VSLOT } from "./record.ts";

export class VolatileSet {
  private refs = new Uint32Array(16);
  private at = new Float64Array(16);
  private readonly exact = new Map<number, bigint>();
  /** keys with a TTL */
  count = 0;

  constructor(private readonly arena: Arena) {}

  /** Bytes of the arrays. */
  get tableBytes(): number {
    return this.refs.length * 12;
  }

  /** The expiry in ms of slot s. */
  expireAt(s: number): number {
    return this.at[s];
  }

  /** The exact expiry of slot s (a bigint when beyond 2^53). */
  expireExact(s: number): number | bigint {
    return this.exact.get(s) ?? this.at[s];
  }

  /** The record in slot s. */
  ref(s: number): number {
    return this.refs[s];
  }

  /** Give record `ref` a TTL (it has none): returns its slot, also written into its header. */
  add(ref: number, at: number, exact?: bigint): number {
    const s = ++this.count;
    if (s >= this.refs.length) this.grow(this.refs.length * 2);
    this.refs[s] = ref;
    this.at[s] = at;
    if (exact !== undefined) this.exact.set(s, exact);
    this.arena.u32[ref * 2 + W_VSLOT] = s;
    return s;
  }

  /** Change the expiry of slot s. */
  set(s: number, at: number, exact?: bigint): void {
    this.at[s] = at;
    if (exact !== undefined) this.exact.set(s, exact);
    else if (this.exact.size > 0) this.exact.delete(s);
  }

  /** The record of slot s moved (reallocated, defragmented). */
  moved(s: number, ref: number): void {
    this.refs[s] = ref;
  }

  /** Drop slot s (the record's header is cleared too): the last slot takes its place. */
  remove(s: number): void {
    const u32 = this.arena.u32;
    u32[this.refs[s] * 2 + W_VSLOT] = 0;
    const last = this.count--;
    if (this.exact.size > 0) this.exact.delete(s);
    if (s !== last) {
      const r = this.refs[last];
      this.refs[s] = r;
      this.at[s] = this.at[last];
      u32[r * 2 + W_VSLOT] = s;
      if (this.exact.size > 0) {
        const e = this.exact.get(last);
        if (e !== undefined) {
          this.exact.delete(last);
          this.exact.set(s, e);
        }
      }
    }
    if (this.refs.length > 64 && this.count * 8 < this.refs.length) this.grow(this.refs.length / 2);
  }

  /** A random slot (1..count), or 0 when empty. */
  random(rnd: () => number): number {
    return this.count === 0 ? 0 : 1 + Math.floor(rnd() * this.count);
  }

  /** Forget every slot (the records go away with their database). */
  clear(): void {
    this.refs = new Uint32Array(16);
    this.at = new Float64Array(16);
    this.exact.clear();
    this.count = 0;
  }

  /** Exchange contents with another set of the same arena (SWAPDB). */
  swap(o: VolatileSet): void {
    const refs = this.refs, at = this.at, count = this.count;
    const exact = [...this.exact];
    this.refs = o.refs;
    this.at = o.at;
    this.count = o.count;
    this.exact.clear();
    for (const [k, v] of o.exact) this.exact.set(k, v);
    o.refs = refs;
    o.at = at;
    o.count = count;
    o.exact.clear();
    for (const [k, v] of exact) o.exact.set(k, v);
  }

  private grow(n: number): void {
    const refs = new Uint32Array(n), at = new Float64Array(n);
    refs.set(this.refs.subarray(0, Math.min(n, this.refs.length)));
    at.set(this.at.subarray(0, Math.min(n, this.at.length)));
    this.refs = refs;
    this.at = at;
  }
}
