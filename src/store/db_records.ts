/**
 * What a database's records say, read without changing the keyspace: finding a key's record
 * whatever its TTL, and a record's fields (type, encoding, LRU/LFU, expiry, key, string value,
 * blob or object). Db (db.ts) adds lookups that expire, and every write.
 */
import type { Arena } from "./arena.ts";
import type { ObjectTable } from "./objects.ts";
import type { AccessPolicy } from "./access.ts";
import type { RecordView } from "./record.ts";
import { Dict } from "./dict.ts";
import { VolatileSet } from "./volatile.ts";
import {
  BLOB_BIT,
  BLOB_INTSET,
  ENC_BITS,
  ENC_SHIFT,
  HEADER_BYTES,
  LRU_BITS,
  OBJECT_BIT,
  TYPE_BITS,
  TYPE_SHIFT,
  W_META,
  W_VSLOT,
} from "./record.ts";
import { hashKey } from "../util/hash.ts";
import { latin1 } from "../util/bytes.ts";
import type { BigString } from "./big_string.ts";
import { lpBytes } from "./listpack.ts";

/** What a shard's databases share (the Keyspace). */
export interface DbShared {
  readonly arena: Arena;
  readonly objects: ObjectTable;
  readonly access: AccessPolicy;
  /** scratch for decoding a record */
  readonly view: RecordView;
}

export class DbRecords {
  readonly dict: Dict;
  readonly vol: VolatileSet;

  constructor(readonly ks: DbShared) {
    this.dict = new Dict(ks.arena);
    this.vol = new VolatileSet(ks.arena);
  }

  get size(): number {
    return this.dict.size;
  }

  get arena(): Arena {
    return this.ks.arena;
  }

  /** keys with a TTL */
  get volatileCount(): number {
    return this.vol.count;
  }

  /** The record of a key whether or not its TTL passed (Redis's dictFind), 0 when absent. */
  find(key: Uint8Array): number {
    return this.dict.find(key, hashKey(key));
  }

  /** Bytes of the index: the bucket arrays and the records' headers (MEMORY STATS). */
  get indexBytes(): number {
    return this.dict.tableBytes + this.dict.size * HEADER_BYTES;
  }

  /** A key's expiry without a lookup (0: no TTL, or no such key); nothing is deleted. */
  expireAtOfKey(key: Uint8Array): number {
    const r = this.dict.find(key, hashKey(key));
    return r === 0 ? 0 : this.expireAt(r);
  }

  // ---- a record's fields

  typeOf(ref: number): number {
    return (this.ks.arena.u32[ref * 2 + W_META] >>> TYPE_SHIFT) & TYPE_BITS;
  }

  /** The string encoding hint (ENC_*). */
  encOf(ref: number): number {
    return (this.ks.arena.u32[ref * 2 + W_META] >>> ENC_SHIFT) & ENC_BITS;
  }

  setEnc(ref: number, enc: number): void {
    const u32 = this.ks.arena.u32;
    const m = u32[ref * 2 + W_META];
    u32[ref * 2 + W_META] = (m & ~(ENC_BITS << ENC_SHIFT)) | (enc << ENC_SHIFT);
  }

  /** Redis's 24-bit LRU/LFU field. */
  lruOf(ref: number): number {
    return this.ks.arena.u32[ref * 2 + W_META] & LRU_BITS;
  }

  setLru(ref: number, field: number): void {
    const u32 = this.ks.arena.u32;
    u32[ref * 2 + W_META] = (u32[ref * 2 + W_META] & ~LRU_BITS) | (field & LRU_BITS);
  }

  /** The expiry in ms, 0 when the key has no TTL. */
  expireAt(ref: number): number {
    const s = this.ks.arena.u32[ref * 2 + W_VSLOT];
    return s === 0 ? 0 : this.vol.expireAt(s);
  }

  /** The expiry as Redis holds it: -1 when none, exact (a bigint) beyond 2^53. */
  expireExact(ref: number): number | bigint {
    const s = this.ks.arena.u32[ref * 2 + W_VSLOT];
    return s === 0 ? -1 : this.vol.expireExact(s);
  }

  /** A copy of the key's bytes. */
  key(ref: number): Uint8Array {
    const v = this.ks.view.read(this.ks.arena.u8, ref);
    return this.ks.arena.u8.slice(v.keyOff, v.keyOff + v.klen);
  }

  /** The key as a one-char-per-byte string. */
  keyLatin1(ref: number): string {
    const v = this.ks.view.read(this.ks.arena.u8, ref);
    return latin1(this.ks.arena.u8.subarray(v.keyOff, v.keyOff + v.klen));
  }

  /** The string value's length. */
  strLen(ref: number): number {
    if (this.isObject(ref)) return this.big(ref).len;
    return this.ks.view.read(this.ks.arena.u8, ref).vlen;
  }

  /**
   * The buffer that holds the string value's bytes (the arena's, or a big value's own), to
   * read or change them in place from strOffset() on; valid until the next write.
   */
  strBuf(ref: number): Uint8Array {
    return this.isObject(ref) ? this.writable(this.big(ref)).bytes : this.ks.arena.u8;
  }

  /**
   * `big`, about to be changed in place: while its buffer is lent to another shard (which is
   * copying it into a reply, src/shard/lend.ts), it moves to a copy first.
   */
  protected writable(big: BigString): BigString {
    const lends = this.ks.objects.lends;
    if (lends === null || !lends.isLent(big.bytes)) return big;
    const old = big.bytes;
    big.bytes = old.slice();
    lends.dropped(old);
    return big;
  }

  /** The string value's first byte in strBuf(). */
  strOffset(ref: number): number {
    if (this.isObject(ref)) return 0;
    return this.ks.view.read(this.ks.arena.u8, ref).valOff;
  }

  /** The string value, as a window on where it lies (valid until the next write). */
  str(ref: number): Uint8Array {
    if (this.isObject(ref)) return this.big(ref).view();
    const v = this.ks.view.read(this.ks.arena.u8, ref);
    return this.ks.arena.u8.subarray(v.valOff, v.valOff + v.vlen);
  }

  /** The own buffer of a string longer than BIG_STRING. */
  protected big(ref: number): BigString {
    return this.ks.objects.get(this.handleOf(ref)) as BigString;
  }

  /** Whether the value is an object (a collection or a big string) rather than bytes. */
  isObject(ref: number): boolean {
    return (this.ks.arena.u32[ref * 2 + W_META] & OBJECT_BIT) !== 0;
  }

  /** Whether the value is a small collection's blob (listpack or intset bytes). */
  isBlob(ref: number): boolean {
    return (this.ks.arena.u32[ref * 2 + W_META] & BLOB_BIT) !== 0;
  }

  /** The blob's first byte in the arena, 0 when the record holds no blob. */
  blobOffset(ref: number): number {
    return this.isBlob(ref) ? this.handleOf(ref) * 8 : 0;
  }

  /**
   * The blob's length in bytes (its block may be larger): a listpack's total-bytes header, or
   * an intset's 8-byte header plus encoding × length.
   */
  blobLength(ref: number): number {
    const a = this.ks.arena;
    const at = this.handleOf(ref) * 8;
    if (this.encOf(ref) === BLOB_INTSET) return 8 + a.u32[at >>> 2] * a.u32[(at >>> 2) + 1];
    return lpBytes(a.u8, at);
  }

  protected handleOf(ref: number): number {
    const u8 = this.ks.arena.u8;
    const o = this.ks.view.read(u8, ref).valOff;
    return (u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24)) >>> 0;
  }
}
