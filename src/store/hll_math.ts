/**
 * The arithmetic of Redis's HyperLogLog: its hash (MurmurHash64A with Redis's seed), the
 * register/run-length derived from it, and the cardinality estimator (Ertl's improved
 * estimator over the register histogram), computed in the same double operations as Redis so
 * the results agree bit for bit.
 *
 * 64-bit integers are handled as two uint32 halves; the results of the helpers are left in
 * module variables so that hashing allocates nothing.
 */

/** Registers: 2^14. */
export const HLL_P = 14;
export const HLL_REGISTERS = 1 << HLL_P;
/** Bits of the hash left for the run of zeroes. */
export const HLL_Q = 64 - HLL_P;
const HLL_ALPHA_INF = 0.721347520444481703680;

const SEED = 0xadc83b19;
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const TWO32 = 4294967296;

// result of mul64 / hash64
let rHi = 0;
let rLo = 0;

/** (ah:al) * (bh:bl) mod 2^64 into rHi:rLo. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16;
  const b0 = bl & 0xffff, b1 = bl >>> 16;
  const mid = a0 * b1 + a1 * b0; // < 2^33
  const lo = a0 * b0 + (mid % 65536) * 65536; // < 2^33
  const hi = a1 * b1 + Math.floor(mid / 65536) + Math.floor(lo / TWO32);
  rLo = lo >>> 0;
  rHi = (hi + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** MurmurHash64A(data, len, seed) as Redis computes it (little-endian reads); into rHi:rLo. */
function murmur64(data: Uint8Array, seed: number): void {
  const len = data.length;
  mul64(0, len >>> 0, M_HI, M_LO);
  let hHi = rHi;
  let hLo = (rLo ^ seed) >>> 0;
  const end = len - (len & 7);
  let i = 0;
  for (; i < end; i += 8) {
    const kl = (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
    const kh = (data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24)) >>>
      0;
    mul64(kh, kl, M_HI, M_LO);
    let xh = rHi, xl = rLo;
    xl = (xl ^ (xh >>> 15)) >>> 0;
    mul64(xh, xl, M_HI, M_LO);
    xh = rHi;
    xl = rLo;
    mul64((hHi ^ xh) >>> 0, (hLo ^ xl) >>> 0, M_HI, M_LO);
    hHi = rHi;
    hLo = rLo;
  }
  const rest = len & 7;
  if (rest !== 0) {
    // the tail bytes land at bit 8*k of the 64-bit word
    for (let k = rest - 1; k >= 0; k--) {
      const b = data[i + k];
      if (k >= 4) hHi = (hHi ^ (b << (8 * (k - 4)))) >>> 0;
      else hLo = (hLo ^ (b << (8 * k))) >>> 0;
    }
    mul64(hHi, hLo, M_HI, M_LO);
    hHi = rHi;
    hLo = rLo;
  }
  hLo = (hLo ^ (hHi >>> 15)) >>> 0;
  mul64(hHi, hLo, M_HI, M_LO);
  rLo = (rLo ^ (rHi >>> 15)) >>> 0;
}

/** The raw 64-bit hash, for tests. */
export function murmurHash64A(data: Uint8Array, seed = SEED): bigint {
  murmur64(data, seed);
  return (BigInt(rHi) << 32n) | BigInt(rLo);
}

/** Register index of the last element passed to patLen. */
export let patIndex = 0;

/**
 * The length of the "000..1" pattern of the element's hash above the index bits (1..Q+1);
 * the register index goes to `patIndex`.
 */
export function patLen(ele: Uint8Array): number {
  murmur64(ele, SEED);
  patIndex = rLo & (HLL_REGISTERS - 1);
  // bits P..63 of the hash, with bit Q of the shifted value set so the run ends
  const low = ((rLo >>> HLL_P) | (rHi << (32 - HLL_P))) >>> 0; // hash bits 14..45
  if (low !== 0) return 32 - Math.clz32(low & -low);
  const high = rHi >>> HLL_P; // hash bits 46..63
  if (high !== 0) return 32 + 32 - Math.clz32(high & -high);
  return HLL_Q + 1;
}

function hllSigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/**
 * Cardinality from a register histogram (reghisto[v] = registers holding v, 64 entries), as
 * Redis's hllCount: a number, or a bigint when beyond 2^53; a non-finite estimate gives
 * llroundl's x86 result, -2^63 (printed as such, as Redis's signed reply does).
 */
export function estimate(reghisto: Int32Array): number | bigint {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - reghisto[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += reghisto[j];
    z *= 0.5;
  }
  z += m * hllSigma(reghisto[0] / m);
  const e = HLL_ALPHA_INF * m * m / z;
  if (!Number.isFinite(e) || e >= 9223372036854775808) return -(1n << 63n);
  const r = Math.round(e);
  return Number.isSafeInteger(r) ? r : BigInt(r);
}
