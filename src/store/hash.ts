/**
 * The hash value, in one of Redis's two encodings:
 *
 * - "listpack" while small. A hash a command creates lives as Redis's listpack in a blob of
 *   its record (hash_listpack.ts): this class is then a VIEW over the blob, made per command
 *   by blobView (views.ts) and never kept past it. An object in the ObjectTable may also hold
 *   a listpack hash as an insertion-ordered Map (keys rebuilt from plain data, e.g. shipped
 *   between shards), which orders fields as a listpack does.
 * - "hashtable" once the hash outgrows hash-max-listpack-entries or holds a field or value
 *   longer than hash-max-listpack-value: a Dict (hash_dict.ts), typed arrays and a byte pool
 *   with no JS object per field, scanned with Redis's cursor.
 *   Like Redis, a hash never converts back.
 *
 * `convert` moves a view's contents into a Dict and hands the record this same instance as its
 * object (Blob.toObject), so a command's later calls keep working. The conversion decisions
 * need the config thresholds, so the command code makes them (commands/hashes/encoding.ts).
 */
import type { CollectionValue, StringValue } from "./types.ts";
import type { Blob } from "./blob.ts";
import { Dict } from "./hash_dict.ts";
import { latin1, toValue } from "../util/bytes.ts";
import {
  lpHashDelete,
  lpHashEntries,
  lpHashForEach,
  lpHashGet,
  lpHashHas,
  lpHashRandom,
  lpHashRandomUnique,
  lpHashSet,
  lpHashSize,
  lpHashStrlen,
} from "./hash_listpack.ts";

export class HashValue implements CollectionValue {
  /** the blob while a view over a listpack blob, else null */
  private b: Blob | null;
  /** the listpack encoding held as an object, null otherwise */
  private lp: Map<string, StringValue> | null;
  /** the hashtable encoding, null while a listpack */
  private ht: Dict | null = null;

  /** An empty hash object ("listpack"), or with `b` a view over that blob (see view). */
  constructor(b: Blob | null = null) {
    this.b = b;
    this.lp = b === null ? new Map() : null;
  }

  /** A view over a record's listpack blob, for the current command only. */
  static view(b: Blob): HashValue {
    return new HashValue(b);
  }

  get size(): number {
    if (this.b !== null) return lpHashSize(this.b);
    return this.lp !== null ? this.lp.size : this.ht!.count;
  }

  /**
   * Bytes a hashtable holds, exactly (its arrays and byte pool); -1 for a listpack, whose
   * cost is estimated (a Map) or counted by its blob.
   */
  get tableBytes(): number {
    return this.ht !== null ? this.ht.byteSize : -1;
  }

  /** Whether the encoding is "listpack" (a blob or a Map). */
  get isListpack(): boolean {
    return this.ht === null;
  }

  /** The blob while this is a view over one (hash_listpack.ts reads it), else null. */
  get blob(): Blob | null {
    return this.b;
  }

  encoding(): string {
    return this.ht === null ? "listpack" : "hashtable";
  }

  /** A detached copy, as an object (a listpack blob's copy is a Map). */
  clone(): HashValue {
    const c = new HashValue();
    if (this.b !== null) {
      lpHashForEach(this.b, copyToMap, c.lp!);
    } else if (this.lp !== null) {
      c.lp = new Map(this.lp);
    } else {
      c.lp = null;
      c.ht = this.ht!.clone();
    }
    return c;
  }

  /** Switches to the hashtable encoding (no-op when already there). */
  convert(): void {
    if (this.ht !== null) return;
    const d = new Dict(this.size);
    if (this.b !== null) {
      lpHashForEach(this.b, copyEntry, d);
      this.leaveBlob();
    } else {
      for (const [f, v] of this.lp!) d.set(f, v);
    }
    this.ht = d;
    this.lp = null;
  }

