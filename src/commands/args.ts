/** Argument parsing shared by command handlers; each helper writes Redis's error on failure. */
import type { Ctx } from "./table.ts";
import { NOT_INTEGER, WRONGTYPE } from "./errors.ts";
import { latin1 } from "../util/bytes.ts";
import type { Value } from "../store/types.ts";
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

/** A full-range signed 64-bit integer argument as a bigint or number, or null after the error. */
export function int64Arg(ctx: Ctx, b: Uint8Array, err = NOT_INTEGER): number | bigint | null {
  const n = parseSafeInt(b);
  if (!Number.isNaN(n)) return n;
  const v = parseInt64(b);
  if (v === null) ctx.w.error(err);
  return v;
}

/**
 * The value at key for a read, if it has type `type` (counted in keyspace hits/misses):
 * undefined when absent, null when the key holds another type (WRONGTYPE is written).
 */
export function readTyped(ctx: Ctx, key: Uint8Array, type: number): Value | undefined | null {
  const e = ctx.db.get(latin1(key), ctx.now);
  const st = ctx.shard.stats;
  if (e === undefined) {
    st.keyspaceMisses++;
    return undefined;
  }
  st.keyspaceHits++;
  if (e.type !== type) {
    ctx.w.error(WRONGTYPE);
    return null;
  }
  return e.value;
}
