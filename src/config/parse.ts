/**
 * Redis's number parsers, reproduced with their exact quirks so CONFIG SET accepts and rejects
 * the same strings as Redis 7.0 and reports the same normalized values. 64-bit C arithmetic is
 * done with BigInt and `BigInt.asIntN/asUintN` wherever Redis relies on casts or wrap-around.
 * string2ll and string2d themselves are util/numbers.ts's, shared with the RESP parser and the
 * commands.
 */
import { parseDoubleStr, parseInt64Str } from "../util/numbers.ts";

export const LLONG_MIN = -(1n << 63n);
export const LLONG_MAX = (1n << 63n) - 1n;
export const ULLONG_MAX = (1n << 64n) - 1n;
export const INT_MIN = -(1n << 31n);
export const INT_MAX = (1n << 31n) - 1n;
export const UINT_MAX = (1n << 32n) - 1n;

/** `string2ll` for a config value: strict decimal, no '+', no leading zeros or spaces. */
export function string2ll(s: string): bigint | null {
  const v = parseInt64Str(s);
  return v === null ? null : BigInt(v);
}

/** C `isspace` in the "C" locale. */
function isSpace(c: string): boolean {
  return c === " " || (c >= "\t" && c <= "\r");
}

/**
 * C `strtoll`: leading white space, optional sign, digits in `base` (8 or 10), saturating at
 * the long long limits (`overflow` is then set, as errno would be). `end` is the index after
 * the digits, or 0 when none were found (C sets endptr back to the start then).
 */
export function strtoll(
  s: string,
  base: 8 | 10 = 10,
): { value: bigint; end: number; overflow: boolean } {
  let i = 0;
  while (i < s.length && isSpace(s[i])) i++;
  let neg = false;
  if (s[i] === "+" || s[i] === "-") {
    neg = s[i] === "-";
    i++;
  }
  const start = i;
  const maxDigit = base === 8 ? "7" : "9";
  while (i < s.length && s[i] >= "0" && s[i] <= maxDigit) i++;
  if (i === start) return { value: 0n, end: 0, overflow: false };
  const text = s.slice(start, i);
  let v = base === 8 ? BigInt("0o" + text) : BigInt(text);
  if (neg) v = -v;
  const overflow = v > LLONG_MAX || v < LLONG_MIN;
  if (v > LLONG_MAX) v = LLONG_MAX;
  if (v < LLONG_MIN) v = LLONG_MIN;
  return { value: v, end: i, overflow };
}

/** `strtoll` that must consume the whole string (Redis's `*eptr == '\0'` checks). */
export function strtollFull(s: string, base: 8 | 10 = 10): bigint | null {
  // An empty string converts to 0 with endptr at its (empty) end, which C accepts.
  const { value, end } = strtoll(s, base);
  return end === s.length ? value : null;
}

const UNITS: Record<string, bigint> = {
  "": 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000n * 1000n,
  mb: 1024n * 1024n,
  g: 1000n * 1000n * 1000n,
  gb: 1024n * 1024n * 1024n,
};

/**
 * `memtoull` of Redis 7.0: digits then an optional unit (b k kb m mb g gb, any case). A leading
 * '-' or an unknown unit is an error; an empty digit run is 0; more than 127 digits is an error;
 * the number saturates at 2^64-1 and the multiplication wraps modulo 2^64, as in C.
 */
export function memtoull(s: string): bigint | null {
  if (s.startsWith("-")) return null;
  let i = 0;
  while (i < s.length && s[i] >= "0" && s[i] <= "9") i++;
  const mul = UNITS[asciiLower(s.slice(i))];
  if (mul === undefined || i >= 128) return null;
  const digits = s.slice(0, i);
  let v = digits.length === 0 ? 0n : BigInt(digits);
  if (v > ULLONG_MAX) v = ULLONG_MAX;
  return BigInt.asUintN(64, v * mul);
}

/** Lower-cases ASCII letters only, like C `tolower` in the "C" locale. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * `string2d`: `strtod` over the whole string, no leading space, no NaN, and no overflow or
 * underflow to zero (ERANGE). Hex floats and "inf"/"infinity" are accepted as strtod does.
 */
export function string2d(s: string): number | null {
  return parseDoubleStr(s);
}

/** printf("%f") followed by Redis's `trimDoubleString` (drop trailing zeros and the dot). */
export function formatTrimmedDouble(v: number): string {
  let s = Object.is(v, -0) ? "-0.000000" : v.toFixed(6);
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
}

/** Splits like `sdssplitlen(value, len, " ", 1)`: "" gives no parts, every space separates. */
export function splitArgs(value: string): string[] {
  return value.length === 0 ? [] : value.split(" ");
}
