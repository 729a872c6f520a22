/**
 * A list element as a listpack entry: encoding one (from a latin1 string or from the bytes of
 * an argument, so a push need not make a JS string) into a per-Worker scratch buffer, and
 * reading one back as a stored value, a comparison or reply bytes. Shared by the blob
 * (list_listpack.ts) and the quicklist nodes (quicklist.ts).
 */
import { type LpEntry, lpEntrySize, lpEquals, lpString, lpWrite, lpWriteInt } from "./listpack.ts";
import { MAX_STRING_VALUE, type StringValue } from "./types.ts";
import { parseInt64 } from "../util/numbers.ts";

/** Where a list's elements go as they are read out (the reply writer fits it). */
export interface ElementSink {
  /** an element's bytes, where they lie */
  bulkRange(src: Uint8Array, off: number, n: number): void;
  /** an element as a latin1 string (an integer entry's text) */
  bulkStr(s: string): void;
  /** a stored value */
  bulkValue(v: StringValue): void;
}

/** a scratch buffer larger than this is let go after use */
const SCRATCH_KEEP_BYTES = 1 << 20;

/** Per-Worker scratch holding the one entry being added (see encodeEntry). */
let scratch = new Uint8Array(256);

function scratchRoom(n: number): void {
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
}

function backlenSize(n: number): number {
  return n <= 127 ? 1 : n < 16383 ? 2 : n < 2097151 ? 3 : n < 268435455 ? 4 : 5;
}

/**
 * Encodes v as a listpack entry into entryScratch()[0, size); returns size. A canonical int64
 * (string2ll's rule) becomes an integer entry, as lpWrite does for strings.
 */
export function encodeEntry(v: StringValue): number {
  if (typeof v === "string") {
    const size = lpEntrySize(v);
    scratchRoom(size);
    lpWrite(scratch, 0, v);
    return size;
  }
  const n = v.length;
  if (n > 0 && n <= 20 && (v[0] === 45 || (v[0] >= 48 && v[0] <= 57))) {
    const x = parseInt64(v);
    if (x !== null) {
      scratchRoom(11);
      return lpWriteInt(scratch, 0, x);
    }
  }
  scratchRoom(bytesEntrySize(n));
  return writeBytesEntry(scratch, 0, v);
}

/** Bytes of a string entry of n bytes (backlen included). */
export function bytesEntrySize(n: number): number {
  const d = (n < 64 ? 1 : n < 4096 ? 2 : 5) + n;
  return d + backlenSize(d);
}

/** Writes the bytes v as a string entry at dst[p] (room checked); returns the entry's size. */
export function writeBytesEntry(dst: Uint8Array, p: number, v: Uint8Array): number {
  const n = v.length;
  const hdr = n < 64 ? 1 : n < 4096 ? 2 : 5;
  const d = hdr + n;
  const bl = backlenSize(d);
  if (n < 64) dst[p] = 0x80 | n;
  else if (n < 4096) {
    dst[p] = (n >> 8) | 0xe0;
    dst[p + 1] = n & 0xff;
  } else {
    dst[p] = 0xf0;
    dst[p + 1] = n & 0xff;
    dst[p + 2] = (n >>> 8) & 0xff;
    dst[p + 3] = (n >>> 16) & 0xff;
    dst[p + 4] = (n >>> 24) & 0xff;
  }
  if (n < 32) { for (let i = 0; i < n; i++) dst[p + hdr + i] = v[i]; }
  else dst.set(v, p + hdr);
  // the backlen: most significant 7-bit group first, every byte but the first with bit 7 set
  let q = p + d;
  for (let i = bl - 1; i >= 0; i--) {
    const g = Math.floor(d / 128 ** i) & 127;
    dst[q++] = i === bl - 1 ? g : g | 128;
  }
  return d + bl;
}

/** The buffer the last encodeEntry wrote to (valid until the next one). */
export function entryScratch(): Uint8Array {
  return scratch;
}

/** Copies the entry encodeEntry just wrote (sz bytes) to dst[at, at + sz). */
export function copyEntry(dst: Uint8Array, at: number, sz: number): void {
  const src = scratch;
  if (sz <= 64) { for (let i = 0; i < sz; i++) dst[at + i] = src[i]; }
  else dst.set(src.subarray(0, sz), at);
}

/** Lets a huge entry's scratch go once it has been copied. */
export function releaseEntryScratch(): void {
  if (scratch.length > SCRATCH_KEEP_BYTES) scratch = new Uint8Array(256);
}

/** An entry as a stored value (bytes for one too large for a V8 string). */
export function entryValue(u8: Uint8Array, e: LpEntry): StringValue {
  if (e.str >= 0 && e.len > MAX_STRING_VALUE) return u8.slice(e.str, e.str + e.len);
  return lpString(u8, e);
}

/** Whether an entry holds exactly the bytes of v. */
export function entryEquals(u8: Uint8Array, e: LpEntry, v: StringValue): boolean {
  if (typeof v === "string") return lpEquals(u8, e, v);
  if (e.str < 0) return v.length <= 20 && lpEquals(u8, e, shortText(v));
  if (e.len !== v.length) return false;
  const o = e.str;
  for (let i = 0; i < v.length; i++) if (u8[o + i] !== v[i]) return false;
  return true;
}

function shortText(v: Uint8Array): string {
  let s = "";
  for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i]);
  return s;
}

/** Writes an entry to the sink: a string entry's bytes where they lie, an integer's text. */
export function writeEntry(sink: ElementSink, u8: Uint8Array, e: LpEntry): void {
  if (e.str >= 0) sink.bulkRange(u8, e.str, e.len);
  else sink.bulkStr(e.big !== null ? e.big.toString() : String(e.int));
}
