/** Keys one at a time: DEL, UNLINK, EXISTS, TOUCH, TYPE. */
import type { Ctx } from "../context.ts";
import { latin1 } from "../../util/bytes.ts";
import { TYPE_NAMES } from "../../store/types.ts";

/** DEL / UNLINK key...: the number of keys removed. */
export function del(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let n = 0;
  for (let i = 1; i < argc; i++) if (ctx.db.delete(latin1(argv[i]), ctx.now)) n++;
  ctx.w.integer(n);
}

/** EXISTS key...: how many of the keys exist (repeats counted). */
export function exists(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  // peek: like Redis, EXISTS does not count as an access (OBJECT IDLETIME)
  let n = 0;
  for (let i = 1; i < argc; i++) if (ctx.db.peek(latin1(argv[i]), ctx.now) !== undefined) n++;
  ctx.w.integer(n);
}

/** TOUCH: EXISTS that counts as an access */
export function touch(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let n = 0;
  for (let i = 1; i < argc; i++) if (ctx.db.get(latin1(argv[i]), ctx.now) !== undefined) n++;
  ctx.w.integer(n);
}

/** TYPE key: the value's type name, "none" when absent. */
export function type(ctx: Ctx, argv: Uint8Array[]): void {
  const e = ctx.db.peek(latin1(argv[1]), ctx.now);
  ctx.w.simple(e === undefined ? "none" : TYPE_NAMES[e.type]);
}
