/**
 * A set of members (latin1 strings): an array of the members plus a member -> index map, so
 * membership, add, remove (swap with the last) and random picks are all O(1).
 *
 * `intset` records which encoding Redis would be using: an "intset" while every member is a
 * canonical int64 (string2ll) and there are at most set-max-intset-entries of them, then
 * "hashtable" for good (removals never convert back). An intset's members come back sorted
 * numerically from SMEMBERS, SSCAN and every walk, as in Redis; a hashtable's order is
 * unspecified (here: the array order).
 */
import type { CollectionValue } from "./types.ts";
import { parseInt64Str } from "../util/numbers.ts";

/** Whether Redis would hold this member in an intset (string2ll accepts it). */
export function isIntMember(m: string): boolean {
  const n = m.length;
  if (n === 0 || n > 20) return false;
  const c = m.charCodeAt(0);
  if (c !== 45 && (c < 48 || c > 57)) return false;
  return parseInt64Str(m) !== null;
}

/** Numeric order of two int64 members (exact beyond 2^53). */
function intOrder(a: string, b: string): number {
  const x = Number(a), y = Number(b);
  if (x !== y) return x < y ? -1 : 1;
  if (a === b) return 0;
  const p = BigInt(a), q = BigInt(b);
  return p < q ? -1 : p > q ? 1 : 0;
}

export class SetValue implements CollectionValue {
  readonly items: string[] = [];
  readonly index = new Map<string, number>();
  intset = true;
  /** the members in numeric order while an intset (rebuilt after a change) */
  private sortedCache: string[] | null = null;

  get size(): number {
    return this.items.length;
  }

  encoding(): string {
    return this.intset ? "intset" : "hashtable";
  }

  clone(): SetValue {
    const s = new SetValue();
    s.intset = this.intset;
    for (const m of this.items) {
      s.index.set(m, s.items.length);
      s.items.push(m);
    }
    return s;
  }

  has(m: string): boolean {
    return this.index.has(m);
  }

  /** Adds a member (Redis's setTypeAdd, converting past `maxIntset`); false if present. */
  add(m: string, maxIntset: number): boolean {
    if (this.index.has(m)) return false;
    if (this.intset) {
      if (!isIntMember(m) || this.items.length + 1 > maxIntset) this.intset = false;
      else this.sortedCache = null;
    }
    this.index.set(m, this.items.length);
    this.items.push(m);
    return true;
  }

  remove(m: string): boolean {
    const i = this.index.get(m);
    if (i === undefined) return false;
    this.removeAt(i);
    return true;
  }

  private removeAt(i: number): void {
    const items = this.items;
    const m = items[i];
    const last = items.pop()!;
    if (i < items.length) {
      items[i] = last;
      this.index.set(last, i);
    }
    this.index.delete(m);
    if (this.intset) this.sortedCache = null;
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    return this.items[(Math.random() * this.items.length) | 0];
  }

  /** Removes and returns a uniformly random member (the set must not be empty). */
  pop(): string {
    const i = (Math.random() * this.items.length) | 0;
    const m = this.items[i];
    this.removeAt(i);
    return m;
  }

  /**
   * The members in Redis's iteration order: numeric for an intset, else the array order.
   * The array is shared: read it before the next change, do not modify it.
   */
  members(): string[] {
    if (!this.intset) return this.items;
    let s = this.sortedCache;
    if (s === null) s = this.sortedCache = this.items.slice().sort(intOrder);
    return s;
  }

  /**
   * One SCAN page from the end of the array: cursor 0 starts, c > 0 means members [0, c)
   * are left; a swap-remove only moves a visited member down, so members present for the
   * whole scan are all returned. Returns the next cursor (0 when done).
   */
  scanStep(cursor: number, count: number, out: string[]): number {
    const items = this.items;
    let i = cursor === 0 || cursor > items.length ? items.length : cursor;
    const stop = Math.max(0, i - count);
    while (i > stop) out.push(items[--i]);
    return i;
  }
}
