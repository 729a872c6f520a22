/** Counters held in strings: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT. */
import type { Ctx } from "../context.ts";
import { NAN_OR_INF, NOT_FLOAT, NOT_INTEGER, OVERFLOW } from "../errors.ts";
import { ENC_AUTO, ENC_EMBSTR } from "../../store/keyspace.ts";
import { fromLatin1 } from "../../util/bytes.ts";
import {
  incrByFloat,
  INCRFLOAT_NAN_INF,
  parseInt64,
  parseSafeInt,
  writeInt,
} from "../../util/numbers.ts";
import { WRONG } from "../lookup.ts";
import { stringRef } from "./lookup.ts";

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;

/** Where a counter's new digits are written before they are stored (per-Worker scratch). */
const digits = new Uint8Array(24);

/** Add `by` to the integer at key, with Redis's overflow checks (INCR, DECR and the BY forms). */
export function incrBy(ctx: Ctx, key: Uint8Array, by: number | bigint): void {
  const db = ctx.db;
  const r = stringRef(ctx, key);
  if (r === WRONG) return;
  let cur: number | bigint = 0;
  if (r !== 0) {
    // Redis's string2ll over the value (a counter is at most 20 bytes)
    const v = db.strLen(r) <= 20 ? parseInt64(db.str(r)) : null;
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
  const n = typeof res === "number" ? writeInt(digits, 0, res) : writeBigDigits(res);
  // the TTL stays, and the access field: Redis's dbOverwrite keeps the LFU counter the
  // lookup above already counted (a SET overwrite counts its own lookup)
  const lru = r === 0 ? 0 : db.lruOf(r);
  const w = db.setString(key, digits, 0, n, ctx.now, true, ENC_AUTO);
  if (r !== 0) db.setLru(w, lru);
  ctx.w.int64(res);
}

function writeBigDigits(v: bigint): number {
  const s = String(v);
  for (let i = 0; i < s.length; i++) digits[i] = s.charCodeAt(i);
  return s.length;
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
  const ref = stringRef(ctx, argv[1]);
  if (ref === WRONG) return;
  // computed on exact decimals / emulated long doubles so the text matches Redis's
  const r = incrByFloat(ref === 0 ? null : ctx.db.str(ref), argv[2]);
  if (typeof r === "number") return ctx.w.error(r === INCRFLOAT_NAN_INF ? NAN_OR_INF : NOT_FLOAT);
  // Redis builds the result as a plain string object: embstr, never int; the TTL stays
  const b = fromLatin1(r);
  const lru = ref === 0 ? 0 : ctx.db.lruOf(ref);
  const w = ctx.db.setString(argv[1], b, 0, b.length, ctx.now, true, ENC_EMBSTR);
  if (ref !== 0) ctx.db.setLru(w, lru);
  ctx.w.bulkStr(r);
}
