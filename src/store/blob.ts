/**
 * A small collection's bytes (a listpack or an intset, Redis's formats) in an arena block of
 * their own, named by a u32 ref that the key's record holds as its value. Because the record
 * keeps only the ref, the collection can grow, shrink or move without moving the record: the
 * ref in the record is rewritten in place.
 *
 * A Blob is the handle a collection in its compact encoding works through while one command
 * runs; it is made per lookup and must not be kept past the command (a write elsewhere in the
 * keyspace may free or move the record).
 */
import type { Arena } from "./arena.ts";
import type { CollectionValue } from "./types.ts";
import { ENC_BITS, ENC_SHIFT, W_META } from "./record.ts";

/** What a Blob needs from the database holding its record. */
export interface BlobOwner {
  readonly arena: Arena;
  /** The collection leaves its compact encoding: the record holds `obj` from now on. */
  blobToObject(record: number, obj: CollectionValue): void;
}

export class Blob {
  constructor(
    readonly owner: BlobOwner,
    /** the record holding the blob's ref */
    readonly record: number,
    /** byte offset in the arena of the record's u32 blob ref */
    readonly slot: number,
  ) {}

  /** the arena's bytes (a view that follows the arena as it grows) */
  get u8(): Uint8Array {
    return this.owner.arena.u8;
  }

  /** The blob's block. */
  get ref(): number {
    const u8 = this.owner.arena.u8, s = this.slot;
    return (u8[s] | (u8[s + 1] << 8) | (u8[s + 2] << 16) | (u8[s + 3] << 24)) >>> 0;
  }

  /** The blob's first byte in u8. */
  get at(): number {
    return this.ref * 8;
  }

  /** Bytes the blob may hold without moving (its block's size). */
  get capacity(): number {
    return this.owner.arena.blockBytes(this.ref);
  }

  /**
   * The blob becomes src[0, len). It is rewritten in place when its block fits len without
   * wasting more than half of it; otherwise it moves to a block of the right class. `src` must
   * not lie in the blob's own block unless the blob stays in place.
   */
  write(src: Uint8Array, len: number): void {
    const a = this.owner.arena;
    const old = this.ref;
    const cap = a.blockBytes(old);
    if (len <= cap && len * 2 > cap) {
      a.u8.set(src.subarray(0, len), old * 8);
      return;
    }
    const fresh = a.alloc(len);
    a.u8.set(src.subarray(0, len), fresh * 8);
    this.setRef(fresh);
    a.free(old);
  }

  /**
   * Makes the blob `len` bytes long, keeping its first min(old, len) bytes (the caller then
   * edits it in place from `at`): in place when the block allows, else moved.
   */
  resize(len: number, oldLen: number): void {
    const a = this.owner.arena;
    const old = this.ref;
    const cap = a.blockBytes(old);
    if (len <= cap && len * 2 > cap) return;
    const fresh = a.alloc(len);
    a.u8.copyWithin(fresh * 8, old * 8, old * 8 + Math.min(len, oldLen));
    this.setRef(fresh);
    a.free(old);
  }

  /** The blob's format (BLOB_LISTPACK, BLOB_INTSET): its record's encoding bits. */
  get format(): number {
    return (this.owner.arena.u32[this.record * 2 + W_META] >>> ENC_SHIFT) & ENC_BITS;
  }

  /** The blob now holds another format (a set's intset became a listpack). */
  setFormat(format: number): void {
    const u32 = this.owner.arena.u32, w = this.record * 2 + W_META;
    u32[w] = (u32[w] & ~(ENC_BITS << ENC_SHIFT)) | ((format & ENC_BITS) << ENC_SHIFT);
  }

  /** The collection leaves its compact encoding (see BlobOwner). */
  toObject(obj: CollectionValue): void {
    this.owner.blobToObject(this.record, obj);
  }

  private setRef(r: number): void {
    const u8 = this.owner.arena.u8, s = this.slot;
    u8[s] = r & 255;
    u8[s + 1] = (r >>> 8) & 255;
    u8[s + 2] = (r >>> 16) & 255;
    u8[s + 3] = r >>> 24;
  }
}