  /**
   * A view becomes an object still encoded "listpack" (a Map), for a value only a JS value
   * can hold (bytes beyond V8's string limit).
   */
  private toMap(): void {
    const m = new Map<string, StringValue>();
    lpHashForEach(this.b!, copyToMap, m);
    this.leaveBlob();
    this.lp = m;
  }

  /** The record holds this instance from now on; its blob is freed. */
  private leaveBlob(): void {
    const b = this.b!;
    this.b = null;
    b.toObject(this);
  }

  get(f: string): StringValue | undefined {
    if (this.b !== null) return lpHashGet(this.b, f);
    if (this.lp !== null) return this.lp.get(f);
    return this.ht!.get(f);
  }

  has(f: string): boolean {
    if (this.b !== null) return lpHashHas(this.b, f);
    return this.lp !== null ? this.lp.has(f) : this.ht!.has(f);
  }

  /** HSTRLEN: the length of f's value, 0 when absent. */
  strlen(f: string): number {
    if (this.b !== null) return lpHashStrlen(this.b, f);
    if (this.ht !== null) {
      const i = this.ht.find(f);
      return i === 0 ? 0 : this.ht.valueLength(i);
    }
    const v = this.get(f);
    return v === undefined ? 0 : v.length;
  }

  /** The hashtable while the encoding is "hashtable" (HGET replies from its bytes), else null. */
  get table(): Dict | null {
    return this.ht;
  }

  /**
   * Sets field f to value v given as bytes (copied); true when f is new. A hashtable takes the
   * bytes as they are; the listpack encodings take them as strings.
   */
  setBytes(f: Uint8Array, v: Uint8Array): boolean {
    if (this.ht !== null) return this.ht.setBytes(f, v);
    return this.set(latin1(f), toValue(v));
  }

  /** Sets f to v; true when f is a new field. */
  set(f: string, v: StringValue): boolean {
    if (this.b !== null) {
      if (typeof v === "string") return lpHashSet(this.b, f, v);
      this.toMap();
    }
    const lp = this.lp;
    if (lp === null) return this.ht!.set(f, v);
    const n = lp.size;
    lp.set(f, v);
    return lp.size !== n;
  }

  delete(f: string): boolean {
    if (this.b !== null) return lpHashDelete(this.b, f);
    return this.lp !== null ? this.lp.delete(f) : this.ht!.delete(f);
  }

  /** Calls fn(field, value, arg) for every entry, in encoding order (fn must not write). */
  forEach<T>(fn: (f: string, v: StringValue, arg: T) => void, arg: T): void {
    if (this.b !== null) return lpHashForEach(this.b, fn, arg);
    if (this.lp !== null) {
      for (const [f, v] of this.lp) fn(f, v, arg);
      return;
    }
    this.ht!.forEach(fn, arg);
  }

  /** Appends every entry, in encoding order, to fields and values. */
  entries(fields: string[], values: StringValue[]): void {
    if (this.b !== null) return lpHashEntries(this.b, fields, values);
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
    if (this.ht === null) {
      this.entries(fields, values);
      return 0;
    }
    return this.ht.scan(cursor, count, fields, values);
  }

  /** Appends `count` random entries, repetitions allowed, in random order. */
  randomWithRepeats(count: number, fields: string[], values: StringValue[]): void {
    if (this.b !== null) return lpHashRandom(this.b, count, fields, values);
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
    this.ht!.randomPairs(count, fields, values);
  }

  /** Appends `count` distinct random entries (count < size). */
  randomUnique(count: number, fields: string[], values: StringValue[]): void {
    if (this.b !== null) return lpHashRandomUnique(this.b, count, fields, values);
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
    this.ht!.randomUnique(count, fields, values);
  }
}

function copyEntry(f: string, v: StringValue, d: Dict): void {
  d.set(f, v);
}

function copyToMap(f: string, v: StringValue, m: Map<string, StringValue>): void {
  m.set(f, v);
}
