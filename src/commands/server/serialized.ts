/**
 * DEBUG OBJECT's `serializedlength`: what Redis 7.0's rdbSavedObjectLen counts for a value.
 * Strings and the elements of hashtable/skiplist collections are saved one by one; listpack
 * and intset encodings as their one blob (the stored blob's bytes; built here from the
 * elements, redis_encodings.ts, for a collection held as an object in those encodings);
 * lists as quicklist nodes, filled as pushes fill them. Any string or blob over 20 bytes is
 * counted LZF-compressed when that shrinks it, as Redis saves it with rdbcompression yes.
 */
import type { Db } from "../../store/keyspace.ts";
import { ListValue } from "../../store/list.ts";
import { SetValue } from "../../store/set.ts";
import { HashValue } from "../../store/hash.ts";
import { ZSetValue } from "../../store/zset.ts";
import {
  type CollectionValue,
  type StringValue,
  TYPE_LIST,
  TYPE_SET,
  TYPE_STRING,
} from "../../store/types.ts";
import { BLOB_INTSET } from "../../store/record.ts";
import { formatDouble } from "../../util/numbers.ts";
import { fromLatin1 } from "../../util/bytes.ts";
import { lzfCompressedLength } from "../../util/lzf.ts";
import type { ConfigStore } from "../../config/mod.ts";
import { intsetBytes, ListpackBytes, LP_OVERHEAD, lpEntryBytes, lpInt } from "./redis_encodings.ts";

/** Redis's rdbSaveLen: the bytes of a length prefix. */
function lenBytes(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9;
}

/** Redis's rdbEncodeInteger: bytes of an integer in its encoded form, 0 when it has none. */
function encodedIntBytes(v: number | bigint | null): number {
  if (v === null || typeof v === "bigint") return 0;
  if (v >= -128 && v <= 127) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  return v >= -(2 ** 31) && v <= 2 ** 31 - 1 ? 5 : 0;
}

/**
 * Redis's rdbSaveRawString: up to 11 bytes that read as a 32-bit integer are saved encoded;
 * over 20 bytes, LZF when `lzf` and it shrinks them (rdbSaveLzfStringObject); else a length
 * prefix and the bytes.
 */
function rawStringBytes(v: StringValue, lzf: boolean): number {
  const n = v.length;
  if (n <= 11) {
    const e = encodedIntBytes(lpInt(v));
    if (e > 0) return e;
  }
  if (lzf && n > 20) {
    const c = lzfCompressedLength(typeof v === "string" ? fromLatin1(v) : v, n - 4);
    if (c > 0) return 1 + lenBytes(c) + lenBytes(n) + c;
  }
  return lenBytes(n) + n;
}

/** A string value: an int-encoded one is saved as its integer (rdbSaveLongLongAsStringObject). */
function stringValueBytes(v: Uint8Array, int: boolean, lzf: boolean): number {
  if (int) {
    const e = encodedIntBytes(lpInt(v));
    return e > 0 ? e : lenBytes(v.length) + v.length;
  }
  return rawStringBytes(v, lzf);
}

/** Redis's quicklist node size limits for negative list-max-listpack-size values. */
const QL_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
/** SIZE_SAFETY_LIMIT and SIZE_ESTIMATE_OVERHEAD of quicklist.c */
const QL_SAFETY_LIMIT = 8192, QL_OVERHEAD = 8;

/** DEBUG OBJECT's extra fields of a quicklist, and its serialized length. */
export interface QuicklistFacts {
  nodes: number;
  count: number;
  fill: number;
  compressed: boolean;
  uncompressed: number;
  serialized: number;
}

/** A list as quicklist nodes filled by pushes (_quicklistNodeAllowInsert's rule). */
export function quicklistFacts(list: ListValue, config: ConfigStore): QuicklistFacts {
  const fill = Number(config.value("list-max-listpack-size") ?? -2);
  const limit = fill < 0 ? QL_SIZE_LIMITS[Math.min(-fill, 5) - 1] : QL_SAFETY_LIMIT;
  const lzf = config.value("rdbcompression") !== "no";
  let nodes = 0, serialized = 0, uncompressed = 0, nodeBytes = 0;
  let node: StringValue[] = [];
  const close = () => {
    if (node.length === 0) return;
    nodes++;
    uncompressed += nodeBytes;
    const lp = new ListpackBytes();
    for (const e of node) lp.append(e);
    serialized += 1 + rawStringBytes(lp.bytes(), lzf); // container type, then the listpack
  };
  for (const e of list.toArray()) {
    const fits = node.length > 0 &&
      nodeBytes + e.length + QL_OVERHEAD <= limit && (fill < 0 || node.length < fill);
    if (!fits) {
      close();
      nodeBytes = LP_OVERHEAD;
      node = [];
    }
    nodeBytes += lpEntryBytes(e);
    node.push(e);
  }
  close();
  return {
    nodes,
    count: list.size,
    fill,
    compressed: (config.value("list-compress-depth") ?? "0") !== "0",
    uncompressed,
    serialized: lenBytes(nodes) + serialized,
  };
}

function collectionBytes(v: CollectionValue, config: ConfigStore): number {
  const lzf = config.value("rdbcompression") !== "no";
  if (v instanceof ListValue) return quicklistFacts(v, config).serialized;
  const enc = v.encoding(config);
  if (v instanceof SetValue) {
    if (enc === "intset") return rawStringBytes(intsetBytes(v.members()), lzf);
    let n = lenBytes(v.size);
    for (const m of v.members()) n += rawStringBytes(m, lzf);
    return n;
  }
  if (enc === "listpack") {
    const lp = new ListpackBytes();
    if (v instanceof HashValue) {
      v.forEach((f, val) => {
        lp.append(f);
        lp.append(val);
      }, null);
    } else if (v instanceof ZSetValue) {
      const members: string[] = [], scores: number[] = [];
      v.entries(members, scores);
      for (let i = 0; i < members.length; i++) {
        lp.append(members[i]);
        lp.append(formatDouble(scores[i])); // the score as d2string writes it
      }
    }
    return rawStringBytes(lp.bytes(), lzf);
  }
  let n = lenBytes((v as CollectionValue).size);
  if (v instanceof HashValue) {
    v.forEach((f, val) => (n += rawStringBytes(f, lzf) + rawStringBytes(val, lzf)), null);
  } else if (v instanceof ZSetValue) {
    const members: string[] = [];
    v.entries(members, []);
    for (const m of members) n += rawStringBytes(m, lzf) + 8; // RDB_TYPE_ZSET_2: binary double
  }
  return n;
}

/** The serialized length of record `r` of `db` (`int`: its string is int-encoded). */
export function serializedLength(db: Db, r: number, int: boolean, config: ConfigStore): number {
  const type = db.typeOf(r);
  // (a set's listpack stands in for Redis's dict: RDB saves that member by member)
  const setDict = type === TYPE_SET && db.encOf(r) !== BLOB_INTSET;
  if (db.isBlob(r) && type !== TYPE_LIST && !setDict) {
    // a hash, sorted set or set in its compact encoding: RDB saves the blob's bytes as they are
    const at = db.blobOffset(r);
    const blob = db.arena.u8.subarray(at, at + db.blobLength(r));
    return rawStringBytes(blob, config.value("rdbcompression") !== "no");
  }
  if (type !== TYPE_STRING) return collectionBytes(db.object<CollectionValue>(r), config);
  return stringValueBytes(db.str(r), int, config.value("rdbcompression") !== "no");
}
