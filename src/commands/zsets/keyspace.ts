/**
 * How the sorted-set commands read and write their keys: typed lookups on the one lookup of
 * src/commands/lookup.ts, and the new sorted set a *STORE command leaves at its destination.
 */
import type { Ctx } from "../context.ts";
import type { Entry } from "../../store/keyspace.ts";
import { TYPE_ZSET } from "../../store/types.ts";
import { fitsListpack, ZSetValue } from "../../store/zset.ts";
import { latin1 } from "../../util/bytes.ts";
import { readValue, writeEntry } from "../lookup.ts";
import { lpEntries, lpValue, zsetLimits } from "../encoding_limits.ts";

/** A keyspace entry holding a sorted set. */
export type ZSetEntry = Entry & { value: ZSetValue };

/** The sorted set at key for a read: undefined when absent, null on WRONGTYPE (replied). */
export const readZset = (ctx: Ctx, key: Uint8Array) =>
  readValue(ctx, key, TYPE_ZSET) as ZSetValue | undefined | null;

/** The sorted-set entry at key for a write: undefined when absent, null on WRONGTYPE. */
export const writeZset = (ctx: Ctx, key: Uint8Array | string) =>
  writeEntry(ctx, key, TYPE_ZSET) as ZSetEntry | undefined | null;

/**
 * Stores members/scores at dst as a new sorted set, encoded as the config's limits say, and
 * replies its size; with no members dst is deleted and the reply is 0.
 */
export function storeZset(ctx: Ctx, dst: Uint8Array, members: string[], scores: number[]): void {
  const key = latin1(dst);
  const n = members.length;
  if (n === 0) {
    ctx.db.delete(key, ctx.now);
    return ctx.w.integer(0);
  }
  let maxLen = 0;
  for (let i = 0; i < n; i++) if (members[i].length > maxLen) maxLen = members[i].length;
  zsetLimits(ctx);
  const z = new ZSetValue();
  z.listpack = fitsListpack(n, maxLen, lpEntries, lpValue);
  for (let i = 0; i < n; i++) z.insert(members[i], scores[i]);
  ctx.db.set(key, z, TYPE_ZSET);
  ctx.w.integer(n);
}
