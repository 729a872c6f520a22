/** Setting and clearing a key's expiry: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST. */
import type { Ctx } from "../context.ts";
import { invalidExpire, NOT_INTEGER } from "../errors.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { computeExpire, lessThan } from "./time.ts";

const EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8;

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (Redis 7 expireGenericCommand): `name` for the error
 * text, `relative` to now or absolute, in `seconds` or milliseconds.
 */
export function expireGeneric(
  ctx: Ctx,
  argv: Uint8Array[],
  argc: number,
  name: string,
  relative: boolean,
  seconds: boolean,
): void {
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
  const r = ctx.db.lookup(argv[1], ctx.now);
  if (r === 0) return ctx.w.integer(0);
  if (flags) {
    const cur = ctx.db.expireExact(r);
    if (flags & EXP_NX && cur !== -1) return ctx.w.integer(0);
    if (flags & EXP_XX && cur === -1) return ctx.w.integer(0);
    if (flags & EXP_GT && (!lessThan(cur, when) || cur === -1)) return ctx.w.integer(0);
    if (flags & EXP_LT && cur !== -1 && !lessThan(when, cur)) return ctx.w.integer(0);
  }
  if (at.when <= ctx.now) ctx.db.remove(r);
  else ctx.db.setExpire(r, at.when, at.exact);
  ctx.w.integer(1);
}

/** PERSIST key: 1 when a TTL was removed. */
export function persist(ctx: Ctx, argv: Uint8Array[]): void {
  const r = ctx.db.lookup(argv[1], ctx.now);
  if (r === 0 || !ctx.db.clearExpire(r)) return ctx.w.integer(0);
  ctx.db.touch(r);
  ctx.w.integer(1);
}
