/**
 * A sorted set, in one of two modes:
 * - a VIEW over a small set's blob (`blob` set): Redis's listpack of member, score pairs in
 *   (score, member) order, read and edited where it lies (zset_listpack.ts). Views are made
 *   per command (db.object) and must not be kept. When a member would take the set past
 *   zset-max-listpack-entries or -value, the view converts: it builds the tree from the
 *   pairs and the record holds this instance as an object from then on (Redis's zsetConvert).
 * - an OBJECT: an order-statistic B+tree over (score, member) for order, ranks and ranges
 *   (zset_tree.ts), plus dense arrays of members, scores and member hashes with a hash index
 *   into them (member_index.ts), for O(1) scores, random picks and SCAN pages. ZADD finds a
 *   member by its request bytes: an update makes no string, only a new member does. `listpack` records which encoding Redis would be
 *   using for it (a few paths still build listpack-sized objects, e.g. keys shipped between
 *   shards), because a few replies depend on it:
 *   - a listpack keeps scores as text in which -0 reads back as 0;
 *   - ZSCAN of a listpack answers everything in one page, in order;
 *   - lex ranges over differing scores are answered by a scan from the head.
 * Like Redis, a set never converts back (store commands build new values, see
 * `fitsListpack`). Cursors (ZCursor) walk either mode: first / last / seekRank / seekScore /
 * seekLex position them.
 */
import type { CollectionValue } from "./types.ts";
import type { Blob } from "./blob.ts";
import { MemberIndex } from "./member_index.ts";
import { memberHash, memberHashStr } from "../util/hash.ts";
import { latin1 } from "../util/bytes.ts";
import { type MemberSink, ZCursor, ZTree } from "./zset_tree.ts";
import { cmpLex } from "./zset_range.ts";
import {
  foundScore,
  pairFirst,
  pairLast,
  pairMember,
  pairNext,
  pairScore,
  zlAtRank,
  zlDelete,
  zlDeleteRange,
  zlFind,
  zlInsert,
  zlLength,
  zlRankOf,
  zlSafeToAdd,
} from "./zset_listpack.ts";

/** ZADD input flags */
export const ZADD_NX = 1;
export const ZADD_XX = 2;
export const ZADD_GT = 4;
export const ZADD_LT = 8;
export const ZADD_INCR = 16;

/** ZADD outcomes */
export const ZADD_OUT_NOP = 1;
export const ZADD_OUT_NAN = 2;
export const ZADD_OUT_ADDED = 4;
export const ZADD_OUT_UPDATED = 8;

const walk = new ZCursor();

/**
 * ZADD's new score for a member already at `cur` (zsetAdd): NaN when INCR made one, undefined
 * when NX, GT or LT keep the member as it is.
 */
function updatedScore(flags: number, score: number, cur: number): number | undefined {
  if (flags & ZADD_NX) return undefined;
  if (flags & ZADD_INCR) {
    score += cur;
    if (score !== score) return score;
  }
  if ((flags & ZADD_LT && score >= cur) || (flags & ZADD_GT && score <= cur)) return undefined;
  return score;
}

export class ZSetValue implements CollectionValue, MemberSink {
  // object mode only (null in blob mode: a stray use fails loudly)
  tree: ZTree;
  /** member hash -> slot in `members` / `scores` / `hashes` */
  index: MemberIndex;
  /** the members, unordered (swap-removed): SCAN walks them from the end, see scanStep */
  members: string[];
  scores: Float64Array;
  hashes: Uint32Array;
  /** where the last failed find ended (the free index slot) and the hash it probed */
  private hole = 0;
  private probed = 0;
  private readonly hashOf = (i: number): number => this.hashes[i];
  /** whether Redis would hold this set as a listpack (always, in blob mode) */
  listpack = true;
  /** the score the last add() produced (ZADD INCR / ZINCRBY reply) */
  newScore = 0;
  /** blob mode: the listpack's blob, for the current command; null in object mode */
  blob: Blob | null;

