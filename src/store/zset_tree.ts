/**
 * The ordered index of a sorted set: an order-statistic B+tree over (score, member) pairs.
 * Inner nodes keep the element count of every child, so rank <-> position is O(log n) both
 * ways; leaves are chained both ways for range walks. Scores sit in Float64Arrays (no boxed
 * numbers to chase), members in parallel arrays, and a node holds up to 64 entries, so a
 * lookup in a million-member set touches ~4 nodes instead of ~40 skip-list nodes.
 *
 * Order: score, then member bytes (latin1 strings: JS order is memcmp order); scores are never
 * NaN, and -0 equals 0 (ordered by member), as in Redis's skip list.
 *
 * Separators: entry i >= 1 of an inner node is a key k with every key of child i-1 < k <=
 * every key of child i; removals leave it in place (still a valid bound), only splits, merges
 * and redistributions rewrite it.
 */
import { cmpLex } from "./zset_range.ts";

import { B, Inner, Leaf, type MemberSink, MIN, type Node, ZCursor } from "./zset_nodes.ts";

export { type MemberSink, ZCursor };

/** first capacity of a root leaf: small sets stay small */
const FIRST_CAP = 4;

// The current descent (each shard is single-threaded): the inner nodes from the root and the
// child taken in each, then the leaf and the position reached.
const pathN: Inner[] = [];
const pathI: number[] = [];
let depth = 0;
let hitLeaf: Leaf = new Leaf(1);
let hitPos = 0;

// What the descent looks for: the first element for which before() is false.
const KEY_LE = 0, SCORE_LT = 1, SCORE_LE = 2, LEX = 3;
let mode = KEY_LE, tScore = 0, tMember = "", tKind = 0, tEx = false;

function before(s: number, m: string): boolean {
  switch (mode) {
    case KEY_LE:
      return s < tScore || (s === tScore && m <= tMember);
    case SCORE_LT:
      return s < tScore;
    case SCORE_LE:
      return s <= tScore;
    default: {
      const c = cmpLex(m, tMember, tKind);
      return tEx ? c <= 0 : c < 0;
    }
  }
}

export class ZTree {
  root: Node;
  head: Leaf;
  tail: Leaf;
  size = 0;

  constructor() {
    const l = new Leaf(FIRST_CAP);
    this.root = this.head = this.tail = l;
  }

