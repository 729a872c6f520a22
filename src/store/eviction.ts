/**
 * maxmemory eviction, as Redis's evict.c does it: while the shard uses more than its share of
 * maxmemory, sample `maxmemory-samples` keys per database (all keys, or only those with a TTL
 * for the volatile-* policies), keep the best candidates in a 16-entry pool ordered by idle
 * time (LRU), by 255 - frequency (LFU) or by nearest expiry (TTL), and delete the best; the
 * random policies delete a random key. Each pass is bounded in time by
 * maxmemory-eviction-tenacity; what is left continues from the shard's tick.
 */
import type { Keyspace } from "./keyspace.ts";
import { idleSeconds } from "./access.ts";

export const EVICT_OK = 0;
/** over the limit, but eviction goes on in the tick: commands may run */
export const EVICT_RUNNING = 1;
/** over the limit and nothing can be evicted: denyoom commands are refused */
export const EVICT_FAIL = 2;

/** Redis's EVPOOL_SIZE */
const POOL_SIZE = 16;

interface Candidate {
  idle: number;
  db: number;
  key: Uint8Array;
}

/** Redis's evictionTimeLimitUs: microseconds one eviction pass may take. */
export function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return Math.floor(500 * Math.pow(1.15, tenacity - 10));
  return Infinity;
}

export class Evictor {
  /** keys evicted (INFO evicted_keys) */
  evictedKeys = 0;
  /** an eviction pass hit its time limit: the tick should go on */
  running = false;
  private pool: Candidate[] = [];
  private nextDb = 0;
  private readonly sample: number[] = [];

  constructor(private readonly ks: Keyspace) {}

  /**
   * Evict until `used()` is at most `limit` bytes. Returns EVICT_OK (under the limit),
   * EVICT_RUNNING (time is up, more next tick) or EVICT_FAIL (nothing left to evict, or the
   * policy is noeviction).
   */
  perform(
    limit: number,
    used: () => number,
    policy: string,
    samples: number,
    tenacity: number,
    now: number,
  ): number {
    this.running = false;
    if (used() <= limit) return EVICT_OK;
    if (policy === "noeviction") return EVICT_FAIL;
    const start = performance.now();
    const budgetMs = evictionTimeLimitUs(tenacity) / 1000;
    let freed = 0;
    for (;;) {
      if (!this.evictOne(policy, samples, now)) return EVICT_FAIL;
      if (++freed % 16 === 0) {
        if (used() <= limit) return EVICT_OK;
        if (performance.now() - start > budgetMs) {
          this.running = true;
          return EVICT_RUNNING;
        }
      } else if (used() <= limit) return EVICT_OK;
    }
  }

  /** Delete the best candidate under `policy`; false when there is none. */
  private evictOne(policy: string, samples: number, now: number): boolean {
    const dbs = this.ks.dbs;
    const volatile = policy.startsWith("volatile-");
    if (policy.endsWith("-random")) {
      for (let i = 0; i < dbs.length; i++) {
        const d = (++this.nextDb) % dbs.length;
        const db = dbs[d];
        const r = volatile ? db.vol.ref(db.vol.random(Math.random)) : db.dict.random(Math.random);
        if (r === 0) continue;
        this.evict(d, r);
        return true;
      }
      return false;
    }
    for (;;) {
      let total = 0;
      for (let d = 0; d < dbs.length; d++) {
        const db = dbs[d];
        const n = volatile ? db.vol.count : db.size;
        if (n === 0) continue;
        total += n;
        this.populate(d, policy, volatile, samples, now);
      }
      if (total === 0) return false;
      // best last: walk the pool from the best candidate; a key gone meanwhile is skipped
      while (this.pool.length > 0) {
        const c = this.pool.pop()!;
        const db = dbs[c.db];
        const r = db.peek(c.key, now);
        if (r === 0 || (volatile && db.expireAt(r) === 0)) continue;
        this.evict(c.db, r);
        return true;
      }
    }
  }

  private evict(d: number, r: number): void {
    const db = this.ks.dbs[d];
    if (db.prop !== null) db.prop.deleted(db, r, true);
    db.remove(r);
    this.evictedKeys++;
  }

  /** Redis's evictionPoolPopulate: sample keys of database d into the pool. */
  private populate(d: number, policy: string, volatile: boolean, samples: number, now: number) {
    const db = this.ks.dbs[d];
    const s = this.sample;
    s.length = 0;
    if (volatile) {
      for (let i = 0; i < samples && db.vol.count > 0; i++) {
        s.push(db.vol.ref(db.vol.random(Math.random)));
      }
    } else {
      db.dict.sample(samples, Math.random, s);
    }
    const access = this.ks.access;
    for (const r of s) {
      let idle: number;
      if (policy.endsWith("-lru")) idle = idleSeconds(db.lruOf(r), now);
      else if (policy.endsWith("-lfu")) idle = 255 - access.counter(db.lruOf(r), now);
      else idle = Number.MAX_SAFE_INTEGER - db.expireAt(r);
      this.insert({ idle, db: d, key: db.key(r) });
    }
  }

  /** Keep the pool sorted by idle ascending, at most POOL_SIZE, without duplicates. */
  private insert(c: Candidate): void {
    const p = this.pool;
    for (const e of p) {
      if (e.db === c.db && sameBytes(e.key, c.key)) return;
    }
    if (p.length === POOL_SIZE && c.idle <= p[0].idle) return;
    let i = p.length;
    while (i > 0 && p[i - 1].idle > c.idle) i--;
    p.splice(i, 0, c);
    if (p.length > POOL_SIZE) p.shift();
  }

  /** Forget the pool (FLUSHALL, a policy change). */
  reset(): void {
    this.pool = [];
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
