/**
 * Redis's listpack, byte for byte (listpack.c), so small collections can be stored, dumped and
 * loaded as Redis holds them:
 *
 *   u32 total bytes, u16 number of entries (65535: count by walking), entries..., 0xFF
 *
 * An entry is an encoding byte (with the data that follows it) and a backlen: the length of
 * encoding+data written backwards in 7-bit groups, so the list can be walked from its end.
 * A string that is a canonical int64 (Redis's string2ll) is stored as an integer in the
 * smallest of 7, 13, 16, 24, 32 or 64 bits; any other string as 6-, 12- or 32-bit length and
 * its bytes. Reading an integer entry back as text gives the original string exactly.
 *
 * Functions take the buffer and byte offsets (`base`: the listpack's first byte; `p`: an
 * entry's first byte), so they read a listpack where it lies in the arena. Elements are given
 * as latin1 strings (one char per byte), the form the command layer holds them in.
 */
import { parseInt64Str } from "../util/numbers.ts";
import { latin1Range } from "../util/bytes.ts";

export const LP_HEADER_BYTES = 6;
export const LP_EOF = 0xff;
/** bytes of a listpack with no entries */
export const LP_EMPTY_BYTES = 7;
/** A listpack with no entries (copy it: setBlob copies its source). */
export const LP_EMPTY = new Uint8Array([7, 0, 0, 0, 0, 0, 0xff]);
/** the u16 count's "unknown" value */
const LP_COUNT_UNKNOWN = 65535;

/** A decoded entry (reused: lpRead fills it). */
export class LpEntry {
  /** the entry's first byte */
  at = 0;
  /** the next entry's first byte (the EOF byte after the last entry) */
  next = 0;
  /** a string entry's first data byte; -1 for an integer entry */
  str = -1;
  /** a string entry's length */
  len = 0;
  /** an integer entry's value, exact up to 2^53 (see `big`) */
  int = 0;
  /** an integer entry beyond 2^53: its exact value; null otherwise */
  big: bigint | null = null;
}

/** The listpack's total bytes (its header field). */
export function lpBytes(u8: Uint8Array, base: number): number {
  return (u8[base] | (u8[base + 1] << 8) | (u8[base + 2] << 16) | (u8[base + 3] << 24)) >>> 0;
}

/** The number of entries. */
export function lpCount(u8: Uint8Array, base: number): number {
  const n = u8[base + 4] | (u8[base + 5] << 8);
  if (n !== LP_COUNT_UNKNOWN) return n;
  let c = 0;
  const e = scratchEntry;
  for (let p = base + LP_HEADER_BYTES; lpRead(u8, p, e); p = e.next) c++;
  return c;
}

const scratchEntry = new LpEntry();

/** The first entry's offset (the EOF byte when empty). */
export function lpFirst(base: number): number {
  return base + LP_HEADER_BYTES;
}

/** Decodes the entry at p into e; false when p is the EOF byte. */
export function lpRead(u8: Uint8Array, p: number, e: LpEntry): boolean {
  const b = u8[p];
  e.at = p;
  e.big = null;
  let dataEnd: number;
  if (b < 0x80) {
    e.str = -1;
    e.int = b;
    dataEnd = p + 1;
  } else if (b < 0xc0) {
    e.str = p + 1;
    e.len = b & 0x3f;
    dataEnd = e.str + e.len;
  } else if (b < 0xe0) {
    let v = ((b & 0x1f) << 8) | u8[p + 1];
    if (v >= 1 << 12) v -= 1 << 13;
    e.str = -1;
    e.int = v;
    dataEnd = p + 2;
  } else if (b < 0xf0) {
    e.str = p + 2;
    e.len = ((b & 0x0f) << 8) | u8[p + 1];
    dataEnd = e.str + e.len;
  } else {
    switch (b) {
      case 0xf0:
        e.str = p + 5;
        e.len = (u8[p + 1] | (u8[p + 2] << 8) | (u8[p + 3] << 16) | (u8[p + 4] << 24)) >>> 0;
        dataEnd = e.str + e.len;
        break;
      case 0xf1:
        e.str = -1;
        e.int = ((u8[p + 1] | (u8[p + 2] << 8)) << 16) >> 16;
        dataEnd = p + 3;
        break;
      case 0xf2:
        e.str = -1;
        e.int = ((u8[p + 1] | (u8[p + 2] << 8) | (u8[p + 3] << 16)) << 8) >> 8;
        dataEnd = p + 4;
        break;
      case 0xf3:
        e.str = -1;
        e.int = u8[p + 1] | (u8[p + 2] << 8) | (u8[p + 3] << 16) | (u8[p + 4] << 24);
        dataEnd = p + 5;
        break;
      case 0xf4: {
        e.str = -1;
        const lo = (u8[p + 1] | (u8[p + 2] << 8) | (u8[p + 3] << 16) | (u8[p + 4] << 24)) >>> 0;
        const hi = u8[p + 5] | (u8[p + 6] << 8) | (u8[p + 7] << 16) | (u8[p + 8] << 24);
        const v = hi * 4294967296 + lo;
        if (Number.isSafeInteger(v)) e.int = v;
        else {
          const big = (BigInt(hi) << 32n) | BigInt(lo);
          e.big = big;
          e.int = Number(big);
        }
        dataEnd = p + 9;
        break;
      }
      case LP_EOF:
        return false;
      default:
        throw new Error(`listpack: bad entry encoding 0x${b.toString(16)} at ${p}`);
    }
  }
  e.next = dataEnd + backlenSize(dataEnd - p);
  return true;
}

