/**
 * RDB value type codes (rdb.h of Redis 7.0, plus 7.2's SET_LISTPACK that Skua converts on
 * load) and what a loaded value is.
 */
import type { CollectionValue } from "../../store/types.ts";

export const RDB_TYPE_STRING = 0;
export const RDB_TYPE_LIST = 1;
export const RDB_TYPE_SET = 2;
export const RDB_TYPE_ZSET = 3;
export const RDB_TYPE_HASH = 4;
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_MODULE = 6;
export const RDB_TYPE_MODULE_2 = 7;
export const RDB_TYPE_HASH_ZIPMAP = 9;
export const RDB_TYPE_LIST_ZIPLIST = 10;
export const RDB_TYPE_SET_INTSET = 11;
export const RDB_TYPE_ZSET_ZIPLIST = 12;
export const RDB_TYPE_HASH_ZIPLIST = 13;
export const RDB_TYPE_LIST_QUICKLIST = 14;
export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_HASH_LISTPACK = 16;
export const RDB_TYPE_ZSET_LISTPACK = 17;
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
export const RDB_TYPE_SET_LISTPACK = 20;
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;

/** The RDB version Skua writes (Redis 7.0). */
export const RDB_VERSION = 10;

/** quicklist node containers (QUICKLIST_NODE_CONTAINER_*) */
export const QL_CONTAINER_PLAIN = 1;
export const QL_CONTAINER_PACKED = 2;

/** Whether t is a value type byte (rdbIsObjectType, with 7.2's 20 and 21), not an opcode. */
export function isValueType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 21);
}

/** A value read from RDB: the fields of an EntryCopy (src/store/transfer.ts) but the key's. */
export interface LoadedValue {
  /** the store's type code (TYPE_STRING, TYPE_LIST, ...) */
  type: number;
  value: Uint8Array | CollectionValue;
  /** `value` is a blob's bytes (listpack / intset) in the format `enc` */
  blob: boolean;
  /** a blob's format (BLOB_LISTPACK, BLOB_INTSET), else a string's encoding hint (ENC_AUTO) */
  enc: number;
  /** a collection with no elements (isEmptyLoaded): not to be installed */
  empty?: boolean;
}
