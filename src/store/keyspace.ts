/**
 * One logical database of one shard. Every keyspace operation of the command code goes through
 * this class so the representation can change later without touching commands.
 *
 * - `map` is the primary index (latin1 key -> Entry).
 * - `order` lists entries by a monotonically increasing id (with holes for deleted entries,
 *   compacted when they pile up). SCAN resumes by binary search on the id, so a key present
 *   for the whole scan is never missed, whatever else is inserted or deleted meanwhile, and
 *   RANDOMKEY probes it in O(1) expected time.
 * - `volatile` holds the entries that have a TTL, swap-removed in O(1), for Redis-style random
 *   sampling in the active expiry cycle.
 */
import type { Value } from "./types.ts";
import { TYPE_STRING } from "./types.ts";

export class Entry {
  id = 0;
  /** position in Db.order (kept up to date on compaction) */
  pos = 0;
  /** index in Db.volatile, or -1 when the key has no TTL */
  vi = -1;
  /** absolute expiry in ms since the epoch, 0 = none */
  expireAt = 0;
  constructor(public key: string, public value: Value, public type: number) {}
}

export interface ScanFilter {
  match?: (key: string) => boolean;
  type?: number;
}

export class Db {
  map = new Map<string, Entry>();
  private order: (Entry | null)[] = [];
  private holes = 0;
  private nextId = 1;
  volatile: Entry[] = [];
  /** stats for INFO: keys removed by expiry */
  expiredKeys = 0;

  get size(): number {
    return this.map.size;
  }

  /** Lookup with lazy expiry. */
  get(key: string, now: number): Entry | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.expireAt !== 0 && e.expireAt <= now) {
      this.remove(e);
      this.expiredKeys++;
      return undefined;
    }
    return e;
  }

  /** Insert a new key or replace the value of an existing one; clears any TTL unless keepTtl. */
  set(key: string, value: Value, type: number, keepTtl = false, now = 0): Entry {
    const e = this.map.get(key);
    if (e !== undefined) {
      if (e.expireAt !== 0 && e.expireAt <= now && now !== 0) {
        this.remove(e);
        return this.insert(key, value, type);
      }
      e.value = value;
      e.type = type;
      if (!keepTtl && e.vi >= 0) this.clearExpire(e);
      return e;
    }
    return this.insert(key, value, type);
  }

  setString(key: string, value: Uint8Array, keepTtl = false, now = 0): Entry {
    return this.set(key, value, TYPE_STRING, keepTtl, now);
  }

  private insert(key: string, value: Value, type: number): Entry {
    const e = new Entry(key, value, type);
    e.id = this.nextId++;
    e.pos = this.order.length;
    this.order.push(e);
    this.map.set(key, e);
    return e;
  }

  /** Delete by key (expired keys count as absent). Returns true if a live key was removed. */
  delete(key: string, now: number): boolean {
    const e = this.get(key, now);
    if (e === undefined) return false;
    this.remove(e);
    return true;
  }

  remove(e: Entry): void {
    this.map.delete(e.key);
    if (e.vi >= 0) this.clearExpire(e);
    this.order[e.pos] = null;
    this.holes++;
    if (this.holes > 64 && this.holes * 2 > this.order.length) this.compact();
  }

  private compact(): void {
    const o = this.order;
    let j = 0;
    for (let i = 0; i < o.length; i++) {
      const e = o[i];
      if (e !== null) {
        e.pos = j;
        o[j++] = e;
      }
    }
    o.length = j;
    this.holes = 0;
  }

  setExpire(e: Entry, at: number): void {
    e.expireAt = at;
    if (e.vi < 0) {
      e.vi = this.volatile.length;
      this.volatile.push(e);
    }
  }

  clearExpire(e: Entry): void {
    e.expireAt = 0;
    const i = e.vi;
    if (i < 0) return;
    const last = this.volatile.pop()!;
    if (last !== e) {
      this.volatile[i] = last;
      last.vi = i;
    }
    e.vi = -1;
  }

  /** Drop everything. */
  flush(): void {
    this.map = new Map();
    this.order = [];
    this.holes = 0;
    this.volatile = [];
  }

  /**
   * One SCAN step: entries with id > cursor, up to `count` visited entries. Returns the id to
   * resume from (0 when the scan is complete).
   */
  scan(cursor: number, count: number, now: number, f: ScanFilter, out: string[]): number {
    const o = this.order;
    let lo = 0, hi = o.length;
    // binary search first non-hole entry with id > cursor (holes are skipped while bisecting)
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      let m = mid;
      while (m < hi && o[m] === null) m++;
      if (m === hi) {
        hi = mid;
        continue;
      }
      if (o[m]!.id <= cursor) lo = m + 1;
      else hi = mid;
    }
    let visited = 0;
    let i = lo;
    let last = cursor;
    for (; i < o.length && visited < count; i++) {
      const e = o[i];
      if (e === null) continue;
      visited++;
      last = e.id;
      if (e.expireAt !== 0 && e.expireAt <= now) continue;
      if (f.type !== undefined && e.type !== f.type) continue;
      if (f.match !== undefined && !f.match(e.key)) continue;
      out.push(e.key);
    }
    while (i < o.length && o[i] === null) i++;
    return i >= o.length ? 0 : last;
  }

  /** A random live key, or null. */
  randomKey(now: number): string | null {
    for (let tries = 0; tries < 100 && this.map.size > 0; tries++) {
      const o = this.order;
      const e = o[(Math.random() * o.length) | 0];
      if (e === null || e === undefined) continue;
      if (e.expireAt !== 0 && e.expireAt <= now) {
        this.remove(e);
        this.expiredKeys++;
        continue;
      }
      return e.key;
    }
    // dense fallback: everything sampled was a hole or expired
    for (const e of this.map.values()) {
      if (e.expireAt === 0 || e.expireAt > now) return e.key;
    }
    return null;
  }

  /**
   * Redis's active expire step for one database: sample up to 20 volatile keys, delete the
   * expired ones, repeat while more than a quarter of the sample was expired and the budget
   * (number of samples) lasts. Returns the number of samples taken.
   */
  activeExpire(now: number, budget: number): number {
    let sampled = 0;
    while (this.volatile.length > 0 && sampled < budget) {
      let expired = 0;
      const n = Math.min(20, this.volatile.length);
      for (let k = 0; k < n; k++) {
        const v = this.volatile;
        if (v.length === 0) break;
        const e = v[(Math.random() * v.length) | 0];
        sampled++;
        if (e.expireAt <= now) {
          this.remove(e);
          this.expiredKeys++;
          expired++;
        }
      }
      if (expired * 4 <= n) break;
    }
    return sampled;
  }

  /** Sum of remaining TTLs (ms) over a sample of volatile keys, for INFO's avg_ttl. */
  avgTtl(now: number): number {
    const v = this.volatile;
    if (v.length === 0) return 0;
    const n = Math.min(v.length, 64);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += Math.max(0, v[(Math.random() * v.length) | 0].expireAt - now);
    }
    return Math.round(sum / n);
  }
}
