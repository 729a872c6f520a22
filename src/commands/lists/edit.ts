/** Changing a list in place: LSET, LINSERT, LREM, LTRIM. */
import type { Ctx } from "../context.ts";
import { SYNTAX } from "../errors.ts";
import { intArg } from "../args.ts";
import { eqi } from "../../util/bytes.ts";
import type { ListValue } from "../../store/list.ts";
import { WRONG } from "../lookup.ts";
import { finishWrite, writeList } from "./lookup.ts";

const NO_SUCH_KEY = "ERR no such key";
const INDEX_OUT_OF_RANGE = "ERR index out of range";

export function lset(ctx: Ctx, argv: Uint8Array[]): void {
  const r = writeList(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.error(NO_SUCH_KEY);
  let i = intArg(ctx, argv[2]);
  if (i === null) return;
  const list = ctx.db.object<ListValue>(r);
  if (i < 0) i += list.size;
  if (i < 0 || i >= list.size) return ctx.w.error(INDEX_OUT_OF_RANGE);
  // the argument bytes as they arrived: the list keeps a copy in its listpack
  list.setAt(i, argv[3]);
  ctx.db.touch(r);
  ctx.w.ok();
}

export function linsert(ctx: Ctx, argv: Uint8Array[]): void {
  let after: boolean;
  if (eqi(argv[2], "after")) after = true;
  else if (eqi(argv[2], "before")) after = false;
  else return ctx.w.error(SYNTAX);
  const r = writeList(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.integer(0);
  const list = ctx.db.object<ListValue>(r);
  const at = list.indexOf(argv[3]);
  if (at < 0) return ctx.w.integer(-1);
  list.insert(after ? at + 1 : at, argv[4]);
  ctx.db.touch(r);
  ctx.w.integer(list.size);
}

export function lrem(ctx: Ctx, argv: Uint8Array[]): void {
  const n = intArg(ctx, argv[2]);
  if (n === null) return;
  const r = writeList(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.integer(0);
  const list = ctx.db.object<ListValue>(r);
  const removed = list.removeEqual(argv[3], Math.abs(n), n < 0);
  if (removed > 0) finishWrite(ctx, r, list);
  ctx.w.integer(removed);
}

export function ltrim(ctx: Ctx, argv: Uint8Array[]): void {
  let start = intArg(ctx, argv[2]);
  if (start === null) return;
  let end = intArg(ctx, argv[3]);
  if (end === null) return;
  const r = writeList(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.ok();
  const list = ctx.db.object<ListValue>(r);
  const len = list.size;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) list.clear();
  else {
    if (end >= len) end = len - 1;
    list.trim(start, end - start + 1);
  }
  // Redis signals the key as modified even when nothing was trimmed
  finishWrite(ctx, r, list);
  ctx.w.ok();
}