  /** An empty object-mode set, or (with a blob) the view over a small set's listpack. */
  constructor(blob: Blob | null = null) {
    this.blob = blob;
    if (blob === null) {
      this.tree = new ZTree();
      this.index = new MemberIndex();
      this.members = [];
      this.scores = new Float64Array(4);
      this.hashes = new Uint32Array(4);
    } else {
      this.tree = null as unknown as ZTree;
      this.index = null as unknown as MemberIndex;
      this.members = null as unknown as string[];
      this.scores = null as unknown as Float64Array;
      this.hashes = null as unknown as Uint32Array;
    }
  }

  get size(): number {
    const b = this.blob;
    return b === null ? this.members.length : zlLength(b.u8, b.at);
  }

  encoding(): string {
    return this.listpack ? "listpack" : "skiplist";
  }

  /** A detached copy, in object mode (a copy of a view is a listpack-sized object). */
  clone(): ZSetValue {
    const z = new ZSetValue();
    z.listpack = this.listpack;
    for (this.first(walk); walk.valid; walk.next()) z.insert(walk.member, walk.score);
    return z;
  }

  /** Members and scores in order, appended to the arrays. */
  entries(members: string[], scores: number[]): void {
    for (this.first(walk); walk.valid; walk.next()) {
      members.push(walk.member);
      scores.push(walk.score);
    }
  }

  /** Object mode: the slot of a member, or -1 (then `hole` and `probed` say where it goes). */
  private find(member: string): number {
    const h = memberHashStr(member), x = this.index, members = this.members;
    for (let j = x.home(h);; j = x.next(j)) {
      const i = x.posAt(j);
      if (i < 0) {
        this.hole = j;
        this.probed = h;
        return -1;
      }
      if (x.hashAt(j) === h && members[i] === member) return i;
    }
  }

  /** find() for a member given as a request's bytes: no string is made. */
  private findBytes(b: Uint8Array): number {
    const len = b.length, h = memberHash(b, 0, len), x = this.index, members = this.members;
    for (let j = x.home(h);; j = x.next(j)) {
      const i = x.posAt(j);
      if (i < 0) {
        this.hole = j;
        this.probed = h;
        return -1;
      }
      if (x.hashAt(j) === h) {
        const m = members[i];
        if (m.length === len) {
          let k = 0;
          while (k < len && m.charCodeAt(k) === b[k]) k++;
          if (k === len) return i;
        }
      }
    }
  }

  score(member: string): number | undefined {
    const b = this.blob;
    if (b !== null) return zlFind(b.u8, b.at, member) < 0 ? undefined : foundScore;
    const i = this.find(member);
    return i < 0 ? undefined : this.scores[i];
  }

  /** Adds a member known to be absent (callers building results set `listpack` first). */
  insert(member: string, score: number): void {
    if (this.listpack && score === 0) score = 0;
    if (this.blob !== null) return zlInsert(this.blob, member, score);
    this.find(member);
    this.insertAt(member, score);
  }

  /** Object mode: adds an absent member whose find() just failed (at `hole`, hash `probed`). */
  private insertAt(member: string, score: number): void {
    const i = this.members.length;
    if (i === this.scores.length) {
      const s = new Float64Array(i * 2);
      s.set(this.scores);
      this.scores = s;
      const h = new Uint32Array(i * 2);
      h.set(this.hashes);
      this.hashes = h;
    }
    this.members.push(member);
    this.scores[i] = score;
    this.hashes[i] = this.probed;
    this.index.put(this.hole, this.probed, i, i + 1, this.hashOf);
    this.tree.insert(score, member);
  }

  /** MemberSink: the tree dropped a member; forget its slot. */
  dropped(member: string): void {
    this.dropAt(this.find(member));
  }

  /** Object mode: slot i's member is gone from the tree; the last slot fills its place. */
  private dropAt(i: number): void {
    const x = this.index, hashes = this.hashes, members = this.members;
    x.remove(hashes[i], i);
    const last = members.length - 1;
    if (i !== last) {
      x.renumber(hashes[last], last, i);
      members[i] = members[last];
      this.scores[i] = this.scores[last];
      hashes[i] = hashes[last];
    }
    members.pop();
    x.fit(last, this.hashOf);
  }

  remove(member: string): boolean {
    const b = this.blob;
    if (b !== null) {
      const p = zlFind(b.u8, b.at, member);
      if (p < 0) return false;
      zlDelete(b, p);
      return true;
    }
    const i = this.find(member);
    if (i < 0) return false;
    this.tree.remove(this.scores[i], this.members[i]);
    this.dropAt(i);
    return true;
  }

