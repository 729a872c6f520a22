/**
 * The one way handlers look a key up, as Redis's lookupKeyRead / lookupKeyWrite do: lazy expiry,
 * an access for LRU/LFU, keyspace hits and misses for reads, and WRONGTYPE written when the key
 * holds another type. Every family builds its typed helpers on these.
 */
import type { Ctx } from "./context.ts";
import type { Entry } from "../store/keyspace.ts";
import type { Value } from "../store/types.ts";
import { WRONGTYPE } from "./errors.ts";
import { latin1 } from "../util/bytes.ts";

/** The entry at key for a read, counted as a keyspace hit or miss; undefined when absent. */
export function readEntry(ctx: Ctx, key: Uint8Array | string): Entry | undefined {
  const e = ctx.db.get(typeof key === "string" ? key : latin1(key), ctx.now);
  const st = ctx.shard.stats;
  if (e === undefined) st.keyspaceMisses++;
  else st.keyspaceHits++;
  return e;
}

/**
 * The value at key for a read, if it has type `type`: undefined when absent, null when the
 * key holds another type (WRONGTYPE is written).
 */
export function readValue(
  ctx: Ctx,
  key: Uint8Array | string,
  type: number,
): Value | undefined | null {
  const e = readEntry(ctx, key);
  if (e === undefined) return undefined;
  if (e.type !== type) {
    ctx.w.error(WRONGTYPE);
    return null;
  }
  return e.value;
}

/**
 * The entry at key for a write, if it has type `type`: undefined when absent, null when the
 * key holds another type (WRONGTYPE is written). Not counted in hits and misses.
 */
export function writeEntry(
  ctx: Ctx,
  key: Uint8Array | string,
  type: number,
): Entry | undefined | null {
  const e = ctx.db.get(typeof key === "string" ? key : latin1(key), ctx.now);
  if (e === undefined) return undefined;
  if (e.type !== type) {
    ctx.w.error(WRONGTYPE);
    return null;
  }
  return e;
}
