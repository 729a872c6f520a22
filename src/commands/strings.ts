/** String commands: GET, SET, MGET, MSET, INCR family, INCRBYFLOAT, APPEND, STRLEN. */
import { type CommandSpec, type Ctx, register, ROUTE_KEYS } from "./table.ts";
import { ENC_AUTO, ENC_EMBSTR, ENC_RAW, type Entry } from "../store/keyspace.ts";
import { MAX_STRING_VALUE, type StringValue, TYPE_STRING } from "../store/types.ts";
import {
  invalidExpire,
  MAX_STRING,
  NAN_OR_INF,
  NOT_FLOAT,
  NOT_INTEGER,
  OVERFLOW,
  SYNTAX,
  WRONGTYPE,
} from "./errors.ts";
import { eqi, latin1, toValue, valueBytes } from "../util/bytes.ts";
import {
  incrByFloat,
  INCRFLOAT_NAN_INF,
  parseInt64,
  parseInt64Str,
  parseSafeInt,
} from "../util/numbers.ts";
import { foldAllOk, foldMget } from "./folds.ts";
import { computeExpire, type ExpireAt } from "./expire.ts";

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;

/** An entry known to hold a string. */
export type StringEntry = Entry & { value: StringValue };

/** The string entry at key, undefined when absent, null when of another type (error replied). */
export function stringEntry(ctx: Ctx, key: Uint8Array): StringEntry | undefined | null {
  const e = ctx.db.get(latin1(key), ctx.now);
  if (e === undefined) return undefined;
  if (e.type !== TYPE_STRING) {
    ctx.w.error(WRONGTYPE);
    return null;
  }
  return e as StringEntry;
}

function get(ctx: Ctx, argv: Uint8Array[]): void {
  const e = ctx.db.get(latin1(argv[1]), ctx.now);
  const st = ctx.shard.stats;
  if (e === undefined) {
    st.keyspaceMisses++;
    ctx.w.nullBulk();
  } else if (e.type !== TYPE_STRING) {
    ctx.w.error(WRONGTYPE);
  } else {
    st.keyspaceHits++;
    ctx.w.bulkValue(e.value as StringValue);
  }
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

function set(ctx: Ctx, argv: Uint8Array[], argc: number): void {
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
  const key = latin1(argv[1]);
  const db = ctx.db;
  if ((flags & (SET_NX | SET_XX | SET_GET)) === 0) {
    const e = db.set(key, toValue(argv[2]), TYPE_STRING, (flags & SET_KEEPTTL) !== 0, ctx.now);
    if (at !== null) db.setExpire(e, at.when, at.exact);
    return ctx.w.ok();
  }
  const old = db.get(key, ctx.now);
  if (flags & SET_GET) {
    if (old === undefined) ctx.w.nullBulk();
    else if (old.type !== TYPE_STRING) return ctx.w.error(WRONGTYPE);
    else ctx.w.bulkValue(old.value as StringValue);
  }
  if ((flags & SET_NX && old !== undefined) || (flags & SET_XX && old === undefined)) {
    if (!(flags & SET_GET)) ctx.w.nullBulk();
    return;
  }
  const e = db.set(key, toValue(argv[2]), TYPE_STRING, (flags & SET_KEEPTTL) !== 0);
  if (at !== null) db.setExpire(e, at.when, at.exact);
  if (!(flags & SET_GET)) ctx.w.ok();
}

function mget(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  w.arrayHeader(argc - 1);
  for (let i = 1; i < argc; i++) {
    const e = ctx.db.get(latin1(argv[i]), ctx.now);
    if (e === undefined || e.type !== TYPE_STRING) w.nullBulk();
    else w.bulkValue(e.value as StringValue);
  }
}

function mset(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc % 2 === 0) return ctx.w.error("ERR wrong number of arguments for 'mset' command");
  for (let i = 1; i < argc; i += 2) ctx.db.set(latin1(argv[i]), toValue(argv[i + 1]), TYPE_STRING);
  ctx.w.ok();
}

