/**
 * Sorted-set pops and random members: ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER (Redis 7.0
 * genericZpopCommand, zrandmemberWithCountCommand).
 */
import type { Ctx } from "../context.ts";
import { MUST_BE_POSITIVE, SYNTAX } from "../errors.ts";
import type { ZSetValue } from "../../store/zset.ts";
import { ZCursor } from "../../store/zset_tree.ts";
import { eqi } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { MAX_RANDOM_REPLY, randomCountArg, rangeArg } from "../args.ts";
import { WRONG } from "../lookup.ts";
import { readZset, writeZset } from "./keyspace.ts";
import { pairsHeader, writePair } from "./reply.ts";

/** LONG_MAX / 2, the bound of ZRANDMEMBER's count with WITHSCORES */
const HALF_LONG = 4611686018427387903n;

/** scratch cursor, reused by every call (a Worker runs one command at a time) */
const cur = new ZCursor();

/**
 * Pops up to `count` members (count -1: one, flat) from the first existing key of
 * argv[from, to). `nested`: pairs as arrays; `emitKey`: ZMPOP's [key, [...]] shape, with a
 * null reply when every key is missing.
 */
function zpop(
  ctx: Ctx,
  argv: Uint8Array[],
  from: number,
  to: number,
  max: boolean,
  count: number,
  nested: boolean,
  emitKey: boolean,
): void {
  const w = ctx.w;
  let r = 0, k = from;
  for (; k < to; k++) {
    r = writeZset(ctx, argv[k]);
    if (r === WRONG) return;
    if (r !== 0) break;
  }
  if (r === 0) return emitKey ? w.nullArray() : w.arrayHeader(0);
  if (count === 0) return w.arrayHeader(0);
  if (count === -1) count = 1;
  const z = ctx.db.object<ZSetValue>(r);
  const n = Math.min(count, z.size);
  if (emitKey) {
    w.arrayHeader(2);
    w.bulk(argv[k]);
    w.arrayHeader(n);
  } else {
    w.arrayHeader(nested ? n : n * 2);
  }
  const c = cur;
  if (max) z.last(c);
  else z.first(c);
  for (let i = 0; i < n; i++) {
    if (nested) w.arrayHeader(2);
    w.bulkStr(c.member);
    w.double(c.score);
    if (max) c.prev();
    else c.next();
  }
  z.removeRange(max ? z.size - n : 0, n);
  if (z.size === 0) ctx.db.remove(r);
  else ctx.db.touch(r);
}

/** ZPOPMIN / ZPOPMAX (`max`): one member flat, or up to COUNT. */
export function zpopMinMax(ctx: Ctx, argv: Uint8Array[], argc: number, max: boolean): void {
  if (argc > 3) return ctx.w.error(SYNTAX);
  let count = -1;
  if (argc === 3) {
    const c = rangeArg(ctx, argv[2], 0, Infinity, MUST_BE_POSITIVE);
    if (c === null) return;
    count = c;
  }
  zpop(ctx, argv, 1, 2, max, count, ctx.w.proto === 3 && count !== -1, false);
}

/** ZMPOP numkeys key... MIN|MAX [COUNT n]: pops from the first non-empty key. */
export function zmpop(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  const nk = rangeArg(ctx, argv[1], 1, Infinity, "ERR numkeys should be greater than 0");
  if (nk === null) return;
  const whereAt = 2 + nk;
  if (whereAt >= argc) return w.error(SYNTAX);
  let max: boolean;
  if (eqi(argv[whereAt], "min")) max = false;
  else if (eqi(argv[whereAt], "max")) max = true;
  else return w.error(SYNTAX);
  let count = -1;
  for (let j = whereAt + 1; j < argc; j++) {
    if (count === -1 && eqi(argv[j], "count") && j < argc - 1) {
      const c = rangeArg(ctx, argv[++j], 1, Infinity, "ERR count should be greater than 0");
      if (c === null) return;
      count = c;
    } else {
      return w.error(SYNTAX);
    }
  }
  if (count === -1) count = 1;
  zpop(ctx, argv, 2, whereAt, max, count, true, true);
}

