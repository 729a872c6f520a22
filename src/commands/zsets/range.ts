/**
 * Range reads and deletions (Redis 7.0 zrangeGenericCommand and zremrangeGenericCommand):
 * ZRANGE (BYSCORE / BYLEX / REV / LIMIT / WITHSCORES), ZRANGESTORE, ZREVRANGE,
 * Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX, ZREMRANGEBYRANK / BYSCORE / BYLEX.
 * Starting points and offsets are found by descent, so a range costs O(log n + m).
 */
import type { Ctx } from "../context.ts";
import { SYNTAX } from "../errors.ts";
import type { ZSetValue } from "../../store/zset.ts";
import { ZCursor } from "../../store/zset_tree.ts";
import {
  lexGteMin,
  lexLteMax,
  type LexRange,
  scoreGteMin,
  scoreLteMax,
  type ScoreRange,
} from "../../store/zset_range.ts";
import {
  deleteRangeByLex,
  deleteRangeByScore,
  firstInLex,
  firstInRange,
  lastInLex,
  lastInRange,
} from "../../store/zset_query.ts";
import { eqi } from "../../util/bytes.ts";
import { intArg } from "../args.ts";
import { WRONG } from "../lookup.ts";
import { readZset, storeZset, writeZset } from "./keyspace.ts";
import {
  newLexRange,
  newScoreRange,
  NOT_FLOAT_RANGE,
  NOT_LEX_RANGE,
  parseLexRange,
  parseScoreRange,
} from "./ranges.ts";
import { pairsHeader, writePair } from "./reply.ts";

/** How a range is given: not said yet (ZRANGE's default is by rank), by rank, score or lex. */
export const RANGE_AUTO = 0, BY_RANK = 1, BY_SCORE = 2, BY_LEX = 3;

// scratch ranges and cursor, reused by every call (a Worker runs one command at a time)
const sr = newScoreRange();
const lr = newLexRange();
const cur = new ZCursor();
/** the current range result */
const pickedM: string[] = [];
const pickedS: number[] = [];

function pick(c: ZCursor): void {
  pickedM.push(c.member);
  pickedS.push(c.score);
}

/** Elements at ranks [start, end] (Redis's index rules), picked. */
function byRank(z: ZSetValue, start: number, end: number, rev: boolean): void {
  const llen = z.size;
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return;
  if (end >= llen) end = llen - 1;
  let n = end - start + 1;
  z.seekRank(cur, rev ? llen - 1 - start : start);
  while (n-- > 0 && cur.valid) {
    pick(cur);
    if (rev) cur.prev();
    else cur.next();
  }
}

/** Moves the cursor, at rank r, `offset` places on (back when rev); false when past the end. */
function skip(z: ZSetValue, r: number, offset: number, rev: boolean): boolean {
  if (offset === 0) return true;
  z.seekRank(cur, rev ? r - offset : r + offset);
  return cur.valid;
}

function byScore(z: ZSetValue, r: ScoreRange, offset: number, limit: number, rev: boolean) {
  if (offset < 0 || (offset > 0 && offset >= z.size)) return;
  const at = rev ? lastInRange(z, r, cur) : firstInRange(z, r, cur);
  if (at < 0 || !skip(z, at, offset, rev)) return;
  while (cur.valid && limit-- !== 0) {
    if (rev ? !scoreGteMin(cur.score, r) : !scoreLteMax(cur.score, r)) break;
    pick(cur);
    if (rev) cur.prev();
    else cur.next();
  }
}

function byLex(z: ZSetValue, r: LexRange, offset: number, limit: number, rev: boolean) {
  if (offset < 0) return;
  const at = rev ? lastInLex(z, r, cur) : firstInLex(z, r, cur);
  if (at < 0 || !skip(z, at, offset, rev)) return;
  while (cur.valid && limit-- !== 0) {
    if (rev ? !lexGteMin(cur.member, r) : !lexLteMax(cur.member, r)) break;
    pick(cur);
    if (rev) cur.prev();
    else cur.next();
  }
}

/**
 * zrangeGenericCommand: `at` is the index of the source key; `dst` the destination of
 * ZRANGESTORE (else null); `type` / `rev` are preset by the legacy commands.
 */
