/**
 * The byte-level writer of Redis's RDB format (rdb.c's rdbSave* primitives): a growable buffer
 * that the value codec (value.ts) and the file layer write into. A file is written in chunks:
 * the caller drains the buffer (drain / flushTo) whenever `length` passes its chunk size, so no
 * single buffer ever holds a whole snapshot; the writer keeps the CRC-64 of everything that
 * passed through it when asked to (RDB files end with it).
 */
import { lzfCompress } from "../../util/lzf.ts";
import { parseInt64, parseInt64Str } from "../../util/numbers.ts";
import type { StringValue } from "../../store/types.ts";
import { crc64Bytes, crc64Init, type Crc64State, crc64Update } from "./crc64.ts";

/** RDB_ENCVAL << 6: the first byte of a string saved in a special encoding. */
export const RDB_ENCVAL_BITS = 0xc0;
export const RDB_ENC_INT8 = 0;
export const RDB_ENC_INT16 = 1;
export const RDB_ENC_INT32 = 2;
export const RDB_ENC_LZF = 3;
/** rdbSaveLen's first byte for a 32-bit and a 64-bit length. */
export const RDB_32BITLEN = 0x80;
export const RDB_64BITLEN = 0x81;

const INITIAL_BYTES = 4096;

export interface RdbWriterOptions {
  /** `rdbcompression`: LZF-compress strings over 20 bytes when that shrinks them (default true) */
  compression?: boolean;
  /** keep the CRC-64 of every byte written (`checksum()`); default false */
  crc?: boolean;
}

export class RdbWriter {
  /** LZF-compress strings over 20 bytes (Redis's `rdbcompression`). */
  compression: boolean;
  private buf = new Uint8Array(INITIAL_BYTES);
  private dv = new DataView(this.buf.buffer);
  private pos = 0;
  /** bytes drained before the buffered ones */
  private drained = 0;
  private readonly crc: Crc64State | null;
  /** scratch for LZF output */
  private lzfOut = new Uint8Array(256);

  constructor(opts: RdbWriterOptions = {}) {
    this.compression = opts.compression ?? true;
    this.crc = opts.crc ? crc64Init() : null;
  }

  /** Bytes buffered (not yet drained). */
  get length(): number {
    return this.pos;
  }

  /** Bytes written in all, drained or buffered. */
  get written(): number {
    return this.drained + this.pos;
  }

  /** Makes room for n more bytes. */
  private room(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** One byte: a value type (rdbSaveType) or an opcode. */
  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b & 0xff;
  }

  /** Bytes as they are (rdbWriteRaw). */
  raw(src: Uint8Array, from = 0, to = src.length): void {
    const n = to - from;
    this.room(n);
    this.buf.set(n === src.length ? src : src.subarray(from, to), this.pos);
    this.pos += n;
  }

