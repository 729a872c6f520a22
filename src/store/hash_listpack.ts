/**
 * A small hash's blob: Redis's listpack hash, field, value, field, value... in insertion
 * order (t_hash.c with OBJ_ENCODING_LISTPACK). Lookups are lpFind with step 2 over the fields,
 * where the bytes lie; writes edit the blob in place (the tail after the edited pair moves up
 * or down, the blob's block grows or shrinks through Blob.resize), as lpReplace/lpInsert/
 * lpDelete do. Nothing here allocates a JS object per entry; strings are made only for what
 * the caller asks (a value read, a field for a reply).
 *
 * Offsets: `base` is the listpack's first byte in the arena (b.at); every write may move the
 * blob, so callers re-read b.at and b.u8 afterwards.
 */
import type { Blob } from "./blob.ts";
import type { StringValue } from "./types.ts";
import {
  lpBytes,
  lpCount,
  LpEntry,
  lpEntrySize,
  lpEquals,
  lpFirst,
  lpRead,
  lpString,
  lpWrite,
  lpWriteHeader,
} from "./listpack.ts";

/** The scratch entry of finds and walks that do not call out. */
const e = new LpEntry();

/** Fields held (entries / 2). */
export function lpHashSize(b: Blob): number {
  return lpCount(b.u8, b.at) >>> 1;
}

/** Bytes of a backlen for an entry of n bytes (encoding + data). */
function backlenSize(n: number): number {
  return n <= 127 ? 1 : n < 16383 ? 2 : n < 2097151 ? 3 : n < 268435455 ? 4 : 5;
}

/** The whole size (backlen included) of the entry at p, from its encoding byte alone. */
function entrySize(u8: Uint8Array, p: number): number {
  const b = u8[p];
  if (b < 0x80) return 2;
  if (b < 0xc0) return (b & 0x3f) + 2; // 1 + len <= 64: a 1-byte backlen
  if (b < 0xe0) return 3;
  let d: number;
  if (b < 0xf0) d = 2 + (((b & 0x0f) << 8) | u8[p + 1]);
  else if (b === 0xf0) {
    d = 5 + ((u8[p + 1] | (u8[p + 2] << 8) | (u8[p + 3] << 16) | (u8[p + 4] << 24)) >>> 0);
  } else d = b === 0xf1 ? 3 : b === 0xf2 ? 4 : b === 0xf3 ? 5 : 9;
  return d + backlenSize(d);
}

/**
 * lpFind with step 2 from the first entry: the offset of field f's entry, -1 when absent.
 * Short strings (the usual field) are compared where they lie, by length first; other
 * entries are decoded into `out` and compared as lpFind does. Values are skipped by their
 * encoding byte, never decoded.
 */
export function lpHashFindField(u8: Uint8Array, base: number, f: string, out: LpEntry): number {
  const n = f.length;
  let p = base + 6;
  for (;;) {
    const b = u8[p];
    if (b === 0xff) return -1;
    if (b >= 0x80 && b < 0xc0) {
      // the last byte first: fields often share a prefix ("field:1", "field:2"...)
      if ((b & 0x3f) === n && (n === 0 || u8[p + n] === f.charCodeAt(n - 1))) {
        let k = 0;
        while (k < n && u8[p + 1 + k] === f.charCodeAt(k)) k++;
        if (k === n) return p;
      }
    } else {
      lpRead(u8, p, out);
      if (lpEquals(u8, out, f)) return p;
    }
    p += entrySize(u8, p);
    p += entrySize(u8, p);
  }
}

/**
 * The offset of the value entry of field f, with `out` holding that entry decoded; -1 when f
 * is absent.
 */
export function lpHashFind(u8: Uint8Array, base: number, f: string, out: LpEntry): number {
  const p = lpHashFindField(u8, base, f, out);
  if (p < 0) return -1;
  const v = p + entrySize(u8, p);
  lpRead(u8, v, out);
  return v;
}

/** The value of f, or undefined. */
export function lpHashGet(b: Blob, f: string): string | undefined {
  const u8 = b.u8;
  return lpHashFind(u8, b.at, f, e) < 0 ? undefined : lpString(u8, e);
}

export function lpHashHas(b: Blob, f: string): boolean {
  return lpHashFindField(b.u8, b.at, f, e) >= 0;
}

/** Decimal digits (and sign) of an integer entry's text, without making the string. */
function intTextLength(x: LpEntry): number {
  if (x.big !== null) return x.big.toString().length;
  let v = x.int;
  let n = 1;
  if (v < 0) {
    n++;
    v = -v;
  }
  while (v >= 10) {
    v = Math.floor(v / 10);
    n++;
  }
  return n;
}

/** HSTRLEN: the length of f's value, 0 when absent. */
export function lpHashStrlen(b: Blob, f: string): number {
  if (lpHashFind(b.u8, b.at, f, e) < 0) return 0;
  return e.str >= 0 ? e.len : intTextLength(e);
}

/**
 * Replaces bytes [from, to) of the blob (offsets from its first byte) by a gap of `size`
 * bytes, keeping the header's total right; returns the blob's (maybe new) first byte. The
 * caller fills the gap and sets the count.
 */
