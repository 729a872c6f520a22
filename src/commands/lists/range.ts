/** Reading a list without changing it: LLEN, LRANGE, LINDEX. */
import type { Ctx } from "../context.ts";
import { intArg } from "../args.ts";
import { readList, writeRange } from "./lookup.ts";

export function llen(ctx: Ctx, argv: Uint8Array[]): void {
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  ctx.w.integer(list === undefined ? 0 : list.size);
}

export function lrange(ctx: Ctx, argv: Uint8Array[]): void {
  const start = intArg(ctx, argv[2]);
  if (start === null) return;
  const end = intArg(ctx, argv[3]);
  if (end === null) return;
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  if (list === undefined) return ctx.w.arrayHeader(0);
  writeRange(ctx, list, start, end);
}

export function lindex(ctx: Ctx, argv: Uint8Array[]): void {
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  if (list === undefined) return ctx.w.nullBulk();
  let i = intArg(ctx, argv[2]);
  if (i === null) return;
  if (i < 0) i += list.size;
  if (i < 0 || i >= list.size) return ctx.w.nullBulk();
  list.writeAt(ctx.w, i);
}
