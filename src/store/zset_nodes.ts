/**
 * The nodes of the sorted-set B+tree (zset_tree.ts) and a cursor over its leaves. Leaves hold
 * up to B (score, member) pairs, scores in a Float64Array (unboxed, contiguous) and members in
 * a parallel array, and are chained both ways; inner nodes hold up to B children with each
 * child's element count and a separator key per child.
 */

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

/** A position in a tree (null leaf: past either end). Invalid after the tree changes. */
export class ZCursor {
  leaf: Leaf | null = null;
  pos = 0;

  get valid(): boolean {
    return this.leaf !== null;
  }
  get score(): number {
    return this.leaf!.sc[this.pos];
  }
  get member(): string {
    return this.leaf!.m[this.pos];
  }
  next(): void {
    const l = this.leaf!;
    if (++this.pos >= l.n) {
      this.leaf = l.next;
      this.pos = 0;
    }
  }
  prev(): void {
    if (--this.pos < 0) {
      const p = this.leaf!.prev;
      this.leaf = p;
      this.pos = p === null ? 0 : p.n - 1;
    }
  }
}

/** Receives the members a range removal drops. */
export interface MemberSink {
  dropped(member: string): void;
}
