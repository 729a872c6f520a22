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
 * - Each entry carries Redis's 24-bit `lru` field (OBJECT IDLETIME / FREQ) and a string
 *   encoding hint (OBJECT ENCODING), see below.
 */
import type { Value } from "./types.ts";
import { TYPE_STRING } from "./types.ts";
import { nextCursor } from "../util/scan_cursor.ts";
import type { ConfigStore } from "../config/mod.ts";

/**
 * How a string value was written, for OBJECT ENCODING: Redis decides a string's encoding when
 * it is written, not from its bytes, so the writer says which rule applies.
 */
/** Written whole (SET family, APPEND/INCR creating the key): Redis's tryObjectEncoding, i.e.
 * "int" for a canonical int64 (0..9999 shared), "embstr" up to 44 bytes, else "raw". */
export const ENC_AUTO = 0;
/** Modified in place or built by Redis as raw (APPEND to an existing value, SETRANGE, SETBIT,
 * BITFIELD, BITOP's destination, HyperLogLogs): "raw" whatever the length. */
export const ENC_RAW = 1;
/** Written without an integer check (INCRBYFLOAT's result): "embstr" up to 44 bytes, else "raw". */
export const ENC_EMBSTR = 2;
/** ENC_AUTO, but a private copy (COPY of a shared small integer): never shared. */
export const ENC_AUTO_UNSHARED = 3;

/** Redis's LRU clock: seconds, 24 bits (LRU_CLOCK_MAX). */
export const LRU_CLOCK_MAX = 0xffffff;
/** Redis's LFU_INIT_VAL: the counter of a new key under an LFU policy. */
const LFU_INIT_VAL = 5;

/**
 * Access tracking of this shard (module state: each shard is its own worker). Redis keeps one
 * 24-bit field per object that holds the LRU clock, or under an LFU maxmemory-policy the last
 * decrement time in minutes (16 bits) and a logarithmic access counter (8 bits).
 */
let lfuMode = false;
let lfuLogFactor = 10;
let lfuDecayTime = 1;

/** Follow maxmemory-policy / lfu-log-factor / lfu-decay-time (call on startup and CONFIG SET). */
export function setAccessPolicy(policy: string, logFactor: number, decayTime: number): void {
  lfuMode = policy.endsWith("-lfu");
  lfuLogFactor = logFactor;
  lfuDecayTime = decayTime;
}

/**
 * Makes the keyspace track accesses as the config's maxmemory-policy says (LRU clock or LFU
 * counter). The shard should call this at startup and after every CONFIG SET; OBJECT also
 * calls it so its answer always follows the current policy.
 */
export function syncAccessPolicy(config: ConfigStore): void {
  setAccessPolicy(
    config.value("maxmemory-policy") ?? "noeviction",
    Number(config.value("lfu-log-factor") ?? 10),
    Number(config.value("lfu-decay-time") ?? 1),
  );
}

export function lfuPolicy(): boolean {
  return lfuMode;
}

/** The LRU clock at `now` (ms). */
export function lruClock(now: number): number {
  return (now / 1000) & LRU_CLOCK_MAX;
}

function lfuMinutes(now: number): number {
  return (now / 60000) & 0xffff;
}

/** Redis's LFUDecrAndReturn: the counter after the decay periods elapsed since the last one. */
export function lfuCounter(lru: number, now: number): number {
  const ldt = lru >>> 8;
  let counter = lru & 255;
  const m = lfuMinutes(now);
  const elapsed = m >= ldt ? m - ldt : 65535 - ldt + m;
  const periods = lfuDecayTime > 0 ? Math.floor(elapsed / lfuDecayTime) : 0;
  if (periods > 0) counter = periods > counter ? 0 : counter - periods;
  return counter;
}

/** Redis's updateLFU: decay, then a logarithmic increment. */
function lfuAccess(e: Entry, now: number): void {
  let counter = lfuCounter(e.lru, now);
  if (counter < 255) {
    const base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
    if (Math.random() < 1 / (base * lfuLogFactor + 1)) counter++;
  }
  e.lru = (lfuMinutes(now) << 8) | counter;
}

