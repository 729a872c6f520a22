/**
 * Entries as bytes, to move keys between shards (a cross-shard command ships the keys it
 * needs to its coordinator, runs there, and ships the changed ones back). The format is
 * internal to one running server: V8's serializer over plain data, each collection rebuilt
 * with its encoding as it was.
 */
import v8 from "node:v8";
import type { Db } from "./db.ts";
import {
  type CollectionValue,
  type StringValue,
  TYPE_HASH,
  TYPE_LIST,
  TYPE_SET,
  TYPE_STRING,
  TYPE_ZSET,
} from "./types.ts";
import { ListValue } from "./list.ts";
import { HashValue } from "./hash.ts";
import { SetValue } from "./set.ts";
import { ZSetValue } from "./zset.ts";

interface Plain {
  key: Uint8Array;
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

/** A detached copy of a key: its value (bytes, or a collection) and metadata. */
export interface EntryCopy {
  key: Uint8Array;
  type: number;
  value: Uint8Array | CollectionValue;
  expireAt: number;
  exact?: bigint;
  lru: number;
  enc: number;
}

function plainOf(e: EntryCopy): Plain {
  const p: Plain = {
    key: e.key,
    type: e.type,
    expireAt: e.expireAt,
    exact: e.exact,
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

function valueOf(p: Plain): Uint8Array | CollectionValue {
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
      return p.data as Uint8Array;
  }
}

/** Some entries (null where a key does not exist) as bytes. */
export function encodeEntries(entries: (EntryCopy | null)[]): Uint8Array {
  return v8.serialize(entries.map((e) => e === null ? null : plainOf(e)));
}

/** Keys with their new entries (null: the key is deleted) as bytes. */
export function encodeStore(keys: Uint8Array[], entries: (EntryCopy | null)[]): Uint8Array {
  return v8.serialize([keys, entries.map((e) => e === null ? null : plainOf(e))]);
}

/**
 * The keys and entries of a store payload. Like decodeEntries, the byte values are views into
 * `b` (v8.deserialize does not copy typed arrays): `b` must be bytes nothing else reuses.
 */
export function decodeStore(b: Uint8Array): [Uint8Array[], (EntryCopy | null)[]] {
  const [keys, plain] = v8.deserialize(b) as [Uint8Array[], (Plain | null)[]];
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

/** The entries of a fetch reply; byte values are views into `b`, which must be the caller's own. */
export function decodeEntries(b: Uint8Array): (EntryCopy | null)[] {
  const plain = v8.deserialize(b) as (Plain | null)[];
  return plain.map((p) => p === null ? null : copyFromPlain(p));
}

/** Make `key` hold `copy` (or not exist) in `db`, as a command's write would. */
export function installEntry(db: Db, key: Uint8Array, copy: EntryCopy | null, now: number): void {
  if (copy === null) {
    db.delete(key, now);
    return;
  }
  const v = copy.value;
  // a copy's bytes are its own: the store may keep them
  const r = v instanceof Uint8Array
    ? db.setOwned(key, v, now)
    : db.setObject(key, copy.type, v, now);
  db.setLru(r, copy.lru);
  db.setEnc(r, copy.enc);
  if (copy.expireAt !== 0) db.setExpire(r, copy.expireAt, copy.exact);
}

/** The copy of a live record (its value deep-copied unless `share`). */
export function copyOf(db: Db, ref: number, share = false): EntryCopy {
  const exact = db.expireExact(ref);
  return {
    key: db.key(ref),
    type: db.typeOf(ref),
    value: db.typeOf(ref) === TYPE_STRING
      ? db.str(ref).slice()
      : (share ? db.object(ref) : db.object(ref).clone()),
    expireAt: db.expireAt(ref),
    exact: typeof exact === "bigint" ? exact : undefined,
    lru: db.lruOf(ref),
    enc: db.encOf(ref),
  };
}
