/**
 * The byte-level reader of Redis's RDB format (rdb.c's rdbLoad* primitives) over bytes in
 * memory. Input is untrusted (RESTORE payloads, files from elsewhere): every read is bounds
 * checked and every announced length is checked against the bytes that remain before anything
 * is allocated, and any defect is thrown as an RdbError (never a RangeError or a huge
 * allocation), which callers turn into "Bad data format" or a load failure.
 */
import { lzfDecompress } from "../../util/lzf.ts";
import {
  RDB_32BITLEN,
  RDB_64BITLEN,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
} from "./writer.ts";

/** A truncated or corrupt RDB input: the one error the RDB readers throw. */
export class RdbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RdbError";
  }
}

/** The most an LZF stream can expand: a 3-byte back reference writes at most 264 bytes. */
const LZF_MAX_RATIO = 88;

export class RdbReader {
  /** the next byte to read */
  pos: number;
  /** one past the last byte that may be read */
  readonly end: number;
  private readonly dv: DataView;
  /** set by lenOrEncoding(): the length read was a string encoding (RDB_ENCVAL) */
  encoded = false;
  /** stringView()'s buffer for decompressed strings */
  private scratch = new Uint8Array(0);

  constructor(readonly buf: Uint8Array, from = 0, to = buf.length) {
    if (from < 0 || to > buf.length || from > to) throw new RdbError("bad reader bounds");
    this.pos = from;
    this.end = to;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless n more bytes can be read. */
  need(n: number, what = "data"): void {
    if (!(n >= 0) || n > this.end - this.pos) {
      throw new RdbError(
        `unexpected end of input reading ${what} (need ${n} bytes at ${this.pos})`,
      );
    }
  }

  /** One unsigned byte (a type or opcode: rdbLoadType). */
  byte(): number {
    this.need(1, "a byte");
    return this.buf[this.pos++];
  }

  /** A view of the next n bytes (valid while `buf` is). */
  bytes(n: number, what = "bytes"): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u16le(): number {
    this.need(2, "u16");
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32le(): number {
    this.need(4, "u32");
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** int32 little-endian (rdbLoadTime of RDB_OPCODE_EXPIRETIME, seconds). */
  i32le(): number {
    this.need(4, "i32");
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** int64 little-endian as a BigInt (rdbLoadMillisecondTime). */
  i64le(): bigint {
    this.need(8, "i64");
    const v = this.dv.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** rdbLoadMillisecondTime: milliseconds as a number (exact up to 2^53). */
  msTime(): number {
    return Number(this.i64le());
  }

  /**
   * rdbLoadLenByRef: a length, or (with `encoded` set) a string's special encoding. Lengths
   * beyond 2^53 are refused (nothing that long can follow).
   */
  lenOrEncoding(): number {
    const b = this.byte();
    const type = b >>> 6;
    this.encoded = false;
    if (type === 3) {
      this.encoded = true;
      return b & 0x3f;
    }
    if (type === 0) return b & 0x3f;
    if (type === 1) return ((b & 0x3f) << 8) | this.byte();
    if (b === RDB_32BITLEN) {
      this.need(4, "a 32-bit length");
      const v = this.dv.getUint32(this.pos, false);
      this.pos += 4;
      return v;
    }
    if (b === RDB_64BITLEN) {
      this.need(8, "a 64-bit length");
      const v = this.dv.getBigUint64(this.pos, false);
      this.pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RdbError(`length ${v} out of range`);
      return Number(v);
    }
    throw new RdbError(`unknown length encoding ${b} in rdbLoadLen()`);
  }

  /** rdbLoadLen where an encoding is not allowed (counts, sizes). */
  len(): number {
    const n = this.lenOrEncoding();
    if (this.encoded) throw new RdbError("unexpected string encoding where a length was expected");
    return n;
  }

  /**
   * A count of items that each take at least `minBytes` more bytes: refused when the input
   * cannot hold that many, so no caller preallocates for a length a payload only claims.
   */
  count(minBytes = 1, what = "items"): number {
    const n = this.len();
    if (n * minBytes > this.remaining) {
      throw new RdbError(`${what} count ${n} larger than the remaining input`);
    }
    return n;
  }

  /**
   * A string (rdbGenericLoadStringObject, plain): int-encoded strings come back as their
   * decimal text, LZF ones decompressed (fresh bytes), raw ones as a view into `buf`.
   */
  string(): Uint8Array {
    const n = this.lenOrEncoding();
    if (!this.encoded) return this.bytes(n, "a string");
    switch (n) {
      case RDB_ENC_INT8:
      case RDB_ENC_INT16:
      case RDB_ENC_INT32:
        return asciiBytes(String(this.encodedInt(n)));
      case RDB_ENC_LZF:
        return this.lzfString();
      default:
        throw new RdbError(`unknown RDB string encoding type ${n}`);
    }
  }

  /**
   * string() without a fresh allocation where it can be: a raw string is a view into `buf`, an
   * LZF one is decompressed into a scratch buffer this reader reuses (the view is valid until
   * the next call), for a caller that copies the bytes at once (the startup load's strings).
   */
  stringView(): Uint8Array {
    const start = this.pos;
    const n = this.lenOrEncoding();
    if (!this.encoded) return this.bytes(n, "a string");
    if (n !== RDB_ENC_LZF) {
      this.pos = start;
      return this.string();
    }
    const clen = this.len();
    const len = this.len();
    this.need(clen, "an LZF string");
    if (len > clen * LZF_MAX_RATIO) {
      throw new RdbError(`invalid LZF compressed string (${clen} bytes cannot hold ${len})`);
    }
    if (this.scratch.length < len) {
      this.scratch = new Uint8Array(Math.max(len, this.scratch.length * 2));
    }
    const out = this.scratch.subarray(0, len);
    if (len > 0 && lzfDecompress(this.buf, out, this.pos, this.pos + clen) !== len) {
      throw new RdbError("invalid LZF compressed string");
    }
    this.pos += clen;
    return out;
  }

  /**
   * A string that may be an encoded integer (rdbLoadEncodedStringObject): an int8/16/32
   * encoding comes back as a number, anything else as bytes.
   */
  stringOrInt(): Uint8Array | number {
    const start = this.pos;
    const n = this.lenOrEncoding();
    if (this.encoded && n <= RDB_ENC_INT32) return this.encodedInt(n);
    this.pos = start;
    return this.string();
  }

  private encodedInt(enc: number): number {
    if (enc === RDB_ENC_INT8) {
      this.need(1, "an int8");
      return this.dv.getInt8(this.pos++);
    }
    if (enc === RDB_ENC_INT16) {
      this.need(2, "an int16");
      const v = this.dv.getInt16(this.pos, true);
      this.pos += 2;
      return v;
    }
    this.need(4, "an int32");
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** rdbLoadLzfStringObject: compressed length, plain length, then the LZF stream. */
  private lzfString(): Uint8Array {
    const clen = this.len();
    const len = this.len();
    this.need(clen, "an LZF string");
    if (len > clen * LZF_MAX_RATIO) {
      throw new RdbError(`invalid LZF compressed string (${clen} bytes cannot hold ${len})`);
    }
    const out = new Uint8Array(len);
    if (len > 0 && lzfDecompress(this.buf, out, this.pos, this.pos + clen) !== len) {
      throw new RdbError("invalid LZF compressed string");
    }
    this.pos += clen;
    return out;
  }

  /** rdbLoadBinaryDoubleValue: IEEE 754 binary64, little-endian. */
  binaryDouble(): number {
    this.need(8, "a binary double");
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /**
   * rdbLoadDoubleValue (the text doubles of RDB_TYPE_ZSET): a length byte, 253 nan, 254 inf,
   * 255 -inf, else that many bytes of text read as sscanf("%lg") does.
   */
  asciiDouble(): number {
    const n = this.byte();
    if (n === 255) return -Infinity;
    if (n === 254) return Infinity;
    if (n === 253) return NaN;
    const b = this.bytes(n, "a double");
    let s = "";
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    const v = scanDouble(s);
    if (v === null) throw new RdbError(`invalid double "${s}"`);
    return v;
  }
}

/** sscanf("%lg"): leading space, then the longest prefix that reads as a double; null if none. */
function scanDouble(s: string): number | null {
  const m = /^\s*([+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))/i.exec(s);
  if (m === null) return null;
  const t = m[1].toLowerCase();
  if (t.endsWith("nan")) return NaN;
  if (t.includes("inf")) return t[0] === "-" ? -Infinity : Infinity;
  return Number(t);
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
