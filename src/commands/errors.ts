/** Redis's error replies, word for word: clients and tools match on this text. */
export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const SYNTAX = "ERR syntax error";
export const NOT_INTEGER = "ERR value is not an integer or out of range";
export const NOT_FLOAT = "ERR value is not a valid float";
export const OVERFLOW = "ERR increment or decrement would overflow";
export const NAN_OR_INF = "ERR increment would produce NaN or Infinity";
export const INVALID_DB = "ERR DB index is out of range";
export const INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647";
export const INVALID_CURSOR = "ERR invalid cursor";
export const MUST_BE_POSITIVE = "ERR value is out of range, must be positive";
export const RANGE_LONG =
  "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
export const NO_SUCH_CLIENT = "ERR No such client";
export const MAX_STRING = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

export function invalidExpire(cmd: string): string {
  return `ERR invalid expire time in '${cmd}' command`;
}

/** Redis's shared.oomerr: a denyoom command while over maxmemory with nothing to evict. */
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

/**
 * Thrown on purpose to crash the shard (DEBUG PANIC, DEBUG ASSERT): the handlers' catch, which
 * turns other errors into `-ERR` replies, lets it through, so the failure model ends the process.
 */
export class ShardPanic extends Error {
  override name = "ShardPanic";
}
