/**
 * The rest of the string family: SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX, MSETNX,
 * GETRANGE, SUBSTR, SETRANGE (LCS lives in strings_lcs.ts).
 */
import { type CommandSpec, type Ctx, register, ROUTE_KEYS } from "./table.ts";
import { invalidExpire, MAX_STRING, NOT_INTEGER, SYNTAX } from "./errors.ts";
import { eqi, latin1, toValue } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { type StringValue, TYPE_STRING } from "../store/types.ts";
import { stringEntry } from "./strings.ts";
import { computeExpire, type ExpireAt } from "./expire.ts";
import { putRaw, storedValue, writableBytes } from "./strings_bytes.ts";
import { lcs } from "./strings_lcs.ts";

/** proto-max-bulk-len: the largest string a command may build. */
export function maxStringLen(ctx: Ctx): number {
  return Number(ctx.shard.config.value("proto-max-bulk-len"));
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

function setnx(ctx: Ctx, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  if (ctx.db.get(key, ctx.now) !== undefined) return ctx.w.integer(0);
  ctx.db.set(key, toValue(argv[2]), TYPE_STRING);
  ctx.w.integer(1);
}

function setexGeneric(seconds: boolean, cmd: string) {
  return (ctx: Ctx, argv: Uint8Array[]): void => {
    const at = expireArg(ctx, argv[2], seconds, true, cmd);
    if (at === null) return;
    const e = ctx.db.set(latin1(argv[1]), toValue(argv[3]), TYPE_STRING, false, ctx.now);
    ctx.db.setExpire(e, at.when, at.exact);
    ctx.w.ok();
  };
}

function getset(ctx: Ctx, argv: Uint8Array[]): void {
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  if (e === undefined) ctx.w.nullBulk();
  else ctx.w.bulkValue(e.value);
  ctx.db.set(latin1(argv[1]), toValue(argv[2]), TYPE_STRING);
}

function getdel(ctx: Ctx, argv: Uint8Array[]): void {
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  if (e === undefined) return ctx.w.nullBulk();
  ctx.w.bulkValue(e.value);
  ctx.db.remove(e);
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

function getex(ctx: Ctx, argv: Uint8Array[], argc: number): void {
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
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  if (e === undefined) return ctx.w.nullBulk();
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
  ctx.w.bulkValue(e.value);
  if (at !== null) {
    if (flags & (GX_EXAT | GX_PXAT) && at.when <= ctx.now) ctx.db.remove(e);
    else ctx.db.setExpire(e, at.when, at.exact);
  } else if (flags & GX_PERSIST && e.expireAt !== 0) {
    ctx.db.clearExpire(e);
    ctx.db.touch(e.key);
  }
}

function msetnx(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc % 2 === 0) return ctx.w.error("ERR wrong number of arguments for 'msetnx' command");
  for (let i = 1; i < argc; i += 2) {
    if (ctx.db.get(latin1(argv[i]), ctx.now) !== undefined) return ctx.w.integer(0);
  }
  for (let i = 1; i < argc; i += 2) ctx.db.set(latin1(argv[i]), toValue(argv[i + 1]), TYPE_STRING);
  ctx.w.integer(1);
}

/** GETRANGE / SUBSTR. */
function getrange(ctx: Ctx, argv: Uint8Array[]): void {
  const s0 = parseInt64(argv[2]);
  if (s0 === null) return ctx.w.error(NOT_INTEGER);
  const e0 = parseInt64(argv[3]);
  if (e0 === null) return ctx.w.error(NOT_INTEGER);
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  if (e === undefined) return ctx.w.bulkStr("");
  const v = e.value as StringValue;
  const len = v.length;
  if (s0 < 0 && e0 < 0 && s0 > e0) return ctx.w.bulkStr("");
  // int64 extremes only matter through their sign here, so doubles are exact enough
  let start = Number(s0), end = Number(e0);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return ctx.w.bulkStr("");
  if (typeof v === "string") ctx.w.bulkStr(v.slice(start, end + 1));
  else ctx.w.bulk(v.subarray(start, end + 1));
}

function setrange(ctx: Ctx, argv: Uint8Array[]): void {
  const off = parseInt64(argv[2]);
  if (off === null) return ctx.w.error(NOT_INTEGER);
  if (off < 0) return ctx.w.error("ERR offset is out of range");
  const add = argv[3];
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  if (add.length === 0) return ctx.w.integer(e === undefined ? 0 : e.value.length);
  if (Number(off) + add.length > maxStringLen(ctx)) return ctx.w.error(MAX_STRING);
  const offset = Number(off);
  const old: StringValue | undefined = e?.value;
  const len = Math.max(old === undefined ? 0 : old.length, offset + add.length);
  const b = writableBytes(old, len);
  b.set(add, offset);
  putRaw(ctx.db, e, latin1(argv[1]), storedValue(b));
  ctx.w.integer(len);
}

export const specs: CommandSpec[] = [
  { name: "setnx", route: ROUTE_KEYS, handler: setnx },
  { name: "setex", route: ROUTE_KEYS, handler: setexGeneric(true, "setex") },
  { name: "psetex", route: ROUTE_KEYS, handler: setexGeneric(false, "psetex") },
  { name: "getset", route: ROUTE_KEYS, handler: getset },
  { name: "getdel", route: ROUTE_KEYS, handler: getdel },
  { name: "getex", route: ROUTE_KEYS, handler: getex },
  { name: "msetnx", route: ROUTE_KEYS, handler: msetnx },
  { name: "getrange", route: ROUTE_KEYS, handler: getrange },
  { name: "substr", route: ROUTE_KEYS, handler: getrange },
  { name: "setrange", route: ROUTE_KEYS, handler: setrange },
  { name: "lcs", route: ROUTE_KEYS, handler: lcs },
];

register(specs);
