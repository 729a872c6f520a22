/**
 * The byte operations of a small set held as a blob (blob.ts): an intset (intset.ts) while
 * Redis would say "intset", or a listpack of members (listpack.ts) for a small set Redis holds
 * in a hashtable. Each function reads the blob where it lies and rewrites it in place (or
 * moved, by the Blob) — SetValue (set.ts) decides which applies and when to convert.
 */
import type { Blob } from "./blob.ts";
import {
  type IntKey,
  INTSET_HEADER_BYTES,
  isBytes,
  isEncoding,
  isInsertInto,
  isLength,
  isPut,
  isText,
  isWriteHeader,
} from "./intset.ts";
import {
  LP_EOF,
  LP_HEADER_BYTES,
  lpBytes,
  lpCount,
  LpEntry,
  lpEntrySize,
  lpIntOf,
  lpRead,
  lpString,
  lpWrite,
  lpWriteHeader,
} from "./listpack.ts";

/**
 * A small hashtable-encoded set stays a listpack while it has at most this many members, each
 * of at most SET_LP_MAX_VALUE bytes (Skua's own limits: Redis 7.0 holds such a set in a dict).
 */
export const SET_LP_MAX_ENTRIES = 128;
export const SET_LP_MAX_VALUE = 64;

const e = new LpEntry();
let scratch = new Uint8Array(256);

function room(n: number): Uint8Array {
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
  return scratch;
}

// ---- intset blobs

/** Inserts k at index `at` (a miss from isSearch), widening the encoding when k needs it. */
export function intsetInsert(b: Blob, at: number, k: IntKey): void {
  let base = b.at;
  let u8 = b.u8;
  const enc = isEncoding(u8, base), len = isLength(u8, base);
  const kenc = k.encoding();
  const old = isBytes(enc, len);
  if (kenc > enc) {
    // intsetUpgradeAndAdd: every value rewritten in the wider encoding
    const out = room(isBytes(kenc, len + 1));
    b.write(out, isInsertInto(out, u8, base, at, k, kenc));
    return;
  }
  b.resize(old + enc, old);
  base = b.at;
  u8 = b.u8;
  const p = base + INTSET_HEADER_BYTES + at * enc;
  u8.copyWithin(p + enc, p, base + old);
  isPut(u8, base, enc, at, k);
  isWriteHeader(u8, base, enc, len + 1);
}

/** Removes value i (intsetRemove: the encoding stays). */
export function intsetRemoveAt(b: Blob, i: number): void {
  const base = b.at, u8 = b.u8;
  const enc = isEncoding(u8, base), len = isLength(u8, base);
  const old = isBytes(enc, len);
  const p = base + INTSET_HEADER_BYTES + i * enc;
  u8.copyWithin(p, p + enc, base + old);
  isWriteHeader(u8, base, enc, len - 1);
  b.resize(old - enc, old);
}

/** Appends the intset's values as text to out, ascending. */
export function intsetMembers(b: Blob, out: string[]): void {
  const base = b.at, u8 = b.u8;
  const n = isLength(u8, base);
  for (let i = 0; i < n; i++) out.push(isText(u8, base, i));
}

// ---- listpack blobs

/** The bounds of the entry lpSetFind / lpSetSeek found (scratch: one command at a time). */
export let foundAt = 0;
export let foundNext = 0;

/** The int64 value of the member being looked for (lpIntOf), or null for a plain string. */
let want: number | bigint | null = null;

/** Whether the entry in `e` holds the latin1 string s (whose lpIntOf is `want`). */
function entryIs(u8: Uint8Array, s: string): boolean {
  if (e.str < 0) {
    if (want === null) return false;
    return e.big !== null ? e.big === want : e.int === want;
  }
  const n = e.len;
  if (want !== null || n !== s.length) return false;
  const o = e.str;
  for (let i = 0; i < n; i++) if (u8[o + i] !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * The index of member s in the listpack blob, or -1; afterwards `foundAt`/`foundNext` are its
 * entry's bounds. Integers compare as numbers: no string is made per entry.
 */
export function lpSetFind(b: Blob, s: string): number {
  const u8 = b.u8;
  want = lpIntOf(s);
  let i = 0;
  for (let p = b.at + LP_HEADER_BYTES; lpRead(u8, p, e); p = e.next, i++) {
    if (entryIs(u8, s)) {
      foundAt = p;
      foundNext = e.next;
      return i;
    }
  }
  return -1;
}

/** Positions foundAt/foundNext on entry i (which must exist). */
export function lpSetSeek(b: Blob, i: number): void {
  const u8 = b.u8;
  let p = b.at + LP_HEADER_BYTES;
  for (; i > 0; i--) {
    lpRead(u8, p, e);
    p = e.next;
  }
  lpRead(u8, p, e);
  foundAt = p;
  foundNext = e.next;
}

/** Entry i as a latin1 string. */
export function lpSetAt(b: Blob, i: number): string {
  lpSetSeek(b, i);
  return lpString(b.u8, e);
}

/** Appends member s (not present) at the end. */
export function lpSetAppend(b: Blob, s: string): void {
  const old = lpBytes(b.u8, b.at);
  const n = lpCount(b.u8, b.at);
  const size = lpEntrySize(s);
  b.resize(old + size, old);
  const base = b.at, u8 = b.u8;
  const p = lpWrite(u8, base + old - 1, s);
  u8[p] = LP_EOF;
  lpWriteHeader(u8, base, old + size, n + 1);
}

/** Removes the entry at [foundAt, foundNext) (set by lpSetFind / lpSetSeek). */
export function lpSetRemoveFound(b: Blob): void {
  const base = b.at, u8 = b.u8;
  const old = lpBytes(u8, base);
  const gone = foundNext - foundAt;
  const n = lpCount(u8, base);
  u8.copyWithin(foundAt, foundNext, base + old);
  lpWriteHeader(u8, base, old - gone, n - 1);
  b.resize(old - gone, old);
}

/** Appends the entries as latin1 strings to out, in listpack order. */
export function lpSetMembers(b: Blob, out: string[]): void {
  const u8 = b.u8;
  for (let p = b.at + LP_HEADER_BYTES; lpRead(u8, p, e); p = e.next) out.push(lpString(u8, e));
}

/** Appends entries [from, to) as latin1 strings to out. */
export function lpSetRange(b: Blob, from: number, to: number, out: string[]): void {
  const u8 = b.u8;
  let i = 0;
  for (let p = b.at + LP_HEADER_BYTES; i < to && lpRead(u8, p, e); p = e.next, i++) {
    if (i >= from) out.push(lpString(u8, e));
  }
}
