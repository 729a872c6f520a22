/**
 * Whole string values: GET, SET, SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX, MGET, MSET,
 * MSETNX.
 */
import type { Ctx } from "../context.ts";
import { invalidExpire, NOT_INTEGER, SYNTAX, WRONGTYPE } from "../errors.ts";
import { eqi } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { TYPE_STRING } from "../../store/types.ts";
import { ENC_AUTO } from "../../store/record.ts";
import { computeExpire, type ExpireAt } from "../expire/time.ts";
import { WRONG } from "../lookup.ts";
import { readString, replyString, storeValue, stringRef } from "./lookup.ts";

/** GET key */
export function get(ctx: Ctx, argv: Uint8Array[]): void {
  const r = readString(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) ctx.w.nullBulk();
  else replyString(ctx, r);
}

const SET_NX = 1, SET_XX = 2, SET_GET = 4, SET_KEEPTTL = 8;
const SET_EX = 16, SET_PX = 32, SET_EXAT = 64, SET_PXAT = 128;
const ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT;

function expireOption(o: Uint8Array): number {
  if (eqi(o, "ex")) return SET_EX;
  if (eqi(o, "px")) return SET_PX;
  if (eqi(o, "exat")) return SET_EXAT;
  if (eqi(o, "pxat")) return SET_PXAT;
  return 0;
}

/** SET key value [NX | XX] [GET] [EX | PX | EXAT | PXAT n | KEEPTTL] */
export function set(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let flags = 0;
  let expArg: Uint8Array | null = null;
  let ex = 0;
  for (let j = 3; j < argc; j++) {
    const o = argv[j];
    const hasNext = j < argc - 1;
    if (eqi(o, "nx") && !(flags & SET_XX)) flags |= SET_NX;
    else if (eqi(o, "xx") && !(flags & SET_NX)) flags |= SET_XX;
    else if (eqi(o, "get")) flags |= SET_GET;
    else if (eqi(o, "keepttl") && !(flags & ANY_EXPIRE)) flags |= SET_KEEPTTL;
    else if (
      hasNext && !(flags & SET_KEEPTTL) && (ex = expireOption(o)) !== 0 &&
      !(flags & (ANY_EXPIRE & ~ex))
    ) {
      flags |= ex;
      expArg = argv[++j];
    } else {
      ctx.w.error(SYNTAX);
      return;
    }
  }
  let at: ExpireAt | null = null;
  if (expArg !== null) {
    const v = parseInt64(expArg);
    if (v === null) return ctx.w.error(NOT_INTEGER);
    const secs = (flags & (SET_EX | SET_EXAT)) !== 0;
    if (v <= 0) return ctx.w.error(invalidExpire("set"));
    at = computeExpire(v, secs, flags & (SET_EX | SET_PX) ? ctx.now : 0);
    if (at === null) return ctx.w.error(invalidExpire("set"));
  }
  const key = argv[1], val = argv[2];
  const db = ctx.db;
  const keepTtl = (flags & SET_KEEPTTL) !== 0;
  if ((flags & (SET_NX | SET_XX | SET_GET)) === 0) {
    const r = storeValue(ctx, key, val, keepTtl);
    if (at !== null) db.setExpire(r, at.when, at.exact);
    return ctx.w.ok();
  }
  const old = db.lookup(key, ctx.now);
  if (flags & SET_GET) {
    if (old === 0) ctx.w.nullBulk();
    else if (db.typeOf(old) !== TYPE_STRING) return ctx.w.error(WRONGTYPE);
    else replyString(ctx, old);
  }
  if ((flags & SET_NX && old !== 0) || (flags & SET_XX && old === 0)) {
    if (!(flags & SET_GET)) ctx.w.nullBulk();
    return;
  }
  const r = storeValue(ctx, key, val, keepTtl);
  if (at !== null) db.setExpire(r, at.when, at.exact);
  if (!(flags & SET_GET)) ctx.w.ok();
}

/** SETNX key value */
export function setnx(ctx: Ctx, argv: Uint8Array[]): void {
  const key = argv[1], val = argv[2];
  if (ctx.db.lookup(key, ctx.now) !== 0) return ctx.w.integer(0);
  ctx.db.setString(key, val, 0, val.length, ctx.now);
  ctx.w.integer(1);
}

/**
 * An expire argument as Redis's getExpireMillisecondsOrReply: null after replying the error.
 * `relative` adds the current time (EX/PX).
 */
function expireArg(
  ctx: Ctx,
  b: Uint8Array,
  seconds: boolean,
  relative: boolean,
  cmd: string,
): ExpireAt | null {
  const v = parseInt64(b);
  if (v === null) {
    ctx.w.error(NOT_INTEGER);
    return null;
  }
  const at = v <= 0 ? null : computeExpire(v, seconds, relative ? ctx.now : 0);
  if (at === null) ctx.w.error(invalidExpire(cmd));
  return at;
}

/** SETEX key seconds value (`seconds`), PSETEX key milliseconds value; `cmd` names it in errors. */
export function setexGeneric(
  ctx: Ctx,
  argv: Uint8Array[],
  seconds: boolean,
  cmd: string,
): void {
  const at = expireArg(ctx, argv[2], seconds, true, cmd);
  if (at === null) return;
  const val = argv[3];
  const r = ctx.db.setString(argv[1], val, 0, val.length, ctx.now);
  ctx.db.setExpire(r, at.when, at.exact);
  ctx.w.ok();
}

