/**
 * A string value too large for an arena block: it gets its own buffer, as Redis gives a big
 * value its own allocation. The record holds a handle to it (like a collection), so freeing it
 * gives the memory back to the system instead of leaving a hole in the arena, and a value that
 * arrived in a request buffer of its own can be adopted without a copy.
 */
import type { CollectionValue } from "./types.ts";

/** Values longer than this live in their own buffer (the largest arena size class is 16 KiB). */
export const BIG_STRING = 16 * 1024;

const MiB = 1024 * 1024;

export class BigString implements CollectionValue {
  /** records of the object table that hold it (RENAME and MOVE hand it from one to another) */
  holders = 0;

  /** `bytes` is owned from now on; the value is its first `len` bytes. */
  constructor(public bytes: Uint8Array, public len: number) {}

  get size(): number {
    return this.len;
  }

  encoding(): string {
    return "raw";
  }

  clone(): BigString {
    return new BigString(this.bytes.slice(0, this.len), this.len);
  }

  /** The value, as a window on its buffer. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.len);
  }

  /**
   * Made `len` bytes long: the first min(old, len) bytes kept, new ones 0. Growing leaves room
   * for more (doubling up to 1 MiB, then 1 MiB more), as sds does for APPEND and SETRANGE.
   */
  resize(len: number): void {
    if (len > this.bytes.length) {
      const room = len < MiB ? len * 2 : len + MiB;
      const grown = new Uint8Array(room);
      grown.set(this.bytes.subarray(0, Math.min(this.len, len)));
      this.bytes = grown;
    } else if (len > this.len) {
      this.bytes.fill(0, this.len, len);
    }
    this.len = len;
  }
}
