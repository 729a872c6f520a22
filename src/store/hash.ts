/**
 * The hash value, in one of Redis's two encodings:
 *
 * - "listpack" while small: an insertion-ordered Map, which orders fields exactly as a
 *   listpack does (new fields at the end, updates in place, deletions close the gap), so
 *   HGETALL, HKEYS and HSCAN of a small hash reply in Redis's order.
 * - "hashtable" once the hash outgrows hash-max-listpack-entries or holds a field or value
 *   longer than hash-max-listpack-value: a Dict (hash_dict.ts) with Redis's scan cursor.
 *   Like Redis, a hash never converts back.
 *
 * The conversion decisions need the config thresholds, so the command code makes them (see
 * `convert`); this class only stores.
 */
import type { CollectionValue, StringValue } from "./types.ts";
import { Dict, type DictNode } from "./hash_dict.ts";

export class HashValue implements CollectionValue {
  /** the listpack encoding, null once converted */
  private lp: Map<string, StringValue> | null = new Map();
  /** the hashtable encoding, null while a listpack */
  private ht: Dict | null = null;

  get size(): number {
    return this.lp !== null ? this.lp.size : this.ht!.count;
  }

  get isListpack(): boolean {
    return this.lp !== null;
  }

  encoding(): string {
    return this.lp !== null ? "listpack" : "hashtable";
  }

  clone(): HashValue {
    const c = new HashValue();
    if (this.lp !== null) {
      c.lp = new Map(this.lp);
    } else {
      c.lp = null;
      const d = new Dict(this.ht!.count);
      this.ht!.forEach(copyEntry, d);
      c.ht = d;
    }
    return c;
  }

  /** Switches to the hashtable encoding (no-op when already there). */
  convert(): void {
    const lp = this.lp;
    if (lp === null) return;
    const d = new Dict(lp.size);
    for (const [f, v] of lp) d.set(f, v);
    this.ht = d;
    this.lp = null;
  }

  get(f: string): StringValue | undefined {
    if (this.lp !== null) return this.lp.get(f);
    const n = this.ht!.find(f);
    return n === null ? undefined : n.v;
  }

  has(f: string): boolean {
    return this.lp !== null ? this.lp.has(f) : this.ht!.find(f) !== null;
  }

  /** Sets f to v; true when f is a new field. */
  set(f: string, v: StringValue): boolean {
    const lp = this.lp;
    if (lp === null) return this.ht!.set(f, v);
    const n = lp.size;
    lp.set(f, v);
    return lp.size !== n;
  }

  delete(f: string): boolean {
    return this.lp !== null ? this.lp.delete(f) : this.ht!.delete(f);
  }

  /** Calls fn(field, value, arg) for every entry, in encoding order. */
  forEach<T>(fn: (f: string, v: StringValue, arg: T) => void, arg: T): void {
    if (this.lp !== null) {
      for (const [f, v] of this.lp) fn(f, v, arg);
      return;
    }
    this.ht!.forEach(fn, arg);
  }

  /** Appends every entry, in encoding order, to fields and values. */
  entries(fields: string[], values: StringValue[]): void {
    if (this.lp !== null) {
      for (const [f, v] of this.lp) {
        fields.push(f);
        values.push(v);
      }
      return;
    }
    this.ht!.entries(fields, values);
  }

  /**
   * One HSCAN step. A listpack returns everything at once with cursor 0 (as Redis does, the
   * cursor is ignored); a hashtable walks buckets from `cursor`. Entries go to fields/values;
   * returns the next cursor.
   */
  scan(cursor: number, count: number, fields: string[], values: StringValue[]): number {
    if (this.lp !== null) {
      this.entries(fields, values);
      return 0;
    }
    return this.ht!.scan(cursor, count, fields, values);
  }

  /** Appends `count` random entries, repetitions allowed, in random order. */
  randomWithRepeats(count: number, fields: string[], values: StringValue[]): void {
    if (this.lp !== null) {
      const fs: string[] = [];
      const vs: StringValue[] = [];
      this.entries(fs, vs);
      for (let i = 0; i < count; i++) {
        const k = (Math.random() * fs.length) | 0;
        fields.push(fs[k]);
        values.push(vs[k]);
      }
      return;
    }
    for (let i = 0; i < count; i++) {
      const n = this.ht!.random();
      fields.push(n.f);
      values.push(n.v);
    }
  }

  /** Appends `count` distinct random entries (count < size). */
  randomUnique(count: number, fields: string[], values: StringValue[]): void {
    const size = this.size;
    if (this.lp !== null) {
      // selection sampling: each entry kept with probability needed/left, in listpack order
      let needed = count;
      let left = size;
      for (const [f, v] of this.lp) {
        if (Math.random() * left < needed) {
          fields.push(f);
          values.push(v);
          if (--needed === 0) break;
        }
        left--;
      }
      return;
    }
    if (count * 3 > size) {
      // most of the hash: shuffle a copy partially
      const nodes: DictNode[] = [];
      this.ht!.nodes(nodes);
      for (let i = 0; i < count; i++) {
        const j = i + ((Math.random() * (nodes.length - i)) | 0);
        const t = nodes[i];
        nodes[i] = nodes[j];
        nodes[j] = t;
        fields.push(nodes[i].f);
        values.push(nodes[i].v);
      }
      return;
    }
    const seen = new Set<string>();
    while (seen.size < count) {
      const n = this.ht!.random();
      if (seen.has(n.f)) continue;
      seen.add(n.f);
      fields.push(n.f);
      values.push(n.v);
    }
  }
}

function copyEntry(f: string, v: StringValue, d: Dict): void {
  d.set(f, v);
}
