/**
 * The RDB value codec (Redis 7.0, RDB version 10): what the file layer and DUMP / RESTORE call.
 * Writing is save_value.ts, reading load_value.ts, the blob walks blobs.ts, the type codes
 * types.ts; the byte primitives are writer.ts and reader.ts.
 */
import type { EntryCopy } from "../../store/transfer.ts";
import type { LoadedValue } from "./types.ts";

export { writeCopy, writeValue } from "./save_value.ts";
export { isEmptyLoaded, type LoadLimits, loadLimits, readValue } from "./load_value.ts";
export * from "./types.ts";

/**
 * The EntryCopy that makes `key` hold `v` through installEntry (src/store/transfer.ts):
 * expireAt in unix ms (0: none; `exact` when beyond 2^53), lru the record's 24-bit LRU/LFU
 * field.
 */
export function loadedCopy(
  key: Uint8Array,
  v: LoadedValue,
  expireAt = 0,
  lru = 0,
  exact?: bigint,
): EntryCopy {
  return { key, type: v.type, value: v.value, blob: v.blob, expireAt, exact, lru, enc: v.enc };
}
