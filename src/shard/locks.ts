/**
 * The state of cross-shard transactions: a transaction as its coordinator keeps it, and on
 * every participant the key locks granted and the WATCHed keys. See
 * TRANSACTIONS.md beside this file for the protocol (tx.ts runs it).
 *
 * A lock key is the hash of a key and its database (plan.ts's lockHash); a WATCH key is
 * `<db> <key>` (watchKey), as EXEC must tell expired keys. A request locks a set of keys, or the whole
 * shard (`all`, for commands that read or write every key, such as DBSIZE or FLUSHALL inside
 * EXEC).
 */
import { LockKeys } from "./lock_keys.ts";
import { IdMap } from "../util/id_map.ts";
import { KeyLocks, slotOf } from "./key_locks.ts";

/** The client a transaction runs for, as the protocol needs it. */
export interface TxClient {
  readonly id: number;
  readonly closed: boolean;
  /** the transaction it waits for or runs */
  tx: Tx | null;
}

/** What a transaction locks on one shard: keys (lock hashes, plan.ts), or the whole shard. */
export interface TxPart {
  keys: number[];
  all: boolean;
}

/** Lock request flags (on the wire as one byte). */
export const LOCK_ALL = 1;
/** only reads the keys: shares them with other readers (MGET beside MGET) */
export const LOCK_SHARED = 2;
/** the transaction's last lock: released as soon as its tagged part ran (see TRANSACTIONS.md) */
export const LOCK_FINAL = 4;

/**
 * What runs under a transaction's locks as they are granted, for a command split over shards
 * (route.ts): its part for a peer goes into the same batch as the lock request there, its
 * local part runs once the local lock is granted. MULTI/EXEC and shipping have none: they run
 * once every lock is held.
 */
export interface TxHooks {
  /** the lock request to peer `t` was just added to that peer's batch */
  sent(tx: Tx, t: number): void;
  /** this shard's lock was granted */
  local(tx: Tx): void;
}

function ascending(a: number, b: number): number {
  return a - b;
}

/** A transaction as its coordinating shard keeps it (tx.ts runs the protocol). */
export class Tx {
  step = 0;
  /** a WATCHed key was touched: EXEC must fail */
  dirty = false;
  constructor(
    public txid: number,
    readonly client: TxClient,
    /** the shards to lock, in ascending order; `step` indexes the one asked now */
    readonly order: number[],
    /** what to lock on order[i] */
    readonly parts: TxPart[],
    readonly onGranted: (tx: Tx) => void,
    readonly hooks: TxHooks | null = null,
    /** it only reads: its key locks are shared */
    readonly shared = false,
  ) {}
}

/** A transaction's shards in ascending order and their parts, from a shard -> part map. */
export function orderParts(parts: Map<number, TxPart>): [number[], TxPart[]] {
  const order = [...parts.keys()].sort(ascending);
  return [order, order.map((s) => parts.get(s)!)];
}

export interface LockReq {
  txid: number;
  /** the coordinating shard */
  source: number;
  client: number;
  /** LOCK_* bits */
  flags: number;
  keys: number[];
  /** its key lock slots here once granted (key_locks.ts) */
  slots: number[] | null;
}

/**
 * The keys of lock requests still waiting, counted per key lock slot (key_locks.ts), so that a
 * new request finds out in O(its keys) whether it must queue behind one of them. By slot, not
 * by lock hash: two keys whose hashes share a slot wait for each other in the lock table, and a
 * release must see that a request waits for it (one that did not was left for the next tick).
 */
export class WaitSet {
  private writers = new LockKeys();
  private readers = new LockKeys();
  private all = 0;

  add(r: LockReq): void {
    if (r.flags & LOCK_ALL) this.all++;
    else count(r.flags & LOCK_SHARED ? this.readers : this.writers, r.keys, 1);
  }

  remove(r: LockReq): void {
    if (r.flags & LOCK_ALL) this.all--;
    else count(r.flags & LOCK_SHARED ? this.readers : this.writers, r.keys, -1);
  }

  clear(): void {
    this.writers.clear();
    this.readers.clear();
    this.all = 0;
  }

  trim(): void {
    this.writers.trim();
    this.readers.trim();
  }

  /** Does `r` conflict with a waiting request? */
  conflicts(r: LockReq): boolean {
    if (this.all > 0) return true;
    if (r.flags & LOCK_ALL) return this.writers.size > 0 || this.readers.size > 0;
    const write = (r.flags & LOCK_SHARED) === 0;
    for (let i = 0; i < r.keys.length; i++) {
      const s = slotOf(r.keys[i]);
      if (this.writers.has(s) || (write && this.readers.has(s))) return true;
    }
    return false;
  }
}

function count(m: LockKeys, keys: number[], d: number): void {
  for (let i = 0; i < keys.length; i++) m.add(slotOf(keys[i]), d);
}

