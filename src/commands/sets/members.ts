/**
 * Adding, removing and testing members: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS,
 * SMOVE (Redis 7.0 t_set.c).
 */
import type { Ctx } from "../context.ts";
import { WRONGTYPE } from "../errors.ts";
import { SetValue } from "../../store/set.ts";
import { TYPE_SET } from "../../store/types.ts";
import { latin1 } from "../../util/bytes.ts";
import { maxIntset } from "../encoding_limits.ts";
import { finish, readSet, writeMembers, writeSet } from "./lookup.ts";

export function sadd(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const key = latin1(argv[1]);
  const e = writeSet(ctx, key);
  if (e === null) return;
  const max = maxIntset(ctx);
  let added = 0;
  if (e === undefined) {
    const s = new SetValue();
    for (let i = 2; i < argc; i++) if (s.add(latin1(argv[i]), max)) added++;
    ctx.db.set(key, s, TYPE_SET);
  } else {
    const s = e.value;
    for (let i = 2; i < argc; i++) if (s.add(latin1(argv[i]), max)) added++;
    if (added > 0) ctx.db.touch(key);
  }
  ctx.w.integer(added);
}

export function srem(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const e = writeSet(ctx, latin1(argv[1]));
  if (e === null) return;
  if (e === undefined) return ctx.w.integer(0);
  const s = e.value;
  let removed = 0;
  for (let i = 2; i < argc && s.size > 0; i++) if (s.remove(latin1(argv[i]))) removed++;
  if (removed > 0) finish(ctx, e);
  ctx.w.integer(removed);
}

export function scard(ctx: Ctx, argv: Uint8Array[]): void {
  const s = readSet(ctx, argv[1]);
  if (s !== null) ctx.w.integer(s === undefined ? 0 : s.size);
}

export function sismember(ctx: Ctx, argv: Uint8Array[]): void {
  const s = readSet(ctx, argv[1]);
  if (s !== null) ctx.w.integer(s !== undefined && s.has(latin1(argv[2])) ? 1 : 0);
}

export function smismember(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const s = readSet(ctx, argv[1]);
  if (s === null) return;
  const w = ctx.w;
  w.arrayHeader(argc - 2);
  for (let i = 2; i < argc; i++) w.integer(s !== undefined && s.has(latin1(argv[i])) ? 1 : 0);
}

export function smembers(ctx: Ctx, argv: Uint8Array[]): void {
  const s = readSet(ctx, argv[1]);
  if (s === null) return;
  if (s === undefined) return ctx.w.setHeader(0);
  writeMembers(ctx, s);
}

export function smove(ctx: Ctx, argv: Uint8Array[]): void {
  const srcKey = latin1(argv[1]), dstKey = latin1(argv[2]);
  const src = ctx.db.get(srcKey, ctx.now);
  const dst = ctx.db.get(dstKey, ctx.now);
  if (src === undefined) return ctx.w.integer(0);
  if (src.type !== TYPE_SET || (dst !== undefined && dst.type !== TYPE_SET)) {
    return ctx.w.error(WRONGTYPE);
  }
  const m = latin1(argv[3]);
  const ss = src.value as SetValue;
  if (src === dst) return ctx.w.integer(ss.has(m) ? 1 : 0);
  if (!ss.remove(m)) return ctx.w.integer(0);
  if (ss.size === 0) ctx.db.remove(src);
  else ctx.db.touch(srcKey);
  const max = maxIntset(ctx);
  if (dst === undefined) {
    const s = new SetValue();
    s.add(m, max);
    ctx.db.set(dstKey, s, TYPE_SET);
  } else if ((dst.value as SetValue).add(m, max)) {
    ctx.db.touch(dstKey);
  }
  ctx.w.integer(1);
}
