/**
 * The pieces of Redis's sort.c that work on C strings: BY / GET patterns (lookupKeyByPattern),
 * the weight parse (strtod), option names (strcasecmp), Redis Cluster's patternHashSlot, and
 * where SORT's STORE key is (sortGetKeys). Redis reads patterns, values and option names as
 * NUL-terminated strings in several places, so a NUL byte ends them there; those quirks are
 * kept, because they decide which keys SORT reads and what it replies.
 */
import type { ShardStats } from "../context.ts";
import type { Db } from "../../store/keyspace.ts";
import type { StringValue } from "../../store/types.ts";
import { TYPE_HASH, TYPE_STRING } from "../../store/types.ts";
import type { HashValue } from "../../store/hash.ts";
import { latin1 } from "../../util/bytes.ts";
import { crc16 } from "../../util/crc16.ts";
import { parseDouble, parseDoubleStr } from "../../util/numbers.ts";

/** strcasecmp(arg, word) === 0 for a lower-case word: the argument ends at its first NUL. */
export function optIs(b: Uint8Array, word: string): boolean {
  const n = word.length;
  if (b.length < n || (b.length > n && b[n] !== 0)) return false;
  for (let i = 0; i < n; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c |= 0x20;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** strcmp(arg, "#") === 0 */
export function isHashPattern(b: Uint8Array): boolean {
  return b.length > 0 && b[0] === 0x23 && (b.length === 1 || b[1] === 0);
}

/** strchr(arg, '*') !== NULL */
export function hasStar(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x2a) return true;
    if (b[i] === 0) return false;
  }
  return false;
}

/** A BY or GET pattern, split once per command (lookupKeyByPattern's parse). */
export class SortPattern {
  /** "#": the element itself */
  self = false;
  /** no '*' (before a NUL): the pattern names no key, every lookup gives nothing */
  none = false;
  /** what comes before and after the '*' of the key (latin1) */
  prefix = "";
  postfix = "";
  /** the hash field after "->", or null for a string key */
  field: string | null = null;
  /** prefix and postfix as bytes, for forming keys (views of the argument) */
  private pre: Uint8Array = EMPTY;
  private post: Uint8Array = EMPTY;

  constructor(b: Uint8Array) {
    if (isHashPattern(b)) {
      this.self = true;
      return;
    }
    const p = latin1(b);
    const nul = p.indexOf("\0");
    const cut = nul < 0 ? p.length : nul;
    const star = p.indexOf("*");
    if (star < 0 || star >= cut) {
      this.none = true;
      return;
    }
    // strstr(star + 1, "->") and a non-empty field: the whole rest of the pattern is the field
    const f = p.indexOf("->", star + 1);
    let postEnd = p.length;
    if (f >= 0 && f + 2 < cut) {
      postEnd = f;
      this.field = p.slice(f + 2);
    }
    this.prefix = p.slice(0, star);
    this.postfix = p.slice(star + 1, postEnd);
    this.pre = b.subarray(0, star);
    this.post = b.subarray(star + 1, postEnd);
  }

  /**
   * The key the pattern forms with `elem` (prefix, element, postfix), in a buffer reused by
   * every call: valid until the next one.
   */
  keyFor(elem: StringValue): Uint8Array {
    const pre = this.pre, post = this.post;
    const n = pre.length + elem.length + post.length;
    let k = keyScratch;
    if (n > KEY_SCRATCH_MAX) k = new Uint8Array(n);
    else if (n > k.length) k = keyScratch = new Uint8Array(Math.max(n, k.length * 2));
    k.set(pre);
    let o = pre.length;
    if (typeof elem === "string") {
      for (let i = 0; i < elem.length; i++) k[o + i] = elem.charCodeAt(i);
    } else k.set(elem, o);
    o += elem.length;
    k.set(post, o);
    return k.subarray(0, n);
  }
}

const EMPTY = new Uint8Array(0);
/** Keys up to this many bytes are formed in a reused buffer. */
const KEY_SCRATCH_MAX = 1 << 16;
let keyScratch = new Uint8Array(256);

/**
 * Redis's lookupKeyByPattern: the string at the key the pattern forms with `elem` (or the
 * hash field, with "->"), null when it is missing or of another type. Key lookups count in
 * the keyspace hits and misses, as lookupKeyRead does. A string key's value is a window on
 * the arena: valid until the next write to the keyspace (the next lookup may expire a key),
 * so it is used or copied at once.
 */
