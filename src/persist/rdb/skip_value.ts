/**
 * Stepping over a value in an RDB file without decoding it: the startup load on several
 * shards has every shard read the whole file, and a shard steps over the keys another shard
 * owns (their owner decodes and checks them). Only the lengths are read; a length that runs
 * past the input still throws RdbError, so a truncated file fails on every shard alike.
 */
import { RdbError, type RdbReader } from "./reader.ts";
import { RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_INT8, RDB_ENC_LZF } from "./writer.ts";
import {
  RDB_TYPE_HASH,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
} from "./types.ts";

/** Step over a string (rdbGenericLoadStringObject's encodings). */
export function skipString(r: RdbReader): void {
  const n = r.lenOrEncoding();
  if (!r.encoded) {
    r.bytes(n, "a string");
    return;
  }
  if (n === RDB_ENC_INT8) r.bytes(1);
  else if (n === RDB_ENC_INT16) r.bytes(2);
  else if (n === RDB_ENC_INT32) r.bytes(4);
  else if (n === RDB_ENC_LZF) {
    const clen = r.len();
    r.len();
    r.bytes(clen, "an LZF string");
  } else throw new RdbError(`unknown string encoding ${n}`);
}

/** Step over a value of RDB type `rdbType` (the type byte already read). */
export function skipValue(r: RdbReader, rdbType: number): void {
  switch (rdbType) {
    case RDB_TYPE_STRING:
      return skipString(r);
    case RDB_TYPE_LIST:
    case RDB_TYPE_SET:
    case RDB_TYPE_LIST_QUICKLIST:
      return skipStrings(r, r.count(1, "elements"));
    case RDB_TYPE_HASH:
      return skipStrings(r, r.count(2, "hash fields") * 2);
    case RDB_TYPE_LIST_QUICKLIST_2: {
      const n = r.count(2, "quicklist node");
      for (let i = 0; i < n; i++) {
        r.len(); // the node's container
        skipString(r);
      }
      return;
    }
    case RDB_TYPE_ZSET_2: {
      const n = r.count(9, "sorted set members");
      for (let i = 0; i < n; i++) {
        skipString(r);
        r.bytes(8, "a binary double");
      }
      return;
    }
    case RDB_TYPE_ZSET: {
      const n = r.count(2, "sorted set members");
      for (let i = 0; i < n; i++) {
        skipString(r);
        const len = r.byte();
        // 253..255: nan, inf, -inf without text
        if (len < 253) r.bytes(len, "a double");
      }
      return;
    }
    default:
      // the compact encodings (ziplist, listpack, intset, zipmap) are one string each
      return skipString(r);
  }
}

function skipStrings(r: RdbReader, n: number): void {
  for (let i = 0; i < n; i++) skipString(r);
}
