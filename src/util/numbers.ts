/**
 * Redis 7.0's number parsing and formatting, byte-exact: string2ll, string2d (strtod),
 * string2ld (strtold), the INCRBYFLOAT / HINCRBYFLOAT long double arithmetic and its
 * "%.17Lf" output, and the "%.17g" double replies. Fast paths avoid allocation; the rare
 * inputs that need exact big arithmetic go to longdouble.ts.
 */
import {
  addBin,
  BINARY64,
  binFromDouble,
  binToDouble,
  EXT80,
  formatHuman17,
  parseBin,
} from "./longdouble.ts";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Redis's LONG_STR_SIZE: string2ll rejects inputs of this length or more. */
const LONG_STR_SIZE = 21;
/** Redis's MAX_LONG_DOUBLE_CHARS: string2ld rejects inputs of this length or more. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

let scratch = new Uint8Array(64);

/** Copies a latin1 string into a shared scratch buffer (valid until the next call). */
function toScratch(s: string): Uint8Array {
  if (s.length > scratch.length) scratch = new Uint8Array(Math.max(s.length, scratch.length * 2));
  for (let i = 0; i < s.length; i++) scratch[i] = s.charCodeAt(i);
  return scratch.subarray(0, s.length);
}

// ---------------------------------------------------------------------------------------------
// Integers

/**
 * Redis string2ll: strict base-10 signed 64-bit parse (no spaces, no '+', no leading zeros
 * except "0" itself, "-0" invalid). A safe integer comes back as a number, a value in int64
 * range beyond 2^53 as a bigint; invalid or out of range gives null.
 */
export function parseInt64(b: Uint8Array): number | bigint | null {
  const len = b.length;
  if (len === 0 || len >= LONG_STR_SIZE) return null;
  const v = parseSafeInt(b);
  if (v === v) return v; // not NaN
  const neg = b[0] === 0x2d;
  let i = neg ? 1 : 0;
  if (i === len || b[i] < 0x31 || b[i] > 0x39) return null;
  let big = 0n;
  for (; i < len; i++) {
    const c = b[i];
    if (c < 0x30 || c > 0x39) return null;
    big = big * 10n + BigInt(c - 0x30);
  }
  if (neg) big = -big;
  if (big > INT64_MAX || big < INT64_MIN) return null;
  if (big <= BigInt(MAX_SAFE) && big >= -BigInt(MAX_SAFE)) return Number(big);
  return big;
}

/** parseInt64 for a latin1 string. */
export function parseInt64Str(s: string): number | bigint | null {
  if (s.length === 0 || s.length >= LONG_STR_SIZE) return null;
  return parseInt64(toScratch(s));
}

/**
 * string2ll restricted to safe integers, without allocating: NaN when the input is not a
 * valid string2ll integer or is beyond +-(2^53 - 1) (then parseInt64 decides).
 */
export function parseSafeInt(b: Uint8Array): number {
  const len = b.length;
  if (len === 0 || len > 17) return NaN;
  let i = 0;
  let neg = false;
  if (b[0] === 0x2d) {
    neg = true;
    i = 1;
    if (len === 1) return NaN;
  }
  let c = b[i];
  if (c === 0x30) return len === 1 ? 0 : NaN;
  if (c < 0x31 || c > 0x39) return NaN;
  let v = c - 0x30;
  for (i++; i < len; i++) {
    c = b[i];
    if (c < 0x30 || c > 0x39) return NaN;
    v = v * 10 + (c - 0x30);
  }
  if (v > MAX_SAFE) return NaN;
  return neg ? -v : v;
}

const INT64_MAX_DIGITS = "9223372036854775807";
const INT64_MIN_DIGITS = "9223372036854775808";

/**
 * Redis's string2ll over d[s, e) without allocating (the RESP parser's counts and lengths): the
 * value, or NaN if the text is not a valid signed 64-bit decimal. Magnitudes above 2^53 come
 * back rounded, which is enough to compare with limits.
 */
