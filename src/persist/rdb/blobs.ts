/**
 * Reading Redis's compact encodings out of untrusted RDB / RESTORE input: listpack
 * (listpack.c), ziplist (ziplist.c, RDB before Redis 7), zipmap (zipmap.c, Redis 2.4) and
 * intset (intset.c). Each walk checks every header, entry and length against the blob's bounds,
 * as Redis's deep sanitization (lpValidateIntegrity, ziplistValidateIntegrity, ...) does, so a
 * blob that passes can be installed as it is and never takes the store's own (unchecked)
 * readers out of bounds later. Entries are handed over as latin1 strings (integers as their
 * decimal text). Any defect throws RdbError.
 */
import { RdbError } from "./reader.ts";

/** Receives each entry of a walk, in order. */
export type EntrySink = (entry: string) => void;

const LP_HEADER = 6;
const LP_COUNT_UNKNOWN = 65535;

function latin1Of(u8: Uint8Array, from: number, to: number): string {
  let s = "";
  // chunked: String.fromCharCode takes an argument list
  for (let p = from; p < to; p += 8192) {
    s += String.fromCharCode.apply(null, u8.subarray(p, Math.min(to, p + 8192)) as never);
  }
  return s;
}

function u32le(u8: Uint8Array, p: number): number {
  return (u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24)) >>> 0;
}

/** A signed little-endian integer of n bytes (n <= 8) at p, as text. */
function intText(u8: Uint8Array, p: number, n: number): string {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(u8[p + i]);
  return BigInt.asIntN(8 * n, v).toString();
}

