/**
 * Redis's intset, byte for byte (intset.c), so a small set of integers is stored, dumped and
 * loaded as Redis holds it:
 *
 *   u32 encoding (2, 4 or 8: bytes per value), u32 length, values (little-endian, signed),
 *   sorted ascending, no duplicates
 *
 * Every value has the width of the widest one ever added: adding a value that needs more
 * bytes rewrites the whole set in the wider encoding (intsetUpgradeAndAdd); removals never
 * narrow it back.
 *
 * Functions take the buffer and the intset's first byte (`base`), so they read an intset where
 * it lies in the arena. A value is handled as two 32-bit halves (IntKey: `hi` signed, `lo`
 * unsigned), which compare exactly over the whole int64 range without bigints.
 */
import { parseInt64Str } from "../util/numbers.ts";

export const INTSET_HEADER_BYTES = 8;
export const INTSET_ENC_INT16 = 2;
export const INTSET_ENC_INT32 = 4;
export const INTSET_ENC_INT64 = 8;
/** Redis's limit on an intset's entries (setTypeAdd caps set-max-intset-entries to it). */
export const INTSET_MAX_ENTRIES = 1 << 30;
/** An intset with no values (intsetNew: 16-bit encoding); setBlob copies it. */
export const INTSET_EMPTY = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]);

const TWO32 = 4294967296;

/** An int64 as two halves: hi (signed, the upper 32 bits) and lo (unsigned, the lower 32). */
export class IntKey {
  hi = 0;
  lo = 0;

  /** Sets the key to the safe integer v. */
  setNumber(v: number): this {
    const hi = Math.floor(v / TWO32);
    this.hi = hi;
    this.lo = v - hi * TWO32;
    return this;
  }

  /** Sets the key to an int64 given as a bigint. */
  setBig(v: bigint): this {
    this.hi = Number(BigInt.asIntN(32, v >> 32n));
    this.lo = Number(v & 0xffffffffn);
    return this;
  }

  /** The bytes per value this key needs (Redis's _intsetValueEncoding). */
  encoding(): number {
    const hi = this.hi, lo = this.lo;
    if ((hi === 0 && lo <= 0x7fff) || (hi === -1 && lo >= 0xffff8000)) return INTSET_ENC_INT16;
    if ((hi === 0 && lo <= 0x7fffffff) || (hi === -1 && lo >= 0x80000000)) return INTSET_ENC_INT32;
    return INTSET_ENC_INT64;
  }

  /** The value as Redis prints it (ll2string). */
  text(): string {
    const v = this.hi * TWO32 + this.lo;
    if (Number.isSafeInteger(v)) return String(v);
    return ((BigInt(this.hi) << 32n) | BigInt(this.lo)).toString();
  }
}

/**
 * Parses a latin1 member as Redis's string2ll does (the test setTypeAdd makes before adding
 * to an intset) into k; false when it is not a canonical int64. Allocation-free for up to 15
 * digits.
 */
export function intKeyOf(s: string, k: IntKey): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = 0;
  const neg = s.charCodeAt(0) === 45;
  if (neg) {
    if (n === 1) return false;
    i = 1;
  }
  let c = s.charCodeAt(i);
  if (c === 48) {
    if (n !== 1) return false;
    k.hi = 0;
    k.lo = 0;
    return true;
  }
  if (c < 49 || c > 57) return false;
  if (n - i > 15) {
    const v = parseInt64Str(s);
    if (v === null) return false;
    if (typeof v === "bigint") k.setBig(v);
    else k.setNumber(v);
    return true;
  }
  let v = 0;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    v = v * 10 + (c - 48);
  }
  k.setNumber(neg ? -v : v);
  return true;
}

/** The intset's encoding (bytes per value). */
export function isEncoding(u8: Uint8Array, base: number): number {
  return u8[base];
}

/** The number of values. */
export function isLength(u8: Uint8Array, base: number): number {
  return (u8[base + 4] | (u8[base + 5] << 8) | (u8[base + 6] << 16) | (u8[base + 7] << 24)) >>>
    0;
}

/** Total bytes of an intset of `len` values of `enc` bytes. */
export function isBytes(enc: number, len: number): number {
  return INTSET_HEADER_BYTES + enc * len;
}

/** Reads value i into k. */
export function isGet(u8: Uint8Array, base: number, enc: number, i: number, k: IntKey): IntKey {
  const p = base + INTSET_HEADER_BYTES + i * enc;
  if (enc === INTSET_ENC_INT16) {
    const v = ((u8[p] | (u8[p + 1] << 8)) << 16) >> 16;
    k.hi = v < 0 ? -1 : 0;
    k.lo = v >>> 0;
  } else if (enc === INTSET_ENC_INT32) {
    const v = u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24);
    k.hi = v < 0 ? -1 : 0;
    k.lo = v >>> 0;
  } else {
    k.lo = (u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24)) >>> 0;
    k.hi = u8[p + 4] | (u8[p + 5] << 8) | (u8[p + 6] << 16) | (u8[p + 7] << 24);
  }
  return k;
}

