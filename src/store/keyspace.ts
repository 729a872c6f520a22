/**
 * One logical database of one shard. Every keyspace operation of the command code goes through
 * this class so the representation can change later without touching commands.
 *
 * - `map` is the primary index (latin1 key -> Entry).
 * - `buckets` chains the same entries by a 32-bit hash of the key, as Redis's dict does, so
 *   SCAN can walk buckets with Redis's reverse-binary cursor: every key present for the whole
 *   scan is returned, and the scan ends even while keys are added and removed, because the
 *   cursor walks a bounded space of buckets rather than insertion order. RANDOMKEY probes
 *   random buckets.
 * - `volatile` holds the entries that have a TTL, swap-removed in O(1), for Redis-style random
 *   sampling in the active expiry cycle.
 */
import type { Value } from "./types.ts";
import { TYPE_STRING } from "./types.ts";

export class Entry {
  /** 32-bit hash of the key: its bucket is hash & mask */
  hash = 0;
  /** next entry in the same bucket */
  next: Entry | null = null;
  /** index in Db.volatile, or -1 when the key has no TTL */
  vi = -1;
  /** absolute expiry in ms since the epoch, 0 = none */
  expireAt = 0;
  /** the exact expiry when it is beyond 2^53 ms (EXPIRETIME must echo it), else undefined */
  expireExact?: bigint;
  constructor(public key: string, public value: Value, public type: number) {}
}

/** FNV-1a over the key's bytes (one char per byte). */
function hashKey(k: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function rev32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

const MIN_BUCKETS = 16;

export interface ScanFilter {
  match?: (key: string) => boolean;
  type?: number;
}

export class Db {
  map = new Map<string, Entry>();
  private buckets: (Entry | null)[] = new Array(MIN_BUCKETS).fill(null);
  private mask = MIN_BUCKETS - 1;
  volatile: Entry[] = [];
  /** stats for INFO: keys removed by expiry */
  expiredKeys = 0;
  /** bumped on every touch(): a cheap "anything changed" check */
  version = 0;
  /** set while some client watches keys of this database */
  onTouch: ((key: string) => void) | null = null;

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
    let e = this.map.get(key);
    if (e !== undefined && e.expireAt !== 0 && e.expireAt <= now && now !== 0) {
      this.remove(e);
      e = undefined;
    }
    if (e === undefined) e = this.insert(key, value, type);
    else {
      e.value = value;
      e.type = type;
      if (!keepTtl && e.vi >= 0) this.clearExpire(e);
    }
    this.touch(key);
    return e;
  }

  setString(key: string, value: Uint8Array, keepTtl = false, now = 0): Entry {
    return this.set(key, value, TYPE_STRING, keepTtl, now);
  }

  private insert(key: string, value: Value, type: number): Entry {
    const e = new Entry(key, value, type);
    const h = hashKey(key);
    e.hash = h;
    const b = h & this.mask;
    e.next = this.buckets[b];
    this.buckets[b] = e;
    this.map.set(key, e);
    if (this.map.size > this.buckets.length) this.resize(this.buckets.length * 2);
    return e;
  }

  /** Relink every entry into a table of `size` buckets (a power of two). */
  private resize(size: number): void {
    const nb: (Entry | null)[] = new Array(size).fill(null);
    const mask = size - 1;
    for (const e of this.map.values()) {
      const b = e.hash & mask;
      e.next = nb[b];
      nb[b] = e;
    }
    this.buckets = nb;
    this.mask = mask;
  }

  /**
   * Every write that changes a key calls this (Redis's signalModifiedKey), after the change:
   * WATCH, and later keyspace notifications and client tracking, hang off it.
   */
  touch(key: string): void {
    this.version++;
    const w = this.onTouch;
    if (w !== null) w(key);
  }

  /** Delete by key (expired keys count as absent). Returns true if a live key was removed. */
  delete(key: string, now: number): boolean {
    const e = this.get(key, now);
    if (e === undefined) return false;
    this.remove(e);
    return true;
  }

  /** Remove an entry (deletion, expiry, a collection emptied): the key is touched. */
  remove(e: Entry): void {
    this.map.delete(e.key);
    if (e.vi >= 0) this.clearExpire(e);
    const b = e.hash & this.mask;
    let p = this.buckets[b];
    if (p === e) this.buckets[b] = e.next;
    else {
      while (p !== null && p.next !== e) p = p.next;
      if (p !== null) p.next = e.next;
    }
    e.next = null;
    const n = this.buckets.length;
    if (n > MIN_BUCKETS && this.map.size * 8 < n) this.resize(n / 2);
    this.touch(e.key);
  }

  setExpire(e: Entry, at: number, exact?: bigint): void {
    e.expireAt = at;
    e.expireExact = exact;
    if (e.vi < 0) {
      e.vi = this.volatile.length;
      this.volatile.push(e);
    }
    this.touch(e.key);
  }

  clearExpire(e: Entry): void {
    e.expireAt = 0;
    e.expireExact = undefined;
    const i = e.vi;
    if (i < 0) return;
    const last = this.volatile.pop()!;
    if (last !== e) {
      this.volatile[i] = last;
      last.vi = i;
    }
    e.vi = -1;
  }

  /** Drop everything (every key is touched). */
  flush(): void {
    const t = this.onTouch;
    if (t !== null) for (const k of this.map.keys()) t(k);
    this.version++;
    this.map = new Map();
    this.buckets = new Array(MIN_BUCKETS).fill(null);
    this.mask = MIN_BUCKETS - 1;
    this.volatile = [];
  }

  /**
   * One SCAN step from `cursor` (Redis's reverse-binary bucket cursor, 32 bits): visits
   * buckets until `count` keys were seen or 10*count buckets were empty. Returns the next
   * cursor, 0 when the scan is complete.
   */
  scan(cursor: number, count: number, now: number, f: ScanFilter, out: string[]): number {
    if (this.map.size === 0) return 0;
    let v = cursor >>> 0;
    let budget = count * 10;
    let seen = 0;
    const m = this.mask;
    do {
      for (let e = this.buckets[v & m]; e !== null; e = e.next) {
        seen++;
        if (e.expireAt !== 0 && e.expireAt <= now) continue;
        if (f.type !== undefined && e.type !== f.type) continue;
        if (f.match !== undefined && !f.match(e.key)) continue;
        out.push(e.key);
      }
      v = (v | ~m) >>> 0;
      v = rev32((rev32(v) + 1) >>> 0);
    } while (v !== 0 && budget-- > 0 && seen < count);
    return v;
  }

  /** A random live key, or null. */
  randomKey(now: number): string | null {
    const bk = this.buckets;
    for (let tries = 0; tries < 100 && this.map.size > 0; tries++) {
      const head = bk[(Math.random() * bk.length) | 0];
      if (head === null) continue;
      let len = 0;
      for (let x: Entry | null = head; x !== null; x = x.next) len++;
      let e = head;
      for (let k = (Math.random() * len) | 0; k > 0; k--) e = e.next!;
      if (e.expireAt !== 0 && e.expireAt <= now) {
        this.remove(e);
        this.expiredKeys++;
        continue;
      }
      return e.key;
    }
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