export function zrange(
  ctx: Ctx,
  argv: Uint8Array[],
  argc: number,
  at: number,
  dst: Uint8Array | null,
  preType: number,
  preRev: boolean | null,
): void {
  const w = ctx.w;
  let type = preType;
  let rev = preRev;
  let withscores = false;
  let offset = 0, limit = -1;
  for (let j = at + 3; j < argc; j++) {
    const o = argv[j];
    const left = argc - j - 1;
    if (dst === null && eqi(o, "withscores")) withscores = true;
    else if (eqi(o, "limit") && left >= 2) {
      const a = intArg(ctx, argv[j + 1]);
      if (a === null) return;
      const b = intArg(ctx, argv[j + 2]);
      if (b === null) return;
      offset = a;
      limit = b;
      j += 2;
    } else if (preRev === null && rev === null && eqi(o, "rev")) rev = true;
    else if (type === RANGE_AUTO && eqi(o, "bylex")) type = BY_LEX;
    else if (type === RANGE_AUTO && eqi(o, "byscore")) type = BY_SCORE;
    else return w.error(SYNTAX);
  }
  const reverse = rev === true;
  if (type === RANGE_AUTO) type = BY_RANK;
  if (limit !== -1 && type === BY_RANK) {
    return w.error(
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    );
  }
  if (withscores && type === BY_LEX) {
    return w.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  let minAt = at + 1, maxAt = at + 2;
  if (reverse && type !== BY_RANK) {
    minAt = at + 2;
    maxAt = at + 1;
  }
  let start = 0, end = 0;
  if (type === BY_RANK) {
    const a = intArg(ctx, argv[minAt]);
    if (a === null) return;
    const b = intArg(ctx, argv[maxAt]);
    if (b === null) return;
    start = a;
    end = b;
  } else if (type === BY_SCORE) {
    if (!parseScoreRange(argv[minAt], argv[maxAt], sr)) return w.error(NOT_FLOAT_RANGE);
  } else if (!parseLexRange(argv[minAt], argv[maxAt], lr)) {
    return w.error(NOT_LEX_RANGE);
  }
  const z = readZset(ctx, argv[at]);
  if (z === null) return;
  pickedM.length = 0;
  pickedS.length = 0;
  if (z !== undefined) {
    if (type === BY_RANK) byRank(z, start, end, reverse);
    else if (type === BY_SCORE) byScore(z, sr, offset, limit, reverse);
    else byLex(z, lr, offset, limit, reverse);
  }
  if (dst !== null) storeZset(ctx, dst, pickedM, pickedS);
  else {
    const n = pickedM.length;
    pairsHeader(w, n, withscores);
    for (let i = 0; i < n; i++) writePair(w, pickedM[i], pickedS[i], withscores);
  }
  pickedM.length = 0;
  pickedS.length = 0;
}

/** ZREMRANGEBYRANK / BYSCORE / BYLEX (`type`): removes the range; the key goes when emptied. */
export function zremrange(ctx: Ctx, argv: Uint8Array[], type: number): void {
  const w = ctx.w;
  let start = 0, end = 0;
  if (type === BY_RANK) {
    const a = intArg(ctx, argv[2]);
    if (a === null) return;
    const b = intArg(ctx, argv[3]);
    if (b === null) return;
    start = a;
    end = b;
  } else if (type === BY_SCORE) {
    if (!parseScoreRange(argv[2], argv[3], sr)) return w.error(NOT_FLOAT_RANGE);
  } else if (!parseLexRange(argv[2], argv[3], lr)) {
    return w.error(NOT_LEX_RANGE);
  }
  const r = writeZset(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return w.integer(0);
  const z = ctx.db.object<ZSetValue>(r);
  let deleted: number;
  if (type === BY_RANK) {
    const llen = z.size;
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return w.integer(0);
    if (end >= llen) end = llen - 1;
    deleted = z.removeRange(start, end - start + 1);
  } else if (type === BY_SCORE) {
    deleted = deleteRangeByScore(z, sr, cur);
  } else {
    deleted = deleteRangeByLex(z, lr, cur);
  }
  if (deleted > 0) {
    if (z.size === 0) ctx.db.remove(r);
    else ctx.db.touch(r);
  }
  w.integer(deleted);
}
