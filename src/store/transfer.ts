/**
 * Entries as bytes, to move keys between shards (a cross-shard command ships the keys it
 * needs to its coordinator, runs there, and ships the changed ones back). The format is
 * internal to one running server: V8's serializer over plain data, each collection rebuilt
 * with its encoding as it was.
 */
import v8 from "node:v8";
import type { Db, Entry } from "./keyspace.ts";
import {
  type StringValue,
  TYPE_HASH,
  TYPE_LIST,
  TYPE_SET,
  TYPE_STRING,
  TYPE_ZSET,
  type Value,
} from "./types.ts";
import { ListValue } from "./list.ts";
import { HashValue } from "./hash.ts";
import { SetValue } from "./set.ts";
import { ZSetValue } from "./zset.ts";

interface Plain {
  key: string;
  type: number;
  expireAt: number;
  exact?: bigint;
  lru: number;
  enc: number;
  /** string: the value; list: elements; hash/zset: [names, values]; set: members */
  data: unknown;
  /** the collection's compact encoding (listpack / intset) still holds */
  compact: boolean;
}

/** The fields of an entry that travel (an Entry, or a detached copy of one). */
interface EntryLike {
  key: string;
  type: number;
  value: Value;
  expireAt: number;
  expireExact?: bigint;
  lru: number;
  enc: number;
}

function plainOf(e: EntryLike): Plain {
  const p: Plain = {
    key: e.key,
    type: e.type,
    expireAt: e.expireAt,
    exact: e.expireExact,
    lru: e.lru,
    enc: e.enc,
    data: null,
    compact: false,
  };
  const v = e.value;
  if (e.type === TYPE_STRING) p.data = v;
  else if (e.type === TYPE_LIST) p.data = (v as ListValue).toArray();
  else if (e.type === TYPE_HASH) {
    const h = v as HashValue;
    const fields: string[] = [], values: StringValue[] = [];
    h.entries(fields, values);
    p.data = [fields, values];
    p.compact = h.isListpack;
  } else if (e.type === TYPE_SET) {
    const s = v as SetValue;
    p.data = s.members();
    p.compact = s.intset;
  } else if (e.type === TYPE_ZSET) {
    const z = v as ZSetValue;
    const members: string[] = [], scores: number[] = [];
    z.entries(members, scores);
    p.data = [members, scores];
    p.compact = z.listpack;
  }
  return p;
}

function valueOf(p: Plain): Value {
  switch (p.type) {
    case TYPE_LIST: {
      const l = new ListValue();
      for (const x of p.data as StringValue[]) l.pushBack(x);
      return l;
    }
    case TYPE_HASH: {
      const h = new HashValue();
      const [f, v] = p.data as [string[], StringValue[]];
      if (!p.compact) h.convert();
      for (let i = 0; i < f.length; i++) h.set(f[i], v[i]);
      return h;
    }
    case TYPE_SET: {
      const s = new SetValue();
      s.intset = p.compact;
      for (const m of p.data as string[]) {
        s.index.set(m, s.items.length);
        s.items.push(m);
      }
      return s;
    }
    case TYPE_ZSET: {
      const z = new ZSetValue();
      z.listpack = p.compact;
      const [m, sc] = p.data as [string[], number[]];
      for (let i = 0; i < m.length; i++) z.insert(m[i], sc[i]);
      return z;
    }
    default:
      return p.data as StringValue;
  }
}

/** Some entries (null where a key does not exist) as bytes. */
export function encodeEntries(entries: (EntryLike | null)[]): Uint8Array {
  return v8.serialize(entries.map((e) => e === null ? null : plainOf(e)));
}

/** Keys with their new entries (null: the key is deleted) as bytes. */
export function encodeStore(keys: string[], entries: (EntryLike | null)[]): Uint8Array {
  return v8.serialize([keys, entries.map((e) => e === null ? null : plainOf(e))]);
}

export function decodeStore(b: Uint8Array): [string[], (EntryCopy | null)[]] {
  const [keys, plain] = v8.deserialize(b) as [string[], (Plain | null)[]];
  return [keys, plain.map((p) => p === null ? null : copyFromPlain(p))];
}

function copyFromPlain(p: Plain): EntryCopy {
  return {
    key: p.key,
    type: p.type,
    value: valueOf(p),
    expireAt: p.expireAt,
    exact: p.exact,
    lru: p.lru,
    enc: p.enc,
  };
}

/** A detached copy of an entry (a deep copy of its value). */
export interface EntryCopy {
  key: string;
  type: number;
  value: Value;
  expireAt: number;
  exact?: bigint;
  lru: number;
  enc: number;
}

export function decodeEntries(b: Uint8Array): (EntryCopy | null)[] {
  const plain = v8.deserialize(b) as (Plain | null)[];
  return plain.map((p) => p === null ? null : copyFromPlain(p));
}

/** Make `key` hold `copy` (or not exist) in `db`, as a command's write would. */
export function installEntry(db: Db, key: string, copy: EntryCopy | null, now: number): void {
  if (copy === null) {
    const e = db.map.get(key);
    if (e !== undefined) db.remove(e);
    return;
  }
  const e = db.set(key, copy.value, copy.type, false, now);
  e.lru = copy.lru;
  e.enc = copy.enc;
  if (copy.expireAt !== 0) db.setExpire(e, copy.expireAt, copy.exact);
}

/** The copy of a live entry (its value deep-copied unless `share`). */
export function copyOf(e: Entry, share = false): EntryCopy {
  const v = e.value;
  return {
    key: e.key,
    type: e.type,
    value: share || typeof v === "string" || v instanceof Uint8Array ? v : v.clone(),
    expireAt: e.expireAt,
    exact: e.expireExact,
    lru: e.lru,
    enc: e.enc,
  };
}
