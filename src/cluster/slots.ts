/**
 * Which shard owns which key. Shard i of n owns a contiguous range of the 16384 Redis Cluster
 * hash slots, and a key's slot is Redis Cluster's (CRC16 of its {hashtag}), in every mode: so
 * `{tag}` keys always share a shard, and cluster mode is the same routing made visible.
 * This is the one place that answers "which shard owns this key".
 */
import { keySlot, keySlotStr } from "../util/crc16.ts";

/** Redis Cluster's number of hash slots. */
export const SLOTS = 16384;

export class SlotMap {
  /** slot -> owning shard */
  private readonly owner = new Uint16Array(SLOTS);

  constructor(readonly shards: number) {
    for (let s = 0; s < shards; s++) {
      const [a, b] = this.range(s);
      this.owner.fill(s, a, b + 1);
    }
  }

  /** The slot range owned by shard s, inclusive. */
  range(s: number): [number, number] {
    const n = this.shards;
    return [Math.floor((s * SLOTS) / n), Math.floor(((s + 1) * SLOTS) / n) - 1];
  }

  /** The shard owning a key given as bytes. */
  ownerOf(key: Uint8Array): number {
    return this.owner[keySlot(key)];
  }

  /** The shard owning a key held as a one-char-per-byte string. */
  ownerOfLatin1(key: string): number {
    return this.owner[keySlotStr(key)];
  }

  /** The shard owning a slot. */
  ownerOfSlot(slot: number): number {
    return this.owner[slot];
  }
}
