/**
 * Reading scores, ranks and counts (Redis 7.0 t_zset.c): ZCARD, ZSCORE, ZMSCORE, ZRANK,
 * ZREVRANK, ZCOUNT, ZLEXCOUNT.
 */
import type { Ctx } from "../context.ts";
import { lexLteMax } from "../../store/zset_range.ts";
import { ZCursor } from "../../store/zset_tree.ts";
import { firstInLex, firstInRange, lastInLex, lastInRange } from "../../store/zset_query.ts";
import { latin1 } from "../../util/bytes.ts";
import { readZset } from "./keyspace.ts";
import {
  newLexRange,
  newScoreRange,
  NOT_FLOAT_RANGE,
  NOT_LEX_RANGE,
  parseLexRange,
  parseScoreRange,
} from "./ranges.ts";

/** ZCARD: the number of members, 0 for a missing key. */
export function zcard(ctx: Ctx, argv: Uint8Array[]): void {
  const z = readZset(ctx, argv[1]);
  if (z !== null) ctx.w.integer(z === undefined ? 0 : z.size);
}

/** ZSCORE: a member's score, or null. */
export function zscore(ctx: Ctx, argv: Uint8Array[]): void {
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  const s = z === undefined ? undefined : z.score(latin1(argv[2]));
  if (s === undefined) ctx.w.nullBulk();
  else ctx.w.double(s);
}

/** ZMSCORE: the scores of several members, null for each missing one. */
export function zmscore(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  const w = ctx.w;
  w.arrayHeader(argc - 2);
  for (let i = 2; i < argc; i++) {
    const s = z === undefined ? undefined : z.score(latin1(argv[i]));
    if (s === undefined) w.nullBulk();
    else w.double(s);
  }
}

/** ZRANK / ZREVRANK (`rev`): a member's rank, or null. */
export function zrankGeneric(ctx: Ctx, argv: Uint8Array[], rev: boolean): void {
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  const r = z === undefined ? -1 : z.rank(latin1(argv[2]), rev);
  if (r < 0) ctx.w.nullBulk();
  else ctx.w.integer(r);
}

// scratch ranges and cursor, reused by every call (a Worker runs one command at a time)
const sr = newScoreRange();
const lr = newLexRange();
const cur = new ZCursor();

/** ZCOUNT: the members within a score range. */
export function zcount(ctx: Ctx, argv: Uint8Array[]): void {
  if (!parseScoreRange(argv[2], argv[3], sr)) return ctx.w.error(NOT_FLOAT_RANGE);
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  if (z === undefined) return ctx.w.integer(0);
  let count = 0;
  const first = firstInRange(z, sr, cur);
  if (first >= 0) {
    count = z.size - first;
    const last = lastInRange(z, sr, cur);
    if (last >= 0) count -= z.size - 1 - last;
  }
  ctx.w.integer(count);
}

/** ZLEXCOUNT: the members within a lex range. */
export function zlexcount(ctx: Ctx, argv: Uint8Array[]): void {
  if (!parseLexRange(argv[2], argv[3], lr)) return ctx.w.error(NOT_LEX_RANGE);
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  if (z === undefined) return ctx.w.integer(0);
  let count = 0;
  const first = firstInLex(z, lr, cur);
  if (first >= 0) {
    if (z.listpack) {
      // the listpack walk: from the first member >= min while members are <= max
      for (; cur.valid && lexLteMax(cur.member, lr); cur.next()) count++;
    } else {
      count = z.size - first;
      const last = lastInLex(z, lr, cur);
      if (last >= 0) count -= z.size - 1 - last;
    }
  }
  ctx.w.integer(count);
}