  /** Descends by before(); records the path; returns the rank of the position reached. */
  private descend(): number {
    let x = this.root;
    let rank = 0;
    depth = 0;
    while (!x.leaf) {
      let lo = 0, hi = x.n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (before(x.ks[mid], x.km[mid])) lo = mid;
        else hi = mid - 1;
      }
      const cnt = x.cnt;
      for (let j = 0; j < lo; j++) rank += cnt[j];
      pathN[depth] = x;
      pathI[depth++] = lo;
      x = x.ch[lo];
    }
    let lo = 0, hi = x.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(x.sc[mid], x.m[mid])) lo = mid + 1;
      else hi = mid;
    }
    hitLeaf = x;
    hitPos = lo;
    return rank + lo;
  }

  /**
   * descend() for the writes' key order (score, then member <= the key), without the rank:
   * the hot path of ZADD / ZREM on a large set, so the comparison is inlined here.
   */
  private descendKey(score: number, member: string): void {
    let x = this.root;
    depth = 0;
    while (!x.leaf) {
      let lo = 0, hi = x.n - 1;
      const ks = x.ks, km = x.km;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        const k = ks[mid];
        if (k < score || (k === score && km[mid] <= member)) lo = mid;
        else hi = mid - 1;
      }
      pathN[depth] = x;
      pathI[depth++] = lo;
      x = x.ch[lo];
    }
    let lo = 0, hi = x.n;
    const sc = x.sc, m = x.m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const k = sc[mid];
      if (k < score || (k === score && m[mid] <= member)) lo = mid + 1;
      else hi = mid;
    }
    hitLeaf = x;
    hitPos = lo;
  }

  /** Descends to rank r (0 <= r < size), recording the path. */
  private descendRank(r: number): void {
    let x = this.root;
    depth = 0;
    while (!x.leaf) {
      let i = 0;
      const cnt = x.cnt, last = x.n - 1;
      while (i < last && r >= cnt[i]) r -= cnt[i++];
      pathN[depth] = x;
      pathI[depth++] = i;
      x = x.ch[i];
    }
    hitLeaf = x;
    hitPos = r;
  }

  /** Adds a pair known to be absent. */
  insert(score: number, member: string): void {
    this.descendKey(score, member);
    const l = hitLeaf, p = hitPos, n = l.n;
    if (n === l.sc.length) {
      const sc = new Float64Array(Math.min(B + 1, l.sc.length * 2));
      sc.set(l.sc.subarray(0, n));
      l.sc = sc;
    }
    l.sc.copyWithin(p + 1, p, n);
    l.sc[p] = score;
    // shifted by hand: splice would allocate the (empty) array of removed elements
    const m = l.m;
    m.push(member);
    for (let j = n; j > p; j--) m[j] = m[j - 1];
    m[p] = member;
    l.n = n + 1;
    for (let d = 0; d < depth; d++) pathN[d].cnt[pathI[d]]++;
    this.size++;
    if (l.n > B) this.splitLeaf(l);
  }

  /** Removes a pair; false when absent. */
  remove(score: number, member: string): boolean {
    this.descendKey(score, member);
    const p = hitPos - 1;
    if (p < 0 || hitLeaf.m[p] !== member || hitLeaf.sc[p] !== score) return false;
    this.removeAt(hitLeaf, p, 1);
    return true;
  }

  /** Moves a member from one score to another (in place when its position is unchanged). */
  update(old: number, member: string, score: number): void {
    this.descendKey(old, member);
    const l = hitLeaf, p = hitPos - 1;
    if (
      p > 0 && p < l.n - 1 &&
      (l.sc[p - 1] < score || (l.sc[p - 1] === score && l.m[p - 1] < member)) &&
      (score < l.sc[p + 1] || (score === l.sc[p + 1] && member < l.m[p + 1]))
    ) {
      l.sc[p] = score;
      return;
    }
    this.removeAt(l, p, 1);
    this.insert(score, member);
  }

  /** 0-based rank of a pair, -1 when absent. */
  rank(score: number, member: string): number {
    mode = KEY_LE;
    tScore = score;
    tMember = member;
    const r = this.descend();
    const p = hitPos - 1;
    return p >= 0 && hitLeaf.m[p] === member && hitLeaf.sc[p] === score ? r - 1 : -1;
  }

  /** Cursor at rank r (invalid when out of range). */
  seekRank(c: ZCursor, r: number): void {
    c.lp = null;
    if (r < 0 || r >= this.size) {
      c.leaf = null;
      return;
    }
    this.descendRank(r);
    c.leaf = hitLeaf;
    c.pos = hitPos;
  }

  first(c: ZCursor): void {
    c.lp = null;
    c.leaf = this.size === 0 ? null : this.head;
    c.pos = 0;
  }

  last(c: ZCursor): void {
    c.lp = null;
    c.leaf = this.size === 0 ? null : this.tail;
    c.pos = this.tail.n - 1;
  }

  private seek(c: ZCursor): number {
    c.lp = null;
    const r = this.descend();
    let l: Leaf | null = hitLeaf, p = hitPos;
    if (p >= l.n) {
      l = l.next;
      p = 0;
    }
    c.leaf = l;
    c.pos = p;
    return r;
  }

  /** Cursor at the first pair with score >= s (> s when ex); returns its rank (size: none). */
  seekScore(c: ZCursor, s: number, ex: boolean): number {
    mode = ex ? SCORE_LE : SCORE_LT;
    tScore = s;
    return this.seek(c);
  }

  /**
   * Cursor at the first member >= bound (> when ex), by descent: exact when all scores are
   * equal (the case where a lex range is defined); returns its rank.
   */
  seekLex(c: ZCursor, bound: string, kind: number, ex: boolean): number {
    mode = LEX;
    tMember = bound;
    tKind = kind;
    tEx = ex;
    return this.seek(c);
  }

  /** Removes `count` pairs from rank `start` on, reporting each member; returns how many. */
  removeRange(start: number, count: number, sink: MemberSink): number {
    let removed = 0;
    while (count > 0 && start < this.size) {
      this.descendRank(start);
      const l = hitLeaf, p = hitPos;
      const k = Math.min(count, l.n - p);
      for (let i = p; i < p + k; i++) sink.dropped(l.m[i]);
      this.removeAt(l, p, k);
      count -= k;
      removed += k;
    }
    return removed;
  }

  /** Removes k pairs at p of the leaf the last descent reached, then rebalances. */
  private removeAt(l: Leaf, p: number, k: number): void {
    const n = l.n;
    l.sc.copyWithin(p, p + k, n);
    const m = l.m;
    if (k === 1) {
      // by hand, as in insert (splice allocates)
      for (let j = p; j < n - 1; j++) m[j] = m[j + 1];
      m.pop();
    } else m.splice(p, k);
    l.n = n - k;
    for (let d = 0; d < depth; d++) pathN[d].cnt[pathI[d]] -= k;
    this.size -= k;
    if (depth > 0 && l.n < MIN) this.fixLeaf();
  }

  private splitLeaf(l: Leaf): void {
    const mid = l.n >> 1;
    const r = new Leaf(B + 1);
    r.n = l.n - mid;
    r.sc.set(l.sc.subarray(mid, l.n));
    r.m = l.m.splice(mid);
    l.n = mid;
    r.next = l.next;
    if (r.next !== null) r.next.prev = r;
    else this.tail = r;
    l.next = r;
    r.prev = l;
    this.addChild(depth - 1, l.n, r, r.n, r.sc[0], r.m[0]);
  }

  /** Puts `right` after the node the path took at level d + 1 (a new root when d < 0). */
  private addChild(d: number, lc: number, right: Node, rc: number, s: number, m: string): void {
    if (d < 0) {
      const root = new Inner();
      root.ch.push(this.root, right);
      root.km.push("", m);
      root.cnt[0] = lc;
      root.cnt[1] = rc;
      root.ks[1] = s;
      root.n = 2;
      this.root = root;
      return;
    }
    const p = pathN[d], i = pathI[d] + 1;
    p.ch.splice(i, 0, right);
    p.km.splice(i, 0, m);
    p.cnt.copyWithin(i + 1, i, p.n);
    p.ks.copyWithin(i + 1, i, p.n);
    p.cnt[i - 1] = lc;
    p.cnt[i] = rc;
    p.ks[i] = s;
    p.n++;
    if (p.n > B) this.splitInner(p, d);
  }

  private splitInner(x: Inner, d: number): void {
    const mid = x.n >> 1;
    const r = new Inner();
    r.n = x.n - mid;
    r.ch = x.ch.splice(mid);
    r.km = x.km.splice(mid);
    r.cnt.set(x.cnt.subarray(mid, x.n));
    r.ks.set(x.ks.subarray(mid, x.n));
    const s = r.ks[0], m = r.km[0];
    r.km[0] = "";
    x.n = mid;
    let lc = 0, rc = 0;
    for (let i = 0; i < mid; i++) lc += x.cnt[i];
    for (let i = 0; i < r.n; i++) rc += r.cnt[i];
    this.addChild(d - 1, lc, r, rc, s, m);
  }

  /** The leaf of the path is under MIN: merge it with a sibling, or share evenly. */
  private fixLeaf(): void {
    const d = depth - 1;
    const p = pathN[d], i = pathI[d];
    const li = i + 1 < p.n ? i : i - 1;
    const a = p.ch[li] as Leaf, b = p.ch[li + 1] as Leaf;
    if (a.n + b.n <= B) {
      a.sc.set(b.sc.subarray(0, b.n), a.n);
      for (let j = 0; j < b.n; j++) a.m.push(b.m[j]);
      a.n += b.n;
      a.next = b.next;
      if (a.next !== null) a.next.prev = a;
      else this.tail = a;
      p.cnt[li] += p.cnt[li + 1];
      this.removeChild(d, li + 1);
      return;
    }
    const want = (a.n + b.n) >> 1;
    if (a.n < want) {
      const k = want - a.n;
      a.sc.set(b.sc.subarray(0, k), a.n);
      for (let j = 0; j < k; j++) a.m.push(b.m[j]);
      b.sc.copyWithin(0, k, b.n);
      b.m.splice(0, k);
      a.n += k;
      b.n -= k;
    } else {
      const k = a.n - want;
      b.sc.copyWithin(k, 0, b.n);
      b.sc.set(a.sc.subarray(a.n - k, a.n), 0);
      b.m.unshift(...a.m.splice(a.n - k, k));
      a.n -= k;
      b.n += k;
    }
    p.cnt[li] = a.n;
    p.cnt[li + 1] = b.n;
    p.ks[li + 1] = b.sc[0];
    p.km[li + 1] = b.m[0];
  }

  /** Drops child j (>= 1) of the path's node at level d, then fixes that node. */
  private removeChild(d: number, j: number): void {
    const p = pathN[d];
    p.ch.splice(j, 1);
    p.km.splice(j, 1);
    p.cnt.copyWithin(j, j + 1, p.n);
    p.ks.copyWithin(j, j + 1, p.n);
    p.n--;
    if (d === 0) {
      if (p.n === 1) this.root = p.ch[0];
      return;
    }
    if (p.n < MIN) this.fixInner(d);
  }

  /** The path's inner node at level d is under MIN children: merge or share with a sibling. */
  private fixInner(d: number): void {
    const p = pathN[d - 1], i = pathI[d - 1];
    const li = i + 1 < p.n ? i : i - 1;
    const a = p.ch[li] as Inner, b = p.ch[li + 1] as Inner;
    const s = p.ks[li + 1], m = p.km[li + 1];
    if (a.n + b.n <= B) {
      for (let j = 0; j < b.n; j++) {
        a.ch.push(b.ch[j]);
        a.km.push(j === 0 ? m : b.km[j]);
        a.cnt[a.n + j] = b.cnt[j];
        a.ks[a.n + j] = j === 0 ? s : b.ks[j];
      }
      a.n += b.n;
      p.cnt[li] += p.cnt[li + 1];
      this.removeChild(d - 1, li + 1);
      return;
    }
    const want = (a.n + b.n) >> 1;
    let moved = 0;
    if (a.n < want) {
      // b's first k children move to the end of a; b's separator becomes that of its new first
      const k = want - a.n;
      for (let j = 0; j < k; j++) {
        a.ch.push(b.ch[j]);
        a.km.push(j === 0 ? m : b.km[j]);
        a.cnt[a.n + j] = b.cnt[j];
        a.ks[a.n + j] = j === 0 ? s : b.ks[j];
        moved += b.cnt[j];
      }
      p.ks[li + 1] = b.ks[k];
      p.km[li + 1] = b.km[k];
      b.ch.splice(0, k);
      b.km.splice(0, k);
      b.km[0] = "";
      b.cnt.copyWithin(0, k, b.n);
      b.ks.copyWithin(0, k, b.n);
      a.n += k;
      b.n -= k;
      p.cnt[li] += moved;
      p.cnt[li + 1] -= moved;
    } else {
      // a's last k children move to the front of b; b's old first child gets p's separator
      const k = a.n - want, from = a.n - k;
      const ns = a.ks[from], nm = a.km[from];
      b.cnt.copyWithin(k, 0, b.n);
      b.ks.copyWithin(k, 0, b.n);
      b.ks[k] = s;
      b.km[0] = m;
      for (let j = 0; j < k; j++) {
        b.cnt[j] = a.cnt[from + j];
        b.ks[j] = a.ks[from + j];
        moved += a.cnt[from + j];
      }
      b.ch.unshift(...a.ch.splice(from, k));
      b.km.unshift(...a.km.splice(from, k));
      b.km[0] = "";
      a.n -= k;
      b.n += k;
      p.ks[li + 1] = ns;
      p.km[li + 1] = nm;
      p.cnt[li] -= moved;
      p.cnt[li + 1] += moved;
    }
  }
}