function splice(b: Blob, from: number, to: number, size: number): number {
  const total = lpBytes(b.u8, b.at);
  const grown = total - (to - from) + size;
  if (grown > total) {
    b.resize(grown, total);
    const at = b.at;
    b.u8.copyWithin(at + from + size, at + to, at + total);
  } else if (grown < total) {
    const at = b.at;
    b.u8.copyWithin(at + from + size, at + to, at + total);
    b.resize(grown, total);
  }
  const at = b.at;
  const u8 = b.u8;
  lpWriteHeader(u8, at, grown, lpCount(u8, at));
  return at;
}

function setCount(b: Blob, count: number): void {
  const u8 = b.u8, at = b.at;
  lpWriteHeader(u8, at, lpBytes(u8, at), count);
}

/** hashTypeSet on a listpack: f becomes v (in place, or appended); true when f is new. */
export function lpHashSet(b: Blob, f: string, v: string): boolean {
  let u8 = b.u8;
  let at = b.at;
  const vp = lpHashFind(u8, at, f, e);
  const vs = lpEntrySize(v);
  if (vp >= 0) {
    const old = e.next - vp;
    const from = vp - at;
    if (old !== vs) {
      at = splice(b, from, from + old, vs);
      u8 = b.u8;
    }
    lpWrite(u8, at + from, v);
    return false;
  }
  const fs = lpEntrySize(f);
  const total = lpBytes(u8, at);
  const count = lpCount(u8, at);
  // the new pair goes before the EOF byte
  at = splice(b, total - 1, total - 1, fs + vs);
  u8 = b.u8;
  lpWrite(u8, lpWrite(u8, at + total - 1, f), v);
  setCount(b, count + 2);
  return true;
}

/** hashTypeDelete on a listpack: true when f was there. */
export function lpHashDelete(b: Blob, f: string): boolean {
  const u8 = b.u8;
  const at = b.at;
  const fp = lpHashFindField(u8, at, f, e);
  if (fp < 0) return false;
  lpRead(u8, fp + entrySize(u8, fp), e);
  const count = lpCount(u8, at);
  splice(b, fp - at, e.next - at, 0);
  setCount(b, count - 2);
  return true;
}

/**
 * Calls fn(field, value, arg) for every pair in listpack order. The walk keeps offsets from
 * the blob's start, so fn must not write to this hash.
 */
export function lpHashForEach<T>(
  b: Blob,
  fn: (f: string, v: StringValue, arg: T) => void,
  arg: T,
): void {
  const x = new LpEntry();
  const u8 = b.u8;
  let p = lpFirst(b.at);
  while (lpRead(u8, p, x)) {
    const f = lpString(u8, x);
    lpRead(u8, x.next, x);
    p = x.next;
    fn(f, lpString(u8, x), arg);
  }
}

/** Appends every pair, in listpack order, to fields and values. */
export function lpHashEntries(b: Blob, fields: string[], values: StringValue[]): void {
  const u8 = b.u8;
  let p = lpFirst(b.at);
  while (lpRead(u8, p, e)) {
    fields.push(lpString(u8, e));
    lpRead(u8, e.next, e);
    values.push(lpString(u8, e));
    p = e.next;
  }
}

/** Reused offsets of the fields, for random picks (emptied after use). */
const offs: number[] = [];

/** lpRandomPairs: `count` random pairs, repetitions allowed, appended in random order. */
export function lpHashRandom(b: Blob, count: number, fields: string[], values: StringValue[]) {
  const u8 = b.u8;
  for (let p = lpFirst(b.at); lpRead(u8, p, e);) {
    offs.push(p);
    lpRead(u8, e.next, e);
    p = e.next;
  }
  const n = offs.length;
  for (let i = 0; i < count; i++) {
    lpRead(u8, offs[(Math.random() * n) | 0], e);
    fields.push(lpString(u8, e));
    lpRead(u8, e.next, e);
    values.push(lpString(u8, e));
  }
  offs.length = 0;
}

/**
 * lpRandomPairsUnique: `count` distinct pairs (count < size), by selection sampling, so they
 * come in listpack order as Redis returns them.
 */
export function lpHashRandomUnique(
  b: Blob,
  count: number,
  fields: string[],
  values: StringValue[],
): void {
  const u8 = b.u8;
  let needed = count;
  let left = lpCount(u8, b.at) >>> 1;
  for (let p = lpFirst(b.at); needed > 0 && lpRead(u8, p, e);) {
    const take = Math.random() * left < needed;
    if (take) fields.push(lpString(u8, e));
    lpRead(u8, e.next, e);
    if (take) {
      values.push(lpString(u8, e));
      needed--;
    }
    left--;
    p = e.next;
  }
}

/**
 * HGET where the value lies: f's value entry decoded (a shared scratch entry, valid until the
 * next call into this module; a string entry's bytes are b.u8[str, str + len)), null when f is
 * absent. The reply is written from the arena without making a JS string.
 */
export function lpHashValueEntry(b: Blob, f: string): LpEntry | null {
  return lpHashFind(b.u8, b.at, f, e) < 0 ? null : e;
}