/** Writes k as value i (k must fit enc). */
export function isPut(u8: Uint8Array, base: number, enc: number, i: number, k: IntKey): void {
  const p = base + INTSET_HEADER_BYTES + i * enc;
  const lo = k.lo;
  u8[p] = lo & 255;
  u8[p + 1] = (lo >>> 8) & 255;
  if (enc === INTSET_ENC_INT16) return;
  u8[p + 2] = (lo >>> 16) & 255;
  u8[p + 3] = lo >>> 24;
  if (enc === INTSET_ENC_INT32) return;
  const hi = k.hi;
  u8[p + 4] = hi & 255;
  u8[p + 5] = (hi >>> 8) & 255;
  u8[p + 6] = (hi >>> 16) & 255;
  u8[p + 7] = (hi >>> 24) & 255;
}

/** Writes the header (encoding, length). */
export function isWriteHeader(u8: Uint8Array, base: number, enc: number, len: number): void {
  u8[base] = enc;
  u8[base + 1] = 0;
  u8[base + 2] = 0;
  u8[base + 3] = 0;
  u8[base + 4] = len & 255;
  u8[base + 5] = (len >>> 8) & 255;
  u8[base + 6] = (len >>> 16) & 255;
  u8[base + 7] = len >>> 24;
}

/** Value i as Redis prints it. */
export function isText(u8: Uint8Array, base: number, i: number): string {
  const enc = u8[base];
  const p = base + INTSET_HEADER_BYTES + i * enc;
  if (enc === INTSET_ENC_INT16) return String(((u8[p] | (u8[p + 1] << 8)) << 16) >> 16);
  if (enc === INTSET_ENC_INT32) {
    return String(u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24));
  }
  return isGet(u8, base, enc, i, scratch).text();
}

const scratch = new IntKey();

/** Order of two keys: negative, 0 or positive. */
function order(a: IntKey, hi: number, lo: number): number {
  if (a.hi !== hi) return a.hi < hi ? -1 : 1;
  return a.lo === lo ? 0 : a.lo < lo ? -1 : 1;
}

/**
 * Binary search for k (intsetSearch): its index when present, else -(insertion point) - 1.
 * A key wider than the encoding is beyond every value: its insertion point is an end.
 */
export function isSearch(u8: Uint8Array, base: number, k: IntKey): number {
  const enc = u8[base];
  const len = isLength(u8, base);
  if (k.encoding() > enc) return k.hi < 0 ? -1 : -len - 1;
  let lo = 0, hi = len - 1;
  const t = scratch;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = order(isGet(u8, base, enc, mid, t), k.hi, k.lo);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/**
 * Writes into out[0..] the intset holding the sorted values of src (an intset at `base`) with
 * k inserted at index `at`, all in encoding `enc` (at least src's); returns its bytes. This is
 * intsetAdd's result, including intsetUpgradeAndAdd's when enc is wider.
 */
export function isInsertInto(
  out: Uint8Array,
  src: Uint8Array,
  base: number,
  at: number,
  k: IntKey,
  enc: number,
): number {
  const from = src[base];
  const len = isLength(src, base);
  isWriteHeader(out, 0, enc, len + 1);
  if (enc === from) {
    const body = base + INTSET_HEADER_BYTES;
    out.set(src.subarray(body, body + at * enc), INTSET_HEADER_BYTES);
    out.set(
      src.subarray(body + at * enc, body + len * enc),
      INTSET_HEADER_BYTES + (at + 1) * enc,
    );
  } else {
    const t = scratch;
    for (let i = 0; i < at; i++) isPut(out, 0, enc, i, isGet(src, base, from, i, t));
    for (let i = at; i < len; i++) isPut(out, 0, enc, i + 1, isGet(src, base, from, i, t));
  }
  isPut(out, 0, enc, at, k);
  return isBytes(enc, len + 1);
}

/**
 * Builds an intset into a scratch buffer from values given as keys (any order, no duplicates)
 * in at least encoding `minEnc`: how a set that was not held as a blob (a store command's
 * result) gets Redis's bytes.
 */
export class IntsetBuilder {
  buf = new Uint8Array(256);
  private his: number[] = [];
  private los: number[] = [];
  private enc = INTSET_ENC_INT16;

  begin(minEnc: number): void {
    this.his.length = 0;
    this.los.length = 0;
    this.enc = minEnc;
  }

  add(k: IntKey): void {
    this.his.push(k.hi);
    this.los.push(k.lo);
    const e = k.encoding();
    if (e > this.enc) this.enc = e;
  }

  /** Sorts and writes the intset; returns its bytes (in buf). */
  end(): number {
    const n = this.his.length, his = this.his, los = this.los;
    const idx: number[] = [];
    for (let i = 0; i < n; i++) idx.push(i);
    idx.sort((a, b) => his[a] !== his[b] ? his[a] - his[b] : los[a] - los[b]);
    const bytes = isBytes(this.enc, n);
    if (this.buf.length < bytes) this.buf = new Uint8Array(Math.max(bytes, this.buf.length * 2));
    isWriteHeader(this.buf, 0, this.enc, n);
    const k = scratch;
    for (let i = 0; i < n; i++) {
      k.hi = his[idx[i]];
      k.lo = los[idx[i]];
      isPut(this.buf, 0, this.enc, i, k);
    }
    return bytes;
  }
}