/** GETSET key value */
export function getset(ctx: Ctx, argv: Uint8Array[]): void {
  const r = stringRef(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) ctx.w.nullBulk();
  else replyString(ctx, r);
  const val = argv[2];
  ctx.db.setString(argv[1], val, 0, val.length, ctx.now);
}

/** GETDEL key */
export function getdel(ctx: Ctx, argv: Uint8Array[]): void {
  const r = stringRef(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.nullBulk();
  replyString(ctx, r);
  ctx.db.remove(r);
}

const GX_EX = 1, GX_PX = 2, GX_EXAT = 4, GX_PXAT = 8, GX_PERSIST = 16;
const GX_ANY = GX_EX | GX_PX | GX_EXAT | GX_PXAT;

function getexOption(o: Uint8Array): number {
  if (eqi(o, "ex")) return GX_EX;
  if (eqi(o, "px")) return GX_PX;
  if (eqi(o, "exat")) return GX_EXAT;
  if (eqi(o, "pxat")) return GX_PXAT;
  return 0;
}

/** GETEX key [EX | PX | EXAT | PXAT n | PERSIST] */
export function getex(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let flags = 0;
  let expArg: Uint8Array | null = null;
  for (let j = 2; j < argc; j++) {
    const o = argv[j];
    let f = 0;
    if (eqi(o, "persist") && !(flags & GX_ANY)) flags |= GX_PERSIST;
    else if (
      j < argc - 1 && (f = getexOption(o)) !== 0 && !(flags & GX_PERSIST) &&
      !(flags & (GX_ANY & ~f))
    ) {
      flags |= f;
      expArg = argv[++j];
    } else return ctx.w.error(SYNTAX);
  }
  const r = stringRef(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.nullBulk();
  let at: ExpireAt | null = null;
  if (expArg !== null) {
    at = expireArg(
      ctx,
      expArg,
      (flags & (GX_EX | GX_EXAT)) !== 0,
      (flags & (GX_EX | GX_PX)) !== 0,
      "getex",
    );
    if (at === null) return;
  }
  replyString(ctx, r);
  if (at !== null) {
    if (flags & (GX_EXAT | GX_PXAT) && at.when <= ctx.now) ctx.db.remove(r);
    else ctx.db.setExpire(r, at.when, at.exact);
  } else if (flags & GX_PERSIST && ctx.db.clearExpire(r)) {
    ctx.db.touch(r);
  }
}

/** MGET key [key ...] */
export function mget(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  w.arrayHeader(argc - 1);
  const db = ctx.db;
  for (let i = 1; i < argc;) {
    const from = i;
    const end = db.prefetch(argv, i, argc, 1);
    const hashed = db.hashed;
    for (; i < end; i++) {
      const key = argv[i];
      const r = hashed
        ? db.lookup(key, ctx.now, db.prefetchedHash(i - from))
        : db.lookup(key, ctx.now);
      if (r === 0 || db.typeOf(r) !== TYPE_STRING) w.nullBulk();
      else replyString(ctx, r);
    }
  }
}

/**
 * An MSET's keys are prefetched this many at a time, not Db.prefetch's 64: a merged part of a
 * pipeline's MSETs holds up to 64 keys a shard, and 16 at a time made 10-key MSET -P 16 on 2
 * shards 3-6% faster than all of them before the first write (1.062, 1.063, 1.029 in runs of 12
 * alternating rounds, bench/ab.ts; 8 at a time as 16; one shard, whose MSETs have 10 keys, and
 * MGET at 16, unchanged). Why, the profiles did not say: the writes cost more after a wider one.
 */
const MSET_PREFETCH_KEYS = 16;

/** MSET key value [key value ...] */
export function mset(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc % 2 === 0) return ctx.w.error("ERR wrong number of arguments for 'mset' command");
  const db = ctx.db;
  for (let i = 1; i < argc;) {
    const from = i;
    const end = db.prefetch(argv, i, Math.min(argc, i + 2 * MSET_PREFETCH_KEYS), 2);
    const hashed = db.hashed;
    for (; i < end; i += 2) {
      const val = argv[i + 1];
      const h = hashed ? db.prefetchedHash((i - from) >> 1) : -1;
      db.setString(argv[i], val, 0, val.length, ctx.now, false, ENC_AUTO, h);
    }
  }
  ctx.w.ok();
}

/** MSETNX key value [key value ...] */
export function msetnx(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc % 2 === 0) return ctx.w.error("ERR wrong number of arguments for 'msetnx' command");
  ctx.db.prefetch(argv, 1, argc, 2);
  for (let i = 1; i < argc; i += 2) {
    if (ctx.db.lookup(argv[i], ctx.now) !== 0) return ctx.w.integer(0);
  }
  for (let i = 1; i < argc; i += 2) {
    const val = argv[i + 1];
    ctx.db.setString(argv[i], val, 0, val.length, ctx.now);
  }
  ctx.w.integer(1);
}
