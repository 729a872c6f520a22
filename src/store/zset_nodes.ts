/**
 * The nodes of the sorted-set B+tree (zset_tree.ts) and a cursor over its leaves. Leaves hold
 * up to B (score, member) pairs, scores in a Float64Array (unboxed, contiguous) and members in
 * a parallel array, and are chained both ways; inner nodes hold up to B children with each
 * child's element count and a separator key per child.
 */
import { pairMember, pairNext, pairPrev, pairScore } from "./zset_listpack.ts";

/** entries per node at most (one more while a node is being split) */
export const B = 64;
/** a non-root node below this is merged with, or refilled from, a sibling */
export const MIN = 16;

export class Leaf {
  readonly leaf = true;
  n = 0;
  sc: Float64Array;
  m: string[] = [];
  prev: Leaf | null = null;
  next: Leaf | null = null;
  constructor(cap: number) {
    this.sc = new Float64Array(cap);
  }
}

export class Inner {
  readonly leaf = false;
  n = 0;
  ch: Node[] = [];
  /** element count of each child's subtree */
  cnt = new Float64Array(B + 1);
  /** separator of each child (entry 0 unused): score and member */
  ks = new Float64Array(B + 1);
  km: string[] = [];
}

export type Node = Leaf | Inner;

/**
 * A position in a sorted set, in either encoding: a leaf and a slot of a tree (null leaf:
 * past either end), or, in listpack mode (`lp` set), the member entry of a pair in a
 * listpack's bytes (-1: past either end). Invalid after the set changes.
 */
export class ZCursor {
  leaf: Leaf | null = null;
  pos = 0;
  /** listpack mode: the bytes holding the listpack (null: tree mode) */
  lp: Uint8Array | null = null;
  /** listpack mode: the listpack's first byte */
  base = 0;
  /** listpack mode: the current pair's member entry, -1 when none */
  p = -1;

  get valid(): boolean {
    return this.lp === null ? this.leaf !== null : this.p >= 0;
  }
  get score(): number {
    return this.lp === null ? this.leaf!.sc[this.pos] : pairScore(this.lp, this.p);
  }
  get member(): string {
    return this.lp === null ? this.leaf!.m[this.pos] : pairMember(this.lp, this.p);
  }
  next(): void {
    if (this.lp !== null) {
      this.p = pairNext(this.lp, this.p);
      return;
    }
    const l = this.leaf!;
    if (++this.pos >= l.n) {
      this.leaf = l.next;
      this.pos = 0;
    }
  }
  prev(): void {
    if (this.lp !== null) {
      this.p = pairPrev(this.lp, this.base, this.p);
      return;
    }
    if (--this.pos < 0) {
      const p = this.leaf!.prev;
      this.leaf = p;
      this.pos = p === null ? 0 : p.n - 1;
    }
  }
  /** Listpack mode, at the pair p (-1: none) of the listpack at u8[base]. */
  onListpack(u8: Uint8Array, base: number, p: number): void {
    this.lp = u8;
    this.base = base;
    this.p = p;
    this.leaf = null;
  }
}

/** Receives the members a range removal drops. */
export interface MemberSink {
  dropped(member: string): void;
}
