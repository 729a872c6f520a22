/**
 * The score and lex range arguments of the sorted-set commands, parsed as Redis's
 * zslParseRange / zslParseLexRange do (ZCOUNT, ZLEXCOUNT, ZRANGE BYSCORE / BYLEX, the legacy
 * range commands, ZREMRANGEBYSCORE / BYLEX).
 */
import {
  LEX_MAX,
  LEX_MIN,
  LEX_VALUE,
  type LexRange,
  type ScoreRange,
} from "../../store/zset_range.ts";
import { latin1 } from "../../util/bytes.ts";
import { BINARY64, binToDouble, parseBin } from "../../util/longdouble.ts";

export const NOT_FLOAT_RANGE = "ERR min or max is not a float";
export const NOT_LEX_RANGE = "ERR min or max not valid string range item";

// ---- score ranges: C strtod on the argument (after an optional '('), as Redis parses them

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);

function isWord(b: Uint8Array, i: number, end: number, w: string): boolean {
  if (end - i !== w.length) return false;
  for (let j = 0; j < w.length; j++) if ((b[i + j] | 0x20) !== w.charCodeAt(j)) return false;
  return true;
}

/** Reads "[eEpP][+-]digits" up to end exactly; returns the exponent or NaN. */
function exponent(b: Uint8Array, i: number, end: number): number {
  i++;
  let neg = false;
  if (i < end && (b[i] === 43 || b[i] === 45)) neg = b[i++] === 45;
  if (i === end) return NaN;
  let v = 0;
  for (; i < end; i++) {
    if (!isDigit(b[i])) return NaN;
    if (v < 1e9) v = v * 10 + b[i] - 48;
  }
  return neg ? -v : v;
}

/**
 * `strtod(s, &end)` where Redis then requires `*end == '\0'` and a non-NaN result: leading
 * whitespace is skipped, the empty string is 0, out-of-range values become inf or 0, and the
 * C string stops at a NUL byte. Returns null when Redis rejects the argument.
 */
export function strtodArg(b: Uint8Array, start: number): number | null {
  let end = b.indexOf(0, start);
  if (end < 0) end = b.length;
  if (start === end) return 0;
  let i = start;
  while (i < end && isSpace(b[i])) i++;
  const num = i;
  let neg = false;
  if (i < end && (b[i] === 43 || b[i] === 45)) neg = b[i++] === 45;
  if (i === end) return null;
  const c = b[i] | 0x20;
  if (c === 105) {
    return isWord(b, i, end, "inf") || isWord(b, i, end, "infinity")
      ? (neg ? -Infinity : Infinity)
      : null;
  }
  if (b[i] === 48 && i + 1 < end && (b[i + 1] | 0x20) === 120 && i + 2 < end) {
    // hex float: 0x h* [. h*] [p exp], at least one digit
    let j = i + 2, digits = 0, intDigits = 0, fracZeros = 0, dot = false, lead = true;
    for (; j < end; j++) {
      const d = b[j];
      if (isHex(d)) {
        digits++;
        if (!dot && (intDigits > 0 || d !== 48)) intDigits++;
        if (dot && lead && d === 48 && intDigits === 0) fracZeros++;
        else if (dot) lead = false;
      } else if (d === 46 && !dot) dot = true;
      else break;
    }
    if (digits > 0) {
      let e = 0;
      if (j < end) {
        if ((b[j] | 0x20) !== 112) return null;
        e = exponent(b, j, end);
        if (e !== e) return null;
      }
      const r = parseBin(b, num, end, BINARY64);
      if (r !== null) return binToDouble(r);
      // beyond the double range: strtod gives inf (overflow) or 0 (underflow)
      const big = e + 4 * intDigits - 4 * fracZeros > 0;
      return big ? (neg ? -Infinity : Infinity) : neg ? -0 : 0;
    }
    // "0x" without digits: strtod reads the "0" and stops at the "x"
    return null;
  }
  let j = i, digits = 0, dot = false;
  for (; j < end; j++) {
    const d = b[j];
    if (isDigit(d)) digits++;
    else if (d === 46 && !dot) dot = true;
    else break;
  }
  if (digits === 0) return null;
  if (j < end) {
    if ((b[j] | 0x20) !== 101) return null;
    if (exponent(b, j, end) !== exponent(b, j, end)) return null;
  }
  return Number(latin1(b.subarray(num, end)));
}

/** Parses one end of a score range into r (min or max); false when invalid. */
function scoreBound(b: Uint8Array, r: ScoreRange, isMin: boolean): boolean {
  const ex = b.length > 0 && b[0] === 40;
  const v = strtodArg(b, ex ? 1 : 0);
  if (v === null || v !== v) return false;
  if (isMin) {
    r.min = v;
    r.minex = ex;
  } else {
    r.max = v;
    r.maxex = ex;
  }
  return true;
}

/** zslParseRange into r; false when either end is invalid. */
export function parseScoreRange(min: Uint8Array, max: Uint8Array, r: ScoreRange): boolean {
  return scoreBound(min, r, true) && scoreBound(max, r, false);
}

/** zslParseLexRangeItem for one end; false when invalid. */
function lexBound(b: Uint8Array, r: LexRange, isMin: boolean): boolean {
  if (b.length === 0) return false;
  const c = b[0];
  let kind = LEX_VALUE, ex = true, v = "";
  if (c === 43 || c === 45) {
    // the C code checks c[1] == '\0': "+" and "-" followed by a NUL byte pass too
    if (b.length > 1 && b[1] !== 0) return false;
    kind = c === 43 ? LEX_MAX : LEX_MIN;
  } else if (c === 40 || c === 91) {
    ex = c === 40;
    v = latin1(b.subarray(1));
  } else {
    return false;
  }
  if (isMin) {
    r.min = v;
    r.minKind = kind;
    r.minex = ex;
  } else {
    r.max = v;
    r.maxKind = kind;
    r.maxex = ex;
  }
  return true;
}

/** zslParseLexRange into r; false when either end is invalid. */
export function parseLexRange(min: Uint8Array, max: Uint8Array, r: LexRange): boolean {
  return lexBound(min, r, true) && lexBound(max, r, false);
}

/** A blank score range, to be filled by parseScoreRange. */
export function newScoreRange(): ScoreRange {
  return { min: 0, max: 0, minex: false, maxex: false };
}

/** A blank lex range, to be filled by parseLexRange. */
export function newLexRange(): LexRange {
  return { min: "", max: "", minKind: LEX_VALUE, maxKind: LEX_VALUE, minex: false, maxex: false };
}
