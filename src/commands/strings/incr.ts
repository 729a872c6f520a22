/** Counters held in strings: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT. */
import type { Ctx } from "../context.ts";
import { NAN_OR_INF, NOT_FLOAT, NOT_INTEGER, OVERFLOW } from "../errors.ts";
import { ENC_AUTO, ENC_EMBSTR } from "../../store/keyspace.ts";
import { TYPE_STRING } from "../../store/types.ts";
import { latin1 } from "../../util/bytes.ts";
import {
  incrByFloat,
  INCRFLOAT_NAN_INF,
  parseInt64,
  parseInt64Str,
  parseSafeInt,
} from "../../util/numbers.ts";
import { stringEntry } from "./lookup.ts";

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;

/** The integer held in a string value (Redis string2ll rules), or null. */
function intValue(v: string | Uint8Array): number | bigint | null {
  return typeof v === "string" ? parseInt64Str(v) : parseInt64(v);
}

/** Add `by` to the integer at key, with Redis's overflow checks (INCR, DECR and the BY forms). */
export function incrBy(ctx: Ctx, key: Uint8Array, by: number | bigint): void {
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
  ctx.w.int64(res);
}

/** The increment argument of INCRBY / DECRBY (`negate`), or null after replying the error. */
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

/** INCRBY key increment */
export function incrby(ctx: Ctx, argv: Uint8Array[]): void {
  const by = incrByArg(ctx, argv[2], false);
  if (by !== null) incrBy(ctx, argv[1], by);
}

/** DECRBY key decrement */
export function decrby(ctx: Ctx, argv: Uint8Array[]): void {
  const by = incrByArg(ctx, argv[2], true);
  if (by !== null) incrBy(ctx, argv[1], by);
}

/** INCRBYFLOAT key increment */
export function incrbyfloat(ctx: Ctx, argv: Uint8Array[]): void {
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