export function string2llRange(d: Uint8Array, s: number, e: number): number {
  const slen = e - s;
  if (slen <= 0 || slen >= 21) return NaN;
  if (slen === 1 && d[s] === 48) return 0;
  let p = s;
  const negative = d[p] === 45;
  if (negative) {
    p++;
    if (p === e) return NaN;
  }
  if (d[p] < 49 || d[p] > 57) return NaN;
  const first = p;
  let v = 0;
  for (; p < e; p++) {
    const c = d[p];
    if (c < 48 || c > 57) return NaN;
    v = v * 10 + c - 48;
  }
  const digits = e - first;
  if (digits > 19) return NaN;
  if (digits === 19) {
    const limit = negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS;
    for (let i = 0; i < 19; i++) {
      const c = d[first + i];
      const l = limit.charCodeAt(i);
      if (c !== l) {
        if (c > l) return NaN;
        break;
      }
    }
  }
  return negative ? -v : v;
}

const SMALL_INTS = 10000;
const smallIntBytes: Uint8Array[] = [];
for (let i = 0; i < SMALL_INTS; i++) {
  smallIntBytes.push(Uint8Array.from(String(i), (c) => c.charCodeAt(0)));
}

/**
 * The ASCII bytes of a safe integer. 0..9999 come from a shared cache: callers must not
 * modify the returned array.
 */
export function intBytes(n: number): Uint8Array {
  if (n >= 0 && n < SMALL_INTS && Number.isInteger(n)) return smallIntBytes[n];
  return Uint8Array.from(String(n), (c) => c.charCodeAt(0));
}