  /** A latin1 string's bytes as they are. */
  rawLatin1(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** u16 little-endian (the DUMP footer's RDB version). */
  u16le(v: number): void {
    this.room(2);
    this.dv.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  /** u32 little-endian. */
  u32le(v: number): void {
    this.room(4);
    this.dv.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  /** A length (rdbSaveLen): 6-bit, 14-bit, 32-bit or 64-bit big-endian. */
  len(n: number): void {
    this.room(9);
    const b = this.buf;
    if (n < 64) b[this.pos++] = n;
    else if (n < 16384) {
      b[this.pos++] = 0x40 | (n >>> 8);
      b[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      b[this.pos++] = RDB_32BITLEN;
      this.dv.setUint32(this.pos, n, false);
      this.pos += 4;
    } else {
      b[this.pos++] = RDB_64BITLEN;
      this.dv.setBigUint64(this.pos, BigInt(n), false);
      this.pos += 8;
    }
  }

  /** rdbEncodeInteger: an int8/16/32 as its encoded form; false when v is out of their range. */
  encodedInt(v: number): boolean {
    if (v < -2147483648 || v > 2147483647) return false;
    this.room(5);
    const b = this.buf;
    if (v >= -128 && v <= 127) {
      b[this.pos++] = RDB_ENCVAL_BITS | RDB_ENC_INT8;
      b[this.pos++] = v & 0xff;
    } else if (v >= -32768 && v <= 32767) {
      b[this.pos++] = RDB_ENCVAL_BITS | RDB_ENC_INT16;
      this.dv.setInt16(this.pos, v, true);
      this.pos += 2;
    } else {
      b[this.pos++] = RDB_ENCVAL_BITS | RDB_ENC_INT32;
      this.dv.setInt32(this.pos, v, true);
      this.pos += 4;
    }
    return true;
  }

  /**
   * A string as rdbSaveRawString saves it: int-encoded when at most 11 bytes that read as a
   * 32-bit integer (string2ll), LZF-compressed when `compression`, over 20 bytes and it saves
   * at least 4 bytes (rdbSaveLzfStringObject), else the length and the bytes.
   */
  string(v: StringValue): void {
    const n = v.length;
    if (n <= 11 && n > 0) {
      const i = typeof v === "string" ? parseInt64Str(v) : parseInt64(v);
      if (typeof i === "number" && this.encodedInt(i)) return;
    }
    if (this.compression && n > 20) {
      const bytes = typeof v === "string" ? latin1Bytes(v) : v;
      if (this.lzf(bytes)) return;
    }
    this.len(n);
    if (typeof v === "string") this.rawLatin1(v);
    else this.raw(v);
  }

  /** rdbSaveLzfStringObject: the LZF form of `bytes` when it saves 4+ bytes; false if not. */
  private lzf(bytes: Uint8Array): boolean {
    const n = bytes.length;
    if (n <= 4) return false;
    const outLen = n - 4;
    if (this.lzfOut.length < outLen) {
      this.lzfOut = new Uint8Array(Math.max(outLen, this.lzfOut.length * 2));
    }
    const c = lzfCompress(bytes, this.lzfOut, outLen);
    if (c === 0) return false;
    this.lzfBlob(this.lzfOut, c, n);
    return true;
  }

  /** rdbSaveLzfBlob: already-compressed bytes data[0, clen) of a string of `origLen` bytes. */
  lzfBlob(data: Uint8Array, clen: number, origLen: number): void {
    this.byte(RDB_ENCVAL_BITS | RDB_ENC_LZF);
    this.len(clen);
    this.len(origLen);
    this.raw(data, 0, clen);
  }

  /** rdbSaveLongLongAsStringObject: an integer, encoded when it fits 32 bits, else as text. */
  longLong(v: number | bigint): void {
    if (typeof v === "number" && this.encodedInt(v)) return;
    const s = String(v);
    this.len(s.length);
    this.rawLatin1(s);
  }

  /** rdbSaveBinaryDoubleValue: IEEE 754 binary64, little-endian. */
  binaryDouble(d: number): void {
    this.room(8);
    this.dv.setFloat64(this.pos, d, true);
    this.pos += 8;
  }

  /** rdbSaveMillisecondTime: int64 little-endian (`exact` when beyond 2^53). */
  msTime(t: number, exact?: bigint): void {
    this.room(8);
    this.dv.setBigInt64(this.pos, exact ?? BigInt(t), true);
    this.pos += 8;
  }

  /** The buffered bytes as a view (valid until the next write); they stay buffered. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of the buffered bytes; the buffer is emptied (they count as drained). */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.markDrained();
    return out;
  }

  /**
   * The buffered bytes as a view, and the buffer emptied: the view is valid until the next
   * write. For a file written in chunks: write what drain() gives, then go on.
   */
  drain(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.markDrained();
    return out;
  }

  /** Writes the buffered bytes to `file` (all of them) and empties the buffer. */
  flushTo(file: { writeSync(p: Uint8Array): number }): void {
    let b = this.drain();
    while (b.length > 0) b = b.subarray(file.writeSync(b));
  }

  /** Forgets the buffered bytes (they are not counted as written or checksummed). */
  reset(): void {
    this.pos = 0;
  }

  /** The CRC-64 of every byte written so far (drained and buffered), little-endian. */
  checksum(): Uint8Array {
    if (this.crc === null) throw new Error("RdbWriter: created without crc");
    const s = { hi: this.crc.hi, lo: this.crc.lo };
    return crc64Bytes(crc64Update(s, this.buf, 0, this.pos));
  }

  private markDrained(): void {
    if (this.crc !== null) crc64Update(this.crc, this.buf, 0, this.pos);
    this.drained += this.pos;
    this.pos = 0;
    // a huge value's buffer is not kept for the next small ones
    if (this.buf.length > 64 * 1024 * 1024) {
      this.buf = new Uint8Array(INITIAL_BYTES);
      this.dv = new DataView(this.buf.buffer);
    }
  }
}

/** Per-Worker scratch for a latin1 string's bytes (LZF needs bytes). */
let latin1Scratch = new Uint8Array(256);

function latin1Bytes(s: string): Uint8Array {
  const n = s.length;
  if (latin1Scratch.length < n) {
    latin1Scratch = new Uint8Array(Math.max(n, latin1Scratch.length * 2));
  }
  for (let i = 0; i < n; i++) latin1Scratch[i] = s.charCodeAt(i);
  return latin1Scratch.subarray(0, n);
}
