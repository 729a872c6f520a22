/**
 * A key's value in RDB form, as Redis 7.0's rdbSaveObjectType + rdbSaveObject write it, so a
 * DUMP payload is byte-identical to Redis's for the same value in the same encoding:
 * - a small collection held as a blob is Redis's own listpack / intset: written as it is;
 * - one held as an object in a compact encoding (a Map hash, a listpack-sized sorted set, an
 *   intset-state set) is first laid out as the blob Redis would hold (the store's builders);
 * - lists as quicklist nodes (QUICKLIST_2), the store's nodes as they are;
 * - hashtable hashes and sets element by element (their order is each server's own: Redis's
 *   depends on its random hash seed), skiplist sorted sets from the tail (greatest) to the
 *   head, with binary scores (ZSET_2).
 */
import type { Db } from "../../store/db.ts";
import type { EntryCopy } from "../../store/transfer.ts";
import type { ConfigStore } from "../../config/mod.ts";
import {
  type CollectionValue,
  type StringValue,
  TYPE_HASH,
  TYPE_LIST,
  TYPE_SET,
  TYPE_STRING,
  TYPE_ZSET,
} from "../../store/types.ts";
import { BLOB_INTSET } from "../../store/record.ts";
import { ListValue } from "../../store/list.ts";
import { HashValue } from "../../store/hash.ts";
import { compactBytes, compactIntset, SetValue } from "../../store/set.ts";
import { ZSetValue } from "../../store/zset.ts";
import { ZCursor } from "../../store/zset_tree.ts";
import { LpBuilder } from "../../store/listpack.ts";
import { latin1 } from "../../util/bytes.ts";
import { formatDouble } from "../../util/numbers.ts";
import { lzfCompress } from "../../util/lzf.ts";
import type { RdbWriter } from "./writer.ts";
import { walkListpack } from "./blobs.ts";
import {
  QL_CONTAINER_PACKED,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
} from "./types.ts";

/** quicklist.c's MIN_COMPRESS_BYTES and MIN_COMPRESS_IMPROVE */
const QL_MIN_COMPRESS_BYTES = 48;
const QL_MIN_COMPRESS_IMPROVE = 8;

/** Per-Worker scratch: a listpack built for an object in a compact encoding. */
const lpScratch = new LpBuilder();
const cursor = new ZCursor();
/** Per-Worker scratch: a set blob's members. */
const members: string[] = [];

/**
 * The type byte, then (in an RDB file, rdbSaveKeyValuePair) the key; a DUMP payload has none.
 */
function head(w: RdbWriter, rdbType: number, key: Uint8Array | null): void {
  w.byte(rdbType);
  if (key !== null) w.string(key);
}

/**
 * Writes the value of record `ref` of `db` as Redis 7.0 does: its type byte, the key when
 * given (an RDB file's key-value pair; DUMP gives none), then the value. A blob is read where
 * it lies: nothing may change the keyspace until this returns.
 */
export function writeValue(
  w: RdbWriter,
  db: Db,
  ref: number,
  config: ConfigStore,
  key: Uint8Array | null = null,
): void {
  const type = db.typeOf(ref);
  if (type === TYPE_STRING) {
    head(w, RDB_TYPE_STRING, key);
    w.string(db.str(ref));
    return;
  }
  if (db.isBlob(ref)) {
    const at = db.blobOffset(ref);
    const blob = db.arena.u8.subarray(at, at + db.blobLength(ref));
    writeBlob(w, type, db.encOf(ref), blob, key);
    return;
  }
  writeObject(w, type, db.object<CollectionValue>(ref), config, key);
}

/** writeValue for a detached copy of a key (src/store/transfer.ts). */
export function writeCopy(
  w: RdbWriter,
  copy: EntryCopy,
  config: ConfigStore,
  key: Uint8Array | null = null,
): void {
  if (copy.type === TYPE_STRING) {
    head(w, RDB_TYPE_STRING, key);
    w.string(copy.value as Uint8Array);
  } else if (copy.blob) writeBlob(w, copy.type, copy.enc, copy.value as Uint8Array, key);
  else writeObject(w, copy.type, copy.value as CollectionValue, config, key);
}

/** A small collection's blob: Redis's own bytes, except a set's listpack (Skua's, see set.ts). */
function writeBlob(
  w: RdbWriter,
  type: number,
  format: number,
  blob: Uint8Array,
  key: Uint8Array | null,
): void {
  switch (type) {
    case TYPE_LIST:
      head(w, RDB_TYPE_LIST_QUICKLIST_2, key);
      w.len(1);
      writeNode(w, blob, 0, blob.length, false);
      return;
    case TYPE_HASH:
      head(w, RDB_TYPE_HASH_LISTPACK, key);
      w.string(blob);
      return;
    case TYPE_ZSET:
      head(w, RDB_TYPE_ZSET_LISTPACK, key);
      w.string(blob);
      return;
    case TYPE_SET:
      if (format === BLOB_INTSET) {
        head(w, RDB_TYPE_SET_INTSET, key);
        w.string(blob);
        return;
      }
      // a small hashtable set Skua keeps as a listpack: Redis saves its dict member by member
      head(w, RDB_TYPE_SET, key);
      members.length = 0;
      walkListpack(blob, (m) => members.push(m));
      w.len(members.length);
      for (const m of members) w.string(m);
      return;
  }
  throw new Error(`RDB: no blob form for type ${type}`);
}

