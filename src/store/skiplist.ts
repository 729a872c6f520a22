/**
 * Redis's sorted-set skip list (t_zset.c zsl*), with span counts so that rank lookups and
 * rank-addressed walks are O(log n). Elements are ordered by score, then by member bytes
 * (members are latin1 strings: JS string order is memcmp order). Scores are never NaN.
 *
 * The range searches mirror Redis's own, including the lex ones: on a set whose scores differ,
 * a lex range is not well defined, and Redis answers whatever its descent finds; the `linear`
 * variants answer what Redis's listpack encoding answers (a scan from the head).
 */

const MAX_LEVEL = 32;
const P = 0.25;

export class ZNode {
  backward: ZNode | null = null;
  readonly next: (ZNode | null)[] = [];
  /** span[i]: how many level-0 steps next[i] skips */
  readonly span: number[] = [];
  /** position in the owner's node array (SCAN pages, random picks) */
  slot = -1;
  constructor(public member: string, public score: number, level: number) {
    for (let i = 0; i < level; i++) {
      this.next.push(null);
      this.span.push(0);
    }
  }
}

/** A score interval; `minex`/`maxex` make an end exclusive. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** Lex bound kinds: a member, or Redis's `-` / `+` (below / above every member). */
export const LEX_VALUE = 0;
export const LEX_MIN = -1;
export const LEX_MAX = 1;

export interface LexRange {
  min: string;
  max: string;
  minKind: number;
  maxKind: number;
  minex: boolean;
  maxex: boolean;
}

/** Receives the nodes a range deletion unlinks. */
export interface NodeSink {
  dropped(n: ZNode): void;
}

// the search paths of the current operation (each shard is single-threaded)
const update: ZNode[] = [];
const rankAt: number[] = [];

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

/** Redis's sdscmplex: a value against a bound, with `-` below and `+` above everything. */
function cmpLex(v: string, bound: string, kind: number): number {
  if (kind !== LEX_VALUE) return -kind;
  return v < bound ? -1 : v > bound ? 1 : 0;
}

export function scoreGteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}

export function scoreLteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

export function lexGteMin(v: string, r: LexRange): boolean {
  const c = cmpLex(v, r.min, r.minKind);
  return r.minex ? c > 0 : c >= 0;
}

export function lexLteMax(v: string, r: LexRange): boolean {
  const c = cmpLex(v, r.max, r.maxKind);
  return r.maxex ? c < 0 : c <= 0;
}

/** Whether a lex range can hold anything at all (min below max, or equal and inclusive). */
export function lexRangeEmpty(r: LexRange): boolean {
  let c: number;
  if (r.minKind === r.maxKind && r.minKind !== LEX_VALUE) c = 0;
  else if (r.minKind === LEX_MIN || r.maxKind === LEX_MAX) c = -1;
  else if (r.minKind === LEX_MAX || r.maxKind === LEX_MIN) c = 1;
  else c = r.min < r.max ? -1 : r.min > r.max ? 1 : 0;
  return c > 0 || (c === 0 && (r.minex || r.maxex));
}

function before(n: ZNode, score: number, member: string): boolean {
  return n.score < score || (n.score === score && n.member < member);
}

export class SkipList {
  readonly header = new ZNode("", 0, MAX_LEVEL);
  tail: ZNode | null = null;
  length = 0;
  level = 1;

  get first(): ZNode | null {
    return this.header.next[0];
  }

  insert(score: number, member: string): ZNode {
    return this.link(new ZNode(member, score, randomLevel()));
  }

