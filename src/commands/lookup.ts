/**
 * The one way handlers look a key up, as Redis's lookupKeyRead / lookupKeyWrite do: lazy expiry,
 * an access for LRU/LFU, keyspace hits and misses for reads, and WRONGTYPE written when the key
 * holds another type. Every family builds its typed helpers on these.
 *
 * Keys are the argument bytes as they arrived; a lookup answers a record ref (store/db.ts),
 * valid until the next write to the keyspace.
 */
import type { Ctx } from "./context.ts";
import type { CollectionValue } from "../store/types.ts";
import { WRONGTYPE } from "./errors.ts";

/** A lookup that found the key holding another type (WRONGTYPE has been written). */
export const WRONG = -1;

/** The record at key for a read, counted as a keyspace hit or miss; 0 when absent. */
export function readRef(ctx: Ctx, key: Uint8Array): number {
  const r = ctx.db.lookup(key, ctx.now);
  const st = ctx.shard.stats;
  if (r === 0) st.keyspaceMisses++;
  else st.keyspaceHits++;
  return r;
}

/**
 * The record at key for a read, if it has type `type`: 0 when absent, WRONG when the key
 * holds another type (WRONGTYPE is written).
 */
export function readTyped(ctx: Ctx, key: Uint8Array, type: number): number {
  const r = readRef(ctx, key);
  if (r === 0 || ctx.db.typeOf(r) === type) return r;
  ctx.w.error(WRONGTYPE);
  return WRONG;
}

/**
 * The object at key for a read, if it has type `type`: undefined when absent, null when the
 * key holds another type (WRONGTYPE is written).
 */
export function readObject<T extends CollectionValue>(
  ctx: Ctx,
  key: Uint8Array,
  type: number,
): T | undefined | null {
  const r = readTyped(ctx, key, type);
  if (r === 0) return undefined;
  if (r === WRONG) return null;
  return ctx.db.object<T>(r);
}

/**
 * The record at key for a write, if it has type `type`: 0 when absent, WRONG when the key
 * holds another type (WRONGTYPE is written). Not counted in hits and misses.
 */
export function writeTyped(ctx: Ctx, key: Uint8Array, type: number): number {
  const r = ctx.db.lookup(key, ctx.now);
  if (r === 0 || ctx.db.typeOf(r) === type) return r;
  ctx.w.error(WRONGTYPE);
  return WRONG;
}
