/**
 * Exact emulation of the C library float conversions Redis relies on, for the binary formats
 * of x86-64: glibc strtold/strtod (correctly rounded, round-half-even), 80-bit x87 `long
 * double` addition, and printf("%.17Lf"). INCRBYFLOAT and HINCRBYFLOAT compute in long double
 * and print 17 fractional digits, which shows long double rounding artifacts ("3001.1" becomes
 * "3001.10000000000000009") that IEEE doubles cannot reproduce, so this works on exact
 * BigInt significands instead. Not a hot path: numbers.ts has the fast paths.
 */

/** A binary floating-point value: (-1)^neg * mant * 2^exp, or (-1)^neg * infinity. */
export interface BinFloat {
  neg: boolean;
  inf: boolean;
  mant: bigint;
  exp: number;
}

/** A binary format: significand bits, exponent of the lowest subnormal bit, max leading exponent. */
export interface FloatFormat {
  prec: number;
  emin: number;
  emax: number;
}

/** x87 80-bit extended precision (x86-64 `long double`). */
export const EXT80: FloatFormat = { prec: 64, emin: -16445, emax: 16383 };
/** IEEE 754 binary64 (`double`). */
export const BINARY64: FloatFormat = { prec: 53, emin: -1074, emax: 1023 };

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds (-1)^neg * (n + (sticky ? a positive amount below 1 : 0)) * 2^e to the format,
 * round-half-even, with gradual underflow; overflow gives infinity. A caller passing `sticky`
 * must pass an `n` of at least prec + 2 bits so the rounding point lies inside `n`.
 */
export function roundBin(
  neg: boolean,
  n: bigint,
  e: number,
  sticky: boolean,
  f: FloatFormat,
): BinFloat {
  const bits = bitLength(n);
  if (bits === 0) return { neg, inf: false, mant: 0n, exp: 0 };
  if (e + bits - 1 > f.emax) return { neg, inf: true, mant: 0n, exp: 0 };
  const s = Math.max(bits - f.prec, f.emin - e);
  if (s <= 0) return normalize(neg, n, e, f);
  if (s > bits) return { neg, inf: false, mant: 0n, exp: 0 }; // below half the lowest bit
  const bs = BigInt(s);
  let q = n >> bs;
  const rem = n - (q << bs);
  const half = 1n << (bs - 1n);
  if (rem > half || (rem === half && (sticky || (q & 1n) === 1n))) q += 1n;
  return normalize(neg, q, e + s, f);
}

function normalize(neg: boolean, mant: bigint, exp: number, f: FloatFormat): BinFloat {
  if (mant === 0n) return { neg, inf: false, mant, exp: 0 };
  const bits = bitLength(mant);
  if (exp + bits - 1 > f.emax) return { neg, inf: true, mant: 0n, exp: 0 };
  return { neg, inf: false, mant, exp };
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const hexVal = (c: number) =>
  c >= 0x30 && c <= 0x39
    ? c - 0x30
    : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66
    ? (c | 0x20) - 87
    : -1;

function matchWord(b: Uint8Array, i: number, end: number, word: string): boolean {
  if (end - i !== word.length) return false;
  for (let j = 0; j < word.length; j++) if ((b[i + j] | 0x20) !== word.charCodeAt(j)) return false;
  return true;
}

/** Reads an optional exponent "[eEpP][+-]digits" spanning exactly to `end`; NaN if malformed. */
function readExponent(b: Uint8Array, i: number, end: number): number {
  if (i === end) return 0;
  i++;
  let neg = false;
  if (b[i] === 0x2b || b[i] === 0x2d) neg = b[i++] === 0x2d;
  if (i === end) return NaN;
  let v = 0;
  for (; i < end; i++) {
    if (!isDigit(b[i])) return NaN;
    if (v < 1e9) v = v * 10 + b[i] - 0x30; // saturates far beyond any format's range
  }
  return neg ? -v : v;
}

/**
 * Parses b[start, end) as C strtod/strtold would when the whole input must be consumed:
 * [+-] then "inf" / "infinity" / decimal / 0x hex float, case-insensitive, no whitespace.
 * Returns null for anything else, for NaN, and where glibc reports ERANGE with an overflow
 * or a result of zero (what Redis rejects); subnormal results are accepted.
 */
export function parseBin(
  b: Uint8Array,
  start: number,
  end: number,
  f: FloatFormat,
): BinFloat | null {
  let i = start;
  let neg = false;
  if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) neg = b[i++] === 0x2d;
  if (i === end) return null;
  const c = b[i] | 0x20;
  if (c === 0x69) {
    return matchWord(b, i, end, "inf") || matchWord(b, i, end, "infinity")
      ? { neg, inf: true, mant: 0n, exp: 0 }
      : null;
  }
  if (b[i] === 0x30 && i + 1 < end && (b[i + 1] | 0x20) === 0x78) {
    return parseHex(b, i + 2, end, neg, f);
  }
  return parseDec(b, i, end, neg, f);
}

