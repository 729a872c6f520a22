/** How the hash commands read and write their keys: typed wrappers over src/commands/lookup.ts. */
import type { Ctx } from "../context.ts";
import type { HashValue } from "../../store/hash.ts";
import { TYPE_HASH } from "../../store/types.ts";
import { BLOB_LISTPACK } from "../../store/record.ts";
import { LP_EMPTY } from "../../store/listpack.ts";
import { readObject, writeTyped, WRONG } from "../lookup.ts";

/**
 * The hash at key for a read (counted in keyspace hits/misses): undefined when absent, null
 * when the key holds another type (the error is written).
 */
export const readHash = (ctx: Ctx, key: Uint8Array) => readObject<HashValue>(ctx, key, TYPE_HASH);

/** The record of the hash at key for a write: 0 when absent, WRONG on WRONGTYPE (written). */
export const writeHash = (ctx: Ctx, key: Uint8Array) => writeTyped(ctx, key, TYPE_HASH);

/**
 * Redis's hashTypeLookupWriteOrCreate: the record of the hash at key, a new empty one stored
 * there when absent (the caller adds to it before replying), or WRONG on WRONGTYPE (written).
 * A new hash is an empty listpack in a blob of its record, as Redis creates it.
 */
export function hashOrCreate(ctx: Ctx, key: Uint8Array): number {
  const r = writeHash(ctx, key);
  if (r !== 0) return r;
  return ctx.db.setBlob(key, TYPE_HASH, BLOB_LISTPACK, LP_EMPTY, 0, LP_EMPTY.length, ctx.now);
}

export { WRONG };
