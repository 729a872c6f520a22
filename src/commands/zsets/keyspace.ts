/**
 * How the sorted-set commands read and write their keys: typed lookups on the one lookup of
 * src/commands/lookup.ts, and the new sorted set a *STORE command leaves at its destination.
 */
import type { Ctx } from "../context.ts";
import { TYPE_ZSET } from "../../store/types.ts";
import { fitsListpack, ZSetValue } from "../../store/zset.ts";
import { readObject, writeTyped } from "../lookup.ts";
import { lpEntries, lpValue, zsetLimits } from "../encoding_limits.ts";
import { LpBuilder } from "../../store/listpack.ts";
import { BLOB_LISTPACK } from "../../store/record.ts";
import { buildListpack } from "../../store/zset_listpack.ts";

/** The sorted set at key for a read: undefined when absent, null on WRONGTYPE (replied). */
export const readZset = (ctx: Ctx, key: Uint8Array): ZSetValue | undefined | null =>
  readObject<ZSetValue>(ctx, key, TYPE_ZSET);

/**
 * The record of the sorted set at key for a write: 0 when absent, WRONG on WRONGTYPE
 * (replied). The ref is valid until the next write to the keyspace; the sorted set itself
 * (`ctx.db.object`) stays.
 */
export const writeZset = (ctx: Ctx, key: Uint8Array): number => writeTyped(ctx, key, TYPE_ZSET);

/** scratch for the listpack of a small result */
const lb = new LpBuilder();

/**
 * Stores members/scores at dst as a new sorted set, encoded as the config's limits say (a
 * small result as a listpack blob, as zsetConvertToListpackIfNeeded / zrangeResultBeginStore
 * leave it), and replies its size; with no members dst is deleted and the reply is 0.
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
  if (fitsListpack(n, maxLen, lpEntries, lpValue)) {
    const len = buildListpack(lb, members, scores);
    ctx.db.setBlob(dst, TYPE_ZSET, BLOB_LISTPACK, lb.buf, 0, len, ctx.now);
  } else {
    const z = new ZSetValue();
    z.listpack = false;
    for (let i = 0; i < n; i++) z.insert(members[i], scores[i]);
    ctx.db.setObject(dst, TYPE_ZSET, z, ctx.now);
  }
  ctx.w.integer(n);
}
