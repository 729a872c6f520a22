/** Value types of the keyspace. Only strings exist so far; later families add their own. */
export const TYPE_STRING = 0;

/**
 * A string value: its bytes as a one-char-per-byte JS string (cheap to create, compact, and
 * cons-strings make APPEND amortized O(1)), or as bytes when too large for a V8 string.
 */
export type StringValue = string | Uint8Array;

export type Value = StringValue;

/** Values up to this size are held as latin1 strings (V8's limit is just under 512 MiB). */
export const MAX_STRING_VALUE = 256 * 1024 * 1024;

/** Names as TYPE and SCAN TYPE spell them, indexed by type code. */
export const TYPE_NAMES = ["string"];

export function typeCode(name: string): number {
  return TYPE_NAMES.indexOf(name.toLowerCase());
}
