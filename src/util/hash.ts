/**
 * The keyspace's hash: MurmurHash3 (x86, 32 bits) over a byte range, seeded per Worker at
 * random so that a client cannot pick keys that all collide (Redis seeds siphash the same way).
 */

const seedWords = new Uint32Array(1);
crypto.getRandomValues(seedWords);
/** This Worker's seed (a per-Worker constant, chosen at startup). */
const SEED = seedWords[0];

const C1 = 0xcc9e2d51, C2 = 0x1b873593;

/** The hash of b[off, off + len). */
export function hashBytes(b: Uint8Array, off: number, len: number): number {
  return murmur3(b, off, len, SEED);
}

/** MurmurHash3 (x86, 32 bits) of b[off, off + len) with `seed`. */
export function murmur3(b: Uint8Array, off: number, len: number, seed: number): number {
  let h = seed;
  const end4 = off + (len & ~3);
  let i = off;
  for (; i < end4; i += 4) {
    let k = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (len & 3) {
    case 3:
      k ^= b[i + 2] << 16;
    // falls through
    case 2:
      k ^= b[i + 1] << 8;
    // falls through
    case 1:
      k ^= b[i];
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, C2);
  }
  return fmix32(h ^ len);
}

/** MurmurHash3's finaliser: every bit of h reaches every bit of the result. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The hash of a collection member (a hash field, a set member) in b[off, off + len): seeded
 * FNV-1a, cheaper than murmur3 for the short strings members usually are, then fmix32.
 */
export function memberHash(b: Uint8Array, off: number, len: number): number {
  let h = (0x811c9dc5 ^ SEED) >>> 0;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ b[off + i], 0x01000193);
  return fmix32(h);
}

/** memberHash of the bytes of a latin1 string. */
export function memberHashStr(s: string): number {
  let h = (0x811c9dc5 ^ SEED) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** The hash of a whole key. */
export function hashKey(key: Uint8Array): number {
  return hashBytes(key, 0, key.length);
}