/** Bytes lpEncodeBacklen writes for an entry of l bytes. */
function backlenBytes(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/** Whether u8[p, p + n) holds lpEncodeBacklen(l) (n = backlenBytes(l)). */
function backlenMatches(u8: Uint8Array, p: number, l: number, n: number): boolean {
  for (let k = n - 1; k >= 0; k--) {
    const part = Math.floor(l / 2 ** (7 * k)) & 127;
    const want = k === n - 1 ? part : part | 128;
    if (u8[p + (n - 1 - k)] !== want) return false;
  }
  return true;
}

/**
 * Walks the listpack u8[0, size) (lpValidateIntegrity, deep): header, every entry and its
 * backlen, the count, the terminator. Calls sink per entry when given; returns the count.
 */
export function walkListpack(u8: Uint8Array, sink: EntrySink | null, what = "listpack"): number {
  const size = u8.length;
  if (size < LP_HEADER + 1) throw new RdbError(`${what} integrity check failed (too short)`);
  if (u32le(u8, 0) !== size) throw new RdbError(`${what} integrity check failed (header size)`);
  if (u8[size - 1] !== 0xff) throw new RdbError(`${what} integrity check failed (terminator)`);
  const declared = u8[4] | (u8[5] << 8);
  const end = size - 1;
  let p = LP_HEADER, count = 0;
  while (p < end) {
    const b = u8[p];
    let head: number, len: number, str = true;
    if (b < 0x80) {
      head = 1;
      len = 0;
      str = false;
    } else if (b < 0xc0) {
      head = 1;
      len = b & 0x3f;
    } else if (b < 0xe0) {
      head = 2;
      len = 0;
      str = false;
    } else if (b < 0xf0) {
      head = 2;
      if (p + 2 > end) break;
      len = ((b & 0x0f) << 8) | u8[p + 1];
    } else if (b === 0xf0) {
      head = 5;
      if (p + 5 > end) break;
      len = u32le(u8, p + 1);
    } else if (b >= 0xf1 && b <= 0xf4) {
      head = 1;
      len = [2, 3, 4, 8][b - 0xf1];
      str = false;
    } else throw new RdbError(`${what} integrity check failed (bad entry encoding ${b})`);
    const body = str ? head + len : b >= 0xf1 ? 1 + len : head;
    const bl = backlenBytes(body);
    if (p + body + bl > end) throw new RdbError(`${what} integrity check failed (entry past end)`);
    if (!backlenMatches(u8, p + body, body, bl)) {
      throw new RdbError(`${what} integrity check failed (backlen)`);
    }
    if (sink !== null) {
      if (str) sink(latin1Of(u8, p + head, p + head + len));
      else if (b < 0x80) sink(String(b));
      else if (b < 0xe0) {
        const v = ((b & 0x1f) << 8) | u8[p + 1];
        sink(String(v >= 4096 ? v - 8192 : v));
      } else sink(intText(u8, p + 1, len));
    }
    p += body + bl;
    count++;
  }
  if (p !== end) throw new RdbError(`${what} integrity check failed (entry past end)`);
  if (declared !== LP_COUNT_UNKNOWN && declared !== count) {
    throw new RdbError(`${what} integrity check failed (count)`);
  }
  return count;
}

const ZL_HEADER = 10;

/**
 * Walks the ziplist u8[0, size) (ziplistValidateIntegrity, deep): header, every entry's
 * prevlen and encoding, the tail offset, the count, the terminator; sink gets each entry.
 */
export function walkZiplist(u8: Uint8Array, sink: EntrySink, what = "ziplist"): number {
  const size = u8.length;
  if (size < ZL_HEADER + 1) throw new RdbError(`${what} integrity check failed (too short)`);
  if (u32le(u8, 0) !== size) throw new RdbError(`${what} integrity check failed (header size)`);
  if (u8[size - 1] !== 0xff) throw new RdbError(`${what} integrity check failed (terminator)`);
  const tail = u32le(u8, 4);
  const declared = u8[8] | (u8[9] << 8);
  const end = size - 1;
  let p = ZL_HEADER, prev = 0, last = ZL_HEADER, count = 0;
  const bad = (why: string) => new RdbError(`${what} integrity check failed (${why})`);
  while (p < end) {
    const start = p;
    let prevlen = u8[p++];
    if (prevlen === 0xfe) {
      if (p + 4 > end) throw bad("entry past end");
      prevlen = u32le(u8, p);
      p += 4;
    } else if (prevlen === 0xff) throw bad("prevlen");
    if (prevlen !== prev) throw bad("prevlen");
    if (p >= end) throw bad("entry past end");
    const b = u8[p];
    let head: number, len: number, str = true;
    if (b < 0x40) {
      head = 1;
      len = b & 0x3f;
    } else if (b < 0x80) {
      head = 2;
      if (p + 2 > end) throw bad("entry past end");
      len = ((b & 0x3f) << 8) | u8[p + 1];
    } else if (b < 0xc0) {
      head = 5;
      if (p + 5 > end) throw bad("entry past end");
      len = ((u8[p + 1] << 24) | (u8[p + 2] << 16) | (u8[p + 3] << 8) | u8[p + 4]) >>> 0;
    } else {
      str = false;
      head = 1;
      if (b === 0xc0) len = 2;
      else if (b === 0xd0) len = 4;
      else if (b === 0xe0) len = 8;
      else if (b === 0xf0) len = 3;
      else if (b === 0xfe) len = 1;
      else if (b >= 0xf1 && b <= 0xfd) len = 0;
      else throw bad(`bad entry encoding ${b}`);
    }
    if (p + head + len > end) throw bad("entry past end");
    if (str) sink(latin1Of(u8, p + head, p + head + len));
    else if (len === 0) sink(String((b & 0x0f) - 1));
    else sink(intText(u8, p + 1, len));
    p += head + len;
    prev = p - start;
    last = start;
    count++;
  }
  if (p !== end) throw bad("entry past end");
  if (tail !== last) throw bad("tail offset");
  if (declared !== 0xffff && declared !== count) throw bad("count");
  return count;
}

/**
 * Walks the zipmap u8[0, size) (zipmapValidateIntegrity): pairs of length-prefixed key and
 * value (the value followed by its free bytes), then 0xFF; sink gets keys and values in turn.
 */
export function walkZipmap(u8: Uint8Array, sink: EntrySink): number {
  const size = u8.length;
  const bad = (why: string) => new RdbError(`zipmap integrity check failed (${why})`);
  if (size < 2) throw bad("too short");
  let p = 1, count = 0;
  const lenAt = (): number => {
    if (p >= size) throw bad("entry past end");
    const b = u8[p++];
    if (b < 254) return b;
    if (b === 254) {
      if (p + 4 > size) throw bad("entry past end");
      const l = u32le(u8, p);
      p += 4;
      return l;
    }
    return -1; // 255: the end
  };
  for (;;) {
    const klen = lenAt();
    if (klen < 0) break;
    if (p + klen > size) throw bad("entry past end");
    sink(latin1Of(u8, p, p + klen));
    p += klen;
    const vlen = lenAt();
    if (vlen < 0) throw bad("missing value");
    if (p >= size) throw bad("entry past end");
    const free = u8[p++];
    if (p + vlen + free > size) throw bad("entry past end");
    sink(latin1Of(u8, p, p + vlen));
    p += vlen + free;
    count++;
  }
  if (p !== size) throw bad("trailing bytes");
  if (u8[0] < 254 && u8[0] !== count) throw bad("count");
  return count;
}

/**
 * Checks the intset u8[0, size) (intsetValidateIntegrity, deep): a known encoding, a length
 * that matches the size, at least one value, values strictly ascending. Returns the length.
 */
export function checkIntset(u8: Uint8Array): number {
  const size = u8.length;
  const bad = (why: string) => new RdbError(`intset integrity check failed (${why})`);
  if (size < 8) throw bad("too short");
  const enc = u32le(u8, 0);
  if (enc !== 2 && enc !== 4 && enc !== 8) throw bad("encoding");
  const n = u32le(u8, 4);
  if (n === 0) throw bad("empty");
  if (8 + n * enc !== size) throw bad("length");
  const dv = new DataView(u8.buffer, u8.byteOffset, size);
  let prev = 0n;
  for (let i = 0; i < n; i++) {
    const o = 8 + i * enc;
    const v = enc === 2
      ? BigInt(dv.getInt16(o, true))
      : enc === 4
      ? BigInt(dv.getInt32(o, true))
      : dv.getBigInt64(o, true);
    if (i > 0 && v <= prev) throw bad("order");
    prev = v;
  }
  return n;
}

/** The intset's values as decimal text, ascending (after checkIntset). */
export function intsetValues(u8: Uint8Array): string[] {
  const enc = u32le(u8, 0), n = u32le(u8, 4);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.length);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const o = 8 + i * enc;
    out.push(
      enc === 2
        ? String(dv.getInt16(o, true))
        : enc === 4
        ? String(dv.getInt32(o, true))
        : dv.getBigInt64(o, true).toString(),
    );
  }
  return out;
}
