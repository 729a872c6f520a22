/** The generic keyspace: DEL, EXISTS, expiry, TYPE, KEYS, SCAN, DBSIZE, FLUSHDB/FLUSHALL. */
import { type CommandSpec, type Ctx, register, ROUTE_ALL, ROUTE_KEYS } from "./table.ts";
import { INVALID_CURSOR, invalidExpire, NOT_INTEGER, SYNTAX } from "./errors.ts";
import { eqi, latin1 } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { globMatch } from "../config/glob.ts";
import { TYPE_NAMES, typeCode } from "../store/types.ts";
import { foldAllOk, foldConcat, foldSum } from "./folds.ts";
import { computeExpire, expireOf, lessThan, writeInt64 } from "./expire.ts";
import type { ScanFilter } from "../store/keyspace.ts";
import type { Shard } from "../shard/shard.ts";

function del(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let n = 0;
  for (let i = 1; i < argc; i++) if (ctx.db.delete(latin1(argv[i]), ctx.now)) n++;
  ctx.w.integer(n);
}

function exists(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  // peek: like Redis, EXISTS does not count as an access (OBJECT IDLETIME)
  let n = 0;
  for (let i = 1; i < argc; i++) if (ctx.db.peek(latin1(argv[i]), ctx.now) !== undefined) n++;
  ctx.w.integer(n);
}

/** TOUCH: EXISTS that counts as an access */
function touch(ctx: Ctx, argv: Uint8Array[], argc: number): void {
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
    const at = computeExpire(v, seconds, relative ? ctx.now : 0);
    if (at === null) return ctx.w.error(invalidExpire(name));
    const when = at.exact ?? at.when;
    const e = ctx.db.get(latin1(argv[1]), ctx.now);
    if (e === undefined) return ctx.w.integer(0);
    if (flags) {
      const cur = expireOf(e);
      if (flags & EXP_NX && cur !== -1) return ctx.w.integer(0);
      if (flags & EXP_XX && cur === -1) return ctx.w.integer(0);
      if (flags & EXP_GT && (!lessThan(cur, when) || cur === -1)) return ctx.w.integer(0);
      if (flags & EXP_LT && cur !== -1 && !lessThan(when, cur)) return ctx.w.integer(0);
    }
    if (at.when <= ctx.now) ctx.db.remove(e);
    else ctx.db.setExpire(e, at.when, at.exact);
    ctx.w.integer(1);
  };
}

function ttlGeneric(ms: boolean, absolute: boolean) {
  return (ctx: Ctx, argv: Uint8Array[]): void => {
    const e = ctx.db.peek(latin1(argv[1]), ctx.now);
    if (e === undefined) return ctx.w.integer(-2);
    if (e.expireAt === 0) return ctx.w.integer(-1);
    if (e.expireExact !== undefined) {
      const x = absolute ? e.expireExact : e.expireExact - BigInt(ctx.now);
      return writeInt64(ctx.w, ms ? x : (x + 500n) / 1000n);
    }
    if (absolute) return ctx.w.integer(ms ? e.expireAt : Math.floor((e.expireAt + 500) / 1000));
    const ttl = Math.max(0, e.expireAt - ctx.now);
    ctx.w.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
  };
}

function persist(ctx: Ctx, argv: Uint8Array[]): void {
  const e = ctx.db.get(latin1(argv[1]), ctx.now);
  if (e === undefined || e.expireAt === 0) return ctx.w.integer(0);
  ctx.db.clearExpire(e);
  ctx.db.touch(e.key);
  ctx.w.integer(1);
}

function type(ctx: Ctx, argv: Uint8Array[]): void {
  const e = ctx.db.peek(latin1(argv[1]), ctx.now);
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

const U64_MAX = (1n << 64n) - 1n;

/**
 * Parse a SCAN cursor as Redis does (strtoul: optional sign, "" is 0, "-1" wraps to 2^64-1);
 * -1 when invalid. Cursors beyond 2^53 are returned as Infinity: no Skua cursor is that big.
 */
export function parseCursor(b: Uint8Array): number {
  if (b.length === 0) return 0;
  if (b.length > 21) return -1;
  let i = 0;
  const neg = b[0] === 45;
  if (neg || b[0] === 43) i = 1;
  if (i === b.length) return -1;
  let v = 0n;
  for (; i < b.length; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10n + BigInt(c);
  }
  if (v > U64_MAX) return -1;
  if (neg && v !== 0n) v = (1n << 64n) - v;
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
}

/** The shard a SCAN cursor points into: cursor = position * shards + shard. */
function scanTarget(shard: Shard, argv: Uint8Array[]): number {
  const c = parseCursor(argv[1]);
  return c < 0 || c === Infinity ? shard.id : c % shard.n;
}

function scan(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const cursor = parseCursor(argv[1]);
  if (cursor < 0) return ctx.w.error(INVALID_CURSOR);
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
  const shard = cursor === Infinity ? 0 : cursor % n;
  const inner = Math.floor(cursor / n);
  const out: string[] = [];
  // an out-of-range cursor ends the scan with an empty page, as in Redis
  const next = cursor === Infinity ? 0 : ctx.db.scan(inner, count, ctx.now, f, out);
  let global = 0;
  if (next !== 0) global = next * n + shard;
  else if (shard + 1 < n && cursor !== Infinity) global = shard + 1;
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
  { name: "touch", route: ROUTE_KEYS, handler: touch, fold: foldSum },
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