/** Writes the decimal digits of a safe integer into buf at pos; returns the end position. */
export function writeInt(buf: Uint8Array, pos: number, n: number): number {
  if (n < 0) {
    buf[pos++] = 0x2d;
    n = -n;
  }
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  const end = pos + digits;
  for (let i = end - 1; i >= pos; i--) {
    buf[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

// ---------------------------------------------------------------------------------------------
// Floats: a scanner for the strtod grammar with Clinger's exact fast path

const SCAN_BAD = 0; // not a number for strtod
const SCAN_FAST = 1; // scanValue holds the correctly rounded double
const SCAN_DEC = 2; // a valid decimal that needs a full conversion
const SCAN_OTHER = 3; // inf / nan / hex float / garbage: the exact parser decides

let scanValue = 0;
/** for the INCRBYFLOAT fast path: the input is scanInt / 10^scanFrac exactly */
let scanInt = 0;
let scanFrac = 0;
let scanExact = false;

const POW10: number[] = [];
for (let i = 0, p = 1; i <= 22; i++, p *= 10) POW10.push(p);

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

function scanFloat(b: Uint8Array, end: number): number {
  let i = 0;
  let neg = false;
  let c = b[0];
  if (c === 0x2d || c === 0x2b) {
    neg = c === 0x2d;
    if (++i === end) return SCAN_BAD;
    c = b[i];
  }
  if (!isDigit(c) && c !== 0x2e) return SCAN_OTHER;
  if (c === 0x30 && i + 1 < end && (b[i + 1] | 0x20) === 0x78) return SCAN_OTHER;
  let d = 0; // significant digits, at most 15 of them (exact in a double)
  let nd = 0;
  let digits = 0;
  let scale = 0;
  let dot = false;
  for (; i < end; i++) {
    c = b[i];
    if (isDigit(c)) {
      digits++;
      if (nd === 0 && c === 0x30) {
        if (dot) scale--;
      } else if (nd < 15) {
        d = d * 10 + (c - 0x30);
        nd++;
        if (dot) scale--;
      } else {
        nd++;
      }
    } else if (c === 0x2e && !dot) {
      dot = true;
    } else break;
  }
  if (digits === 0) return SCAN_BAD;
  let e = 0;
  if (i < end) {
    if ((b[i] | 0x20) !== 0x65) return SCAN_BAD;
    let eneg = false;
    if (++i < end && (b[i] === 0x2b || b[i] === 0x2d)) eneg = b[i++] === 0x2d;
    if (i === end) return SCAN_BAD;
    for (; i < end; i++) {
      if (!isDigit(b[i])) return SCAN_BAD;
      if (e < 1e6) e = e * 10 + (b[i] - 0x30);
    }
    if (eneg) e = -e;
  }
  if (nd > 15) return SCAN_DEC;
  const total = scale + e;
  scanExact = false;
  if (d === 0) {
    scanValue = neg ? -0 : 0;
    scanInt = 0;
    scanFrac = 0;
    scanExact = true;
    return SCAN_FAST;
  }
  if (total < -22 || total > 22) return SCAN_DEC;
  const v = total < 0 ? d / POW10[-total] : d * POW10[total];
  scanValue = neg ? -v : v;
  if (total <= 0) {
    scanInt = neg ? -d : d;
    scanFrac = -total;
    scanExact = true;
  } else if (v <= MAX_SAFE) {
    scanInt = neg ? -v : v;
    scanFrac = 0;
    scanExact = true;
  }
  return SCAN_FAST;
}

function latin1(b: Uint8Array, end: number): string {
  // one call for the usual short numbers (17 significant digits need the slow path)
  if (end <= 64) return String.fromCharCode.apply(null, b.subarray(0, end) as unknown as number[]);
  let s = "";
  for (let i = 0; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

/**
 * Redis string2d / getDoubleFromObject (ZADD scores, ZINCRBY, ...): the whole input must be
 * a strtod number ("inf", "-infinity", "1e5", "0x1p-3", ".5", "1." included) with no
 * whitespace; NaN, overflow and underflow to zero give null (`ERR value is not a valid
 * float`), subnormals are accepted.
 */
export function parseDouble(b: Uint8Array): number | null {
  const len = b.length;
  return len === 0 ? null : scanned(scanFloat(b, len), b, len, null);
}

/** parseDouble for a latin1 string (its text, when long, goes to V8 without a copy). */
export function parseDoubleStr(s: string): number | null {
  if (s.length === 0) return null;
  const b = toScratch(s);
  return scanned(scanFloat(b, s.length), b, s.length, s);
}

/** parseDouble's result once the scanner classified the input (b's text is str, if given). */
function scanned(kind: number, b: Uint8Array, len: number, str: string | null): number | null {
  switch (kind) {
    case SCAN_FAST:
      return scanValue;
    case SCAN_DEC: {
      // V8's string-to-number is correctly rounded and accepts this validated grammar.
      const v = Number(str ?? latin1(b, len));
      if (!Number.isFinite(v)) return null; // overflow: ERANGE
      return v === 0 ? null : v; // zero here means a nonzero input underflowed
    }
    case SCAN_OTHER: {
      const r = parseBin(b, 0, len, BINARY64);
      return r === null ? null : binToDouble(r);
    }
  }
  return null;
}

/**
 * Redis string2ld (INCRBYFLOAT / HINCRBYFLOAT operands): like parseDouble but in long double
 * range and precision, and inputs of 5120 bytes or more are rejected. The long double is
 * returned rounded to a double, so "1e400" (valid) comes back as Infinity: for the
 * arithmetic itself use incrByFloat, which is exact.
 */
export function parseLongDouble(b: Uint8Array): number | null {
  const len = b.length;
  if (len === 0 || len >= MAX_LONG_DOUBLE_CHARS) return null;
  const r = parseBin(b, 0, len, EXT80);
  return r === null ? null : binToDouble(r);
}

// ---------------------------------------------------------------------------------------------
// INCRBYFLOAT / HINCRBYFLOAT

/** incrByFloat outcome: the current value is not a valid float */
export const INCRFLOAT_BAD_CURRENT = 1;
/** incrByFloat outcome: the increment is not a valid float */
export const INCRFLOAT_BAD_INCR = 2;
/** incrByFloat outcome: the increment itself is infinite (HINCRBYFLOAT: "value is NaN or Infinity") */
export const INCRFLOAT_INCR_INF = 3;
/** incrByFloat outcome: "increment would produce NaN or Infinity" */
export const INCRFLOAT_NAN_INF = 4;

/**
 * How string2ld sees an increment, for the checks HINCRBYFLOAT makes before it looks the key
 * up: 0 for a finite long double (including "1e400"), INCRFLOAT_BAD_INCR, or INCRFLOAT_INCR_INF.
 */
export function classifyLongDouble(b: Uint8Array): number {
  if (scanExactDecimal(b)) return 0;
  const len = b.length;
  const r = len === 0 || len >= MAX_LONG_DOUBLE_CHARS ? null : parseBin(b, 0, len, EXT80);
  return r === null ? INCRFLOAT_BAD_INCR : r.inf ? INCRFLOAT_INCR_INF : 0;
}

// |a| + |b| + |sum| below this keeps the long double error under half of 10^-17 (see below).
const FAST_MAGNITUDE = 90;

function scanExactDecimal(b: Uint8Array): boolean {
  const len = b.length;
  return len > 0 && len < MAX_LONG_DOUBLE_CHARS && scanFloat(b, len) === SCAN_FAST && scanExact;
}

/**
 * Exactly what Redis 7.0 on x86-64 replies for INCRBYFLOAT (current may be null: a missing
 * key counts as 0) and stores, or an INCRFLOAT_* code. For HINCRBYFLOAT pass
 * `rejectInfIncr` (it checks the increment before the hash value: `value is NaN or
 * Infinity`); its "hash value is not a float" is INCRFLOAT_BAD_CURRENT.
 *
 * Strategy: Redis parses both with strtold (80-bit long double, 64-bit significand), adds in
 * long double and prints "%.17Lf" with zeros trimmed. Fast path: when both operands are
 * decimals of at most 15 significant digits whose scaled integers and sum stay below 2^53 and
 * at most 17 fractional digits, the exact decimal sum S is known; the long double result
 * differs from S by at most (|a| + |b| + |S|) * 2^-64, so when that is below 0.5e-17 (or
 * everything is an integer, which long doubles hold exactly) "%.17Lf" prints S itself. All
 * other inputs (larger magnitudes, where long double artifacts become visible, exponents
 * beyond double range, hex floats) run the exact emulation in longdouble.ts: correctly
 * rounded strtold, exact addition rounded half-even to 64 bits, exact "%.17Lf".
 */
export function incrByFloat(
  current: Uint8Array | string | null,
  incr: Uint8Array | string,
  rejectInfIncr = false,
): string | number {
  const ib = typeof incr === "string" ? toScratch(incr) : incr;
  let ia = 0, fa = 0, ib0 = 0, fb = 0;
  let fast = scanExactDecimal(ib);
  if (fast) {
    ib0 = scanInt;
    fb = scanFrac;
  }
  if (fast && current !== null) {
    const cb = typeof current === "string" ? toScratch(current) : current;
    fast = scanExactDecimal(cb);
    ia = scanInt;
    fa = scanFrac;
  }
  if (fast) {
    const r = fastSum(ia, fa, ib0, fb);
    if (r !== null) return r;
  }
  return slowIncr(current, incr, rejectInfIncr);
}

function fastSum(a: number, fa: number, b: number, fb: number): string | null {
  const f = fa > fb ? fa : fb;
  if (f > 17) return null;
  const sa = a * POW10[f - fa];
  const sb = b * POW10[f - fb];
  if (Math.abs(sa) > MAX_SAFE || Math.abs(sb) > MAX_SAFE) return null;
  const s = sa + sb;
  if (Math.abs(s) > MAX_SAFE) return null;
  if (f > 0) {
    const p = POW10[f];
    if (Math.abs(sa) / p + Math.abs(sb) / p + Math.abs(s) / p >= FAST_MAGNITUDE) return null;
  }
  if (s === 0) return "0";
  let digits = String(s < 0 ? -s : s);
  if (f > 0) {
    if (digits.length <= f) digits = "0".repeat(f + 1 - digits.length) + digits;
    let end = digits.length;
    while (end > digits.length - f && digits.charCodeAt(end - 1) === 0x30) end--;
    const point = digits.length - f;
    digits = end === point
      ? digits.slice(0, point)
      : `${digits.slice(0, point)}.${digits.slice(point, end)}`;
  }
  return s < 0 ? `-${digits}` : digits;
}

function slowIncr(
  current: Uint8Array | string | null,
  incr: Uint8Array | string,
  rejectInfIncr: boolean,
): string | number {
  const ib = typeof incr === "string" ? toScratch(incr) : incr;
  const len = ib.length;
  const inc = len === 0 || len >= MAX_LONG_DOUBLE_CHARS ? null : parseBin(ib, 0, len, EXT80);
  if (inc === null) return INCRFLOAT_BAD_INCR;
  if (rejectInfIncr && inc.inf) return INCRFLOAT_INCR_INF;
  let cur = binFromDouble(0);
  if (current !== null) {
    const cb = typeof current === "string" ? toScratch(current) : current;
    if (cb.length === 0 || cb.length >= MAX_LONG_DOUBLE_CHARS) return INCRFLOAT_BAD_CURRENT;
    const c = parseBin(cb, 0, cb.length, EXT80);
    if (c === null) return INCRFLOAT_BAD_CURRENT;
    cur = c;
  }
  const sum = addBin(cur, inc, EXT80);
  if (sum === null || sum.inf) return INCRFLOAT_NAN_INF;
  return formatHuman17(sum);
}

/**
 * Redis's ld2string(LD_STR_HUMAN) of the long double holding exactly the double x: "%.17Lf"
 * with trailing zeros and '.' removed, "-0" as "0", infinities as "inf"/"-inf". A double sum
 * carries binary artifacts that Redis's long double sum does not (0.1 + 0.2), so INCRBYFLOAT
 * must use incrByFloat on the operand strings; this is for values that are doubles in Redis
 * too.
 */
export function formatIncrFloat(x: number): string {
  if (x !== x) return "nan";
  if (Number.isInteger(x) && Math.abs(x) <= MAX_SAFE) return x === 0 ? "0" : String(x);
  return formatHuman17(binFromDouble(x));
}

// ---------------------------------------------------------------------------------------------
// "%.17g" double replies

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: [low word, high word]

const ctz32 = (v: number) => 31 - Math.clz32(v & -v);

/** For a finite non-integer x = odd * 2^-k, returns k (its count of fractional bits). */
function fractionBits(x: number): number {
  f64[0] = x;
  const lo = u32[0];
  const hi = u32[1];
  const bexp = (hi >>> 20) & 0x7ff;
  const mhi = (hi & 0xfffff) | (bexp === 0 ? 0 : 0x100000);
  const tz = lo !== 0 ? ctz32(lo) : 32 + ctz32(mhi);
  return 1075 - (bexp === 0 ? 1 : bexp) - tz;
}

/**
 * Redis 7.0 addReplyDouble text (ZSCORE, ZINCRBY, WITHSCORES, RESP3 doubles): printf "%.17g"
 * (glibc: exact, round-half-even), "inf" / "-inf" for infinities, "-0" for negative zero.
 */
export function formatDouble(x: number): string {
  if (x !== x) return "nan";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Number.isInteger(x) && x <= MAX_SAFE && x >= -MAX_SAFE) return String(x);
  const a = x < 0 ? -x : x;
  // V8's toExponential is exact but rounds ties up; glibc rounds them to even.
  const s = a.toExponential(16);
  const ePos = s.indexOf("e");
  const exp = Number(s.slice(ePos + 1));
  let digits = s[0] + s.slice(2, ePos);
  // A tie needs an exact value of exactly 18 significant digits (the last one a 5): that is
  // a non-integer with 17 - exp fractional bits.
  if (!Number.isInteger(a) && fractionBits(a) === 17 - exp) {
    const last = digits.charCodeAt(16);
    if (last & 1) digits = digits.slice(0, 16) + String.fromCharCode(last - 1);
  }
  let end = 17;
  while (end > 1 && digits.charCodeAt(end - 1) === 0x30) end--;
  let out: string;
  if (exp < -4 || exp >= 17) {
    const m = end > 1 ? `${digits[0]}.${digits.slice(1, end)}` : digits[0];
    const ae = exp < 0 ? -exp : exp;
    out = `${m}e${exp < 0 ? "-" : "+"}${ae < 10 ? "0" : ""}${ae}`;
  } else if (exp >= 0) {
    const point = exp + 1;
    out = end > point
      ? `${digits.slice(0, point)}.${digits.slice(point, end)}`
      : digits.slice(0, point);
  } else {
    out = `0.${"0".repeat(-exp - 1)}${digits.slice(0, end)}`;
  }
  return x < 0 ? `-${out}` : out;
}