  /** Links a detached node at its place (its level is kept). */
  link(n: ZNode): ZNode {
    const score = n.score, member = n.member;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rankAt[i] = i === this.level - 1 ? 0 : rankAt[i + 1];
      let f = x.next[i];
      while (f !== null && before(f, score, member)) {
        rankAt[i] += x.span[i];
        x = f;
        f = x.next[i];
      }
      update[i] = x;
    }
    const level = n.next.length;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = this.header;
        this.header.span[i] = this.length;
      }
      this.level = level;
    }
    for (let i = 0; i < level; i++) {
      const u = update[i];
      n.next[i] = u.next[i];
      u.next[i] = n;
      n.span[i] = u.span[i] - (rankAt[0] - rankAt[i]);
      u.span[i] = rankAt[0] - rankAt[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    n.backward = update[0] === this.header ? null : update[0];
    const nx = n.next[0];
    if (nx !== null) nx.backward = n;
    else this.tail = n;
    this.length++;
    return n;
  }

  /** Fills the search path to (score, member); returns the node there if it is that one. */
  private path(score: number, member: string): ZNode | null {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i];
      while (f !== null && before(f, score, member)) {
        x = f;
        f = x.next[i];
      }
      update[i] = x;
    }
    const n = x.next[0];
    return n !== null && n.score === score && n.member === member ? n : null;
  }

  private unlinkAt(x: ZNode): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i];
      if (u.next[i] === x) {
        u.span[i] += x.span[i] - 1;
        u.next[i] = x.next[i];
      } else {
        u.span[i] -= 1;
      }
    }
    const nx = x.next[0];
    if (nx !== null) nx.backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.header.next[this.level - 1] === null) this.level--;
    this.length--;
  }

  /** Unlinks a node of this list. */
  remove(n: ZNode): void {
    if (this.path(n.score, n.member) !== n) throw new Error("skiplist: node not found");
    this.unlinkAt(n);
    n.backward = null;
  }

  /** Moves a node to a new score: in place when the order is unchanged (zslUpdateScore). */
  updateScore(n: ZNode, score: number): void {
    const b = n.backward, f = n.next[0];
    if (
      (b === null || b.score < score || (b.score === score && b.member < n.member)) &&
      (f === null || f.score > score || (f.score === score && f.member > n.member))
    ) {
      n.score = score;
      return;
    }
    this.remove(n);
    n.score = score;
    for (let i = 0; i < n.next.length; i++) {
      n.next[i] = null;
      n.span[i] = 0;
    }
    this.link(n);
  }

  /** 1-based rank of (score, member), 0 when absent. */
  rank(score: number, member: string): number {
    let r = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i];
      while (f !== null && (f.score < score || (f.score === score && f.member <= member))) {
        r += x.span[i];
        x = f;
        f = x.next[i];
      }
      if (x !== this.header && x.member === member) return r;
    }
    return 0;
  }

  /** The node at 1-based rank, or null. */
  byRank(rank: number): ZNode | null {
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i] <= rank) {
        traversed += x.span[i];
        x = x.next[i]!;
      }
      if (traversed === rank) return x === this.header ? null : x;
    }
    return null;
  }

  /** 1-based rank of a node known to be in the list. */
  rankOf(n: ZNode): number {
    return this.rank(n.score, n.member);
  }

  // ---- score ranges

  isInRange(r: ScoreRange): boolean {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return false;
    const t = this.tail;
    if (t === null || !scoreGteMin(t.score, r)) return false;
    return scoreLteMax(this.header.next[0]!.score, r);
  }

  firstInRange(r: ScoreRange): ZNode | null {
    if (!this.isInRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i];
      while (f !== null && !scoreGteMin(f.score, r)) {
        x = f;
        f = x.next[i];
      }
    }
    const n = x.next[0]!;
    return scoreLteMax(n.score, r) ? n : null;
  }

  lastInRange(r: ScoreRange): ZNode | null {
    if (!this.isInRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i];
      while (f !== null && scoreLteMax(f.score, r)) {
        x = f;
        f = x.next[i];
      }
    }
    return scoreGteMin(x.score, r) ? x : null;
  }

  // ---- lex ranges

  isInLexRange(r: LexRange): boolean {
    if (lexRangeEmpty(r)) return false;
    const t = this.tail;
    if (t === null || !lexGteMin(t.member, r)) return false;
    return lexLteMax(this.header.next[0]!.member, r);
  }

  /** First node >= min (by descent, or by a scan from the head when `linear`), if <= max. */
  firstInLex(r: LexRange, linear: boolean): ZNode | null {
    if (!this.isInLexRange(r)) return null;
    let n: ZNode | null;
    if (linear) {
      n = this.header.next[0];
      while (n !== null && !lexGteMin(n.member, r)) n = n.next[0];
      if (n === null) return null;
    } else {
      let x = this.header;
      for (let i = this.level - 1; i >= 0; i--) {
        let f = x.next[i];
        while (f !== null && !lexGteMin(f.member, r)) {
          x = f;
          f = x.next[i];
        }
      }
      n = x.next[0]!;
    }
    return lexLteMax(n.member, r) ? n : null;
  }

  /** Last node <= max (by descent, or by a scan from the tail when `linear`), if >= min. */
  lastInLex(r: LexRange, linear: boolean): ZNode | null {
    if (!this.isInLexRange(r)) return null;
    let n: ZNode | null;
    if (linear) {
      n = this.tail;
      while (n !== null && !lexLteMax(n.member, r)) n = n.backward;
      if (n === null) return null;
    } else {
      let x = this.header;
      for (let i = this.level - 1; i >= 0; i--) {
        let f = x.next[i];
        while (f !== null && lexLteMax(f.member, r)) {
          x = f;
          f = x.next[i];
        }
      }
      n = x;
    }
    return lexGteMin(n.member, r) ? n : null;
  }

  // ---- range deletion: one search path, then consecutive unlinks (O(log n + m))

  deleteRangeByScore(r: ScoreRange, sink: NodeSink): number {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i];
      while (f !== null && !scoreGteMin(f.score, r)) {
        x = f;
        f = x.next[i];
      }
      update[i] = x;
    }
    let n = x.next[0];
    let removed = 0;
    while (n !== null && scoreLteMax(n.score, r)) {
      const nx = n.next[0];
      this.unlinkAt(n);
      sink.dropped(n);
      removed++;
      n = nx;
    }
    return removed;
  }

  /** Deletes members in a lex range; `linear` finds the start as the listpack encoding does. */
  deleteRangeByLex(r: LexRange, linear: boolean, sink: NodeSink): number {
    let n: ZNode | null;
    if (linear) {
      n = this.firstInLex(r, true);
      if (n === null) return 0;
      this.path(n.score, n.member);
    } else {
      let x = this.header;
      for (let i = this.level - 1; i >= 0; i--) {
        let f = x.next[i];
        while (f !== null && !lexGteMin(f.member, r)) {
          x = f;
          f = x.next[i];
        }
        update[i] = x;
      }
      n = x.next[0];
    }
    let removed = 0;
    while (n !== null && lexLteMax(n.member, r)) {
      const nx = n.next[0];
      this.unlinkAt(n);
      sink.dropped(n);
      removed++;
      n = nx;
    }
    return removed;
  }

  /** Deletes 1-based ranks start..end inclusive. */
  deleteRangeByRank(start: number, end: number, sink: NodeSink): number {
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i] < start) {
        traversed += x.span[i];
        x = x.next[i]!;
      }
      update[i] = x;
    }
    traversed++;
    let n = x.next[0];
    let removed = 0;
    while (n !== null && traversed <= end) {
      const nx = n.next[0];
      this.unlinkAt(n);
      sink.dropped(n);
      removed++;
      traversed++;
      n = nx;
    }
    return removed;
  }
}
