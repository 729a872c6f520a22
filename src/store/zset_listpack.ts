/**
 * A small sorted set as Redis 7.0 keeps it: one listpack (listpack.ts) of member, score,
 * member, score ... ordered by (score, member bytes), in the record's blob (blob.ts).
 *
 * Scores are written as zzlInsertAt (7.0.15) writes them: a score that double2ll accepts (an
 * integral value within +-(LLONG_MAX / 2), -0 included, which becomes 0) as an integer entry,
 * any other as d2string's text ("inf", "-inf" or "%.17g"). They are read back as zzlGetScore
 * does: an integer entry as its value, a string entry through strtod. So a stored -0 reads
 * back as 0, and a non-integral score round-trips exactly.
 *
 * A pair is named by the offset of its member entry in the arena's bytes; -1 is "none". The
 * functions here are the O(n) walks Redis does at these sizes; writes edit the blob in place
 * (shifting its tail) through Blob.resize, re-reading the blob's offset after it.
 */
import type { Blob } from "./blob.ts";
import {
  LP_EOF,
  LP_HEADER_BYTES,
  LpBuilder,
  lpBytes,
  LpEntry,
  lpEntrySize,
  lpEquals,
  lpIntEntrySize,
  lpPrev,
  lpRead,
  lpString,
  lpWrite,
  lpWriteHeader,
  lpWriteInt,
} from "./listpack.ts";
import { formatDouble } from "../util/numbers.ts";

/** (double)(LLONG_MAX / 2): double2ll's bound */
const LL_HALF = 4611686018427387904;
/** the header's "count unknown" value */
const COUNT_UNKNOWN = 65535;
/** listpack.c's LISTPACK_MAX_SAFETY_SIZE (lpSafeToAdd) */
const LP_MAX_SAFE = 1 << 30;

// scratch entries: every function fills and uses them before calling another one
const em = new LpEntry();
const es = new LpEntry();

/** Whether zzlInsertAt stores the score as an integer entry (Redis's double2ll). */
export function scoreIsLong(d: number): boolean {
  return Number.isInteger(d) && d >= -LL_HALF && d <= LL_HALF;
}

/** Bytes of the entry holding score d. */
function scoreEntrySize(d: number): number {
  return scoreIsLong(d) ? lpIntEntrySize(d === 0 ? 0 : d) : lpEntrySize(formatDouble(d));
}

/** Writes the entry holding score d at u8[p]; returns the offset after it. */
function writeScore(u8: Uint8Array, p: number, d: number): number {
  return scoreIsLong(d) ? lpWriteInt(u8, p, d === 0 ? 0 : d) : lpWrite(u8, p, formatDouble(d));
}

/** Appends score d to a listpack being built. */
export function addScore(lb: LpBuilder, d: number): void {
  if (scoreIsLong(d)) lb.addInt(d === 0 ? 0 : d);
  else lb.add(formatDouble(d));
}

/** strtod over a string entry's bytes (zzlStrtod reads at most 127 of them). */
function textScore(u8: Uint8Array, off: number, len: number): number {
  if (len > 127) len = 127;
  let s = "";
  for (let i = 0; i < len; i++) s += String.fromCharCode(u8[off + i]);
  const t = s.toLowerCase();
  const sign = t.charCodeAt(0) === 45 ? -1 : 1;
  const w = t.charCodeAt(0) === 45 || t.charCodeAt(0) === 43 ? t.slice(1) : t;
  if (w === "inf" || w === "infinity") return sign * Infinity;
  if (w === "nan") return NaN;
  return Number(s);
}

/** The score in the entry at p (zzlGetScore). */
export function scoreAt(u8: Uint8Array, p: number): number {
  lpRead(u8, p, es);
  if (es.str < 0) return es.big !== null ? Number(es.big) : es.int;
  return textScore(u8, es.str, es.len);
}

/** The member of the pair at p. */
export function pairMember(u8: Uint8Array, p: number): string {
  lpRead(u8, p, em);
  return lpString(u8, em);
}

/** The score of the pair at p. */
export function pairScore(u8: Uint8Array, p: number): number {
  lpRead(u8, p, em);
  return scoreAt(u8, em.next);
}

/** The pair after the one at p, -1 at the end. */
export function pairNext(u8: Uint8Array, p: number): number {
  lpRead(u8, p, em);
  lpRead(u8, em.next, em);
  return u8[em.next] === LP_EOF ? -1 : em.next;
}

/** The pair before the one at p (p may be the EOF byte), -1 at the start. */
export function pairPrev(u8: Uint8Array, base: number, p: number): number {
  const s = lpPrev(u8, base, p);
  return s < 0 ? -1 : lpPrev(u8, base, s);
}

/** The first pair, -1 when empty. */
export function pairFirst(u8: Uint8Array, base: number): number {
  const p = base + LP_HEADER_BYTES;
  return u8[p] === LP_EOF ? -1 : p;
}

/** The last pair, -1 when empty. */
export function pairLast(u8: Uint8Array, base: number): number {
  return pairPrev(u8, base, base + lpBytes(u8, base) - 1);
}

/** The byte offset just past the pair at p. */
function pairEnd(u8: Uint8Array, p: number): number {
  lpRead(u8, p, em);
  lpRead(u8, em.next, em);
  return em.next;
}

