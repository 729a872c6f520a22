/**
 * A map from non-zero u32 ids (transaction and client ids) to values, for tables that gain and
 * lose an entry on every request: open addressing over a Uint32Array with linear probing and
 * backward-shift deletion, so once grown it allocates nothing, however many ids come and go.
 *
 * A JS Map under that churn rebuilds its table every few hundred inserts, and each retired
 * table points to its successor: one promoted to V8's old generation keeps the next (and the
 * values it holds) alive through every scavenge until a full GC. On 2 shards under pipelined
 * MGET that kept megabytes of finished transactions surviving each scavenge.
 */
const EMPTY = 0;
const MIN_CAPACITY = 64;

export class IdMap<V> {
  private ids: Uint32Array;
  private vals: (V | undefined)[];
  private mask: number;
  private count = 0;

  constructor(capacity = MIN_CAPACITY) {
    let n = MIN_CAPACITY;
    while (n < capacity * 2) n *= 2;
    this.ids = new Uint32Array(n);
    this.vals = new Array(n).fill(undefined);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  private slot(id: number): number {
    // Fibonacci hashing: ids are often consecutive
    return Math.imul(id, 0x9e3779b1) >>> 0 & this.mask;
  }

  /** The index holding `id`, or -1. */
  private find(id: number): number {
    const ids = this.ids, mask = this.mask;
    for (let i = this.slot(id);; i = (i + 1) & mask) {
      const k = ids[i];
      if (k === id) return i;
      if (k === EMPTY) return -1;
    }
  }

  get(id: number): V | undefined {
    const i = this.find(id);
    return i < 0 ? undefined : this.vals[i];
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  set(id: number, v: V): void {
    if (id === EMPTY || id > 0xffffffff) throw new RangeError(`IdMap id out of range: ${id}`);
    const ids = this.ids, mask = this.mask;
    let i = this.slot(id);
    for (; ids[i] !== EMPTY; i = (i + 1) & mask) {
      if (ids[i] === id) {
        this.vals[i] = v;
        return;
      }
    }
    ids[i] = id;
    this.vals[i] = v;
    if (++this.count * 2 > ids.length) this.grow();
  }

  delete(id: number): boolean {
    let i = this.find(id);
    if (i < 0) return false;
    const ids = this.ids, vals = this.vals, mask = this.mask;
    // backward shift: move later entries of the probe run into the hole, so no tombstones
    for (let j = (i + 1) & mask; ids[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.slot(ids[j]);
      // entry j may fill hole i unless its home lies cyclically in (i, j]
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      ids[i] = ids[j];
      vals[i] = vals[j];
      i = j;
    }
    ids[i] = EMPTY;
    vals[i] = undefined;
    this.count--;
    return true;
  }

  /** Visit every entry (the map must not change meanwhile). */
  forEach(f: (v: V, id: number) => void): void {
    const ids = this.ids, vals = this.vals;
    for (let i = 0; i < ids.length; i++) if (ids[i] !== EMPTY) f(vals[i] as V, ids[i]);
  }

  private grow(): void {
    const oldIds = this.ids, oldVals = this.vals;
    const n = oldIds.length * 2;
    this.ids = new Uint32Array(n);
    this.vals = new Array(n).fill(undefined);
    this.mask = n - 1;
    this.count = 0;
    for (let i = 0; i < oldIds.length; i++) {
      if (oldIds[i] !== EMPTY) this.set(oldIds[i], oldVals[i] as V);
    }
  }
}
