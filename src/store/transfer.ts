/**
 * Entries as bytes, to move keys between shards (a cross-shard command ships the keys it
 * needs to its coordinator, runs there, and ships the changed ones back). The format is
 * internal to one running server: V8's serializer over plain data. A small collection in its
 * compact encoding travels as its blob's bytes (Redis's listpack or intset, as they lie in the
 * arena) and is installed as a blob again; a large one is rebuilt with its encoding as it was.
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
  /** `data` is a blob's bytes, in the format `enc` (a small collection's compact encoding) */
  blob: boolean;
}

/**
 * A detached copy of a key: its value (bytes, or a collection) and metadata. A collection in
 * its compact encoding is copied as its blob's bytes (`blob`; the format is `enc`): a view over
 * the blob would die with the command that made it.
 */
export interface EntryCopy {
  key: Uint8Array;
  type: number;
  value: Uint8Array | CollectionValue;
  /** `value` holds a blob's bytes (a collection of `type` in the compact format `enc`) */
  blob: boolean;
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
    blob: e.blob,
  };
  const v = e.value;
  if (e.type === TYPE_STRING || e.blob) p.data = v;
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
  if (p.blob) return p.data as Uint8Array;
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
      return SetValue.fromMembers(p.data as string[], p.compact);
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
    blob: p.blob,
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
  // a copy's bytes are its own: the store may keep them (a blob's are copied into the arena)
  const r = copy.blob
    ? db.setBlob(key, copy.type, copy.enc, v as Uint8Array, 0, (v as Uint8Array).length, now)
    : v instanceof Uint8Array
    ? db.setOwned(key, v, now)
    : db.setObject(key, copy.type, v as CollectionValue, now);
  db.setLru(r, copy.lru);
  db.setEnc(r, copy.enc);
  if (copy.expireAt !== 0) db.setExpire(r, copy.expireAt, copy.exact);
}

/**
 * The copy of a live record (its value deep-copied unless `share`, which hands a large
 * collection's object over as it is). A blob is always copied: its bytes, exactly.
 */
export function copyOf(db: Db, ref: number, share = false): EntryCopy {
  const exact = db.expireExact(ref);
  const blob = db.isBlob(ref);
  let value: Uint8Array | CollectionValue;
  if (blob) {
    const at = db.blobOffset(ref);
    value = db.arena.u8.slice(at, at + db.blobLength(ref));
  } else if (db.typeOf(ref) === TYPE_STRING) value = db.str(ref).slice();
  else value = share ? db.object(ref) : db.object(ref).clone();
  return {
    key: db.key(ref),
    type: db.typeOf(ref),
    value,
    blob,
    expireAt: db.expireAt(ref),
    exact: typeof exact === "bigint" ? exact : undefined,
    lru: db.lruOf(ref),
    enc: db.encOf(ref),
  };
}