/** Number of pairs (zzlLength); an unknown header count is counted and cached, as lpLength does. */
export function zlLength(u8: Uint8Array, base: number): number {
  const n = u8[base + 4] | (u8[base + 5] << 8);
  if (n !== COUNT_UNKNOWN) return n >> 1;
  let c = 0;
  for (let p = base + LP_HEADER_BYTES; lpRead(u8, p, em); p = em.next) c++;
  if (c < COUNT_UNKNOWN) lpWriteHeader(u8, base, lpBytes(u8, base), c);
  return c >> 1;
}

/** The sign of (member entry `e`) - s, as memcmp then length (zzlCompareElements). */
function cmpEntry(u8: Uint8Array, e: LpEntry, s: string): number {
  if (e.str < 0) {
    const v = e.big !== null ? e.big.toString() : String(e.int);
    return v < s ? -1 : v > s ? 1 : 0;
  }
  const n = e.len, m = s.length, o = e.str;
  const k = n < m ? n : m;
  for (let i = 0; i < k; i++) {
    const d = u8[o + i] - s.charCodeAt(i);
    if (d !== 0) return d;
  }
  return n - m;
}

/** The pair holding member s (zzlFind), -1 when absent; `foundScore` gets its score. */
export function zlFind(u8: Uint8Array, base: number, s: string): number {
  for (let p = base + LP_HEADER_BYTES; lpRead(u8, p, em);) {
    const next = em.next;
    if (lpEquals(u8, em, s)) {
      foundScore = scoreAt(u8, next);
      return p;
    }
    lpRead(u8, next, em);
    p = em.next;
  }
  return -1;
}

/** The score of the pair zlFind found last. */
export let foundScore = 0;

/** The 0-based rank of the pair at p (a walk from the head). */
export function zlRankOf(u8: Uint8Array, base: number, p: number): number {
  let r = 0;
  for (let q = pairFirst(u8, base); q !== p && q >= 0; q = pairNext(u8, q)) r++;
  return r;
}

/** The pair at rank r (0 <= r), -1 past the end. */
export function zlAtRank(u8: Uint8Array, base: number, r: number): number {
  let p = pairFirst(u8, base);
  while (r-- > 0 && p >= 0) p = pairNext(u8, p);
  return p;
}

/** Whether adding an element of `len` bytes keeps the listpack under 1 GiB (lpSafeToAdd). */
export function zlSafeToAdd(u8: Uint8Array, base: number, len: number): boolean {
  return lpBytes(u8, base) + len <= LP_MAX_SAFE;
}

/**
 * Replaces `del` bytes at offset `off` (from the blob's start) by a gap of `ins` bytes, the
 * entry count changing by `delta`; returns the gap's offset in the arena (the blob may move).
 */
function splice(b: Blob, off: number, del: number, ins: number, delta: number): number {
  let u8 = b.u8, at = b.at;
  const old = lpBytes(u8, at);
  const len = old - del + ins;
  const count = u8[at + 4] | (u8[at + 5] << 8);
  if (ins < del) {
    u8.copyWithin(at + off + ins, at + off + del, at + old);
    b.resize(len, len);
    u8 = b.u8;
    at = b.at;
  } else if (ins > del) {
    b.resize(len, old);
    u8 = b.u8;
    at = b.at;
    u8.copyWithin(at + off + ins, at + off + del, at + old);
  }
  lpWriteHeader(u8, at, len, count === COUNT_UNKNOWN ? COUNT_UNKNOWN : count + delta);
  return at + off;
}

/** Adds a pair known to be absent at its place (zzlInsert). */
export function zlInsert(b: Blob, member: string, score: number): void {
  const u8 = b.u8, base = b.at;
  let p = base + LP_HEADER_BYTES;
  while (lpRead(u8, p, em)) {
    const sp = em.next;
    const s = scoreAt(u8, sp);
    if (s > score) break;
    if (s === score) {
      lpRead(u8, p, em);
      if (cmpEntry(u8, em, member) > 0) break;
    }
    lpRead(u8, sp, es);
    p = es.next;
  }
  const ms = lpEntrySize(member);
  const q = splice(b, p - base, 0, ms + scoreEntrySize(score), 2);
  const u = b.u8;
  writeScore(u, lpWrite(u, q, member), score);
}

/** Removes the pair at p (zzlDelete). */
export function zlDelete(b: Blob, p: number): void {
  const end = pairEnd(b.u8, p);
  splice(b, p - b.at, end - p, 0, -2);
}

/** Removes `count` pairs from rank `start` on; returns how many. */
export function zlDeleteRange(b: Blob, start: number, count: number): number {
  const u8 = b.u8, base = b.at;
  const from = zlAtRank(u8, base, start);
  if (from < 0 || count <= 0) return 0;
  let n = 0, end = from;
  for (let p = from; p >= 0 && n < count; p = pairNext(u8, p)) {
    end = pairEnd(u8, p);
    n++;
  }
  splice(b, from - base, end - from, 0, -2 * n);
  return n;
}

/**
 * A listpack of the given pairs, in (score, member) order, in lb (begun and ended here):
 * what zsetConvert writes for a small result. The arrays are left as they were.
 */
export function buildListpack(lb: LpBuilder, members: string[], scores: number[]): number {
  const n = members.length;
  const idx: number[] = new Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => {
    const x = scores[a], y = scores[b];
    if (x !== y) return x < y ? -1 : 1;
    return members[a] < members[b] ? -1 : members[a] > members[b] ? 1 : 0;
  });
  lb.begin();
  for (let i = 0; i < n; i++) {
    lb.add(members[idx[i]]);
    addScore(lb, scores[idx[i]]);
  }
  return lb.end();
}
