/** Moving elements between lists: LMOVE, RPOPLPUSH, and LMPOP's pop from the first non-empty. */
import type { Ctx } from "../context.ts";
import { SYNTAX } from "../errors.ts";
import { rangeArg } from "../args.ts";
import { eqi } from "../../util/bytes.ts";
import { WRONG } from "../lookup.ts";
import { parseInt64 } from "../../util/numbers.ts";
import type { ListValue } from "../../store/list.ts";
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
  const db = ctx.db;
  const sr = writeList(ctx, src);
  if (sr === WRONG) return;
  if (sr === 0) return ctx.w.nullBulk();
  const sl = db.object<ListValue>(sr);
  const dr = writeList(ctx, dst);
  if (dr === WRONG) return;
  const v = fromLeft ? sl.popFront() : sl.popBack();
  // sr stays valid while dst is found live (no write since); otherwise the lookup of dst may
  // have removed it as expired and creating it is a write, so the source is found again
  let sref = sr;
  if (dr === 0) {
    createList(ctx, dst, [v], false);
    sref = db.peek(src, ctx.now);
  } else {
    // the same key: one view of its blob (a second one would miss the first one's conversion)
    const dl = dr === sr ? sl : db.object<ListValue>(dr);
    if (toLeft) dl.pushFront(v);
    else dl.pushBack(v);
    db.touch(dr);
  }
  ctx.w.bulkValue(v);
  finishWrite(ctx, sref, sl);
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
    const r = writeList(ctx, argv[i]);
    if (r === WRONG) return;
    if (r === 0) continue;
    const list = ctx.db.object<ListValue>(r);
    w.arrayHeader(2);
    w.bulk(argv[i]);
    popRange(ctx, list, Math.min(count, list.size), where === 1);
    finishWrite(ctx, r, list);
    return;
  }
  w.nullArray();
}
