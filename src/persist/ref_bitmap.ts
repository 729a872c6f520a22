/**
 * A set of arena refs as one bit per ref (snapshot.ts: the records a background snapshot has
 * settled). A ref counts 8-byte units of the arena, so the bitmap costs 1/64 of the arena's
 * size — about 1.5 bytes a small key, against ~55 for a JS Set entry — and adding never
 * rehashes: it grows in 1 MiB steps of a resizable buffer (no copy), reserved up to the
 * arena's 32 GiB of refs but committed only as far as the highest ref added.
 */
import { MAX_PAGES, PAGE_BYTES } from "../store/arena.ts";

/** bytes of bitmap for every ref of a full arena (one bit per 8 arena bytes) */
const MAX_BYTES = (MAX_PAGES * PAGE_BYTES) / 64;
/** the bitmap grows by at least this much (a growth zeroes only the new bytes) */
const GROW_BYTES = 1 << 20;

export class RefBitmap {
  private readonly buf = new ArrayBuffer(0, { maxByteLength: MAX_BYTES });
  private readonly bits = new Uint8Array(this.buf);

  has(ref: number): boolean {
    const i = ref >>> 3;
    // beyond the committed bytes the index answers undefined: not set
    return i < this.buf.byteLength && (this.bits[i] & (1 << (ref & 7))) !== 0;
  }

  /** Sets the bit of `ref`; returns whether it was clear. */
  add(ref: number): boolean {
    const i = ref >>> 3;
    if (i >= this.buf.byteLength) this.grow(i + 1);
    const m = 1 << (ref & 7);
    const b = this.bits[i];
    if ((b & m) !== 0) return false;
    this.bits[i] = b | m;
    return true;
  }

  /** Empties the set and gives its memory back. */
  clear(): void {
    this.buf.resize(0);
  }

  /** Bytes committed (for tests and INFO-like reporting). */
  get bytes(): number {
    return this.buf.byteLength;
  }

  private grow(need: number): void {
    const to = Math.min(MAX_BYTES, Math.max(need, this.buf.byteLength + GROW_BYTES));
    this.buf.resize(to);
  }
}
