/**
 * The bytes of Redis 7.0's compact encodings, listpack (listpack.c) and intset (intset.c), for
 * values Skua holds its own way: RDB saves these blobs as they are (LZF-compressed when that
 * shrinks them), so DEBUG OBJECT's serializedlength needs their exact bytes, not only sizes.
 */
import type { StringValue } from "../../store/types.ts";
import { parseInt64, parseInt64Str } from "../../util/numbers.ts";

/** A listpack's header (total bytes u32, count u16) and its 0xFF terminator. */
export const LP_OVERHEAD = 7;

/** The int64 a listpack would store `v` as (lpStringToInt64), else null. */
export function lpInt(v: StringValue): number | bigint | null {
  return typeof v === "string" ? parseInt64Str(v) : parseInt64(v);
}

/** Bytes of lpEncodeBacklen(l). */
function backlenBytes(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/** Bytes of the entry's encoding and data, without its backlen. */
function entryBody(v: StringValue): number {
  const i = lpInt(v);
  if (i !== null) {
    const x = Number(i);
    if (x >= 0 && x <= 127) return 1;
    if (x >= -4096 && x <= 4095) return 2;
    if (x >= -32768 && x <= 32767) return 3;
    if (x >= -8388608 && x <= 8388607) return 4;
    return x >= -(2 ** 31) && x <= 2 ** 31 - 1 ? 5 : 9;
  }
  const len = v.length;
  return (len < 64 ? 1 : len < 4096 ? 2 : 5) + len;
}

/** Bytes one entry takes in a listpack, backlen included. */
export function lpEntryBytes(v: StringValue): number {
  const n = entryBody(v);
  return n + backlenBytes(n);
}

/** Builds a listpack's bytes, entry by entry, as lpAppend writes them. */
export class ListpackBytes {
  private buf = new Uint8Array(256);
  private len = LP_OVERHEAD - 1;
  private count = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.buf[this.len++] = b & 0xff;
  }

  /** `n` bytes of `x` little-endian (two's complement). */
  private le(x: bigint, n: number): void {
    for (let i = 0; i < n; i++) this.byte(Number((x >> BigInt(8 * i)) & 0xffn));
  }

  append(v: StringValue): void {
    const body = entryBody(v);
    this.room(body + 5);
    const i = lpInt(v);
    if (i !== null) {
      const x = BigInt(i);
      if (body === 1) this.byte(Number(x));
      else if (body === 2) {
        const u = Number(x < 0n ? x + 8192n : x);
        this.byte((u >> 8) | 0xc0);
        this.byte(u);
      } else {
        this.byte([0, 0, 0, 0xf1, 0xf2, 0xf3, 0, 0, 0, 0xf4][body]);
        this.le(x, body - 1);
      }
    } else {
      const len = v.length;
      if (len < 64) this.byte(0x80 | len);
      else if (len < 4096) {
        this.byte((len >> 8) | 0xe0);
        this.byte(len);
      } else {
        this.byte(0xf0);
        this.le(BigInt(len), 4);
      }
      for (let j = 0; j < len; j++) this.byte(typeof v === "string" ? v.charCodeAt(j) : v[j]);
    }
    // lpEncodeBacklen: the entry's size, 7 bits a byte, readable from the right
    const l = body;
    const n = backlenBytes(l);
    for (let k = n - 1; k >= 0; k--) {
      const part = Math.floor(l / 2 ** (7 * k)) & 127;
      this.byte(k === n - 1 ? part : part | 128);
    }
    this.count++;
  }

  /** The finished listpack (header filled in, terminator added). */
  bytes(): Uint8Array {
    this.room(1);
    this.byte(0xff);
    const b = this.buf.subarray(0, this.len);
    const total = this.len;
    for (let i = 0; i < 4; i++) b[i] = (total >>> (8 * i)) & 0xff;
    const count = Math.min(this.count, 65535);
    b[4] = count & 0xff;
    b[5] = count >>> 8;
    return b;
  }
}

/** An intset's bytes: encoding width, length, then the sorted values little-endian. */
export function intsetBytes(sorted: readonly string[]): Uint8Array {
  let width = 2;
  for (const m of sorted) {
    const x = Number(parseInt64Str(m));
    if (x < -(2 ** 31) || x > 2 ** 31 - 1) width = 8;
    else if (width < 4 && (x < -32768 || x > 32767)) width = 4;
  }
  const out = new Uint8Array(8 + width * sorted.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, width, true);
  dv.setUint32(4, sorted.length, true);
  for (let i = 0; i < sorted.length; i++) {
    const x = BigInt(parseInt64Str(sorted[i])!);
    const o = 8 + i * width;
    if (width === 2) dv.setInt16(o, Number(x), true);
    else if (width === 4) dv.setInt32(o, Number(x), true);
    else dv.setBigInt64(o, x, true);
  }
  return out;
}