function parseDec(b: Uint8Array, i: number, end: number, neg: boolean, f: FloatFormat) {
  let digits = "";
  let nd = 0;
  let dot = -1;
  let fracLen = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (isDigit(c)) {
      nd++;
      if (dot >= 0) fracLen++;
      // Leading zeros add nothing to the digit string's value (fracLen still counts them).
      if (digits.length > 0 || c !== 0x30) digits += String.fromCharCode(c);
    } else if (c === 0x2e && dot < 0) {
      dot = i;
    } else break;
  }
  if (nd === 0) return null;
  if (i < end && (b[i] | 0x20) !== 0x65) return null;
  const e10 = readExponent(b, i, end);
  if (Number.isNaN(e10)) return null;
  if (digits.length === 0) return { neg, inf: false, mant: 0n, exp: 0 };
  // Trailing zeros of the digit string only scale too.
  let z = digits.length;
  while (digits.charCodeAt(z - 1) === 0x30) z--;
  const exp10 = e10 - fracLen + (digits.length - z);
  return decimalToBin(neg, digits.slice(0, z), exp10, f);
}

/** Rounds digits * 10^exp10 (digits without leading/trailing zeros) to the format. */
export function decimalToBin(
  neg: boolean,
  digits: string,
  exp10: number,
  f: FloatFormat,
): BinFloat | null {
  // Decimal exponent of the leading digit; bounds taken from the format with margin.
  const lead = digits.length - 1 + exp10;
  const maxDec = Math.ceil((f.emax + 1) * Math.LOG10E * Math.LN2) + 1;
  const minDec = Math.floor(f.emin * Math.LOG10E * Math.LN2) - 2;
  if (lead > maxDec) return null; // overflow: ERANGE
  if (lead < minDec) return null; // rounds to zero: ERANGE
  const d = BigInt(digits);
  let r: BinFloat;
  if (exp10 >= 0) {
    r = roundBin(neg, d * 10n ** BigInt(exp10), 0, false, f);
  } else {
    const den = 10n ** BigInt(-exp10);
    const k = Math.max(0, f.prec + 2 + bitLength(den) - bitLength(d));
    const num = d << BigInt(k);
    const q = num / den;
    r = roundBin(neg, q, -k, q * den !== num, f);
  }
  return r.inf || r.mant === 0n ? null : r;
}

function parseHex(b: Uint8Array, i: number, end: number, neg: boolean, f: FloatFormat) {
  let mant = 0n;
  let nd = 0;
  let dot = false;
  let scale = 0;
  let chunk = 0;
  let chunkLen = 0;
  for (; i < end; i++) {
    const v = hexVal(b[i]);
    if (v >= 0) {
      nd++;
      chunk = chunk * 16 + v;
      if (++chunkLen === 6) {
        mant = (mant << 24n) | BigInt(chunk);
        chunk = chunkLen = 0;
      }
      if (dot) scale -= 4;
    } else if (b[i] === 0x2e && !dot) {
      dot = true;
    } else break;
  }
  mant = (mant << BigInt(4 * chunkLen)) | BigInt(chunk);
  if (nd === 0) return null;
  if (i < end && (b[i] | 0x20) !== 0x70) return null;
  const e2 = readExponent(b, i, end);
  if (Number.isNaN(e2)) return null;
  if (mant === 0n) return { neg, inf: false, mant: 0n, exp: 0 };
  const e = e2 + scale;
  const bits = bitLength(mant);
  if (e + bits - 1 > f.emax + 1) return null;
  if (e + bits < f.emin - 1) return null;
  const r = roundBin(neg, mant, e, false, f);
  return r.inf || r.mant === 0n ? null : r;
}

