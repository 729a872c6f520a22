/**
 * A sorted set: an order-statistic B+tree over (score, member) for order, ranks and ranges
 * (zset_tree.ts), plus member -> slot in dense arrays of members and scores, for O(1) scores,
 * random picks and SCAN pages. `listpack` only records which encoding Redis would be using,
 * because a few replies depend on it:
 * - a listpack keeps scores as text in which -0 reads back as 0;
 * - ZSCAN of a listpack answers everything in one page, in order;
 * - lex ranges over differing scores are answered by a scan from the head.
 * Like Redis, a set switches to "skiplist" past zset-max-listpack-entries members or when a
 * member is longer than zset-max-listpack-value, and never switches back (store commands
 * build new values, see `fitsListpack`).
 */
import type { CollectionValue } from "./types.ts";
import { type MemberSink, ZCursor, ZTree } from "./zset_tree.ts";

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

export class ZSetValue implements CollectionValue, MemberSink {
  readonly tree = new ZTree();
  /** member -> slot in `members` / `scores` */
  readonly index = new Map<string, number>();
  /** the members, unordered (swap-removed): SCAN walks them from the end, see scanStep */
  readonly members: string[] = [];
  scores = new Float64Array(4);
  /** whether Redis would hold this set as a listpack */
  listpack = true;
  /** the score the last add() produced (ZADD INCR / ZINCRBY reply) */
  newScore = 0;

  get size(): number {
    return this.members.length;
  }

  encoding(): string {
    return this.listpack ? "listpack" : "skiplist";
  }

  clone(): ZSetValue {
    const z = new ZSetValue();
    z.listpack = this.listpack;
    for (this.tree.first(walk); walk.valid; walk.next()) z.insert(walk.member, walk.score);
    return z;
  }

  /** Members and scores in order, appended to the arrays. */
  entries(members: string[], scores: number[]): void {
    for (this.tree.first(walk); walk.valid; walk.next()) {
      members.push(walk.member);
      scores.push(walk.score);
    }
  }

  score(member: string): number | undefined {
    const i = this.index.get(member);
    return i === undefined ? undefined : this.scores[i];
  }

  /** Adds a member known to be absent (callers building results set `listpack` first). */
  insert(member: string, score: number): void {
    if (this.listpack && score === 0) score = 0;
    const i = this.members.length;
    if (i === this.scores.length) {
      const s = new Float64Array(i * 2);
      s.set(this.scores);
      this.scores = s;
    }
    this.members.push(member);
    this.scores[i] = score;
    this.index.set(member, i);
    this.tree.insert(score, member);
  }

  /** MemberSink: the tree dropped a member; forget its slot. */
  dropped(member: string): void {
    const i = this.index.get(member)!;
    this.index.delete(member);
    const last = this.members.pop()!;
    if (last !== member) {
      this.members[i] = last;
      this.scores[i] = this.scores[this.members.length];
      this.index.set(last, i);
    }
  }

  remove(member: string): boolean {
    const i = this.index.get(member);
    if (i === undefined) return false;
    this.tree.remove(this.scores[i], member);
    this.dropped(member);
    return true;
  }

  /**
   * Redis's zsetAdd: returns ZADD_OUT_* flags; the resulting score is left in newScore.
   * maxEntries / maxValue are the listpack limits, checked before a member is added.
   */
  add(score: number, member: string, flags: number, maxEntries: number, maxValue: number): number {
    if (score !== score) return ZADD_OUT_NAN;
    const i = this.index.get(member);
    if (i !== undefined) {
      if (flags & ZADD_NX) return ZADD_OUT_NOP;
      const cur = this.scores[i];
      if (flags & ZADD_INCR) {
        score += cur;
        if (score !== score) return ZADD_OUT_NAN;
      }
      if ((flags & ZADD_LT && score >= cur) || (flags & ZADD_GT && score <= cur)) {
        return ZADD_OUT_NOP;
      }
      this.newScore = score;
      if (score === cur) return 0;
      const stored = this.listpack && score === 0 ? 0 : score;
      this.tree.update(cur, member, stored);
      this.scores[i] = stored;
      return ZADD_OUT_UPDATED;
    }
    if (flags & ZADD_XX) return ZADD_OUT_NOP;
    if (this.listpack && (this.size + 1 > maxEntries || member.length > maxValue)) {
      this.listpack = false;
    }
    this.insert(member, score);
    this.newScore = score;
    return ZADD_OUT_ADDED;
  }

  /** 0-based rank from the low end (or the high end when `rev`), -1 when absent. */
  rank(member: string, rev: boolean): number {
    const i = this.index.get(member);
    if (i === undefined) return -1;
    const r = this.tree.rank(this.scores[i], member);
    return rev ? this.size - 1 - r : r;
  }

  /** Removes `count` members from rank `start` on; returns how many. */
  removeRange(start: number, count: number): number {
    return this.tree.removeRange(start, count, this);
  }

  /** The slot of a uniformly random member (the set must not be empty). */
  randomSlot(): number {
    return (Math.random() * this.members.length) | 0;
  }

  /**
   * One SCAN page of slots, from the end: `cursor` 0 starts, c > 0 means slots [0, c) are
   * left. Removal moves the last member into the gap, i.e. from the visited part into a lower
   * slot, so a member present for the whole scan is never skipped (it may come twice, as
   * Redis allows). Returns the next cursor (0 when done).
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
