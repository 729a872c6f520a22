/**
 * Bytewise edits of string values in place (SETBIT, BITFIELD, HyperLogLogs), shared by the
 * bitmap and HyperLogLog families. Redis unshares such a value into a raw sds before changing
 * it, so OBJECT ENCODING says "raw" from then on, whatever its length.
 */
import type { Db } from "../../store/keyspace.ts";
import { ENC_RAW } from "../../store/keyspace.ts";

const EMPTY = new Uint8Array(0);

/**
 * The record of the string at `key` (record `ref`, or 0 to create the key) made `len` bytes
 * long and raw, ready to be written through `db.str()`: the first min(old, len) bytes are
 * kept, new bytes are 0. The record may move (use the returned ref). A key created here is
 * touched by its creation; the caller touches an existing one after writing.
 */
export function resizeRaw(db: Db, key: Uint8Array, ref: number, len: number, now: number): number {
  if (ref === 0) ref = db.setString(key, EMPTY, 0, 0, now, false, ENC_RAW);
  else db.setEnc(ref, ENC_RAW);
  return len === db.strLen(ref) ? ref : db.resizeString(ref, len);
}
