/**
 * The shard's object table: values that are not bytes in a record (lists, sets, hashes,
 * sorted sets, strings longer than an arena block), each named by a u32 handle that its record holds. A freed handle is reused.
 * It also keeps what the objects cost (memory.ts estimates), refreshed lazily for the objects
 * written since the last count, so a write pays one flag and the count pays the estimate.
 */
import { type CollectionValue, TYPE_STRING } from "./types.ts";
import type { BigString } from "./big_string.ts";
import { objectBytes } from "./memory.ts";

/**
 * Big strings' buffers that peers lent (src/shard/lend.ts): told when one leaves the keyspace,
 * and asked before one is written in place (a lent-out buffer is copied first).
 */
export interface LentBuffers {
  dropped(bytes: Uint8Array): void;
  isLent(bytes: Uint8Array): boolean;
}

export class ObjectTable {
  private items: (CollectionValue | undefined)[] = [undefined];
  private types = new Uint8Array(16);
  private cost = new Float64Array(16);
  private isDirty = new Uint8Array(16);
  private readonly dirty: number[] = [];
  private readonly free: number[] = [];
  private total = 0;
  /** objects held */
  count = 0;
  /**
   * Bytes of big strings' buffers dropped since the owner last collected garbage: V8 frees an
   * ArrayBuffer only when a GC finds it dead, so the shard collects once this grows.
   */
  released = 0;
  /** where big strings' buffers are lent to or from other shards (null: one shard) */
  lends: LentBuffers | null = null;

  put(o: CollectionValue, type: number): number {
    this.count++;
    // a record moved by RENAME or MOVE takes the object before the old record drops it
    if (type === TYPE_STRING) (o as BigString).holders++;
    let h = this.free.pop();
    if (h === undefined) {
      h = this.items.length;
      this.items.push(o);
      if (h >= this.types.length) this.grow(this.types.length * 2);
    } else this.items[h] = o;
    this.types[h] = type;
    this.cost[h] = 0;
    this.changed(h);
    return h;
  }

  get(h: number): CollectionValue {
    return this.items[h]!;
  }

  /** The object of handle h was written: its cost is counted again next time. */
  changed(h: number): void {
    if (this.isDirty[h] === 0) {
      this.isDirty[h] = 1;
      this.dirty.push(h);
    }
  }

  drop(h: number): void {
    if (this.types[h] === TYPE_STRING) {
      const big = this.items[h] as BigString;
      this.released += big.bytes.length;
      if (--big.holders === 0 && this.lends !== null) this.lends.dropped(big.bytes);
    }
    this.total -= this.cost[h];
    this.cost[h] = 0;
    this.items[h] = undefined;
    this.free.push(h);
    this.count--;
  }

  /** The estimated bytes of every object (the changed ones counted again now). */
  bytes(): number {
    for (const h of this.dirty) {
      this.isDirty[h] = 0;
      const o = this.items[h];
      if (o === undefined) continue;
      const c = objectBytes(this.types[h], o);
      this.total += c - this.cost[h];
      this.cost[h] = c;
    }
    this.dirty.length = 0;
    return this.total;
  }

  /** Forget every object (FLUSHALL). */
  clear(): void {
    for (let h = 1; h < this.items.length; h++) {
      if (this.types[h] === TYPE_STRING && this.items[h] !== undefined) this.drop(h);
    }
    this.items = [undefined];
    this.types = new Uint8Array(16);
    this.cost = new Float64Array(16);
    this.isDirty = new Uint8Array(16);
    this.dirty.length = 0;
    this.free.length = 0;
    this.total = 0;
    this.count = 0;
  }

  private grow(n: number): void {
    const t = new Uint8Array(n), c = new Float64Array(n), d = new Uint8Array(n);
    t.set(this.types);
    c.set(this.cost);
    d.set(this.isDirty);
    this.types = t;
    this.cost = c;
    this.isDirty = d;
  }
}
