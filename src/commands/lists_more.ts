/** List commands that search, trim or move: LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP. */
import type { Ctx } from "./table.ts";
import type { Shard } from "../shard/shard.ts";
import { SYNTAX } from "./errors.ts";
import { int64Arg, intArg } from "./args.ts";
import { eqi, latin1, toValue } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { keySlot } from "../util/crc16.ts";
import { ListValue, sameValue } from "../store/list.ts";
import {
  createList,
  finishWrite,
  longInRange,
  popRange,
  readList,
  whereArg,
  writeList,
} from "./lists_common.ts";

export function lrem(ctx: Ctx, argv: Uint8Array[]): void {
  const n = intArg(ctx, argv[2]);
  if (n === null) return;
  const e = writeList(ctx, latin1(argv[1]));
  if (e === null) return;
  if (e === undefined) return ctx.w.integer(0);
  const removed = e.value.removeEqual(toValue(argv[3]), Math.abs(n), n < 0);
  if (removed > 0) finishWrite(ctx, e);
  ctx.w.integer(removed);
}

export function ltrim(ctx: Ctx, argv: Uint8Array[]): void {
  let start = intArg(ctx, argv[2]);
  if (start === null) return;
  let end = intArg(ctx, argv[3]);
  if (end === null) return;
  const e = writeList(ctx, latin1(argv[1]));
  if (e === null) return;
  if (e === undefined) return ctx.w.ok();
  const list = e.value;
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
  finishWrite(ctx, e);
  ctx.w.ok();
}

const RANK_ZERO = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the " +
  "second ... or use negative to start from the end of the list";
const INT64_MIN = -9223372036854775808n;

export function lpos(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let rank = 1;
  // RANK -2^63 cannot be negated in C: every match qualifies and COUNT never stops the walk
  let rankMin = false;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argc; j++) {
    const more = argc - 1 - j;
    const o = argv[j];
    if (eqi(o, "rank") && more > 0) {
      const r = int64Arg(ctx, argv[++j]);
      if (r === null) return;
      if (r === 0) return ctx.w.error(RANK_ZERO);
      rankMin = r === INT64_MIN;
      rank = Number(r);
    } else if (eqi(o, "count") && more > 0) {
      count = longInRange(ctx, argv[++j], 0, "ERR COUNT can't be negative");
      if (Number.isNaN(count)) return;
    } else if (eqi(o, "maxlen") && more > 0) {
      maxlen = longInRange(ctx, argv[++j], 0, "ERR MAXLEN can't be negative");
      if (Number.isNaN(maxlen)) return;
    } else return ctx.w.error(SYNTAX);
  }
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  const w = ctx.w;
  if (list === undefined) return count !== -1 ? w.arrayHeader(0) : w.nullBulk();
  const v = toValue(argv[2]);
  const len = list.size;
  const limit = maxlen === 0 || maxlen > len ? len : maxlen;
  let matches = 0;
  if (count === -1) {
    for (let k = 0; k < limit; k++) {
      const i = fromTail ? len - 1 - k : k;
      if (sameValue(list.at(i), v) && (++matches >= rank || rankMin)) return w.integer(i);
    }
    return w.nullBulk();
  }
  const found: number[] = [];
  for (let k = 0; k < limit; k++) {
    const i = fromTail ? len - 1 - k : k;
    if (!sameValue(list.at(i), v)) continue;
    matches++;
    if (matches < rank && !rankMin) continue;
    found.push(i);
    if (count !== 0 && !rankMin && matches - rank + 1 >= count) break;
  }
  w.arrayHeader(found.length);
  for (const i of found) w.integer(i);
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
export function lmpopTarget(shard: Shard, argv: Uint8Array[], argc: number): number {
  return argc > 2 ? shard.slotOwner[keySlot(argv[2])] : shard.id;
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
      count = longInRange(ctx, argv[++j], 1, "ERR count should be greater than 0");
      if (Number.isNaN(count)) return;
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