/** Add `by` to the integer at key, with Redis's overflow checks. */
function incrBy(ctx: Ctx, key: Uint8Array, by: number | bigint): void {
  const e = stringEntry(ctx, key);
  if (e === null) return;
  let cur: number | bigint = 0;
  if (e !== undefined) {
    const v = intValue(e.value);
    if (v === null) return ctx.w.error(NOT_INTEGER);
    cur = v;
  }
  let res: number | bigint;
  if (typeof cur === "number" && typeof by === "number") {
    res = cur + by;
    if (!Number.isSafeInteger(res)) res = BigInt(cur) + BigInt(by);
  } else {
    res = BigInt(cur) + BigInt(by);
  }
  if (typeof res === "bigint") {
    if (res > I64_MAX || res < I64_MIN) return ctx.w.error(OVERFLOW);
    if (res >= BigInt(Number.MIN_SAFE_INTEGER) && res <= BigInt(Number.MAX_SAFE_INTEGER)) {
      res = Number(res);
    }
  }
  const text = String(res);
  if (e !== undefined) {
    e.value = text;
    e.enc = ENC_AUTO;
    ctx.db.touch(e.key);
  } else ctx.db.set(latin1(key), text, TYPE_STRING);
  if (typeof res === "number") ctx.w.integer(res);
  else ctx.w.bigint(res);
}

function incrByArg(ctx: Ctx, b: Uint8Array, negate: boolean): number | bigint | null {
  const n = parseSafeInt(b);
  if (!Number.isNaN(n)) return negate ? -n : n;
  const v = parseInt64(b);
  if (v === null) {
    ctx.w.error(NOT_INTEGER);
    return null;
  }
  if (!negate) return v;
  if (BigInt(v) === I64_MIN) {
    ctx.w.error("ERR decrement would overflow");
    return null;
  }
  return -BigInt(v);
}

function incrbyfloat(ctx: Ctx, argv: Uint8Array[]): void {
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  // computed on exact decimals / emulated long doubles so the text matches Redis's
  const r = incrByFloat(e === undefined ? null : e.value, argv[2]);
  if (typeof r === "number") return ctx.w.error(r === INCRFLOAT_NAN_INF ? NAN_OR_INF : NOT_FLOAT);
  // Redis builds the result as a plain string object: embstr, never int
  const target = e ?? ctx.db.set(latin1(argv[1]), r, TYPE_STRING);
  target.value = r;
  target.enc = ENC_EMBSTR;
  if (e !== undefined) ctx.db.touch(e.key);
  ctx.w.bulkStr(r);
}

function append(ctx: Ctx, argv: Uint8Array[]): void {
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  const add = argv[2];
  if (e === undefined) {
    ctx.db.set(latin1(argv[1]), toValue(add), TYPE_STRING);
    return ctx.w.integer(add.length);
  }
  const old = e.value;
  const len = old.length + add.length;
  const max = Number(ctx.shard.config.value("proto-max-bulk-len"));
  if (len > max) return ctx.w.error(MAX_STRING);
  if (typeof old === "string" && len <= MAX_STRING_VALUE) {
    // V8 builds a rope: repeated APPENDs stay amortized O(1), flattened on the next read
    e.value = old + latin1(add);
  } else {
    const buf = new Uint8Array(len);
    buf.set(valueBytes(old));
    buf.set(add, old.length);
    e.value = buf;
  }
  e.enc = ENC_RAW;
  ctx.db.touch(e.key);
  ctx.w.integer(len);
}

/** The integer held in a string value (Redis string2ll rules), or null. */
function intValue(v: string | Uint8Array): number | bigint | null {
  return typeof v === "string" ? parseInt64Str(v) : parseInt64(v);
}

function strlen(ctx: Ctx, argv: Uint8Array[]): void {
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  ctx.w.integer(e === undefined ? 0 : e.value.length);
}

export const specs: CommandSpec[] = [
  { name: "get", route: ROUTE_KEYS, handler: get },
  { name: "set", route: ROUTE_KEYS, handler: set },
  { name: "mget", route: ROUTE_KEYS, handler: mget, fold: foldMget },
  { name: "mset", route: ROUTE_KEYS, handler: mset, fold: foldAllOk, keyStride: 1 },
  {
    name: "incr",
    route: ROUTE_KEYS,
    handler: (ctx, argv) => incrBy(ctx, argv[1], 1),
  },
  {
    name: "decr",
    route: ROUTE_KEYS,
    handler: (ctx, argv) => incrBy(ctx, argv[1], -1),
  },
  {
    name: "incrby",
    route: ROUTE_KEYS,
    handler: (ctx, argv) => {
      const by = incrByArg(ctx, argv[2], false);
      if (by !== null) incrBy(ctx, argv[1], by);
    },
  },
  {
    name: "decrby",
    route: ROUTE_KEYS,
    handler: (ctx, argv) => {
      const by = incrByArg(ctx, argv[2], true);
      if (by !== null) incrBy(ctx, argv[1], by);
    },
  },
  { name: "incrbyfloat", route: ROUTE_KEYS, handler: incrbyfloat },
  { name: "append", route: ROUTE_KEYS, handler: append },
  { name: "strlen", route: ROUTE_KEYS, handler: strlen },
];

register(specs);
