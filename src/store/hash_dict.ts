/**
 * The "hashtable" encoding of a hash: a chained hash table over field strings, shaped like
 * Redis's dict so HSCAN can use Redis's reverse-binary bucket cursor (every field present for
 * the whole scan is returned, even when the table grows or shrinks between calls) and random
 * picks are O(1) on average (a random non-empty bucket, then a random node of its chain).
 */
import type { StringValue } from "./types.ts";
import { nextCursor } from "../util/scan_cursor.ts";

export class DictNode {
  constructor(
    public f: string,
    public v: StringValue,
    public h: number,
    public next: DictNode | null,
  ) {}
}

const MIN_BUCKETS = 4;
/** Per-process seed so clients cannot pick fields that all land in one bucket. */
const SEED = (Math.random() * 0x100000000) >>> 0;

/** Seeded FNV-1a over the field's bytes, finished with murmur3's avalanche. */
export function hashField(s: string): number {
  let h = (0x811c9dc5 ^ SEED) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function emptyBuckets(n: number): (DictNode | null)[] {
  const a: (DictNode | null)[] = [];
  for (let i = 0; i < n; i++) a.push(null);
  return a;
}

export class Dict {
  private buckets: (DictNode | null)[];
  private mask: number;
  count = 0;

  constructor(sizeHint = MIN_BUCKETS) {
    let n = MIN_BUCKETS;
    while (n < sizeHint) n *= 2;
    this.buckets = emptyBuckets(n);
    this.mask = n - 1;
  }

  find(f: string): DictNode | null {
    const h = hashField(f);
    for (let e = this.buckets[h & this.mask]; e !== null; e = e.next) {
      if (e.h === h && e.f === f) return e;
    }
    return null;
  }

  /** Sets f to v; true when f was added, false when an existing value was replaced. */
  set(f: string, v: StringValue): boolean {
    const h = hashField(f);
    const b = h & this.mask;
    for (let e = this.buckets[b]; e !== null; e = e.next) {
      if (e.h === h && e.f === f) {
        e.v = v;
        return false;
      }
    }
    this.buckets[b] = new DictNode(f, v, h, this.buckets[b]);
    if (++this.count > this.buckets.length) this.resize(this.buckets.length * 2);
    return true;
  }

  delete(f: string): boolean {
    const h = hashField(f);
    const b = h & this.mask;
    let prev: DictNode | null = null;
    for (let e = this.buckets[b]; e !== null; prev = e, e = e.next) {
      if (e.h !== h || e.f !== f) continue;
      if (prev === null) this.buckets[b] = e.next;
      else prev.next = e.next;
      e.next = null;
      this.count--;
      const n = this.buckets.length;
      if (n > MIN_BUCKETS && this.count * 8 < n) {
        let size = MIN_BUCKETS;
        while (size < this.count) size *= 2;
        this.resize(size);
      }
      return true;
    }
    return false;
  }

  /** Calls fn(field, value, arg) for every entry, bucket by bucket. */
  forEach<T>(fn: (f: string, v: StringValue, arg: T) => void, arg: T): void {
    const bk = this.buckets;
    for (let i = 0; i < bk.length; i++) {
      for (let e = bk[i]; e !== null; e = e.next) fn(e.f, e.v, arg);
    }
  }

  /** Every entry, bucket by bucket, appended to fields and values. */
  entries(fields: string[], values: StringValue[]): void {
    const bk = this.buckets;
    for (let i = 0; i < bk.length; i++) {
      for (let e = bk[i]; e !== null; e = e.next) {
        fields.push(e.f);
        values.push(e.v);
      }
    }
  }

  /** Every node, bucket by bucket, appended to out. */
  nodes(out: DictNode[]): void {
    const bk = this.buckets;
    for (let i = 0; i < bk.length; i++) {
      for (let e = bk[i]; e !== null; e = e.next) out.push(e);
    }
  }

  /** A random node (the table must not be empty). */
  random(): DictNode {
    const bk = this.buckets;
    let head: DictNode | null = null;
    while (head === null) head = bk[(Math.random() * bk.length) | 0];
    let len = 0;
    for (let e: DictNode | null = head; e !== null; e = e.next) len++;
    let e = head;
    for (let k = (Math.random() * len) | 0; k > 0; k--) e = e.next!;
    return e;
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
      for (let e = this.buckets[v & m]; e !== null; e = e.next) {
        fields.push(e.f);
        values.push(e.v);
      }
      v = nextCursor(v, m);
    } while (v !== 0 && budget-- > 0 && fields.length - start < count);
    return v;
  }

  /** Bucket count (tests). */
  get capacity(): number {
    return this.buckets.length;
  }

  private resize(size: number): void {
    const nb = emptyBuckets(size);
    const mask = size - 1;
    const bk = this.buckets;
    for (let i = 0; i < bk.length; i++) {
      let e = bk[i];
      while (e !== null) {
        const next = e.next;
        const b = e.h & mask;
        e.next = nb[b];
        nb[b] = e;
        e = next;
      }
    }
    this.buckets = nb;
    this.mask = mask;
  }
}
