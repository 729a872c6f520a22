/** Argument parsing shared by command handlers; each helper writes Redis's error on failure. */
import type { Ctx } from "./context.ts";
import { INT_RANGE, NOT_INTEGER, RANGE_LONG } from "./errors.ts";
import { parseInt64, parseSafeInt } from "../util/numbers.ts";

/** A 64-bit integer argument that fits a JS safe integer, or null after replying the error. */
export function intArg(ctx: Ctx, b: Uint8Array, err = NOT_INTEGER): number | null {
  const n = parseSafeInt(b);
  if (!Number.isNaN(n)) return n;
  const v = parseInt64(b);
  if (v === null) {
    ctx.w.error(err);
    return null;
  }
  // beyond 2^53: still a valid int64; callers that need exactness use int64Arg
  return Number(v);
}

/**
 * An int argument as Redis's getIntFromObjectOrReply reads it: `msg` replaces both errors
 * when given. Null after replying the error.
 */
export function int32Arg(ctx: Ctx, b: Uint8Array, msg: string | null): number | null {
  const v = parseInt64(b);
  if (v === null) {
    ctx.w.error(msg ?? NOT_INTEGER);
    return null;
  }
  if (v > 2147483647 || v < -2147483648) {
    ctx.w.error(msg ?? INT_RANGE);
    return null;
  }
  return Number(v);
}

/** A full-range signed 64-bit integer argument as a bigint or number, or null after the error. */
export function int64Arg(ctx: Ctx, b: Uint8Array, err = NOT_INTEGER): number | bigint | null {
  const n = parseSafeInt(b);
  if (!Number.isNaN(n)) return n;
  const v = parseInt64(b);
  if (v === null) ctx.w.error(err);
  return v;
}

/** A count argument in [min, max] (Redis's getRangeLongFromObjectOrReply), or null (replied). */
export function rangeArg(
  ctx: Ctx,
  b: Uint8Array,
  min: number,
  max: number,
  err: string,
): number | null {
  const v = parseInt64(b);
  if (v === null) {
    ctx.w.error(err === "" ? NOT_INTEGER : err);
    return null;
  }
  const n = Number(v);
  if (n < min || n > max) {
    ctx.w.error(err === "" ? RANGE_LONG : err);
    return null;
  }
  return n;
}

/**
 * Negative counts (SRANDMEMBER, ZRANDMEMBER) ask for that many picks with repetition; Redis
 * tries to build any such reply, Skua refuses replies beyond this many elements.
 */
export const MAX_RANDOM_REPLY = 1 << 26;

/** A count for SRANDMEMBER / ZRANDMEMBER: any long but LONG_MIN. */
export function randomCountArg(ctx: Ctx, b: Uint8Array): number | null {
  const v = parseInt64(b);
  if (v === null) {
    ctx.w.error(NOT_INTEGER);
    return null;
  }
  if (v === -9223372036854775808n) {
    ctx.w.error(RANGE_LONG);
    return null;
  }
  return Number(v);
}