/** ZRANDMEMBER key [count [WITHSCORES]]. */
export function zrandmember(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  if (argc === 2) {
    const z = readZset(ctx, argv[1]);
    if (z === null) return;
    if (z === undefined) return w.nullBulk();
    if (z.blob !== null) {
      z.seekRank(cur, (Math.random() * z.size) | 0);
      return w.bulkStr(cur.member);
    }
    return w.bulkStr(z.members[z.randomSlot()]);
  }
  const l = randomCountArg(ctx, argv[2]);
  if (l === null) return;
  let withscores = false;
  if (argc > 4 || (argc === 4 && !eqi(argv[3], "withscores"))) return w.error(SYNTAX);
  if (argc === 4) {
    withscores = true;
    // within LONG_MAX / 2 either way, compared exactly
    const v = parseInt64(argv[2]);
    if (typeof v === "bigint" && (v < -HALF_LONG || v > HALF_LONG)) {
      return w.error("ERR value is out of range");
    }
  }
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  if (z === undefined || l === 0) return w.arrayHeader(0);
  randomWithCount(ctx, z, l, withscores);
}

/** the member entries of a listpack's pairs (scratch for random picks) */
const offsets: number[] = [];

/**
 * ZRANDMEMBER with a count on a listpack (Redis's lpRandomPairs / lpRandomPairsUnique):
 * repeated picks in random order, distinct picks in listpack order.
 */
function randomFromListpack(ctx: Ctx, z: ZSetValue, l: number, withscores: boolean): void {
  const w = ctx.w;
  const size = z.size;
  if (l < 0 || l === 1) {
    const n = l < 0 ? -l : 1;
    if (n > MAX_RANDOM_REPLY) return w.error("ERR value is out of range");
    offsets.length = 0;
    z.pairOffsets(offsets);
    pairsHeader(w, n, withscores);
    for (let i = 0; i < n; i++) {
      z.seekPair(cur, offsets[(Math.random() * size) | 0]);
      writePair(w, cur.member, cur.score, withscores);
    }
    offsets.length = 0;
    return;
  }
  if (l >= size) {
    // the whole set, walked from the highest score down as Redis's set-op iterator does
    pairsHeader(w, size, withscores);
    for (z.last(cur); cur.valid; cur.prev()) writePair(w, cur.member, cur.score, withscores);
    return;
  }
  // selection sampling: each pair is taken with probability (still wanted) / (still left)
  pairsHeader(w, l, withscores);
  let want = l, left = size;
  for (z.first(cur); cur.valid && want > 0; cur.next(), left--) {
    if (Math.random() * left < want) {
      writePair(w, cur.member, cur.score, withscores);
      want--;
    }
  }
}

function randomWithCount(ctx: Ctx, z: ZSetValue, l: number, withscores: boolean): void {
  if (z.blob !== null) return randomFromListpack(ctx, z, l, withscores);
  const w = ctx.w;
  const size = z.size;
  const members = z.members, scores = z.scores;
  if (l < 0 || l === 1) {
    const n = l < 0 ? -l : 1;
    if (n > MAX_RANDOM_REPLY) return w.error("ERR value is out of range");
    pairsHeader(w, n, withscores);
    for (let i = 0; i < n; i++) {
      const j = z.randomSlot();
      writePair(w, members[j], scores[j], withscores);
    }
    return;
  }
  if (l >= size) {
    // the whole set, walked from the highest score down as Redis's set-op iterator does
    pairsHeader(w, size, withscores);
    for (z.last(cur); cur.valid; cur.prev()) writePair(w, cur.member, cur.score, withscores);
    return;
  }
  pairsHeader(w, l, withscores);
  if (l * 3 > size) {
    // a partial Fisher-Yates shuffle of the slots
    const slots: number[] = [];
    for (let i = 0; i < size; i++) slots.push(i);
    for (let i = 0; i < l; i++) {
      const j = i + ((Math.random() * (size - i)) | 0);
      const t = slots[j];
      slots[j] = slots[i];
      writePair(w, members[t], scores[t], withscores);
    }
    return;
  }
  const picked = new Set<number>();
  while (picked.size < l) {
    const j = z.randomSlot();
    if (picked.has(j)) continue;
    picked.add(j);
    writePair(w, members[j], scores[j], withscores);
  }
}
