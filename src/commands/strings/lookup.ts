/** Typed lookups of string values, over the one key lookup in src/commands/lookup.ts. */
import type { Ctx } from "../context.ts";
import { readTyped, writeTyped } from "../lookup.ts";
import { TYPE_STRING } from "../../store/types.ts";
import { BIG_STRING } from "../../store/big_string.ts";

/**
 * The record of the string at key for a write: 0 when absent, WRONG when of another type
 * (error replied). Not counted in keyspace hits and misses.
 */
export const stringRef = (ctx: Ctx, key: Uint8Array): number => writeTyped(ctx, key, TYPE_STRING);

/**
 * The record of the string at key for a read, counted as a keyspace hit or miss: 0 when
 * absent, WRONG when of another type (error replied).
 */
export const readString = (ctx: Ctx, key: Uint8Array): number => readTyped(ctx, key, TYPE_STRING);

/** The string value of a found record as a bulk reply (copied from where it lies). */
export function replyString(ctx: Ctx, ref: number): void {
  const db = ctx.db;
  if (db.isObject(ref)) {
    const v = db.str(ref);
    // a big value asked for by another shard's client goes there by address
    if (ctx.client === null && ctx.shard.lendReply(ctx.w, v)) return;
    return ctx.w.bulk(v);
  }
  const v = db.ks.view.read(db.ks.arena.u8, ref);
  ctx.w.bulkRange(db.ks.arena.u8, v.valOff, v.vlen);
}

/**
 * SET's write: a big value that arrived in a request buffer of its own, or in a ring record of
 * its own from a peer, is kept as it is, with no copy (Redis does the same with a big bulk's
 * query buffer); else the bytes are copied.
 */
export function storeValue(ctx: Ctx, key: Uint8Array, val: Uint8Array, keepTtl: boolean): number {
  if (
    val.length > BIG_STRING &&
    (ctx.client !== null ? ctx.client.claim(val) : ctx.shard.claimForwarded(val))
  ) {
    return ctx.db.setOwned(key, val, ctx.now, keepTtl);
  }
  return ctx.db.setString(key, val, 0, val.length, ctx.now, keepTtl);
}