  /**
   * Redis's zsetAdd: returns ZADD_OUT_* flags; the resulting score is left in newScore.
   * maxEntries / maxValue are the listpack limits, checked before a member is added.
   */
  add(score: number, member: string, flags: number, maxEntries: number, maxValue: number): number {
    if (score !== score) return ZADD_OUT_NAN;
    const b = this.blob;
    if (b !== null) {
      const p = zlFind(b.u8, b.at, member);
      if (p >= 0) {
        const cur = foundScore;
        const next = updatedScore(flags, score, cur);
        if (next === undefined) return ZADD_OUT_NOP;
        if (next !== next) return ZADD_OUT_NAN;
        score = next;
        this.newScore = score;
        if (score === cur) return 0;
        // removed and inserted again, as zzlDelete + zzlInsert do
        zlDelete(b, p);
        zlInsert(b, member, score);
        return ZADD_OUT_UPDATED;
      }
      if (flags & ZADD_XX) return ZADD_OUT_NOP;
      if (
        this.size + 1 > maxEntries || member.length > maxValue ||
        !zlSafeToAdd(b.u8, b.at, member.length)
      ) {
        this.toSkiplist();
      } else {
        zlInsert(b, member, score);
        this.newScore = score;
        return ZADD_OUT_ADDED;
      }
    }
    return this.upsert(this.find(member), score, member, null, flags, maxEntries, maxValue);
  }

  /** add() for a member given as a request's bytes: an existing member's update makes no string. */
  addArg(
    score: number,
    arg: Uint8Array,
    flags: number,
    maxEntries: number,
    maxValue: number,
  ): number {
    if (this.blob !== null || score !== score) {
      return this.add(score, latin1(arg), flags, maxEntries, maxValue);
    }
    return this.upsert(this.findBytes(arg), score, null, arg, flags, maxEntries, maxValue);
  }

  /** Object mode: zsetAdd once find() gave the slot i (or -1): the member, or its bytes. */
  private upsert(
    i: number,
    score: number,
    member: string | null,
    arg: Uint8Array | null,
    flags: number,
    maxEntries: number,
    maxValue: number,
  ): number {
    if (i >= 0) {
      const cur = this.scores[i];
      const next = updatedScore(flags, score, cur);
      if (next === undefined) return ZADD_OUT_NOP;
      if (next !== next) return ZADD_OUT_NAN;
      score = next;
      this.newScore = score;
      if (score === cur) return 0;
      const stored = this.listpack && score === 0 ? 0 : score;
      this.tree.update(cur, this.members[i], stored);
      this.scores[i] = stored;
      return ZADD_OUT_UPDATED;
    }
    if (flags & ZADD_XX) return ZADD_OUT_NOP;
    const m = member ?? latin1(arg!);
    if (this.listpack && (this.size + 1 > maxEntries || m.length > maxValue)) {
      this.listpack = false;
    }
    this.insertAt(m, this.listpack && score === 0 ? 0 : score);
    this.newScore = score;
    return ZADD_OUT_ADDED;
  }

  /**
   * The set leaves the listpack encoding for good (zsetConvert to a skiplist): a view builds
   * the tree from its pairs and becomes the object its record holds.
   */
  toSkiplist(): void {
    const b = this.blob;
    this.listpack = false;
    if (b === null) return;
    const u8 = b.u8, base = b.at;
    const n = zlLength(u8, base);
    this.tree = new ZTree();
    this.index = new MemberIndex();
    this.members = [];
    this.scores = new Float64Array(n > 4 ? n : 4);
    this.hashes = new Uint32Array(n > 4 ? n : 4);
    this.blob = null;
    for (let p = pairFirst(u8, base); p >= 0; p = pairNext(u8, p)) {
      this.insert(pairMember(u8, p), pairScore(u8, p));
    }
    b.toObject(this);
  }

