/**
 * Redis's HyperLogLog representation, byte for byte: an HLL is a string value starting with a
 * 16-byte header ("HYLL", encoding, 3 unused bytes, the cached cardinality as a little-endian
 * uint64 whose top bit marks it stale), followed either by 16384 6-bit registers packed LSB
 * first (dense, 12304 bytes in all) or by run-length opcodes (sparse):
 *
 *   00xxxxxx          ZERO:  1..64 registers set to 0
 *   01xxxxxx yyyyyyyy XZERO: 1..16384 registers set to 0
 *   1vvvvvxx          VAL:   1..4 registers set to 1..32
 *
 * Every update follows Redis's own algorithm (the same opcode splits, the same merging of
 * neighbouring VAL opcodes, promotion to dense at the same moment) so that the stored bytes,
 * and hence GET, DUMP and replication, are identical to Redis's.
 */
import { estimate, HLL_REGISTERS, patIndex, patLen } from "./hll_math.ts";

export const HLL_HDR_SIZE = 16;
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * 6 + 7) >> 3);
const CARD = 8;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;

/**
 * An HLL being worked on: bytes [0, len) of `buf`; `buf` may be longer (spare room for sparse
 * growth), and the byte at `len`, when inside `buf`, is kept 0 like an sds terminator.
 */
export class HllBuf {
  constructor(public buf: Uint8Array, public len: number) {}

  /** The value bytes (a view of buf). */
  view(): Uint8Array {
    return this.len === this.buf.length ? this.buf : this.buf.subarray(0, this.len);
  }

  get dense(): boolean {
    return this.buf[4] === HLL_DENSE;
  }
}

/** A new, empty HLL: sparse, one XZERO opcode, cached cardinality 0. */
export function hllCreate(): HllBuf {
  const b = new Uint8Array(64);
  b[0] = 0x48, b[1] = 0x59, b[2] = 0x4c, b[3] = 0x4c; // "HYLL"
  b[4] = HLL_SPARSE;
  let p = HLL_HDR_SIZE;
  for (let left = HLL_REGISTERS; left > 0;) {
    const n = Math.min(left, SPARSE_XZERO_MAX_LEN);
    p = putXzero(b, p, n);
    left -= n;
  }
  return new HllBuf(b, p);
}

/** Redis's isHLLObjectOrReply test on a string value's bytes. */
export function hllValid(v: Uint8Array): boolean {
  if (v.length < HLL_HDR_SIZE) return false;
  if (v[0] !== 0x48 || v[1] !== 0x59 || v[2] !== 0x4c || v[3] !== 0x4c) return false;
  if (v[4] > HLL_SPARSE) return false;
  return v[4] !== HLL_DENSE || v.length === HLL_DENSE_SIZE;
}

function putXzero(b: Uint8Array, p: number, len: number): number {
  const l = len - 1;
  b[p] = (l >> 8) | 0x40;
  b[p + 1] = l & 0xff;
  return p + 2;
}

function valOp(value: number, len: number): number {
  return ((value - 1) << 2) | (len - 1) | 0x80;
}

// ---- dense registers ----------------------------------------------------------------------

function denseGet(b: Uint8Array, reg: number): number {
  const bit = reg * 6;
  const i = HLL_HDR_SIZE + (bit >> 3);
  const fb = bit & 7;
  // the byte after the last register reads as 0 (Redis reads the sds terminator)
  const b1 = i + 1 < HLL_DENSE_SIZE ? b[i + 1] : 0;
  return ((b[i] >> fb) | (b1 << (8 - fb))) & 63;
}

function denseSetReg(b: Uint8Array, reg: number, val: number): void {
  const bit = reg * 6;
  const i = HLL_HDR_SIZE + (bit >> 3);
  const fb = bit & 7;
  b[i] = (b[i] & ~(63 << fb)) | (val << fb);
  if (i + 1 < HLL_DENSE_SIZE) {
    const fb8 = 8 - fb;
    b[i + 1] = (b[i + 1] & ~(63 >> fb8)) | (val >> fb8);
  }
}

function denseSet(b: Uint8Array, reg: number, count: number): number {
  if (count <= denseGet(b, reg)) return 0;
  denseSetReg(b, reg, count);
  return 1;
}

// ---- sparse -------------------------------------------------------------------------------

/** Makes room for `n` more bytes plus the terminator byte. */
function reserve(h: HllBuf, n: number): void {
  if (h.len + n + 1 <= h.buf.length) return;
  const nb = new Uint8Array(Math.max(h.buf.length * 2, h.len + n + 1));
  nb.set(h.buf.subarray(0, h.len));
  h.buf = nb;
}

/** The second byte of an XZERO at p (0 past the end, as the terminator Redis reads). */
function byteAfter(h: HllBuf, p: number): number {
  return p + 1 < h.len ? h.buf[p + 1] : 0;
}

