/**
 * Redis's CRC-64 (src/crc64.c): the Jones polynomial 0xad93d23594c935a9, reflected input and
 * output, initial value 0, no final xor. It checks DUMP payloads and RDB files, so it must be
 * bit-exact and fast over files of hundreds of megabytes: the 64-bit state is kept as two
 * uint32 halves (no BigInt per byte) and the bytes are folded eight at a time (slice-by-8).
 * Check value: crc64 of "123456789" is 0xe9c6d914c4b8d9ca.
 */

/** The reflected polynomial (bit order reversed), as hi/lo halves. */
const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

/** Slice-by-8 tables: T[k][b] for k = 0..7, low and high halves, 256 entries each. */
const T_LO = new Uint32Array(8 * 256);
const T_HI = new Uint32Array(8 * 256);

(function buildTables(): void {
  for (let b = 0; b < 256; b++) {
    let lo = b, hi = 0;
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    T_LO[b] = lo;
    T_HI[b] = hi;
  }
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const plo = T_LO[(k - 1) * 256 + b], phi = T_HI[(k - 1) * 256 + b];
      const i = plo & 0xff;
      // (prev >>> 8) ^ T0[prev & 0xff]
      T_LO[k * 256 + b] = (((plo >>> 8) | (phi << 24)) ^ T_LO[i]) >>> 0;
      T_HI[k * 256 + b] = ((phi >>> 8) ^ T_HI[i]) >>> 0;
    }
  }
})();

/** A running CRC-64: feed it with crc64Update, read it with crc64Bytes / crc64BigInt. */
export interface Crc64State {
  hi: number;
  lo: number;
}

/** A fresh state (the CRC of no bytes, 0). */
export function crc64Init(): Crc64State {
  return { hi: 0, lo: 0 };
}

/** Folds bytes[from, to) into `s` (in place) and returns it. */
export function crc64Update(
  s: Crc64State,
  bytes: Uint8Array,
  from = 0,
  to = bytes.length,
): Crc64State {
  let lo = s.lo, hi = s.hi, p = from;
  const end8 = to - ((to - from) & 7);
  while (p < end8) {
    lo ^= bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
    hi ^= bytes[p + 4] | (bytes[p + 5] << 8) | (bytes[p + 6] << 16) | (bytes[p + 7] << 24);
    const a = 7 * 256 + (lo & 0xff), b = 6 * 256 + ((lo >>> 8) & 0xff);
    const c = 5 * 256 + ((lo >>> 16) & 0xff), d = 4 * 256 + (lo >>> 24);
    const e = 3 * 256 + (hi & 0xff), f = 2 * 256 + ((hi >>> 8) & 0xff);
    const g = 256 + ((hi >>> 16) & 0xff), h = hi >>> 24;
    lo = T_LO[a] ^ T_LO[b] ^ T_LO[c] ^ T_LO[d] ^ T_LO[e] ^ T_LO[f] ^ T_LO[g] ^ T_LO[h];
    hi = T_HI[a] ^ T_HI[b] ^ T_HI[c] ^ T_HI[d] ^ T_HI[e] ^ T_HI[f] ^ T_HI[g] ^ T_HI[h];
    p += 8;
  }
  for (; p < to; p++) {
    const i = (lo ^ bytes[p]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ T_LO[i];
    hi = (hi >>> 8) ^ T_HI[i];
  }
  s.lo = lo >>> 0;
  s.hi = hi >>> 0;
  return s;
}

/** The CRC as the 8 little-endian bytes Redis appends to a DUMP payload or an RDB file. */
export function crc64Bytes(s: Crc64State): Uint8Array {
  const out = new Uint8Array(8);
  const lo = s.lo, hi = s.hi;
  out[0] = lo & 0xff;
  out[1] = (lo >>> 8) & 0xff;
  out[2] = (lo >>> 16) & 0xff;
  out[3] = lo >>> 24;
  out[4] = hi & 0xff;
  out[5] = (hi >>> 8) & 0xff;
  out[6] = (hi >>> 16) & 0xff;
  out[7] = hi >>> 24;
  return out;
}

/** The CRC as a BigInt (tests, logs). */
export function crc64BigInt(s: Crc64State): bigint {
  return (BigInt(s.hi >>> 0) << 32n) | BigInt(s.lo >>> 0);
}

/** The CRC-64 of bytes[from, to), as a fresh state. */
export function crc64Of(bytes: Uint8Array, from = 0, to = bytes.length): Crc64State {
  return crc64Update(crc64Init(), bytes, from, to);
}