/** The `lru` field of a value created at `now`. */
export function newAccess(now: number): number {
  return lfuMode ? (lfuMinutes(now) << 8) | LFU_INIT_VAL : lruClock(now);
}

/** Seconds since the last access for OBJECT IDLETIME (Redis's estimateObjectIdleTime). */
export function idleSeconds(e: Entry, now: number): number {
  const clock = lruClock(now);
  return clock >= e.lru ? clock - e.lru : clock + (LRU_CLOCK_MAX - e.lru);
}

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
  /** Redis's 24-bit lru field: LRU clock, or LFU time and counter (see setAccessPolicy) */
  lru = 0;
  /** a string value's encoding hint (ENC_*) */
  enc = ENC_AUTO;
  constructor(public key: string, public value: Value, public type: number) {}
}

/** FNV-1a over the key's bytes (one char per byte). */
function hashKey(k: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  return h >>> 0;
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

  /** Lookup with lazy expiry; counts as an access (OBJECT IDLETIME / FREQ). */
  get(key: string, now: number): Entry | undefined {
    const e = this.peek(key, now);
    if (e === undefined) return undefined;
    if (lfuMode) lfuAccess(e, now);
    else e.lru = (now / 1000) & LRU_CLOCK_MAX;
    return e;
  }

  /** Lookup with lazy expiry that is not an access (Redis's LOOKUP_NOTOUCH: OBJECT, TYPE, TTL). */
  peek(key: string, now: number): Entry | undefined {
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
    if (now === 0) now = Date.now();
    if (e === undefined) {
      e = this.insert(key, value, type);
      e.lru = newAccess(now);
    } else {
      e.value = value;
      e.type = type;
      e.enc = ENC_AUTO;
      // an overwrite is an access of the key (Redis looks it up for writing first)
      if (lfuMode) lfuAccess(e, now);
      else e.lru = (now / 1000) & LRU_CLOCK_MAX;
      if (!keepTtl && e.vi >= 0) this.clearExpire(e);
    }
    this.touch(key);
    return e;
  }

  /**
   * RENAME, MOVE, COPY: `key` is set to `value` (replacing whatever it held) and takes over
   * the type, TTL, access field and encoding hint of `src`, which may be in another database.
   */
  putFrom(key: string, src: Entry, value: Value, now: number): Entry {
    const e = this.set(key, value, src.type, false, now);
    e.lru = src.lru;
    e.enc = src.enc;
    if (src.expireAt !== 0) this.setExpire(e, src.expireAt, src.expireExact);
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
    if (t !== null) { for (const k of this.map.keys()) t(k); }
    this.version++;
    this.map = new Map();
    this.buckets = new Array(MIN_BUCKETS).fill(null);
    this.mask = MIN_BUCKETS - 1;
    this.volatile = [];
  }

  /**
   * SWAPDB: exchange the contents of two databases. Each Db object stays at its index with its
   * watch hook, so clients that selected an index see the other contents, as in Redis; every
   * key of both is signalled on both sides (a watched key changes if it exists in either).
   */
  swapWith(o: Db): void {
    const map = this.map, buckets = this.buckets, mask = this.mask, volatile = this.volatile;
    this.map = o.map;
    this.buckets = o.buckets;
    this.mask = o.mask;
    this.volatile = o.volatile;
    o.map = map;
    o.buckets = buckets;
    o.mask = mask;
    o.volatile = volatile;
    this.signalAll(o);
    o.signalAll(this);
  }

  private signalAll(o: Db): void {
    this.version++;
    const t = this.onTouch;
    if (t === null) return;
    for (const k of this.map.keys()) t(k);
    for (const k of o.map.keys()) t(k);
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
      v = nextCursor(v, m);
    } while (v !== 0 && budget-- > 0 && seen < count);
    return v;
  }

  /** A random live key, or null. */
  randomKey(now: number): string | null {
    for (let tries = 0; tries < 100 && this.map.size > 0; tries++) {
      // re-read every try: removing an expired key may have shrunk the table
      const bk = this.buckets;
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
