/**
 * Reply writer: encodes RESP2/RESP3 replies into one growable byte buffer per connection.
 * Strings are latin1 (one char per byte) and are written char by char, without TextEncoder.
 */

const CR = 13;
const LF = 10;

function latin1(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

const OK = latin1("+OK\r\n");
const NULL_BULK = latin1("$-1\r\n");
const NULL_ARRAY = latin1("*-1\r\n");
const NULL3 = latin1("_\r\n");
const ZERO = latin1(":0\r\n");
const ONE = latin1(":1\r\n");
const TRUE3 = latin1("#t\r\n");
const FALSE3 = latin1("#f\r\n");
const INF3 = latin1(",inf\r\n");
const NEG_INF3 = latin1(",-inf\r\n");
const CRLF = latin1("\r\n");

/** "00" "01" ... "99": two digits per lookup when printing integers. */
const DIGITS2 = latin1(
  Array.from({ length: 100 }, (_, i) => (i < 10 ? "0" : "") + i).join(""),
);

/** Pre-encoded `*n\r\n` / `$n\r\n` / `:n\r\n` style lines for small n, indexed [type][n]. */
const SMALL = 32;
const smallCache = new Map<number, Uint8Array[]>();
for (const t of [42, 36, 58, 37, 126, 62]) {
  smallCache.set(
    t,
    Array.from({ length: SMALL }, (_, n) => latin1(`${String.fromCharCode(t)}${n}\r\n`)),
  );
}
const SMALL_ARRAY = smallCache.get(42)!;
const SMALL_BULK = smallCache.get(36)!;
const SMALL_INT = smallCache.get(58)!;
const SMALL_MAP = smallCache.get(37)!;
const SMALL_SET = smallCache.get(126)!;
const SMALL_PUSH = smallCache.get(62)!;

export class ReplyWriter {
  /** RESP version of the connection; set by HELLO. */
  proto: 2 | 3 = 2;
  /** Bytes [0, len) are pending output. */
  buf: Uint8Array;
  len = 0;

  private readonly minCapacity: number;

  /**
   * `headroom`: bytes a grown buffer keeps in front of the output, for a header its owner may
   * write there to send the output on in place (a shard's replies to its peers).
   */
  constructor(initialCapacity = 16 * 1024, private readonly headroom = 0) {
    this.minCapacity = Math.max(64, initialCapacity);
    this.buf = new Uint8Array(this.minCapacity);
  }

  /** The pending output is given away (the caller keeps the buffer): start over, small. */
  giveAway(): void {
    this.buf = new Uint8Array(this.minCapacity);
    this.len = 0;
  }

  /**
   * Give back a buffer that grew for a burst, once it is empty: when it is over 64 KiB, or
   * whatever its size when `all`. Returns the bytes released.
   */
  shrink(all: boolean): number {
    const n = this.buf.length;
    if (this.len !== 0 || n <= this.minCapacity || (!all && n <= 64 * 1024)) return 0;
    this.buf = new Uint8Array(this.minCapacity);
    return n - this.minCapacity;
  }

  reset(): void {
    this.len = 0;
  }

  /**
   * An empty writer takes `bytes` (whole replies the caller gives away) as its pending output
   * instead of copying them: the next write goes to a grown copy, never into `bytes`' buffer
   * past them.
   */
  adopt(bytes: Uint8Array): void {
    if (this.len !== 0) throw new Error("adopt: the writer holds output");
    this.buf = bytes;
    this.len = bytes.length;
  }

  /** A copy of the pending bytes; the writer is then empty. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }

  /** The pending bytes without copying (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  ok(): void {
    this.small(OK);
  }

  /** `+s` — CR and LF in s become spaces so the reply stays one line. */
  simple(s: string): void {
    this.line(43, s);
  }

  /** `-msg` — msg carries the code ("ERR ...", "WRONGTYPE ..."). */
  error(msg: string): void {
    this.line(45, msg);
  }

  integer(n: number): void {
    if (n >= 0 && n < SMALL && (n | 0) === n) this.small(SMALL_INT[n]);
    else this.header(58, n);
  }

  bigint(n: bigint): void {
    this.rawStr(`:${n}\r\n`);
  }

  /** An int64 held as a number, or as a bigint where it is beyond 2^53. */
  int64(n: number | bigint): void {
    if (typeof n === "number") this.integer(n);
    else this.bigint(n);
  }

  bulk(b: Uint8Array): void {
    const n = b.length;
    if (n < SMALL) this.small(SMALL_BULK[n]);
    else this.header(36, n);
    this.ensure(n + 2);
    const buf = this.buf;
    let i = this.len;
    if (n < 16) {
      for (let j = 0; j < n; j++) buf[i + j] = b[j];
    } else {
      buf.set(b, i);
    }
    i += n;
    buf[i++] = CR;
    buf[i++] = LF;
    this.len = i;
  }

  /** A bulk string of src[off, off + n) (a value where it lies in the store's arena). */
  bulkRange(src: Uint8Array, off: number, n: number): void {
    if (n < SMALL) this.small(SMALL_BULK[n]);
    else this.header(36, n);
    this.ensure(n + 2);
    const buf = this.buf;
    let i = this.len;
    if (n < 128) {
      for (let j = 0; j < n; j++) buf[i + j] = src[off + j];
    } else {
      buf.set(src.subarray(off, off + n), i);
    }
    i += n;
    buf[i++] = CR;
    buf[i++] = LF;
    this.len = i;
  }

  /** A bulk string from a latin1 string (one char per byte). */
  bulkStr(s: string): void {
    const n = s.length;
    if (n < SMALL) this.small(SMALL_BULK[n]);
    else this.header(36, n);
    this.ensure(n + 2);
    const buf = this.buf;
    let i = this.len;
    for (let j = 0; j < n; j++) buf[i++] = s.charCodeAt(j);
    buf[i++] = CR;
    buf[i++] = LF;
    this.len = i;
  }

  /** A bulk string from a stored value (a latin1 string, or bytes for huge values). */
  bulkValue(v: string | Uint8Array): void {
    if (typeof v === "string") this.bulkStr(v);
    else this.bulk(v);
  }

  nullBulk(): void {
    this.small(this.proto === 3 ? NULL3 : NULL_BULK);
  }

  nullArray(): void {
    this.small(this.proto === 3 ? NULL3 : NULL_ARRAY);
  }

  arrayHeader(n: number): void {
    if (n >= 0 && n < SMALL) this.small(SMALL_ARRAY[n]);
    else this.header(42, n);
  }

  /** RESP3 `%n`; RESP2 a flat array of 2n elements. */
  mapHeader(n: number): void {
    if (this.proto === 3) {
      if (n >= 0 && n < SMALL) this.small(SMALL_MAP[n]);
      else this.header(37, n);
    } else {
      this.arrayHeader(n * 2);
    }
  }

  setHeader(n: number): void {
    if (this.proto !== 3) this.arrayHeader(n);
    else if (n >= 0 && n < SMALL) this.small(SMALL_SET[n]);
    else this.header(126, n);
  }

  pushHeader(n: number): void {
    if (this.proto !== 3) this.arrayHeader(n);
    else if (n >= 0 && n < SMALL) this.small(SMALL_PUSH[n]);
    else this.header(62, n);
  }

  /** RESP3 `,<repr>`; RESP2 a bulk string. The repr is Redis 7.0's (`%.17g`, inf, -inf, nan). */
  double(d: number): void {
    if (this.proto === 3) {
      if (d === Infinity) this.small(INF3);
      else if (d === -Infinity) this.small(NEG_INF3);
      else this.rawStr(`,${formatDouble(d)}\r\n`);
    } else {
      this.bulkStr(formatDouble(d));
    }
  }

  /** RESP3 `#t`/`#f`; RESP2 `:1`/`:0`. */
  bool(b: boolean): void {
    if (this.proto === 3) this.small(b ? TRUE3 : FALSE3);
    else this.small(b ? ONE : ZERO);
  }

  /** RESP3 verbatim string `=len\r\nfmt:text`; RESP2 a bulk string. fmt is padded/cut to 3. */
  verbatim(s: string, fmt = "txt"): void {
    if (this.proto !== 3) {
      this.bulkStr(s);
      return;
    }
    this.header(61, s.length + 4);
    const f = (fmt + "   ").slice(0, 3);
    this.rawStr(f + ":");
    this.rawStr(s);
    this.small(CRLF);
  }

  /** Appends pre-encoded bytes. */
  /** Appends b[start..end); a short range is copied byte by byte rather than through a view. */
  rawRange(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    const buf = this.buf;
    let o = this.len;
    if (n > 64) buf.set(b.subarray(start, end), o);
    else for (let i = start; i < end; i++) buf[o++] = b[i];
    this.len += n;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Appends a latin1 string's bytes. */
  rawStr(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let i = this.len;
    for (let j = 0; j < n; j++) buf[i++] = s.charCodeAt(j);
    this.len = i;
  }

  private ensure(n: number): void {
    if (this.len + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const h = this.headroom;
    const b = h === 0 ? new Uint8Array(cap) : new Uint8Array(new ArrayBuffer(h + cap), h, cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  /** Copies a short constant; a loop beats TypedArray.set for a handful of bytes. */
  private small(c: Uint8Array): void {
    const n = c.length;
    this.ensure(n);
    const buf = this.buf;
    const i = this.len;
    for (let j = 0; j < n; j++) buf[i + j] = c[j];
    this.len = i + n;
  }

  private line(type: number, s: string): void {
    const n = s.length;
    this.ensure(n + 3);
    const buf = this.buf;
    let i = this.len;
    buf[i++] = type;
    for (let j = 0; j < n; j++) {
      const c = s.charCodeAt(j);
      buf[i++] = c === CR || c === LF ? 32 : c;
    }
    buf[i++] = CR;
    buf[i++] = LF;
    this.len = i;
  }

  /** `<type><n>\r\n` for an integer n. */
  private header(type: number, n: number): void {
    if ((n | 0) !== n) {
      // Beyond int32 (or not an integer, which callers must not pass): rare, use the slow path.
      this.rawStr(`${String.fromCharCode(type)}${Number.isInteger(n) ? n : Math.trunc(n)}\r\n`);
      return;
    }
    this.ensure(14);
    const buf = this.buf;
    let i = this.len;
    buf[i++] = type;
    if (n < 0) {
      buf[i++] = 45;
      n = -n;
    }
    i += digitCount(n);
    this.len = i + 2;
    buf[i] = CR;
    buf[i + 1] = LF;
    while (n >= 100) {
      const q = (n / 100) | 0;
      const r = (n - q * 100) * 2;
      buf[--i] = DIGITS2[r + 1];
      buf[--i] = DIGITS2[r];
      n = q;
    }
    if (n >= 10) {
      buf[--i] = DIGITS2[n * 2 + 1];
      buf[--i] = DIGITS2[n * 2];
    } else {
      buf[--i] = 48 + n;
    }
  }
}

/** Decimal digits of a non-negative int32 (2147483648 when negated from -2^31 included). */
function digitCount(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  if (n < 100000) return 5;
  if (n < 1000000) return 6;
  if (n < 10000000) return 7;
  if (n < 100000000) return 8;
  if (n < 1000000000) return 9;
  return 10;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** C's `printf("%.17g", d)` (glibc: exact value, ties to even), as Redis 7.0 prints doubles. */
export function formatDouble(d: number): string {
  if (d !== d) return "nan";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (d === 0) return 1 / d < 0 ? "-0" : "0";
  if (Number.isSafeInteger(d)) return String(d);
  const neg = d < 0;
  const a = neg ? -d : d;
  // toExponential is exact but rounds ties away from zero. A tie at 17 digits needs an exact
  // 18-digit expansion, which only doubles with at most 25 fraction bits have.
  const e17 = a.toExponential(16);
  let digits = e17[0] + e17.slice(2, 18);
  let exp = Number(e17.slice(19));
  if (Number.isInteger(a * 33554432)) {
    const e18 = a.toExponential(17);
    if (e18.charCodeAt(18) === 53 && (e18.charCodeAt(17) & 1) === 0 && isExactly(a, e18)) {
      digits = e18[0] + e18.slice(2, 18);
      exp = Number(e18.slice(20));
    }
  }
  const sign = neg ? "-" : "";
  if (exp < -4 || exp >= 17) {
    const frac = trimZeros(digits.slice(1));
    const ax = exp < 0 ? -exp : exp;
    return `${sign}${digits[0]}${frac ? "." + frac : ""}e${exp < 0 ? "-" : "+"}${
      ax < 10 ? "0" : ""
    }${ax}`;
  }
  if (exp >= 0) {
    const frac = trimZeros(digits.slice(exp + 1));
    return `${sign}${digits.slice(0, exp + 1)}${frac ? "." + frac : ""}`;
  }
  return `${sign}0.${"0".repeat(-exp - 1)}${trimZeros(digits)}`;
}

function trimZeros(s: string): string {
  let n = s.length;
  while (n > 0 && s.charCodeAt(n - 1) === 48) n--;
  return s.slice(0, n);
}

/** Whether positive finite `a` equals the decimal `x.xxxxxxxxxxxxxxxxxe±N` (18 digits) exactly. */
function isExactly(a: number, e18: string): boolean {
  f64[0] = a;
  const bits = u64[0];
  const biased = Number(bits >> 52n);
  const frac = bits & 0xfffffffffffffn;
  const m = biased === 0 ? frac : frac | 0x10000000000000n;
  const q = biased === 0 ? -1074 : biased - 1075;
  const t = Number(e18.slice(20)) - 17;
  let ln = BigInt(e18[0] + e18.slice(2, 19));
  let ld = 1n;
  let rn = m;
  let rd = 1n;
  if (t >= 0) ln *= 10n ** BigInt(t);
  else ld = 10n ** BigInt(-t);
  if (q >= 0) rn <<= BigInt(q);
  else rd <<= BigInt(-q);
  return ln * rd === rn * ld;
}
