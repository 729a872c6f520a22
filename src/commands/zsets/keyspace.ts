/**
 * How the sorted-set commands read and write their keys: typed lookups on the one lookup of
 * src/commands/lookup.ts, and the new sorted set a *STORE command leaves at its destination.
 */
import type { Ctx } from "../context.ts";
import { TYPE_ZSET } from "../../store/types.ts";
import { fitsListpack, ZSetValue } from "../../store/zset.ts";
import { readObject, writeTyped } from "../lookup.ts";
import { lpEntries, lpValue, zsetLimits } from "../encoding_limits.ts";

/** The sorted set at key for a read: undefined when absent, null on WRONGTYPE (replied). */
export const readZset = (ctx: Ctx, key: Uint8Array): ZSetValue | undefined | null =>
  readObject<ZSetValue>(ctx, key, TYPE_ZSET);

/**
 * The record of the sorted set at key for a write: 0 when absent, WRONG on WRONGTYPE
 * (replied). The ref is valid until the next write to the keyspace; the sorted set itself
 * (`ctx.db.object`) stays.
 */
export const writeZset = (ctx: Ctx, key: Uint8Array): number => writeTyped(ctx, key, TYPE_ZSET);

/**
 * Stores members/scores at dst as a new sorted set, encoded as the config's limits say, and
 * replies its size; with no members dst is deleted and the reply is 0.
 */
export function storeZset(ctx: Ctx, dst: Uint8Array, members: string[], scores: number[]): void {
  const n = members.length;
  if (n === 0) {
    ctx.db.delete(dst, ctx.now);
    return ctx.w.integer(0);
  }
  let maxLen = 0;
  for (let i = 0; i < n; i++) if (members[i].length > maxLen) maxLen = members[i].length;
  zsetLimits(ctx);
  const z = new ZSetValue();
  z.listpack = fitsListpack(n, maxLen, lpEntries, lpValue);
  for (let i = 0; i < n; i++) z.insert(members[i], scores[i]);
  ctx.db.setObject(dst, TYPE_ZSET, z, ctx.now);
  ctx.w.integer(n);
}
