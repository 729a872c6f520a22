/** Counters in hash fields: HINCRBY, HINCRBYFLOAT. */
import type { Ctx } from "../context.ts";
import { NAN_OR_INF, NOT_FLOAT, OVERFLOW } from "../errors.ts";
import { int64Arg } from "../args.ts";
import { latin1 } from "../../util/bytes.ts";
import {
  classifyLongDouble,
  incrByFloat,
  INCRFLOAT_BAD_CURRENT,
  INCRFLOAT_INCR_INF,
  parseInt64,
  parseInt64Str,
} from "../../util/numbers.ts";
import { hashOrCreate, WRONG } from "./lookup.ts";
import type { HashValue } from "../../store/hash.ts";
import { hashSet } from "./encoding.ts";

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;

export function hincrby(ctx: Ctx, argv: Uint8Array[]): void {
  const by = int64Arg(ctx, argv[3]);
  if (by === null) return;
  const r = hashOrCreate(ctx, argv[1]);
  if (r === WRONG) return;
  const h = ctx.db.object<HashValue>(r);
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
  ctx.db.touch(r);
  if (typeof res === "number") ctx.w.integer(res);
  else ctx.w.bigint(res);
}

export function hincrbyfloat(ctx: Ctx, argv: Uint8Array[]): void {
  const k = classifyLongDouble(argv[3]);
  if (k === INCRFLOAT_INCR_INF) return ctx.w.error("ERR value is NaN or Infinity");
  if (k !== 0) return ctx.w.error(NOT_FLOAT);
  const r = hashOrCreate(ctx, argv[1]);
  if (r === WRONG) return;
  const h = ctx.db.object<HashValue>(r);
  const f = latin1(argv[2]);
  const res = incrByFloat(h.get(f) ?? null, argv[3], true);
  if (typeof res === "number") {
    if (h.size === 0) ctx.db.remove(r);
    return ctx.w.error(
      res === INCRFLOAT_BAD_CURRENT ? "ERR hash value is not a float" : NAN_OR_INF,
    );
  }
  hashSet(ctx, h, f, res);
  ctx.db.touch(r);
  ctx.w.bulkStr(res);
}
