/** Keys one at a time: DEL, UNLINK, EXISTS, TOUCH, TYPE. */
import type { Ctx } from "../context.ts";
import { TYPE_NAMES } from "../../store/types.ts";

/** DEL / UNLINK key...: the number of keys removed. */
export function del(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let n = 0;
  ctx.db.prefetch(argv, 1, argc, 1);
  for (let i = 1; i < argc; i++) if (ctx.db.delete(argv[i], ctx.now)) n++;
  ctx.w.integer(n);
}

/** EXISTS key...: how many of the keys exist (repeats counted). */
export function exists(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  // peek: like Redis, EXISTS does not count as an access (OBJECT IDLETIME)
  let n = 0;
  ctx.db.prefetch(argv, 1, argc, 1);
  for (let i = 1; i < argc; i++) if (ctx.db.peek(argv[i], ctx.now) !== 0) n++;
  ctx.w.integer(n);
}

/** TOUCH: EXISTS that counts as an access */
export function touch(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let n = 0;
  ctx.db.prefetch(argv, 1, argc, 1);
  for (let i = 1; i < argc; i++) if (ctx.db.lookup(argv[i], ctx.now) !== 0) n++;
  ctx.w.integer(n);
}

/** TYPE key: the value's type name, "none" when absent. */
export function type(ctx: Ctx, argv: Uint8Array[]): void {
  const r = ctx.db.peek(argv[1], ctx.now);
  ctx.w.simple(r === 0 ? "none" : TYPE_NAMES[ctx.db.typeOf(r)]);
}
