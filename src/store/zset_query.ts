/**
 * Range lookups and range deletions on a sorted set, with the semantics of Redis's own
 * (zslFirstInRange, zslLastInLexRange, zslDeleteRangeByLex, their listpack twins ...).
 * Each lookup leaves a cursor on the element found and returns its rank (-1: none).
 */
import type { ZSetValue } from "./zset.ts";
import type { ZCursor } from "./zset_tree.ts";
import {
  lexGteMin,
  lexLteMax,
  type LexRange,
  lexRangeEmpty,
  scoreGteMin,
  scoreLteMax,
  type ScoreRange,
  scoreRangeEmpty,
} from "./zset_range.ts";

/** First element with a score in range (zslFirstInRange). */
export function firstInRange(z: ZSetValue, r: ScoreRange, c: ZCursor): number {
  if (z.size === 0 || scoreRangeEmpty(r)) return -1;
  const rank = z.seekScore(c, r.min, r.minex);
  return c.valid && scoreLteMax(c.score, r) ? rank : -1;
}

/** Last element with a score in range (zslLastInRange). */
export function lastInRange(z: ZSetValue, r: ScoreRange, c: ZCursor): number {
  if (z.size === 0 || scoreRangeEmpty(r)) return -1;
  const after = z.seekScore(c, r.max, !r.maxex);
  if (after === 0) return -1;
  if (c.valid) c.prev();
  else z.last(c);
  return scoreGteMin(c.score, r) ? after - 1 : -1;
}

/** Redis's zslIsInLexRange / zzlIsInLexRange: whether a lex range may hold anything. */
function lexPossible(z: ZSetValue, r: LexRange, c: ZCursor): boolean {
  if (z.size === 0 || lexRangeEmpty(r)) return false;
  z.last(c);
  if (!lexGteMin(c.member, r)) return false;
  z.first(c);
  return lexLteMax(c.member, r);
}

/**
 * First member >= min, if <= max. A listpack is scanned from the head, a skiplist searched by
 * descent: the same answer when all scores are equal (the only case Redis defines).
 */
export function firstInLex(z: ZSetValue, r: LexRange, c: ZCursor): number {
  if (!lexPossible(z, r, c)) return -1;
  let rank: number;
  if (z.listpack) {
    rank = 0;
    while (c.valid && !lexGteMin(c.member, r)) {
      c.next();
      rank++;
    }
  } else {
    rank = z.seekLex(c, r.min, r.minKind, r.minex);
  }
  return c.valid && lexLteMax(c.member, r) ? rank : -1;
}

/** Last member <= max, if >= min (scanned from the tail for a listpack). */
export function lastInLex(z: ZSetValue, r: LexRange, c: ZCursor): number {
  if (!lexPossible(z, r, c)) return -1;
  let rank: number;
  if (z.listpack) {
    rank = z.size - 1;
    z.last(c);
    while (c.valid && !lexLteMax(c.member, r)) {
      c.prev();
      rank--;
    }
  } else {
    rank = z.seekLex(c, r.max, r.maxKind, !r.maxex) - 1;
    if (c.valid) c.prev();
    else z.last(c);
  }
  return c.valid && lexGteMin(c.member, r) ? rank : -1;
}

/** ZREMRANGEBYSCORE: removes the elements in range; returns how many. */
export function deleteRangeByScore(z: ZSetValue, r: ScoreRange, c: ZCursor): number {
  const from = z.seekScore(c, r.min, r.minex);
  const to = z.seekScore(c, r.max, !r.maxex);
  return to > from ? z.removeRange(from, to - from) : 0;
}

/**
 * ZREMRANGEBYLEX: from the first member >= min (found as the encoding finds it), every
 * following member while <= max.
 */
export function deleteRangeByLex(z: ZSetValue, r: LexRange, c: ZCursor): number {
  let from: number;
  if (z.listpack) {
    from = firstInLex(z, r, c);
    if (from < 0) return 0;
  } else {
    from = z.seekLex(c, r.min, r.minKind, r.minex);
  }
  let n = 0;
  while (c.valid && lexLteMax(c.member, r)) {
    n++;
    c.next();
  }
  return n > 0 ? z.removeRange(from, n) : 0;
}