/** a + b rounded to the format; null when the sum is NaN (inf + -inf). */
export function addBin(a: BinFloat, b: BinFloat, f: FloatFormat): BinFloat | null {
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return null;
    return a.inf ? a : b;
  }
  if (a.mant === 0n && b.mant === 0n) {
    return { neg: a.neg && b.neg, inf: false, mant: 0n, exp: 0 };
  }
  if (a.mant === 0n) return b;
  if (b.mant === 0n) return a;
  const e = Math.min(a.exp, b.exp);
  const na = a.mant << BigInt(a.exp - e);
  const nb = b.mant << BigInt(b.exp - e);
  const sum = (a.neg ? -na : na) + (b.neg ? -nb : nb);
  if (sum === 0n) return { neg: false, inf: false, mant: 0n, exp: 0 };
  return roundBin(sum < 0n, sum < 0n ? -sum : sum, e, false, f);
}

/** The exact BinFloat of a double (every double is exact in EXT80 too). */
export function binFromDouble(x: number): BinFloat {
  const neg = x < 0 || Object.is(x, -0);
  if (!Number.isFinite(x)) return { neg, inf: true, mant: 0n, exp: 0 };
  let a = Math.abs(x);
  if (a === 0) return { neg, inf: false, mant: 0n, exp: 0 };
  let exp = 0;
  // Scale to an integer: every finite double is an integer times 2^-1074.
  while (!Number.isInteger(a)) {
    a *= 1024;
    exp -= 10;
  }
  return { neg, inf: false, mant: BigInt(a), exp };
}

/** The double nearest to a BinFloat (round-half-even, like a C long double to double cast). */
export function binToDouble(v: BinFloat): number {
  if (v.inf) return v.neg ? -Infinity : Infinity;
  const r = roundBin(v.neg, v.mant, v.exp, false, BINARY64);
  if (r.inf) return v.neg ? -Infinity : Infinity;
  let x = Number(r.mant);
  // Two steps so neither factor overflows nor underflows before the product does.
  const h = Math.trunc(r.exp / 2);
  x = x * 2 ** h * 2 ** (r.exp - h);
  return v.neg ? -x : x;
}

const POW10_17 = 10n ** 17n;

/**
 * printf("%.17Lf") of the value, then Redis's ld2string(LD_STR_HUMAN) clean-up: trailing
 * zeros and a trailing '.' removed, "-0" printed as "0". Infinities print as "inf"/"-inf".
 */
export function formatHuman17(v: BinFloat): string {
  if (v.inf) return v.neg ? "-inf" : "inf";
  let q: bigint;
  if (v.exp >= 0) {
    q = (v.mant << BigInt(v.exp)) * POW10_17;
  } else {
    const k = BigInt(-v.exp);
    const scaled = v.mant * POW10_17;
    q = scaled >> k;
    const rem = scaled - (q << k);
    const half = 1n << (k - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  if (q === 0n) return "0";
  let s = q.toString();
  if (s.length < 18) s = "0".repeat(18 - s.length) + s;
  let end = s.length;
  while (end > s.length - 17 && s.charCodeAt(end - 1) === 0x30) end--;
  const intPart = s.slice(0, s.length - 17);
  const out = end === s.length - 17 ? intPart : `${intPart}.${s.slice(s.length - 17, end)}`;
  return v.neg ? `-${out}` : out;
}