/** One quicklist node: container, then the listpack (LZF as quicklist compressed it). */
function writeNode(
  w: RdbWriter,
  buf: Uint8Array,
  start: number,
  bytes: number,
  interior: boolean,
): void {
  w.len(QL_CONTAINER_PACKED);
  const lp = buf.subarray(start, start + bytes);
  // With rdbcompression on, rdbSaveRawString compresses a node just as a quicklist compressed
  // node is saved (same lzf_compress output); with it off, only the quicklist's own
  // compression (list-compress-depth) still applies to nodes away from both ends.
  if (interior && !w.compression && bytes >= QL_MIN_COMPRESS_BYTES) {
    const out = new Uint8Array(bytes);
    const c = lzfCompress(lp, out, bytes);
    if (c !== 0 && c + QL_MIN_COMPRESS_IMPROVE < bytes) {
      w.lzfBlob(out, c, bytes);
      return;
    }
  }
  w.string(lp);
}

function writeObject(
  w: RdbWriter,
  type: number,
  v: CollectionValue,
  config: ConfigStore,
  key: Uint8Array | null,
): void {
  if (type === TYPE_LIST) writeList(w, v as ListValue, config, key);
  else if (type === TYPE_HASH) writeHash(w, v as HashValue, key);
  else if (type === TYPE_SET) writeSet(w, v as SetValue, key);
  else if (type === TYPE_ZSET) writeZset(w, v as ZSetValue, key);
  else throw new Error(`RDB: cannot save values of type ${type}`);
}

function writeList(w: RdbWriter, list: ListValue, config: ConfigStore, key: Uint8Array | null) {
  head(w, RDB_TYPE_LIST_QUICKLIST_2, key);
  const nodes = list.nodeCount;
  w.len(nodes);
  const depth = Number(config.value("list-compress-depth") ?? "0");
  let k = 0;
  list.forEachNode((buf, start, bytes) => {
    const interior = depth > 0 && k >= depth && k < nodes - depth;
    writeNode(w, buf, start, bytes, interior);
    k++;
  });
}

function text(v: StringValue): string {
  return typeof v === "string" ? v : latin1(v);
}

function writeHash(w: RdbWriter, h: HashValue, key: Uint8Array | null): void {
  if (h.isListpack) {
    const lp = lpScratch;
    lp.begin();
    h.forEach((f, v) => {
      lp.add(f);
      lp.add(text(v));
    }, null);
    head(w, RDB_TYPE_HASH_LISTPACK, key);
    w.string(lp.buf.subarray(0, lp.end()));
    return;
  }
  head(w, RDB_TYPE_HASH, key);
  w.len(h.size);
  h.forEach((f, v) => {
    w.string(f);
    w.string(v);
  }, null);
}

function writeSet(w: RdbWriter, s: SetValue, key: Uint8Array | null): void {
  if (s.intset && s.encodeCompact() === BLOB_INTSET) {
    head(w, RDB_TYPE_SET_INTSET, key);
    w.string(compactIntset.buf.subarray(0, compactBytes));
    return;
  }
  head(w, RDB_TYPE_SET, key);
  const members = s.members();
  w.len(members.length);
  for (const m of members) w.string(m);
}

/**
 * Redis's d2string (how zzlInsertAt writes a score into a listpack): integers up to
 * LLONG_MAX/2 in full (ll2string), else "%.17g" ("inf", "-inf", "-0" included).
 */
export function d2string(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) <= 4611686018427387903) {
    return Object.is(x, -0) ? "-0" : BigInt(x).toString();
  }
  return formatDouble(x);
}

function writeZset(w: RdbWriter, z: ZSetValue, key: Uint8Array | null): void {
  if (z.listpack) {
    const lp = lpScratch;
    lp.begin();
    for (z.first(cursor); cursor.valid; cursor.next()) {
      lp.add(cursor.member);
      lp.add(d2string(cursor.score)); // zzlInsertAt
    }
    head(w, RDB_TYPE_ZSET_LISTPACK, key);
    w.string(lp.buf.subarray(0, lp.end()));
    return;
  }
  head(w, RDB_TYPE_ZSET_2, key);
  w.len(z.size);
  // rdbSaveObject walks the skiplist from the tail: greatest first
  for (z.last(cursor); cursor.valid; cursor.prev()) {
    w.string(cursor.member);
    w.binaryDouble(cursor.score);
  }
}
