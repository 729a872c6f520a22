/**
 * How the list commands read and write their keys (typed wrappers over src/commands/lookup.ts)
 * and Redis's list replies shared by several of them.
 */
import type { Ctx } from "../context.ts";
import type { ListValue } from "../../store/list.ts";
import { TYPE_LIST } from "../../store/types.ts";
import { readObject, writeTyped } from "../lookup.ts";

/**
 * The list at key for a read (counted in keyspace hits/misses): undefined when absent, null
 * when the key holds another type (the error is written).
 */
export const readList = (ctx: Ctx, key: Uint8Array) => readObject<ListValue>(ctx, key, TYPE_LIST);

/** The record of the list at key for a write: 0 when absent, WRONG on WRONGTYPE (written). */
export const writeList = (ctx: Ctx, key: Uint8Array) => writeTyped(ctx, key, TYPE_LIST);

/** After a write: an emptied list leaves the keyspace, otherwise the key is touched. */
export function finishWrite(ctx: Ctx, ref: number, list: ListValue): void {
  if (list.size === 0) ctx.db.remove(ref);
  else ctx.db.touch(ref);
}

/** A new list holding v, stored at key. */
export function createList(ctx: Ctx, key: Uint8Array, v: ListValue): void {
  ctx.db.setObject(key, TYPE_LIST, v, ctx.now);
}

/**
 * Redis's addListRangeReply: elements [start, end] after the usual index conversion
 * (negative from the end, clamped), as an array; reversed walks from end to start.
 */
export function writeRange(ctx: Ctx, list: ListValue, start: number, end: number): void {
  const len = list.size;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  const w = ctx.w;
  if (start > end || start >= len) return w.arrayHeader(0);
  if (end >= len) end = len - 1;
  w.arrayHeader(end - start + 1);
  for (let i = start; i <= end; i++) w.bulkValue(list.at(i));
}

/** Pops n elements from one end, writing them as an array in pop order. */
export function popRange(ctx: Ctx, list: ListValue, n: number, front: boolean): void {
  const w = ctx.w;
  w.arrayHeader(n);
  for (let i = 0; i < n; i++) w.bulkValue(front ? list.popFront() : list.popBack());
}
