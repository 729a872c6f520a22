/** Helpers shared by the list commands: typed lookups, Redis's range replies, argument parsing. */
import { readTyped } from "./args.ts";
import type { Ctx } from "./table.ts";
import type { Entry } from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { TYPE_LIST } from "../store/types.ts";
import { SYNTAX, WRONGTYPE } from "./errors.ts";
import { eqi } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

export type ListEntry = Entry & { value: ListValue };

export const NO_SUCH_KEY = "ERR no such key";
export const INDEX_OUT_OF_RANGE = "ERR index out of range";
export const MUST_BE_POSITIVE = "ERR value is out of range, must be positive";
export const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";

/**
 * The list at key for a read (counted in keyspace hits/misses): undefined when absent, null
 * when the key holds another type (the error is written).
 */
export function readList(ctx: Ctx, key: Uint8Array): ListValue | undefined | null {
  return readTyped(ctx, key, TYPE_LIST) as ListValue | undefined | null;
}

/** The list entry at key for a write: undefined when absent, null on WRONGTYPE (written). */
export function writeList(ctx: Ctx, key: string): ListEntry | undefined | null {
  const e = ctx.db.get(key, ctx.now);
  if (e === undefined) return undefined;
  if (e.type !== TYPE_LIST) {
    ctx.w.error(WRONGTYPE);
    return null;
  }
  return e as ListEntry;
}

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

/** LEFT / RIGHT (any case): 1 for left, 0 for right, -1 after a syntax error reply. */
export function whereArg(ctx: Ctx, b: Uint8Array): number {
  if (eqi(b, "left")) return 1;
  if (eqi(b, "right")) return 0;
  ctx.w.error(SYNTAX);
  return -1;
}

/**
 * Redis's getRangeLongFromObjectOrReply with a custom message (used for both a bad number
 * and one out of [min, max]); NaN after the error reply. Values beyond 2^53 come back as
 * approximate numbers, which is exact enough for counts compared with list lengths.
 */
export function longInRange(ctx: Ctx, b: Uint8Array, min: number, msg: string): number {
  const v = parseInt64(b);
  if (v === null || v < min) {
    ctx.w.error(msg);
    return NaN;
  }
  return Number(v);
}
