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
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The hash of a whole key. */
export function hashKey(key: Uint8Array): number {
  return hashBytes(key, 0, key.length);
}