/**
 * The locks granted on this shard. Requests that cannot be granted at once wait in the
 * shard's deferred queue, in arrival order (tx.ts): a transaction takes its shards one at a
 * time in ascending shard order, so a holder only ever waits on higher shards and waits
 * cannot form a cycle (TRANSACTIONS.md). The keys' locks themselves are slots in shared memory
 * (key_locks.ts), where the split commands that take them in one hop see them too.
 */
export class LockTable {
  /** txid holding the whole shard, 0 if none */
  private allHolder = 0;
  private granted = new IdMap<LockReq>();
  /** the requests waiting here (tx.ts keeps them in the shard's deferred queue) */
  readonly waiting = new WaitSet();

  constructor(readonly keyLocks: KeyLocks = KeyLocks.standalone()) {}

  /** Give back the key tables' room once a burst is over (the shard's tick). */
  trim(): void {
    this.waiting.trim();
  }

  /**
   * True while some transaction holds locks here (or a split command in flight holds some of
   * its keys): plain commands must check them.
   */
  get active(): boolean {
    return this.granted.size > 0 || this.keyLocks.heldHere() > 0;
  }

  holds(txid: number): boolean {
    return this.granted.has(txid);
  }

  /** The granted request of `txid`, if it holds locks here. */
  held(txid: number): LockReq | undefined {
    return this.granted.get(txid);
  }

  /**
   * Can `r` be granted now: no granted lock conflicts, nor a request that arrived before it
   * and still waits (`earlier`)? tryGrant may still find a slot taken meanwhile.
   */
  grantable(r: LockReq, earlier: WaitSet): boolean {
    if (this.allHolder !== 0) return false;
    if (r.flags & LOCK_ALL) {
      if (this.granted.size > 0 || this.keyLocks.heldHere() > 0) return false;
    } else if (this.blocks(r.keys, (r.flags & LOCK_SHARED) === 0)) return false;
    return !earlier.conflicts(r);
  }

  /**
   * Grant a grantable request: false when a split command on another shard took one of its
   * slots since (it runs its part here soon and gives them back; the request waits until then).
   */
  tryGrant(r: LockReq): boolean {
    const kl = this.keyLocks;
    if (r.flags & LOCK_ALL) {
      if (!kl.tryAllHere()) return false;
      this.allHolder = r.txid;
    } else {
      const shared = (r.flags & LOCK_SHARED) !== 0;
      const slots = kl.slotsOf(kl.self, r.keys, shared);
      if (!kl.takeHere(slots, shared)) return false;
      r.slots = slots;
    }
    this.granted.set(r.txid, r);
    return true;
  }

  /** Drop a transaction's granted locks (the caller runs what waited for them). */
  release(txid: number): void {
    const r = this.granted.get(txid);
    if (r === undefined) return;
    this.granted.delete(txid);
    if (r.flags & LOCK_ALL) {
      this.allHolder = 0;
      this.keyLocks.releaseAllHere();
    } else this.keyLocks.releaseHere(r.slots!, (r.flags & LOCK_SHARED) !== 0);
  }

  /**
   * Would a plain command on these lock keys (or on every key: null) have to wait? A reader
   * waits only for writers; a writer for readers too.
   */
  blocks(keys: number[] | null, write = true): boolean {
    if (!this.active) return false;
    if (keys === null || this.allHolder !== 0) return true;
    return this.keyLocks.blocks(keys, write);
  }
}

/** WATCHed keys of the clients (of any shard) whose keys live here. */
export class WatchTable {
  /** watch key -> watching client ids */
  private byKey = new Map<string, Set<number>>();
  /** client -> its watch keys here (with "expired when watched"), and whether one was touched */
  private byClient = new Map<number, { keys: Map<string, boolean>; dirty: boolean }>();

  get size(): number {
    return this.byKey.size;
  }

  add(client: number, lk: string, expiredNow: boolean): void {
    let c = this.byClient.get(client);
    if (c === undefined) this.byClient.set(client, c = { keys: new Map(), dirty: false });
    if (!c.keys.has(lk)) c.keys.set(lk, expiredNow);
    let s = this.byKey.get(lk);
    if (s === undefined) this.byKey.set(lk, s = new Set());
    s.add(client);
  }

  /** A watched key was modified: its watchers' next EXEC fails. */
  touched(lk: string): void {
    const s = this.byKey.get(lk);
    if (s === undefined) return;
    for (const id of s) this.byClient.get(id)!.dirty = true;
  }

  /**
   * Whether this client's EXEC must fail: a watched key was touched, or has expired since it
   * was watched (`expired(lk)` tells whether a key is logically expired now).
   */
  dirty(client: number, expired: (lk: string) => boolean): boolean {
    const c = this.byClient.get(client);
    if (c === undefined) return false;
    if (c.dirty) return true;
    for (const [lk, wasExpired] of c.keys) if (!wasExpired && expired(lk)) return true;
    return false;
  }

  clear(client: number): void {
    const c = this.byClient.get(client);
    if (c === undefined) return;
    this.byClient.delete(client);
    for (const lk of c.keys.keys()) {
      const s = this.byKey.get(lk)!;
      s.delete(client);
      if (s.size === 0) this.byKey.delete(lk);
    }
  }
}