export function lookupByPattern(
  db: Db,
  now: number,
  stats: ShardStats,
  p: SortPattern,
  elem: StringValue,
): StringValue | null {
  if (p.self) return elem;
  if (p.none) return null;
  const r = db.lookup(p.keyFor(elem), now);
  if (r === 0) {
    stats.keyspaceMisses++;
    return null;
  }
  stats.keyspaceHits++;
  const type = db.typeOf(r);
  if (p.field !== null) {
    if (type !== TYPE_HASH) return null;
    return db.object<HashValue>(r).get(p.field) ?? null;
  }
  return type === TYPE_STRING ? db.str(r) : null;
}

/**
 * Redis Cluster's patternHashSlot: the one slot every key the glob pattern can match hashes
 * to, or -1 when they may hash anywhere (a glob character or escape before a hash tag).
 */
export function patternHashSlot(b: Uint8Array): number {
  let s = -1;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x2a || c === 0x3f || c === 0x5b || c === 0x5c) return -1;
    if (s === -1 && c === 0x7b) s = i;
    else if (s >= 0 && c === 0x7d) {
      if (i === s + 1) s = -2;
      else return crc16(b, s + 1, i) & 0x3fff;
    }
  }
  return crc16(b, 0, b.length) & 0x3fff;
}

/**
 * Where SORT's destination is, as Redis's sortGetKeys finds it (the last STORE, skipping the
 * arguments of LIMIT, GET and BY), or -1 without one. Routing can use it to find the key.
 */
export function storeKeyPosition(argv: Uint8Array[], argc: number): number {
  let pos = -1;
  for (let i = 2; i < argc; i++) {
    const a = argv[i];
    if (optIs(a, "limit")) i += 2;
    else if (optIs(a, "store") && i + 1 < argc) pos = i + 1;
    else if (optIs(a, "get") || optIs(a, "by")) i += 1;
  }
  return pos;
}

/**
 * The value of a string of 1 to 15 decimal digits with an optional '-' (exact as a double, so
 * what strtod gives), or NaN for anything else; the common weight, read without a copy.
 */
function smallInteger(s: string): number {
  const n = s.length;
  let i = n > 0 && s.charCodeAt(0) === 0x2d ? 1 : 0;
  if (n === i || n - i > 15) return NaN;
  let x = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return NaN;
    x = x * 10 + d;
  }
  return s.charCodeAt(0) === 0x2d ? -x : x;
}

const MIN_NORMAL = 2.2250738585072014e-308;
const HEX_INPUT = /^[+-]?0[xX]/;
let scratch = new Uint8Array(64);

/** C isspace in the "C" locale */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isHexInput(b: Uint8Array, i: number): boolean {
  if (b[i] === 0x2b || b[i] === 0x2d) i++;
  return b[i] === 0x30 && (b[i + 1] | 0x20) === 0x78;
}

/**
 * A sort weight as sortCommandGeneric reads it: strtod must take everything up to the first
 * NUL (leading whitespace allowed; an empty string is 0), and neither ERANGE nor NaN may come
 * out. NaN means the value is not a weight.
 */
export function sortScore(v: StringValue): number {
  let b: Uint8Array;
  let n: number;
  if (typeof v === "string") {
    n = v.length;
    const int = smallInteger(v);
    if (int === int) return int;
    if (n > 0 && v.indexOf("\0") < 0 && !isSpace(v.charCodeAt(0))) {
      // the whole string is strtod's input: no copy
      const d = parseDoubleStr(v);
      if (d === null) return NaN;
      return d !== 0 && Math.abs(d) < MIN_NORMAL && !HEX_INPUT.test(v) ? NaN : d;
    }
    if (n > scratch.length) scratch = new Uint8Array(Math.max(n, scratch.length * 2));
    b = scratch;
    for (let i = 0; i < n; i++) b[i] = v.charCodeAt(i);
  } else {
    b = v;
    n = v.length;
  }
  let end = 0;
  while (end < n && b[end] !== 0) end++;
  if (end === 0) return 0;
  let i = 0;
  while (i < end && isSpace(b[i])) i++;
  // nothing converted: strtod leaves its end pointer at the start, which is not a NUL
  if (i === end) return NaN;
  const d = parseDouble(b.subarray(i, end));
  if (d === null) return NaN;
  // glibc reports ERANGE for an inexact subnormal result (every short decimal one)
  if (d !== 0 && Math.abs(d) < MIN_NORMAL && !isHexInput(b, i)) return NaN;
  return d;
}
