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

export class LockKeys {
  private keys = new Int32Array(MIN_SLOTS);
  private vals = new Float64Array(MIN_SLOTS);
  /**
   * A slot is in use when its stamp is the table's generation: `clear` starts a new
   * generation instead of wiping the arrays (the deferred pass clears its scratch set each
   * time, and wiping thousands of slots per pass showed in profiles of contended MSETs).
   */
  private stamps = new Int32Array(MIN_SLOTS);
  private gen = 1;
  private mask = MIN_SLOTS - 1;
  /** keys held */
  size = 0;

  /** The slot holding k, or the free slot where it would go. */
  private slot(k: number): number {
    const keys = this.keys, stamps = this.stamps, gen = this.gen, mask = this.mask;
    let i = k & mask;
    for (;;) {
      if (stamps[i] !== gen || keys[i] === k) return i;
      i = (i + 1) & mask;
    }
  }

  private used(i: number): boolean {
    return this.stamps[i] === this.gen;
  }

  has(k: number): boolean {
    const i = this.slot(k);
    return this.used(i);
  }

  /** The value of k, 0 when absent. */
  get(k: number): number {
    const i = this.slot(k);
    return this.used(i) ? this.vals[i] : 0;
  }

  /** Sets k to v (v !== 0). */
  set(k: number, v: number): void {
    const i = this.slot(k);
    if (!this.used(i)) {
      if ((this.size + 1) * 2 > this.mask + 1) {
        this.resize((this.mask + 1) * 2);
        return this.set(k, v);
      }
      this.keys[i] = k;
      this.stamps[i] = this.gen;
      this.size++;
    }
    this.vals[i] = v;
  }

  /** Adds d to k's value; the key goes when that reaches 0. One probe when k is there. */
  add(k: number, d: number): void {
    const i = this.slot(k);
    if (!this.used(i)) {
      if (d !== 0) this.set(k, d);
      return;
    }
    const n = this.vals[i] + d;
    if (n === 0) this.deleteAt(i);
    else this.vals[i] = n;
  }

  delete(k: number): void {
    const i = this.slot(k);
    if (this.used(i)) this.deleteAt(i);
  }

  private deleteAt(i: number): void {
    const keys = this.keys, vals = this.vals, stamps = this.stamps, gen = this.gen;
    const mask = this.mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (stamps[j] !== gen) break;
      const x = keys[j];
      const home = x & mask;
      // the entry at j may fill i unless its home lies cyclically in (i, j]
      const stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!stays) {
        keys[i] = x;
        vals[i] = vals[j];
        i = j;
      }
    }
    stamps[i] = 0;
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

  /** Forget every key, keeping the capacity (trim gives it back). */
  clear(): void {
    this.size = 0;
    if (++this.gen === 0x7fffffff) {
      this.stamps.fill(0);
      this.gen = 1;
    }
  }

  private resize(size: number): void {
    const keys = this.keys, vals = this.vals, stamps = this.stamps, gen = this.gen;
    this.keys = new Int32Array(size);
    this.vals = new Float64Array(size);
    this.stamps = new Int32Array(size);
    this.gen = 1;
    this.mask = size - 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) {
      if (stamps[i] !== gen) continue;
      const s = this.slot(keys[i]);
      this.keys[s] = keys[i];
      this.vals[s] = vals[i];
      this.stamps[s] = 1;
      this.size++;
    }
  }
}
