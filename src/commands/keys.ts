/** The generic keyspace: DEL, EXISTS, expiry, TYPE, KEYS, SCAN, DBSIZE, FLUSHDB/FLUSHALL. */
import { type CommandSpec, type Ctx, register, ROUTE_ALL, ROUTE_KEYS } from "./table.ts";
import { INVALID_CURSOR, invalidExpire, NOT_INTEGER, SYNTAX } from "./errors.ts";
import { eqi, latin1 } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { globMatch } from "../config/glob.ts";
import { TYPE_NAMES, typeCode } from "../store/types.ts";
import { foldAllOk, foldConcat, foldSum } from "./folds.ts";
import type { ScanFilter } from "../store/keyspace.ts";
import type { Shard } from "../shard/shard.ts";

const I64_MAX = 9223372036854775807;

function del(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let n = 0;
  for (let i = 1; i < argc; i++) if (ctx.db.delete(latin1(argv[i]), ctx.now)) n++;
  ctx.w.integer(n);
}

function exists(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let n = 0;
  for (let i = 1; i < argc; i++) if (ctx.db.get(latin1(argv[i]), ctx.now) !== undefined) n++;
  ctx.w.integer(n);
}

const EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8;

/** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (Redis 7 expireGenericCommand). */
function expireGeneric(name: string, relative: boolean, seconds: boolean) {
  return (ctx: Ctx, argv: Uint8Array[], argc: number): void => {
    let flags = 0;
    for (let j = 3; j < argc; j++) {
      const o = argv[j];
      if (eqi(o, "nx")) flags |= EXP_NX;
      else if (eqi(o, "xx")) flags |= EXP_XX;
      else if (eqi(o, "gt")) flags |= EXP_GT;
      else if (eqi(o, "lt")) flags |= EXP_LT;
      else return ctx.w.error(`ERR Unsupported option ${latin1(o)}`);
    }
    if (flags & EXP_NX && flags & (EXP_XX | EXP_GT | EXP_LT)) {
      return ctx.w.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if (flags & EXP_GT && flags & EXP_LT) {
      return ctx.w.error("ERR GT and LT options at the same time are not compatible");
    }
    const v = parseInt64(argv[2]);
    if (v === null) return ctx.w.error(NOT_INTEGER);
    let when = Number(v);
    if (seconds) {
      if (when > I64_MAX / 1000 || when < -I64_MAX / 1000) return ctx.w.error(invalidExpire(name));
      when *= 1000;
    }
    const base = relative ? ctx.now : 0;
    if (when > I64_MAX - base) return ctx.w.error(invalidExpire(name));
    when += base;
    const e = ctx.db.get(latin1(argv[1]), ctx.now);
    if (e === undefined) return ctx.w.integer(0);
    if (flags) {
      const cur = e.expireAt === 0 ? -1 : e.expireAt;
      if (flags & EXP_NX && cur !== -1) return ctx.w.integer(0);
      if (flags & EXP_XX && cur === -1) return ctx.w.integer(0);
      if (flags & EXP_GT && (when <= cur || cur === -1)) return ctx.w.integer(0);
      if (flags & EXP_LT && cur !== -1 && when >= cur) return ctx.w.integer(0);
    }
    if (when <= ctx.now) ctx.db.remove(e);
    else ctx.db.setExpire(e, when);
    ctx.w.integer(1);
  };
}

function ttlGeneric(ms: boolean, absolute: boolean) {
  return (ctx: Ctx, argv: Uint8Array[]): void => {
    const e = ctx.db.get(latin1(argv[1]), ctx.now);
    if (e === undefined) return ctx.w.integer(-2);
    if (e.expireAt === 0) return ctx.w.integer(-1);
    if (absolute) return ctx.w.integer(ms ? e.expireAt : Math.floor((e.expireAt + 500) / 1000));
    const ttl = Math.max(0, e.expireAt - ctx.now);
    ctx.w.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
  };
}

function persist(ctx: Ctx, argv: Uint8Array[]): void {
  const e = ctx.db.get(latin1(argv[1]), ctx.now);
  if (e === undefined || e.expireAt === 0) return ctx.w.integer(0);
  ctx.db.clearExpire(e);
  ctx.w.integer(1);
}

function type(ctx: Ctx, argv: Uint8Array[]): void {
  const e = ctx.db.get(latin1(argv[1]), ctx.now);
  ctx.w.simple(e === undefined ? "none" : TYPE_NAMES[e.type]);
}

function keys(ctx: Ctx, argv: Uint8Array[]): void {
  const pat = latin1(argv[1]);
  const all = pat === "*";
  const out: string[] = [];
  for (const e of ctx.db.map.values()) {
    if (e.expireAt !== 0 && e.expireAt <= ctx.now) continue;
    if (all || globMatch(pat, e.key, false)) out.push(e.key);
  }
  ctx.w.arrayHeader(out.length);
  for (const k of out) ctx.w.bulkStr(k);
}

/** Parse a SCAN cursor as Redis does (unsigned decimal); -1 when invalid. */
function parseCursor(b: Uint8Array): number {
  if (b.length === 0 || b.length > 20) return -1;
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** The shard a SCAN cursor points into: cursor = position * shards + shard. */
function scanTarget(shard: Shard, argv: Uint8Array[]): number {
  const c = parseCursor(argv[1]);
  return c < 0 ? shard.id : c % shard.n;
}

function scan(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const cursor = parseCursor(argv[1]);
  if (cursor < 0 || cursor > Number.MAX_SAFE_INTEGER) return ctx.w.error(INVALID_CURSOR);
  let count = 10;
  const f: ScanFilter = {};
  for (let i = 2; i < argc; i += 2) {
    const o = argv[i];
    if (i + 1 >= argc) return ctx.w.error(SYNTAX);
    if (eqi(o, "count")) {
      const v = parseInt64(argv[i + 1]);
      if (v === null) return ctx.w.error(NOT_INTEGER);
      if (v < 1) return ctx.w.error(SYNTAX);
      count = Number(v);
    } else if (eqi(o, "match")) {
      const pat = latin1(argv[i + 1]);
      f.match = pat === "*" ? undefined : (k: string) => globMatch(pat, k, false);
    } else if (eqi(o, "type")) {
      // an unknown type name matches nothing (Redis 7.0)
      f.type = typeCode(latin1(argv[i + 1]));
    } else {
      return ctx.w.error(SYNTAX);
    }
  }
  const n = ctx.shard.n;
  const shard = cursor % n;
  const inner = Math.floor(cursor / n);
  const out: string[] = [];
  const next = ctx.db.scan(inner, count, ctx.now, f, out);
  let global = 0;
  if (next !== 0) global = next * n + shard;
  else if (shard + 1 < n) global = shard + 1;
  const w = ctx.w;
  w.arrayHeader(2);
  w.bulkStr(String(global));
  w.arrayHeader(out.length);
  for (const k of out) w.bulkStr(k);
}

function dbsize(ctx: Ctx): void {
  ctx.w.integer(ctx.db.size);
}

function flushArgs(ctx: Ctx, argv: Uint8Array[], argc: number): boolean {
  if (argc > 2 || (argc === 2 && !eqi(argv[1], "async") && !eqi(argv[1], "sync"))) {
    ctx.w.error(SYNTAX);
    return false;
  }
  return true;
}

function flushdb(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (!flushArgs(ctx, argv, argc)) return;
  ctx.db.flush();
  ctx.w.ok();
}

function flushall(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (!flushArgs(ctx, argv, argc)) return;
  for (const db of ctx.shard.dbs) db.flush();
  ctx.w.ok();
}

export const specs: CommandSpec[] = [
  { name: "del", route: ROUTE_KEYS, handler: del, fold: foldSum },
  { name: "unlink", route: ROUTE_KEYS, handler: del, fold: foldSum },
  { name: "exists", route: ROUTE_KEYS, handler: exists, fold: foldSum },
  { name: "touch", route: ROUTE_KEYS, handler: exists, fold: foldSum },
  { name: "expire", route: ROUTE_KEYS, handler: expireGeneric("expire", true, true) },
  { name: "pexpire", route: ROUTE_KEYS, handler: expireGeneric("pexpire", true, false) },
  { name: "expireat", route: ROUTE_KEYS, handler: expireGeneric("expireat", false, true) },
  { name: "pexpireat", route: ROUTE_KEYS, handler: expireGeneric("pexpireat", false, false) },
  { name: "ttl", route: ROUTE_KEYS, handler: ttlGeneric(false, false) },
  { name: "pttl", route: ROUTE_KEYS, handler: ttlGeneric(true, false) },
  { name: "expiretime", route: ROUTE_KEYS, handler: ttlGeneric(false, true) },
  { name: "pexpiretime", route: ROUTE_KEYS, handler: ttlGeneric(true, true) },
  { name: "persist", route: ROUTE_KEYS, handler: persist },
  { name: "type", route: ROUTE_KEYS, handler: type },
  { name: "keys", route: ROUTE_ALL, handler: keys, fold: foldConcat },
  { name: "scan", route: ROUTE_KEYS, handler: scan, target: scanTarget },
  { name: "dbsize", route: ROUTE_ALL, handler: dbsize, fold: foldSum },
  { name: "flushdb", route: ROUTE_ALL, handler: flushdb, fold: foldAllOk },
  { name: "flushall", route: ROUTE_ALL, handler: flushall, fold: foldAllOk },
];

register(specs);
