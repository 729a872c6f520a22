/**
 * A sorted set: a skip list with spans (order, ranks, ranges) plus a member -> node map
 * (scores, membership), and an unordered array of the nodes for SCAN pages and O(1) random
 * picks. One representation serves every size; `listpack` only records which encoding Redis
 * would be using, because a few replies depend on it:
 * - a listpack keeps scores as text in which -0 reads back as 0;
 * - ZSCAN of a listpack answers everything in one page, in order;
 * - lex ranges over differing scores are answered by a scan from the head.
 * Like Redis, a set switches to "skiplist" past zset-max-listpack-entries members or when a
 * member is longer than zset-max-listpack-value, and never switches back (store commands
 * build new values, see `fitsListpack`).
 */
import type { CollectionValue } from "./types.ts";
import { type NodeSink, SkipList, type ZNode } from "./skiplist.ts";

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

export class ZSetValue implements CollectionValue, NodeSink {
  readonly zsl = new SkipList();
  readonly dict = new Map<string, ZNode>();
  /** every node, unordered (swap-removed): SCAN walks it from the end, see scanStep */
  readonly nodes: ZNode[] = [];
  /** whether Redis would hold this set as a listpack */
  listpack = true;
  /** the score the last add() produced (ZADD INCR / ZINCRBY reply) */
  newScore = 0;

  get size(): number {
    return this.dict.size;
  }

  encoding(): string {
    return this.listpack ? "listpack" : "skiplist";
  }

  clone(): ZSetValue {
    const z = new ZSetValue();
    z.listpack = this.listpack;
    for (let n = this.zsl.first; n !== null; n = n.next[0]) z.insert(n.member, n.score);
    return z;
  }

  score(member: string): number | undefined {
    return this.dict.get(member)?.score;
  }

  /** Adds a member known to be absent (no encoding check: callers building results decide). */
  insert(member: string, score: number): ZNode {
    const n = this.zsl.insert(this.listpack && score === 0 ? 0 : score, member);
    n.slot = this.nodes.length;
    this.nodes.push(n);
    this.dict.set(member, n);
    return n;
  }

  /** NodeSink: a node left the skip list. */
  dropped(n: ZNode): void {
    this.dict.delete(n.member);
    const last = this.nodes.pop()!;
    if (last !== n) {
      this.nodes[n.slot] = last;
      last.slot = n.slot;
    }
    n.slot = -1;
  }

  removeNode(n: ZNode): void {
    this.zsl.remove(n);
    this.dropped(n);
  }

  remove(member: string): boolean {
    const n = this.dict.get(member);
    if (n === undefined) return false;
    this.removeNode(n);
    return true;
  }

  /**
   * Redis's zsetAdd: returns ZADD_OUT_* flags; the resulting score is left in newScore.
   * maxEntries / maxValue are the listpack limits, checked before a member is added.
   */
  add(score: number, member: string, flags: number, maxEntries: number, maxValue: number): number {
    if (score !== score) return ZADD_OUT_NAN;
    const n = this.dict.get(member);
    if (n !== undefined) {
      if (flags & ZADD_NX) return ZADD_OUT_NOP;
      const cur = n.score;
      if (flags & ZADD_INCR) {
        score += cur;
        if (score !== score) return ZADD_OUT_NAN;
      }
      if ((flags & ZADD_LT && score >= cur) || (flags & ZADD_GT && score <= cur)) {
        return ZADD_OUT_NOP;
      }
      this.newScore = score;
      if (score === cur) return 0;
      this.zsl.updateScore(n, this.listpack && score === 0 ? 0 : score);
      return ZADD_OUT_UPDATED;
    }
    if (flags & ZADD_XX) return ZADD_OUT_NOP;
    if (this.listpack && (this.dict.size + 1 > maxEntries || member.length > maxValue)) {
      this.listpack = false;
    }
    this.insert(member, score);
    this.newScore = score;
    return ZADD_OUT_ADDED;
  }

  /** 0-based rank from the low end (or the high end when `rev`), -1 when absent. */
  rank(member: string, rev: boolean): number {
    const n = this.dict.get(member);
    if (n === undefined) return -1;
    const r = this.zsl.rank(n.score, n.member);
    return rev ? this.zsl.length - r : r - 1;
  }

  /** The node at a 0-based rank. */
  at(rank: number): ZNode | null {
    return this.zsl.byRank(rank + 1);
  }

  /** A uniformly random node (the set must not be empty). */
  randomNode(): ZNode {
    return this.nodes[(Math.random() * this.nodes.length) | 0];
  }

  /**
   * One SCAN page over the node array, from the end: `cursor` 0 starts, c > 0 means nodes
   * [0, c) are left. Removal moves the last node into the gap, i.e. from the visited part
   * into a lower index, so a node present for the whole scan is never skipped (it may be
   * returned twice, as Redis allows). Returns the next cursor (0 when done).
   */
  scanStep(cursor: number, count: number, out: ZNode[]): number {
    const nodes = this.nodes;
    let i = cursor === 0 || cursor > nodes.length ? nodes.length : cursor;
    const stop = Math.max(0, i - count);
    while (i > stop) out.push(nodes[--i]);
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
