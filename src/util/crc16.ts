/**
 * CRC16-XMODEM (poly 0x1021, init 0, no reflection) as Redis Cluster's crc16.c, and Redis's
 * keyHashSlot: the slot of a key is the CRC of its hashtag (or of the whole key) & 16383.
 */

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 8;
  for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  TABLE[i] = c;
}
/**
 * Two bytes per step (every multi-shard command hashes each key it routes). The CRC is linear
 * (T[a ^ b] = T[a] ^ T[b]), so two steps, c1 = (c << 8) ^ T[(c >> 8) ^ b0] and then b1, fold
 * into PAIR[(c >> 8) ^ b0] ^ T[(c & 0xff) ^ b1]: two lookups that do not wait on each other,
 * where byte by byte each lookup waits on the one before.
 */
const PAIR = new Uint16Array(256);
for (let i = 0; i < 256; i++) PAIR[i] = ((TABLE[i] & 0xff) << 8) ^ TABLE[TABLE[i] >>> 8];

const OPEN = 0x7b; // '{'
const CLOSE = 0x7d; // '}'

/** CRC16 of buf[start, end). */
export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0;
  let i = start;
  for (; i + 1 < end; i += 2) {
    crc = PAIR[(crc >>> 8) ^ buf[i]] ^ TABLE[(crc & 0xff) ^ buf[i + 1]];
  }
  if (i < end) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ buf[i]) & 0xff];
  return crc;
}

function crc16Str(s: string, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ s.charCodeAt(i)) & 0xff];
  }
  return crc;
}

/**
 * Redis keyHashSlot: if the key has a '{' and a '}' after it with at least one byte between
 * them, only the bytes between the first '{' and the first '}' after it are hashed; otherwise
 * the whole key is.
 */
export function keySlot(key: Uint8Array): number {
  const len = key.length;
  let s = 0;
  while (s < len && key[s] !== OPEN) s++;
  if (s < len) {
    let e = s + 1;
    while (e < len && key[e] !== CLOSE) e++;
    if (e < len && e !== s + 1) return crc16(key, s + 1, e) & 0x3fff;
  }
  return crc16(key, 0, len) & 0x3fff;
}

/** keySlot for a latin1 string key (one char per byte). */
export function keySlotStr(key: string): number {
  const len = key.length;
  const s = key.indexOf("{");
  if (s >= 0) {
    const e = key.indexOf("}", s + 1);
    if (e > s + 1) return crc16Str(key, s + 1, e) & 0x3fff;
  }
  return crc16Str(key, 0, len) & 0x3fff;
}
