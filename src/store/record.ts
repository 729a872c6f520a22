/**
 * A record: one key with its value and metadata, in one arena block.
 *
 *   u32 next    the next record in the same hash bucket (a ref; 0 ends the chain)
 *   u32 hash    the key's hash (rehashing never reads the key again)
 *   u32 meta    bits 0-23 Redis's LRU/LFU field, 24-26 the type, 27-28 the string encoding
 *               hint (ENC_*) or a blob's format (BLOB_*), 29 the value is an object handle
 *               (a large collection, a big string), 30 the value is a blob ref (blob.ts)
 *   u32 vslot   the key's slot in its database's volatile set (its TTL), 0 when it has none
 *   varint klen, varint vlen, the key's bytes, the value's bytes
 *
 * An object value (a large list, set, hash, sorted set) is a 4-byte handle into the shard's
 * object table; a small collection's value is the 4-byte ref of its blob, an arena block in
 * Redis's listpack or intset format. Everything is little-endian; varints are LEB128 (7 bits a byte).
 */

/** u32 word offsets of the header fields from a record's first word (ref * 2) */
export const W_NEXT = 0;
export const W_HASH = 1;
export const W_META = 2;
export const W_VSLOT = 3;
/** bytes before the varints */
export const HEADER_BYTES = 16;

export const LRU_BITS = 0xffffff;
export const TYPE_SHIFT = 24;
export const TYPE_BITS = 7;
export const ENC_SHIFT = 27;
export const ENC_BITS = 3;
export const OBJECT_BIT = 1 << 29;
export const BLOB_BIT = 1 << 30;

/** A blob's format, in the encoding bits of its record. */
export const BLOB_LISTPACK = 0;
export const BLOB_INTSET = 1;

/**
 * How a string value was written (the encoding hint), for OBJECT ENCODING: Redis decides a
 * string's encoding when it is written, not from its bytes, so the writer says which rule
 * applies.
 */
/** Written whole (SET family, APPEND/INCR creating the key): Redis's tryObjectEncoding, i.e.
 * "int" for a canonical int64 (0..9999 shared), "embstr" up to 44 bytes, else "raw". */
export const ENC_AUTO = 0;
/** Modified in place or built by Redis as raw (APPEND to an existing value, SETRANGE, SETBIT,
 * BITFIELD, BITOP's destination, HyperLogLogs): "raw" whatever the length. */
export const ENC_RAW = 1;
/** Written without an integer check (INCRBYFLOAT's result): "embstr" up to 44 bytes, else "raw". */
export const ENC_EMBSTR = 2;
/** ENC_AUTO, but a private copy (COPY of a shared small integer): never shared. */
export const ENC_AUTO_UNSHARED = 3;

/** Bytes of n as a varint. */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Writes n as a varint at u8[off]; returns the offset after it. */
export function writeVarint(u8: Uint8Array, off: number, n: number): number {
  while (n >= 0x80) {
    u8[off++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  u8[off++] = n;
  return off;
}

/** Total bytes of a record holding a key of klen bytes and a value of vlen bytes. */
export function recordBytes(klen: number, vlen: number): number {
  return HEADER_BYTES + varintSize(klen) + varintSize(vlen) + klen + vlen;
}

/**
 * The layout of one record, decoded (reused: call `read` to point it at a record). Offsets are
 * byte offsets in the arena.
 */
export class RecordView {
  klen = 0;
  vlen = 0;
  /** the key's first byte */
  keyOff = 0;
  /** the value's first byte (keyOff + klen) */
  valOff = 0;
  /** offset of the vlen varint */
  vlenOff = 0;

  read(u8: Uint8Array, ref: number): this {
    let p = ref * 8 + HEADER_BYTES;
    let b = u8[p++];
    let n = b & 0x7f;
    for (let shift = 128; b >= 0x80; shift *= 128) {
      b = u8[p++];
      n += (b & 0x7f) * shift;
    }
    this.klen = n;
    this.vlenOff = p;
    b = u8[p++];
    n = b & 0x7f;
    for (let shift = 128; b >= 0x80; shift *= 128) {
      b = u8[p++];
      n += (b & 0x7f) * shift;
    }
    this.vlen = n;
    this.keyOff = p;
    this.valOff = p + this.klen;
    return this;
  }
}

/** Whether the record at `ref` holds exactly key[0, key.length). */
export function keyEquals(u8: Uint8Array, ref: number, key: Uint8Array): boolean {
  let p = ref * 8 + HEADER_BYTES;
  let b = u8[p++];
  let klen = b & 0x7f;
  for (let shift = 128; b >= 0x80; shift *= 128) {
    b = u8[p++];
    klen += (b & 0x7f) * shift;
  }
  const n = key.length;
  if (klen !== n) return false;
  // skip the vlen varint
  while (u8[p++] >= 0x80);
  for (let i = 0; i < n; i++) if (u8[p + i] !== key[i]) return false;
  return true;
}
