/** Moving elements between lists: LMOVE, RPOPLPUSH, and LMPOP's pop from the first non-empty. */
import type { Ctx } from "../context.ts";
import { SYNTAX } from "../errors.ts";
import { rangeArg } from "../args.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { ListValue } from "../../store/list.ts";
import { createList, finishWrite, popRange, writeList } from "./lookup.ts";

/** LEFT / RIGHT (any case): 1 for left, 0 for right, -1 after a syntax error reply. */
function whereArg(ctx: Ctx, b: Uint8Array): number {
  if (eqi(b, "left")) return 1;
  if (eqi(b, "right")) return 0;
  ctx.w.error(SYNTAX);
  return -1;
}

/** LMOVE / RPOPLPUSH: pop from src, push to dst (which may be the same list). */
function move(ctx: Ctx, src: Uint8Array, dst: Uint8Array, fromLeft: boolean, toLeft: boolean) {
  const se = writeList(ctx, latin1(src));
  if (se === null) return;
  if (se === undefined) return ctx.w.nullBulk();
  const dkey = latin1(dst);
  const de = writeList(ctx, dkey);
  if (de === null) return;
  const v = fromLeft ? se.value.popFront() : se.value.popBack();
  if (de === undefined) {
    const list = new ListValue();
    list.pushBack(v);
    createList(ctx, dkey, list);
  } else {
    if (toLeft) de.value.pushFront(v);
    else de.value.pushBack(v);
    ctx.db.touch(dkey);
  }
  ctx.w.bulkValue(v);
  finishWrite(ctx, se);
}

export function lmove(ctx: Ctx, argv: Uint8Array[]): void {
  const from = whereArg(ctx, argv[3]);
  if (from < 0) return;
  const to = whereArg(ctx, argv[4]);
  if (to < 0) return;
  move(ctx, argv[1], argv[2], from === 1, to === 1);
}

export function rpoplpush(ctx: Ctx, argv: Uint8Array[]): void {
  move(ctx, argv[1], argv[2], false, true);
}

/** LMPOP runs on the shard of its first key (argv[2]); the handler checks the others. */
export function lmpopTarget(
  argv: Uint8Array[],
  argc: number,
  _shards: number,
  ownerOf: (key: Uint8Array) => number,
): number {
  return argc > 2 ? ownerOf(argv[2]) : -1;
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
export function lmpop(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  const nk = parseInt64(argv[1]);
  if (nk === null || nk < 1) return w.error("ERR numkeys should be greater than 0");
  const whereIdx = Number(nk) + 2;
  if (whereIdx >= argc) return w.error(SYNTAX);
  const where = whereArg(ctx, argv[whereIdx]);
  if (where < 0) return;
  let count = -1;
  for (let j = whereIdx + 1; j < argc; j++) {
    if (count === -1 && eqi(argv[j], "count") && j < argc - 1) {
      const c = rangeArg(ctx, argv[++j], 1, Infinity, "ERR count should be greater than 0");
      if (c === null) return;
      count = c;
    } else return w.error(SYNTAX);
  }
  if (count === -1) count = 1;
  for (let i = 2; i < whereIdx; i++) {
    const e = writeList(ctx, latin1(argv[i]));
    if (e === null) return;
    if (e === undefined) continue;
    w.arrayHeader(2);
    w.bulk(argv[i]);
    popRange(ctx, e.value, Math.min(count, e.value.size), where === 1);
    finishWrite(ctx, e);
    return;
  }
  w.nullArray();
}