/** The entry before the one at p (p may be the EOF byte); -1 when p is the first entry. */
export function lpPrev(u8: Uint8Array, base: number, p: number): number {
  if (p <= base + LP_HEADER_BYTES) return -1;
  // the backlen ends just before p: its last byte is the lowest 7 bits, bit 7 says more
  let q = p - 1;
  let len = 0;
  let shift = 1;
  for (;;) {
    const b = u8[q];
    len += (b & 0x7f) * shift;
    if ((b & 0x80) === 0) break;
    shift *= 128;
    q--;
  }
  return q - len;
}

/** From the entry at p, entry number `from`, to entry number `to` (either way): its offset. */
export function lpSeek(
  u8: Uint8Array,
  base: number,
  p: number,
  from: number,
  to: number,
  e: LpEntry,
): number {
  for (; from < to; from++) {
    lpRead(u8, p, e);
    p = e.next;
  }
  for (; from > to; from--) p = lpPrev(u8, base, p);
  return p;
}

/** The entry as a latin1 string (an integer as its decimal text). */
export function lpString(u8: Uint8Array, e: LpEntry): string {
  if (e.str < 0) return e.big !== null ? e.big.toString() : String(e.int);
  return latin1Range(u8, e.str, e.str + e.len);
}

/** Whether the entry holds exactly the latin1 string s. */
export function lpEquals(u8: Uint8Array, e: LpEntry, s: string): boolean {
  if (e.str < 0) {
    // only a canonical integer string can equal an integer entry
    const n = s.length;
    if (n === 0 || n > 20) return false;
    const c = s.charCodeAt(0);
    if (c !== 45 && (c < 48 || c > 57)) return false;
    return (e.big !== null ? e.big.toString() : String(e.int)) === s;
  }
  const n = e.len;
  if (s.length !== n) return false;
  const o = e.str;
  // from the end: members of one collection often share a prefix and differ at the end
  for (let i = n - 1; i >= 0; i--) if (u8[o + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** Walks from p to the first entry equal to s, visiting every `step`-th entry; -1 if none. */
export function lpFind(u8: Uint8Array, p: number, s: string, step: number, e: LpEntry): number {
  let k = 0;
  while (lpRead(u8, p, e)) {
    if (k === 0 && lpEquals(u8, e, s)) return p;
    k = k + 1 === step ? 0 : k + 1;
    p = e.next;
  }
  return -1;
}

// ---- encoding

/** Bytes of a backlen for an entry of n bytes (encoding + data). */
function backlenSize(n: number): number {
  return n <= 127 ? 1 : n < 16383 ? 2 : n < 2097151 ? 3 : n < 268435455 ? 4 : 5;
}

/** Writes the backlen of an n-byte entry at u8[p]; returns the offset after it. */
function writeBacklen(u8: Uint8Array, p: number, n: number): number {
  const size = backlenSize(n);
  // most significant group first; every byte but the first has bit 7 set
  for (let i = size - 1; i >= 0; i--) {
    const g = Math.floor(n / 128 ** i) & 127;
    u8[p++] = i === size - 1 ? g : g | 128;
  }
  return p;
}

/** The int64 a latin1 string encodes as a listpack integer, or null (not canonical). */
export function lpIntOf(s: string): number | bigint | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  const c = s.charCodeAt(0);
  if (c !== 45 && (c < 48 || c > 57)) return null;
  return parseInt64Str(s);
}

/**
 * The integer entry a sorted set's listpack holds for `score`, as Redis 7.0's zzlInsertAt
 * stores it (double2ll: an integral score within +-2^62, -0 included, is written with
 * lpAppendInteger), else null: the score is stored as its d2string text (formatDouble).
 */
export function lpScoreInt(score: number): number | bigint | null {
  if (!Number.isInteger(score) || score > 2 ** 62 || score < -(2 ** 62)) return null;
  return Number.isSafeInteger(score) ? score + 0 : BigInt(score);
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** Bytes of the data of an integer entry (encoding byte included). */
function intDataSize(v: number | bigint): number {
  if (typeof v === "bigint") {
    // a bigint within 2^53 takes the smallest width, as the same value as a number would
    if (v > MAX_SAFE_BIG || v < -MAX_SAFE_BIG) return 9;
    v = Number(v);
  }
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

function strDataSize(n: number): number {
  return n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
}

/** Bytes of the whole entry (backlen included) that stores the latin1 string s. */
export function lpEntrySize(s: string): number {
  const v = lpIntOf(s);
  const d = v !== null ? intDataSize(v) : strDataSize(s.length);
  return d + backlenSize(d);
}

/** Bytes of the whole entry that stores the integer v. */
export function lpIntEntrySize(v: number | bigint): number {
  const d = intDataSize(v);
  return d + backlenSize(d);
}

/** Writes the entry for the integer v at u8[p]; returns the offset after it. */
export function lpWriteInt(u8: Uint8Array, p: number, v: number | bigint): number {
  const start = p;
  if (typeof v === "bigint" && v <= MAX_SAFE_BIG && v >= -MAX_SAFE_BIG) v = Number(v);
  if (typeof v !== "bigint" && v >= 0 && v <= 127) u8[p++] = v;
  else if (typeof v !== "bigint" && v >= -4096 && v <= 4095) {
    const w = v < 0 ? (1 << 13) + v : v;
    u8[p++] = (w >> 8) | 0xc0;
    u8[p++] = w & 0xff;
  } else if (typeof v !== "bigint" && v >= -32768 && v <= 32767) {
    u8[p++] = 0xf1;
    u8[p++] = v & 0xff;
    u8[p++] = (v >> 8) & 0xff;
  } else if (typeof v !== "bigint" && v >= -8388608 && v <= 8388607) {
    u8[p++] = 0xf2;
    u8[p++] = v & 0xff;
    u8[p++] = (v >> 8) & 0xff;
    u8[p++] = (v >> 16) & 0xff;
  } else if (typeof v !== "bigint" && v >= -2147483648 && v <= 2147483647) {
    u8[p++] = 0xf3;
    u8[p++] = v & 0xff;
    u8[p++] = (v >> 8) & 0xff;
    u8[p++] = (v >> 16) & 0xff;
    u8[p++] = (v >>> 24) & 0xff;
  } else {
    let b = BigInt.asUintN(64, BigInt(v));
    u8[p++] = 0xf4;
    for (let i = 0; i < 8; i++) {
      u8[p++] = Number(b & 0xffn);
      b >>= 8n;
    }
  }
  return writeBacklen(u8, p, p - start);
}

/** Writes the entry storing the latin1 string s at u8[p]; returns the offset after it. */
export function lpWrite(u8: Uint8Array, p: number, s: string): number {
  const v = lpIntOf(s);
  if (v !== null) return lpWriteInt(u8, p, v);
  const start = p;
  const n = s.length;
  if (n < 64) u8[p++] = 0x80 | n;
  else if (n < 4096) {
    u8[p++] = (n >> 8) | 0xe0;
    u8[p++] = n & 0xff;
  } else {
    u8[p++] = 0xf0;
    u8[p++] = n & 0xff;
    u8[p++] = (n >>> 8) & 0xff;
    u8[p++] = (n >>> 16) & 0xff;
    u8[p++] = (n >>> 24) & 0xff;
  }
  for (let i = 0; i < n; i++) u8[p + i] = s.charCodeAt(i);
  p += n;
  return writeBacklen(u8, p, p - start);
}

/** Writes a listpack header (total bytes, entry count) at u8[base]. */
export function lpWriteHeader(u8: Uint8Array, base: number, bytes: number, count: number): void {
  u8[base] = bytes & 0xff;
  u8[base + 1] = (bytes >>> 8) & 0xff;
  u8[base + 2] = (bytes >>> 16) & 0xff;
  u8[base + 3] = (bytes >>> 24) & 0xff;
  const c = count < LP_COUNT_UNKNOWN ? count : LP_COUNT_UNKNOWN;
  u8[base + 4] = c & 0xff;
  u8[base + 5] = c >> 8;
}

/**
 * Builds a listpack in a scratch buffer that grows as needed: begin(), then entries (new ones,
 * or runs copied from another listpack), then end(). Edits of a stored listpack are built
 * this way (its unchanged runs copied around the change) and written back in one go.
 */
export class LpBuilder {
  buf = new Uint8Array(1024);
  /** bytes written so far (the total after end()) */
  len = 0;
  count = 0;

  begin(): void {
    this.len = LP_HEADER_BYTES;
    this.count = 0;
  }

  add(s: string): void {
    this.room(s.length + 11);
    this.len = lpWrite(this.buf, this.len, s);
    this.count++;
  }

  addInt(v: number | bigint): void {
    this.room(11);
    this.len = lpWriteInt(this.buf, this.len, v);
    this.count++;
  }

  /** Appends the `count` whole entries lying in src[from, to). */
  copy(src: Uint8Array, from: number, to: number, count: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.room(n);
    this.buf.set(src.subarray(from, to), this.len);
    this.len += n;
    this.count += count;
  }

  /** Closes the listpack (EOF byte, header); returns its total bytes. */
  end(): number {
    this.room(1);
    this.buf[this.len++] = LP_EOF;
    lpWriteHeader(this.buf, 0, this.len, this.count);
    return this.len;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let c = this.buf.length * 2;
    while (c < this.len + n) c *= 2;
    const b = new Uint8Array(c);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
}
