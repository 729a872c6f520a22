/**
 * How the list commands read and write their keys (typed wrappers over src/commands/lookup.ts)
 * and Redis's list replies shared by several of them.
 */
import type { Ctx } from "../context.ts";
import type { Entry } from "../../store/keyspace.ts";
import type { ListValue } from "../../store/list.ts";
import { TYPE_LIST } from "../../store/types.ts";
import { readValue, writeEntry } from "../lookup.ts";

/** A keyspace entry holding a list. */
export type ListEntry = Entry & { value: ListValue };

/**
 * The list at key for a read (counted in keyspace hits/misses): undefined when absent, null
 * when the key holds another type (the error is written).
 */
export const readList = (ctx: Ctx, key: Uint8Array) =>
  readValue(ctx, key, TYPE_LIST) as ListValue | undefined | null;

/** The list entry at key for a write: undefined when absent, null on WRONGTYPE (written). */
export const writeList = (ctx: Ctx, key: string) =>
  writeEntry(ctx, key, TYPE_LIST) as ListEntry | undefined | null;

/** After a write: an emptied list leaves the keyspace, otherwise the key is touched. */
export function finishWrite(ctx: Ctx, e: ListEntry): void {
  if (e.value.size === 0) ctx.db.remove(e);
  else ctx.db.touch(e.key);
}

/** A new list holding v, stored at key. */
export function createList(ctx: Ctx, key: string, v: ListValue): void {
  ctx.db.set(key, v, TYPE_LIST);
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
