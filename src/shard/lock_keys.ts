/**
 * Lock key -> number (a holder's txid, or how many hold or wait for it), for the lock table
 * and the wait set (locks.ts). Under cross-shard load every split command adds and removes a
 * few keys per shard; a JS Map churned that way rehashes and shrinks in V8's runtime, which
 * showed as a tenth of a shard's time. This is open addressing over typed arrays: linear
 * probing, backward-shift deletion, no tombstones, and a capacity that only halves (`trim`,
 * from the shard's tick) when the table is under 1/16 full.
 *
 * Keys are lock hashes (plan.ts's lockHash: non-negative, below 2^30); a value is never 0.
 */

const MIN_SLOTS = 64;
const EMPTY = -1;

export class LockKeys {
  private keys = new Int32Array(MIN_SLOTS).fill(EMPTY);
  private vals = new Float64Array(MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  /** keys held */
  size = 0;

  private slot(k: number): number {
    const keys = this.keys, mask = this.mask;
    let i = k & mask;
    for (;;) {
      const x = keys[i];
      if (x === k || x === EMPTY) return i;
      i = (i + 1) & mask;
    }
  }

  has(k: number): boolean {
    return this.keys[this.slot(k)] === k;
  }

  /** The value of k, 0 when absent. */
  get(k: number): number {
    const i = this.slot(k);
    return this.keys[i] === k ? this.vals[i] : 0;
  }

  /** Sets k to v (v !== 0). */
  set(k: number, v: number): void {
    const i = this.slot(k);
    if (this.keys[i] !== k) {
      if ((this.size + 1) * 2 > this.mask + 1) {
        this.resize((this.mask + 1) * 2);
        return this.set(k, v);
      }
      this.keys[i] = k;
      this.size++;
    }
    this.vals[i] = v;
  }

  /** Adds d to k's value; the key goes when that reaches 0. One probe when k is there. */
  add(k: number, d: number): void {
    const i = this.slot(k);
    if (this.keys[i] !== k) {
      if (d !== 0) this.set(k, d);
      return;
    }
    const n = this.vals[i] + d;
    if (n === 0) this.deleteAt(i);
    else this.vals[i] = n;
  }

  delete(k: number): void {
    const i = this.slot(k);
    if (this.keys[i] === k) this.deleteAt(i);
  }

  private deleteAt(i: number): void {
    const keys = this.keys, vals = this.vals, mask = this.mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const x = keys[j];
      if (x === EMPTY) break;
      const home = x & mask;
      // the entry at j may fill i unless its home lies cyclically in (i, j]
      const stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!stays) {
        keys[i] = x;
        vals[i] = vals[j];
        i = j;
      }
    }
    keys[i] = EMPTY;
    this.size--;
  }

  /**
   * Halve the capacity while under 1/16 full. Called from the shard's tick, not on delete:
   * under load the held keys breathe in and out with every pipeline, and shrinking on the way
   * out only to grow on the way in showed in profiles.
   */
  trim(): void {
    let cap = this.mask + 1;
    while (this.size * 16 < cap && cap > MIN_SLOTS) cap /= 2;
    if (cap !== this.mask + 1) this.resize(cap);
  }

  clear(): void {
    if (this.mask + 1 > MIN_SLOTS) {
      this.keys = new Int32Array(MIN_SLOTS).fill(EMPTY);
      this.vals = new Float64Array(MIN_SLOTS);
      this.mask = MIN_SLOTS - 1;
    } else this.keys.fill(EMPTY);
    this.size = 0;
  }

  private resize(size: number): void {
    const keys = this.keys, vals = this.vals;
    this.keys = new Int32Array(size).fill(EMPTY);
    this.vals = new Float64Array(size);
    this.mask = size - 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === EMPTY) continue;
      const s = this.slot(keys[i]);
      this.keys[s] = keys[i];
      this.vals[s] = vals[i];
      this.size++;
    }
  }
}