/** Sparse -> dense; false (nothing changed) when the sparse data is corrupt. */
export function hllToDense(h: HllBuf): boolean {
  const s = h.buf;
  if (s[4] === HLL_DENSE) return true;
  const d = new Uint8Array(HLL_DENSE_SIZE);
  d.set(s.subarray(0, HLL_HDR_SIZE));
  d[4] = HLL_DENSE;
  let idx = 0;
  const end = h.len;
  for (let p = HLL_HDR_SIZE; p < end;) {
    const op = s[p];
    if ((op & 0xc0) === 0) {
      idx += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      idx += (((op & 0x3f) << 8) | byteAfter(h, p)) + 1;
      p += 2;
    } else {
      let runlen = (op & 3) + 1;
      const val = ((op >> 2) & 0x1f) + 1;
      if (runlen + idx > HLL_REGISTERS) return false; // overflow: corrupt
      while (runlen-- > 0) denseSetReg(d, idx++, val);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  h.buf = d;
  h.len = HLL_DENSE_SIZE;
  return true;
}

const seq = new Uint8Array(5);

function putZeros(at: number, len: number): number {
  if (len > SPARSE_ZERO_MAX_LEN) {
    const l = len - 1;
    seq[at] = (l >> 8) | 0x40;
    seq[at + 1] = l & 0xff;
    return at + 2;
  }
  seq[at] = len - 1;
  return at + 1;
}

/**
 * Redis's hllSparseSet: raises register `index` to `count`. 1 when it changed, 0 when not,
 * -1 when the data is corrupt. May promote the HLL to dense (h.buf then changes).
 */
function sparseSet(h: HllBuf, index: number, count: number, sparseMax: number): number {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(h, index, count);
  reserve(h, 3);
  let b = h.buf;
  let p = HLL_HDR_SIZE;
  let end = h.len;
  let first = 0, prev = -1, span = 0;
  while (p < end) {
    const op = b[p];
    let oplen = 1;
    if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
    else if (op & 0x80) span = (op & 3) + 1;
    else {
      span = (((op & 0x3f) << 8) | byteAfter(h, p)) + 1;
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = b[p];
  const isZero = (op & 0xc0) === 0;
  const isXzero = (op & 0xc0) === 0x40;
  let next = isXzero ? p + 2 : p + 1;
  if (next >= end) next = -1;
  const runlen = isZero ? (op & 0x3f) + 1 : isXzero ? span : (op & 3) + 1;

  let updated = false;
  if (!isZero && !isXzero) {
    if (((op >> 2) & 0x1f) + 1 >= count) return 0;
    if (runlen === 1) {
      b[p] = valOp(count, 1);
      updated = true;
    }
  } else if (isZero && runlen === 1) {
    b[p] = valOp(count, 1);
    updated = true;
  }
  if (!updated) {
    // split the opcode in up to three: before, our register, after
    const last = first + span - 1;
    let n = 0;
    if (isZero || isXzero) {
      if (index !== first) n = putZeros(n, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) n = putZeros(n, last - index);
    } else {
      const cur = ((op >> 2) & 0x1f) + 1;
      if (index !== first) seq[n++] = valOp(cur, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) seq[n++] = valOp(cur, last - index);
    }
    const delta = n - (isXzero ? 2 : 1);
    if (delta > 0 && h.len + delta > sparseMax) return promote(h, index, count);
    if (delta !== 0 && next >= 0) b.copyWithin(next + delta, next, end);
    h.len += delta;
    end += delta;
    for (let k = 0; k < n; k++) b[p + k] = seq[k];
    // a truncated XZERO at the very end makes the sequence overhang the new length
    b[end] = 0;
  }

  // merge neighbouring VAL opcodes of equal value, looking at up to 5 opcodes from prev
  p = prev >= 0 ? prev : HLL_HDR_SIZE;
  let scan = 5;
  b = h.buf;
  while (p < end && scan-- > 0) {
    const o = b[p];
    if ((o & 0xc0) === 0x40) {
      p += 2;
      continue;
    }
    if ((o & 0xc0) === 0) {
      p++;
      continue;
    }
    if (p + 1 < end && b[p + 1] & 0x80) {
      const o2 = b[p + 1];
      const v1 = ((o >> 2) & 0x1f) + 1;
      if (v1 === ((o2 >> 2) & 0x1f) + 1) {
        const len = (o & 3) + (o2 & 3) + 2;
        if (len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOp(v1, len);
          b.copyWithin(p, p + 1, end);
          h.len--;
          end--;
          b[end] = 0;
          continue;
        }
      }
    }
    p++;
  }
  b[CARD + 7] |= 0x80;
  return 1;
}

function promote(h: HllBuf, index: number, count: number): number {
  if (!hllToDense(h)) return -1;
  return denseSet(h.buf, index, count);
}

// ---- commands' building blocks ------------------------------------------------------------

/** PFADD of one element: 1 if a register changed, 0 if not, -1 if the HLL is corrupt. */
export function hllAdd(h: HllBuf, ele: Uint8Array, sparseMax: number): number {
  const count = patLen(ele);
  const index = patIndex;
  const enc = h.buf[4];
  if (enc === HLL_DENSE) return denseSet(h.buf, index, count);
  if (enc === HLL_SPARSE) return sparseSet(h, index, count, sparseMax);
  return -1;
}

/** Marks the cached cardinality stale. */
export function hllInvalidate(h: HllBuf): void {
  h.buf[CARD + 7] |= 0x80;
}

const histo = new Int32Array(64);

/** Register histogram of an HLL; false when sparse data does not cover exactly 2^14 registers. */
function histogram(v: Uint8Array): boolean {
  histo.fill(0);
  if (v[4] === HLL_DENSE) {
    for (let r = 0; r < HLL_REGISTERS; r++) histo[denseGet(v, r)]++;
    return true;
  }
  let idx = 0;
  const end = v.length;
  for (let p = HLL_HDR_SIZE; p < end;) {
    const op = v[p];
    let run: number;
    if ((op & 0xc0) === 0) {
      run = (op & 0x3f) + 1;
      histo[0] += run;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      run = (((op & 0x3f) << 8) | (p + 1 < end ? v[p + 1] : 0)) + 1;
      histo[0] += run;
      p += 2;
    } else {
      run = (op & 3) + 1;
      histo[((op >> 2) & 0x1f) + 1] += run;
      p++;
    }
    idx += run;
  }
  return idx === HLL_REGISTERS;
}

/** Whether the last hllCount computed the cardinality (and so changed the cached bytes). */
export let hllRecomputed = false;

/**
 * PFCOUNT of one HLL: the cached cardinality when valid, else computed and cached (`h`
 * changes, hllRecomputed is set). null when the HLL is corrupt.
 */
export function hllCount(h: HllBuf): number | bigint | null {
  const b = h.buf;
  hllRecomputed = false;
  if ((b[CARD + 7] & 0x80) === 0) {
    const lo = (b[CARD] | (b[CARD + 1] << 8) | (b[CARD + 2] << 16) | (b[CARD + 3] << 24)) >>> 0;
    const hi = (b[CARD + 4] | (b[CARD + 5] << 8) | (b[CARD + 6] << 16) | (b[CARD + 7] << 24)) >>>
      0;
    const n = hi * 4294967296 + lo;
    return n <= Number.MAX_SAFE_INTEGER ? n : (BigInt(hi) << 32n) | BigInt(lo);
  }
  if (!histogram(h.view())) return null;
  const card = estimate(histo);
  if (typeof card === "number") {
    const hi = Math.floor(card / 4294967296);
    const lo = card >>> 0;
    for (let i = 0; i < 4; i++) b[CARD + i] = (lo >>> (8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) b[CARD + 4 + i] = (hi >>> (8 * i)) & 0xff;
  } else {
    let u = BigInt.asUintN(64, card);
    for (let i = 0; i < 8; i++) {
      b[CARD + i] = Number(u & 0xffn);
      u >>= 8n;
    }
  }
  hllRecomputed = true;
  return card;
}

/** max[i] = max(max[i], register i of the HLL `v`); false when sparse data is corrupt. */
export function hllMergeInto(max: Uint8Array, v: Uint8Array): boolean {
  if (v[4] === HLL_DENSE) {
    for (let r = 0; r < HLL_REGISTERS; r++) {
      const x = denseGet(v, r);
      if (x > max[r]) max[r] = x;
    }
    return true;
  }
  let i = 0;
  const end = v.length;
  for (let p = HLL_HDR_SIZE; p < end;) {
    const op = v[p];
    if ((op & 0xc0) === 0) {
      i += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      i += (((op & 0x3f) << 8) | (p + 1 < end ? v[p + 1] : 0)) + 1;
      p += 2;
    } else {
      let run = (op & 3) + 1;
      const val = ((op >> 2) & 0x1f) + 1;
      if (run + i > HLL_REGISTERS) return false; // overflow: corrupt
      while (run-- > 0) {
        if (val > max[i]) max[i] = val;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

/** Cardinality of merged registers (one byte per register, as PFCOUNT of several keys). */
export function hllCountRaw(max: Uint8Array): number | bigint {
  histo.fill(0);
  for (let r = 0; r < HLL_REGISTERS; r++) histo[max[r]]++;
  return estimate(histo);
}

/** PFMERGE's write: raise every register of `h` to max[i] (results of corrupt parts ignored). */
export function hllSetRegisters(h: HllBuf, max: Uint8Array, sparseMax: number): void {
  for (let j = 0; j < HLL_REGISTERS; j++) {
    const m = max[j];
    if (m === 0) continue;
    const enc = h.buf[4];
    if (enc === HLL_DENSE) denseSet(h.buf, j, m);
    else if (enc === HLL_SPARSE) sparseSet(h, j, m, sparseMax);
  }
}
