/**
 * Value types of the keyspace. Type codes index TYPE_NAMES (what TYPE and SCAN TYPE say).
 * Collection values are classes in src/store/ implementing CollectionValue.
 */
import type { ConfigStore } from "../config/mod.ts";

export const TYPE_STRING = 0;
export const TYPE_LIST = 1;
export const TYPE_SET = 2;
export const TYPE_ZSET = 3;
export const TYPE_HASH = 4;

/** Names as TYPE and SCAN TYPE spell them, indexed by type code. */
export const TYPE_NAMES = ["string", "list", "set", "zset", "hash"];

/**
 * A string value: its bytes as a one-char-per-byte JS string (cheap to create, compact, and
 * cons-strings make APPEND amortized O(1)), or as bytes when too large for a V8 string.
 */
export type StringValue = string | Uint8Array;

/** What every collection value (list, set, zset, hash) provides to the generic commands. */
export interface CollectionValue {
  /** Number of elements (a collection with none must not stay in the keyspace). */
  readonly size: number;
  /** Redis's OBJECT ENCODING name for the current contents and the config's thresholds. */
  encoding(config: ConfigStore): string;
  /** A deep copy (COPY). */
  clone(): CollectionValue;
}

export type Value = StringValue | CollectionValue;

/** Values up to this size are held as latin1 strings (V8's limit is just under 512 MiB). */
export const MAX_STRING_VALUE = 256 * 1024 * 1024;

export function typeCode(name: string): number {
  return TYPE_NAMES.indexOf(name.toLowerCase());
}
