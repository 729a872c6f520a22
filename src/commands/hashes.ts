/**
 * Hash commands (Redis 7.0 t_hash.c): HSET, HMSET, HSETNX, HGET, HMGET, HDEL, HLEN, HSTRLEN,
 * HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT here; HRANDFIELD and HSCAN in
 * hashes_more.ts. Encoding conversions (listpack -> hashtable) happen where Redis makes them,
 * so OBJECT ENCODING agrees.
 */
import { type CommandSpec, type Ctx, register, ROUTE_KEYS } from "./table.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import type { HashValue } from "../store/hash.ts";
import type { StringValue } from "../store/types.ts";
import { NAN_OR_INF, NOT_FLOAT, OVERFLOW } from "./errors.ts";
import { int64Arg } from "./args.ts";
import { latin1, toValue } from "../util/bytes.ts";
import {
  classifyLongDouble,
  incrByFloat,
  INCRFLOAT_BAD_CURRENT,
  INCRFLOAT_INCR_INF,
  parseInt64,
  parseInt64Str,
} from "../util/numbers.ts";
import { convertForArgs, hashOrCreate, hashSet, readHash, writeHash } from "./hashes_common.ts";
import { hrandfield, hscan } from "./hashes_more.ts";

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;

/** HSET (reply: fields added) and HMSET (reply: OK). */
function hset(ctx: Ctx, argv: Uint8Array[], argc: number, hmset: boolean): void {
  if (argc % 2 === 1) {
    return ctx.w.error(`ERR wrong number of arguments for '${hmset ? "hmset" : "hset"}' command`);
  }
  const e = hashOrCreate(ctx, argv[1]);
  if (e === null) return;
  const h = e.value;
  convertForArgs(ctx, h, argv, 2, argc);
  let created = 0;
  for (let i = 2; i < argc; i += 2) {
    if (hashSet(ctx, h, latin1(argv[i]), toValue(argv[i + 1]))) created++;
  }
  ctx.db.touch(e.key);
  if (hmset) ctx.w.ok();
  else ctx.w.integer(created);
}

function hsetnx(ctx: Ctx, argv: Uint8Array[]): void {
  const e = hashOrCreate(ctx, argv[1]);
  if (e === null) return;
  const h = e.value;
  const f = latin1(argv[2]);
  if (h.has(f)) return ctx.w.integer(0);
  convertForArgs(ctx, h, argv, 2, 4);
  hashSet(ctx, h, f, toValue(argv[3]));
  ctx.db.touch(e.key);
  ctx.w.integer(1);
}

