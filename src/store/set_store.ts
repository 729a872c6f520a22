/**
 * How a set enters the keyspace: compact (an intset or listpack blob) whenever it qualifies, so
 * no JS object exists for a small set. Every path that creates a set key goes through here.
 */
import type { Db } from "./db.ts";
import { TYPE_SET } from "./types.ts";
import { BLOB_INTSET } from "./record.ts";
import { INTSET_EMPTY } from "./intset.ts";
import { compactBytes, compactIntset, compactListpack, SetValue } from "./set.ts";

/**
 * `key` holds a new empty set in the intset encoding (Redis's setTypeCreate for an integer;
 * adding a first non-integer member converts it just as setTypeCreate would have chosen a
 * hashtable): the caller adds at least one member at once. Returns the set, a view for the
 * current command.
 */
export function createSet(db: Db, key: Uint8Array, now: number): SetValue {
  const r = db.setBlob(key, TYPE_SET, BLOB_INTSET, INTSET_EMPTY, 0, INTSET_EMPTY.length, now);
  return db.object<SetValue>(r);
}

/**
 * `key` holds the set `s` (a store command's result, a copy) from now on, as a blob
 * when it is small enough, else as the object itself; the TTL goes. Returns the record.
 */
export function putSet(db: Db, key: Uint8Array, set: SetValue, now: number): number {
  // a view's blob may be the one this write replaces
  const s = set.isView ? set.clone() : set;
  const f = s.encodeCompact();
  if (f < 0) return db.setObject(key, TYPE_SET, s, now);
  const buf = f === BLOB_INTSET ? compactIntset.buf : compactListpack.buf;
  return db.setBlob(key, TYPE_SET, f, buf, 0, compactBytes, now);
}