  /** 0-based rank from the low end (or the high end when `rev`), -1 when absent. */
  rank(member: string, rev: boolean): number {
    const b = this.blob;
    let r: number;
    if (b !== null) {
      const p = zlFind(b.u8, b.at, member);
      if (p < 0) return -1;
      r = zlRankOf(b.u8, b.at, p);
    } else {
      const i = this.find(member);
      if (i < 0) return -1;
      r = this.tree.rank(this.scores[i], member);
    }
    return rev ? this.size - 1 - r : r;
  }

  /** Removes `count` members from rank `start` on; returns how many. */
  removeRange(start: number, count: number): number {
    if (this.blob !== null) return zlDeleteRange(this.blob, start, count);
    return this.tree.removeRange(start, count, this);
  }

  // ---- cursors (either mode)

  /** Cursor at the lowest element (invalid when empty). */
  first(c: ZCursor): void {
    const b = this.blob;
    if (b === null) this.tree.first(c);
    else c.onListpack(b.u8, b.at, pairFirst(b.u8, b.at));
  }

  /** Cursor at the highest element. */
  last(c: ZCursor): void {
    const b = this.blob;
    if (b === null) this.tree.last(c);
    else c.onListpack(b.u8, b.at, pairLast(b.u8, b.at));
  }

  /** Cursor at rank r (invalid when out of range). */
  seekRank(c: ZCursor, r: number): void {
    const b = this.blob;
    if (b === null) return this.tree.seekRank(c, r);
    c.onListpack(b.u8, b.at, r < 0 ? -1 : zlAtRank(b.u8, b.at, r));
  }

  /** Cursor at the first element with score >= s (> s when ex); returns its rank (size: none). */
  seekScore(c: ZCursor, s: number, ex: boolean): number {
    const b = this.blob;
    if (b === null) return this.tree.seekScore(c, s, ex);
    const u8 = b.u8;
    let p = pairFirst(u8, b.at), r = 0;
    for (; p >= 0; p = pairNext(u8, p), r++) {
      const v = pairScore(u8, p);
      if (ex ? v > s : v >= s) break;
    }
    c.onListpack(u8, b.at, p);
    return r;
  }

  /**
   * Cursor at the first member >= bound (> when ex), assuming members in lex order (the case
   * where a lex range is defined); returns its rank. A listpack is walked from its head.
   */
  seekLex(c: ZCursor, bound: string, kind: number, ex: boolean): number {
    const b = this.blob;
    if (b === null) return this.tree.seekLex(c, bound, kind, ex);
    const u8 = b.u8;
    let p = pairFirst(u8, b.at), r = 0;
    for (; p >= 0; p = pairNext(u8, p), r++) {
      const k = cmpLex(pairMember(u8, p), bound, kind);
      if (ex ? k > 0 : k >= 0) break;
    }
    c.onListpack(u8, b.at, p);
    return r;
  }

  /** The member entries of a view's pairs, in order (blob mode only; for random picks). */
  pairOffsets(out: number[]): void {
    const b = this.blob!;
    for (let p = pairFirst(b.u8, b.at); p >= 0; p = pairNext(b.u8, p)) out.push(p);
  }

  /** Cursor at the pair whose member entry is p (from pairOffsets; blob mode only). */
  seekPair(c: ZCursor, p: number): void {
    const b = this.blob!;
    c.onListpack(b.u8, b.at, p);
  }

  /** The slot of a uniformly random member (object mode; the set must not be empty). */
  randomSlot(): number {
    return (Math.random() * this.members.length) | 0;
  }

  /**
   * One SCAN page of slots (object mode), from the end: `cursor` 0 starts, c > 0 means slots
   * [0, c) are left. Removal moves the last member into the gap, i.e. from the visited part
   * into a lower slot, so a member present for the whole scan is never skipped (it may come
   * twice, as Redis allows). Returns the next cursor (0 when done).
   */
  scanStep(cursor: number, count: number, out: number[]): number {
    let i = cursor === 0 || cursor > this.members.length ? this.members.length : cursor;
    const stop = Math.max(0, i - count);
    while (i > stop) out.push(--i);
    return i;
  }
}

/** Whether a result of `size` members, the longest `maxLen` bytes, is a listpack in Redis. */
export function fitsListpack(
  size: number,
  maxLen: number,
  maxEntries: number,
  maxValue: number,
): boolean {
  return size <= maxEntries && maxLen <= maxValue;
}