function hget(ctx: Ctx, argv: Uint8Array[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  const v = h === undefined ? undefined : h.get(latin1(argv[2]));
  if (v === undefined) ctx.w.nullBulk();
  else ctx.w.bulkValue(v);
}

function hmget(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  const w = ctx.w;
  w.arrayHeader(argc - 2);
  for (let i = 2; i < argc; i++) {
    const v = h === undefined ? undefined : h.get(latin1(argv[i]));
    if (v === undefined) w.nullBulk();
    else w.bulkValue(v);
  }
}

function hdel(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const e = writeHash(ctx, argv[1]);
  if (e === null) return;
  if (e === undefined) return ctx.w.integer(0);
  const h = e.value;
  let deleted = 0;
  for (let i = 2; i < argc; i++) {
    if (!h.delete(latin1(argv[i]))) continue;
    deleted++;
    if (h.size === 0) break;
  }
  if (h.size === 0) ctx.db.remove(e);
  else if (deleted > 0) ctx.db.touch(e.key);
  ctx.w.integer(deleted);
}

function hlen(ctx: Ctx, argv: Uint8Array[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  ctx.w.integer(h === undefined ? 0 : h.size);
}

function hstrlen(ctx: Ctx, argv: Uint8Array[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  const v = h === undefined ? undefined : h.get(latin1(argv[2]));
  ctx.w.integer(v === undefined ? 0 : v.length);
}

function hexists(ctx: Ctx, argv: Uint8Array[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  ctx.w.integer(h !== undefined && h.has(latin1(argv[2])) ? 1 : 0);
}

const KEYS = 1, VALUES = 2;

function writeField(f: string, _v: StringValue, w: ReplyWriter): void {
  w.bulkStr(f);
}

function writeVal(_f: string, v: StringValue, w: ReplyWriter): void {
  w.bulkValue(v);
}

function writePair(f: string, v: StringValue, w: ReplyWriter): void {
  w.bulkStr(f);
  w.bulkValue(v);
}

/** HKEYS, HVALS, HGETALL (a map in RESP3). */
function getAll(ctx: Ctx, argv: Uint8Array[], what: number): void {
  const h: HashValue | undefined | null = readHash(ctx, argv[1]);
  if (h === null) return;
  const w = ctx.w;
  const n = h === undefined ? 0 : h.size;
  if (what === (KEYS | VALUES)) w.mapHeader(n);
  else w.arrayHeader(n);
  if (h === undefined) return;
  h.forEach(what === KEYS ? writeField : what === VALUES ? writeVal : writePair, w);
}

function hincrby(ctx: Ctx, argv: Uint8Array[]): void {
  const by = int64Arg(ctx, argv[3]);
  if (by === null) return;
  const e = hashOrCreate(ctx, argv[1]);
  if (e === null) return;
  const h = e.value;
  const f = latin1(argv[2]);
  const cur = h.get(f);
  let old: number | bigint = 0;
  if (cur !== undefined) {
    const v = typeof cur === "string" ? parseInt64Str(cur) : parseInt64(cur);
    if (v === null) return ctx.w.error("ERR hash value is not an integer");
    old = v;
  }
  let res: number | bigint;
  if (typeof old === "number" && typeof by === "number" && Number.isSafeInteger(old + by)) {
    res = old + by;
  } else {
    const big = BigInt(old) + BigInt(by);
    if (big > I64_MAX || big < I64_MIN) return ctx.w.error(OVERFLOW);
    res = Number.isSafeInteger(Number(big)) ? Number(big) : big;
  }
  hashSet(ctx, h, f, String(res));
  ctx.db.touch(e.key);
  if (typeof res === "number") ctx.w.integer(res);
  else ctx.w.bigint(res);
}

function hincrbyfloat(ctx: Ctx, argv: Uint8Array[]): void {
  const k = classifyLongDouble(argv[3]);
  if (k === INCRFLOAT_INCR_INF) return ctx.w.error("ERR value is NaN or Infinity");
  if (k !== 0) return ctx.w.error(NOT_FLOAT);
  const e = hashOrCreate(ctx, argv[1]);
  if (e === null) return;
  const h = e.value;
  const f = latin1(argv[2]);
  const r = incrByFloat(h.get(f) ?? null, argv[3], true);
  if (typeof r === "number") {
    if (h.size === 0) ctx.db.remove(e);
    return ctx.w.error(r === INCRFLOAT_BAD_CURRENT ? "ERR hash value is not a float" : NAN_OR_INF);
  }
  hashSet(ctx, h, f, r);
  ctx.db.touch(e.key);
  ctx.w.bulkStr(r);
}

export const specs: CommandSpec[] = [
  { name: "hset", route: ROUTE_KEYS, handler: (c, a, n) => hset(c, a, n, false) },
  { name: "hmset", route: ROUTE_KEYS, handler: (c, a, n) => hset(c, a, n, true) },
  { name: "hsetnx", route: ROUTE_KEYS, handler: hsetnx },
  { name: "hget", route: ROUTE_KEYS, handler: hget },
  { name: "hmget", route: ROUTE_KEYS, handler: hmget },
  { name: "hdel", route: ROUTE_KEYS, handler: hdel },
  { name: "hlen", route: ROUTE_KEYS, handler: hlen },
  { name: "hstrlen", route: ROUTE_KEYS, handler: hstrlen },
  { name: "hexists", route: ROUTE_KEYS, handler: hexists },
  { name: "hkeys", route: ROUTE_KEYS, handler: (c, a) => getAll(c, a, KEYS) },
  { name: "hvals", route: ROUTE_KEYS, handler: (c, a) => getAll(c, a, VALUES) },
  { name: "hgetall", route: ROUTE_KEYS, handler: (c, a) => getAll(c, a, KEYS | VALUES) },
  { name: "hincrby", route: ROUTE_KEYS, handler: hincrby },
  { name: "hincrbyfloat", route: ROUTE_KEYS, handler: hincrbyfloat },
  { name: "hrandfield", route: ROUTE_KEYS, handler: hrandfield },
  { name: "hscan", route: ROUTE_KEYS, handler: hscan },
];

register(specs);
