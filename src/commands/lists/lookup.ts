/**
 * How the list commands read and write their keys (typed wrappers over src/commands/lookup.ts)
 * and Redis's list replies shared by several of them.
 */
import type { Ctx } from "../context.ts";
import type { ConfigStore } from "../../config/mod.ts";
import { type ListValue, setQuicklistFill, storeNewList } from "../../store/list.ts";
import { type StringValue, TYPE_LIST } from "../../store/types.ts";
import { readObject, writeTyped } from "../lookup.ts";

/** The config (and its version) the store's quicklist fill was last set from. */
let fillFrom: ConfigStore | null = null;
let fillVersion = -1;

/**
 * Brings the store's quicklist fill (when a list needs a second node) up to date with
 * list-max-listpack-size: every path that writes a list calls it first. The value is re-read
 * only after a CONFIG SET (the fill is per-Worker state; reading the config costs a lookup).
 */
export function refreshListFill(ctx: Ctx): void {
  const c = ctx.shard.config;
  if (c === fillFrom && c.version === fillVersion) return;
  fillFrom = c;
  fillVersion = c.version;
  setQuicklistFill(Number(c.value("list-max-listpack-size") ?? -2));
}

/**
 * The list at key for a read (counted in keyspace hits/misses): undefined when absent, null
 * when the key holds another type (the error is written).
 */
export const readList = (ctx: Ctx, key: Uint8Array) => readObject<ListValue>(ctx, key, TYPE_LIST);

/** The record of the list at key for a write: 0 when absent, WRONG on WRONGTYPE (written). */
export function writeList(ctx: Ctx, key: Uint8Array): number {
  refreshListFill(ctx);
  return writeTyped(ctx, key, TYPE_LIST);
}

/** After a write: an emptied list leaves the keyspace, otherwise the key is touched. */
export function finishWrite(ctx: Ctx, ref: number, list: ListValue): void {
  if (list.size === 0) ctx.db.remove(ref);
  else ctx.db.touch(ref);
}

/**
 * A new list at key holding `values` pushed in order (each at the head when `front`): a blob
 * while they fit one quicklist node. Returns the record.
 */
export function createList(
  ctx: Ctx,
  key: Uint8Array,
  values: StringValue[],
  front: boolean,
): number {
  return storeNewList(ctx.db, key, values, front, ctx.now);
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
  list.writeRange(w, start, end);
}

/** Pops n elements from one end, writing them as an array in pop order. */
export function popRange(ctx: Ctx, list: ListValue, n: number, front: boolean): void {
  ctx.w.arrayHeader(n);
  list.popTo(ctx.w, n, front);
}
