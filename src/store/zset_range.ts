/**
 * Score and lex intervals of the sorted-set range commands, with Redis's comparison rules
 * (zslValueGteMin / zslValueLteMax / sdscmplex). Members are latin1 strings, so JS string
 * order is memcmp order.
 */

/** A score interval; `minex`/`maxex` make an end exclusive. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** Lex bound kinds: a member, or Redis's `-` / `+` (below / above every member). */
export const LEX_VALUE = 0;
export const LEX_MIN = -1;
export const LEX_MAX = 1;

export interface LexRange {
  min: string;
  max: string;
  minKind: number;
  maxKind: number;
  minex: boolean;
  maxex: boolean;
}

/** Redis's sdscmplex of a member against a bound: `-` is below and `+` above everything. */
export function cmpLex(v: string, bound: string, kind: number): number {
  if (kind !== LEX_VALUE) return -kind;
  return v < bound ? -1 : v > bound ? 1 : 0;
}

export function scoreGteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}

export function scoreLteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

export function lexGteMin(v: string, r: LexRange): boolean {
  const c = cmpLex(v, r.min, r.minKind);
  return r.minex ? c > 0 : c >= 0;
}

export function lexLteMax(v: string, r: LexRange): boolean {
  const c = cmpLex(v, r.max, r.maxKind);
  return r.maxex ? c < 0 : c <= 0;
}

/** A score range that can hold nothing (min above max, or equal with an exclusive end). */
export function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

/** The same for a lex range (Redis compares the bounds with sdscmplex first). */
export function lexRangeEmpty(r: LexRange): boolean {
  let c: number;
  if (r.minKind === r.maxKind && r.minKind !== LEX_VALUE) c = 0;
  else if (r.minKind === LEX_MIN || r.maxKind === LEX_MAX) c = -1;
  else if (r.minKind === LEX_MAX || r.maxKind === LEX_MIN) c = 1;
  else c = r.min < r.max ? -1 : r.min > r.max ? 1 : 0;
  return c > 0 || (c === 0 && (r.minex || r.maxex));
}
