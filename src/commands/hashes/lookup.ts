/** How the hash commands read and write their keys: typed wrappers over src/commands/lookup.ts. */
import type { Ctx } from "../context.ts";
import type { Entry } from "../../store/keyspace.ts";
import { HashValue } from "../../store/hash.ts";
import { TYPE_HASH } from "../../store/types.ts";
import { latin1 } from "../../util/bytes.ts";
import { readValue, writeEntry } from "../lookup.ts";

/** A keyspace entry holding a hash. */
export type HashEntry = Entry & { value: HashValue };

/**
 * The hash at key for a read (counted in keyspace hits/misses): undefined when absent, null
 * when the key holds another type (the error is written).
 */
export const readHash = (ctx: Ctx, key: Uint8Array) =>
  readValue(ctx, key, TYPE_HASH) as HashValue | undefined | null;

/** The hash entry at key for a write: undefined when absent, null on WRONGTYPE (written). */
export const writeHash = (ctx: Ctx, key: Uint8Array) =>
  writeEntry(ctx, key, TYPE_HASH) as HashEntry | undefined | null;

/**
 * Redis's hashTypeLookupWriteOrCreate: the hash at key, a new empty one stored there when
 * absent (the caller adds to it before replying), or null on WRONGTYPE (written).
 */
export function hashOrCreate(ctx: Ctx, key: Uint8Array): HashEntry | null {
  const e = writeHash(ctx, key);
  if (e !== undefined) return e;
  return ctx.db.set(latin1(key), new HashValue(), TYPE_HASH) as HashEntry;
}
