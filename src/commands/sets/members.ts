/**
 * Adding, removing and testing members: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS,
 * SMOVE (Redis 7.0 t_set.c).
 */
import type { Ctx } from "../context.ts";
import { WRONGTYPE } from "../errors.ts";
import type { SetValue } from "../../store/set.ts";
import { createSet } from "../../store/set_store.ts";
import { TYPE_SET } from "../../store/types.ts";
import { latin1 } from "../../util/bytes.ts";
import { maxIntset } from "../encoding_limits.ts";
import { WRONG } from "../lookup.ts";
import { finish, readSet, writeMembers, writeSet } from "./lookup.ts";

export function sadd(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const r = writeSet(ctx, argv[1]);
  if (r === WRONG) return;
  const max = maxIntset(ctx);
  let added = 0;
  if (r === 0) {
    const s = createSet(ctx.db, argv[1], ctx.now);
    for (let i = 2; i < argc; i++) if (s.addBytes(argv[i], max)) added++;
  } else {
    const s = ctx.db.object<SetValue>(r);
    for (let i = 2; i < argc; i++) if (s.addBytes(argv[i], max)) added++;
    if (added > 0) ctx.db.touch(r);
  }
  ctx.w.integer(added);
}

export function srem(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const r = writeSet(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.integer(0);
  const s = ctx.db.object<SetValue>(r);
  let removed = 0;
  for (let i = 2; i < argc && s.size > 0; i++) if (s.removeBytes(argv[i])) removed++;
  if (removed > 0) finish(ctx, r, s);
  ctx.w.integer(removed);
}

export function scard(ctx: Ctx, argv: Uint8Array[]): void {
  const s = readSet(ctx, argv[1]);
  if (s !== null) ctx.w.integer(s === undefined ? 0 : s.size);
}

export function sismember(ctx: Ctx, argv: Uint8Array[]): void {
  const s = readSet(ctx, argv[1]);
  if (s !== null) ctx.w.integer(s !== undefined && s.hasBytes(argv[2]) ? 1 : 0);
}

export function smismember(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const s = readSet(ctx, argv[1]);
  if (s === null) return;
  const w = ctx.w;
  w.arrayHeader(argc - 2);
  for (let i = 2; i < argc; i++) w.integer(s !== undefined && s.hasBytes(argv[i]) ? 1 : 0);
}

export function smembers(ctx: Ctx, argv: Uint8Array[]): void {
  const s = readSet(ctx, argv[1]);
  if (s === null) return;
  if (s === undefined) return ctx.w.setHeader(0);
  writeMembers(ctx, s);
}

export function smove(ctx: Ctx, argv: Uint8Array[]): void {
  const db = ctx.db;
  const src = db.lookup(argv[1], ctx.now);
  const dst = db.lookup(argv[2], ctx.now);
  if (src === 0) return ctx.w.integer(0);
  if (db.typeOf(src) !== TYPE_SET || (dst !== 0 && db.typeOf(dst) !== TYPE_SET)) {
    return ctx.w.error(WRONGTYPE);
  }
  // the sets themselves (a view's record stays put): the removal of src may free its ref
  const ss = db.object<SetValue>(src);
  const m = latin1(argv[3]);
  if (src === dst) return ctx.w.integer(ss.has(m) ? 1 : 0);
  const ds = dst === 0 ? null : db.object<SetValue>(dst);
  if (!ss.remove(m)) return ctx.w.integer(0);
  if (ss.size === 0) db.remove(src);
  else db.touch(src);
  const max = maxIntset(ctx);
  if (ds === null) {
    createSet(db, argv[2], ctx.now).add(m, max);
  } else if (ds.add(m, max)) {
    db.touchKey(argv[2]);
  }
  ctx.w.integer(1);
}
