/**
 * The state of cross-shard transactions: a transaction as its coordinator keeps it, and on
 * every participant the key locks granted in global-sequence order and the WATCHed keys. See
 * TRANSACTIONS.md beside this file for the protocol (tx.ts runs it).
 *
 * A lock key is `<db> <key>` (plan.ts's lockKey). A request locks a set of keys, or the whole
 * shard (`all`, for commands that read or write every key, such as DBSIZE or FLUSHALL inside
 * EXEC).
 */

/** The client a transaction runs for, as the protocol needs it. */
export interface TxClient {
  readonly id: number;
  readonly closed: boolean;
  /** the transaction it waits for or runs */
  tx: Tx | null;
}

/** What a transaction locks on one shard: keys, or the whole shard. */
export interface TxPart {
  keys: string[];
  all: boolean;
}

/** A transaction as its coordinating shard keeps it (tx.ts runs the protocol). */
export class Tx {
  /** shards that have not granted yet */
  waiting = 0;
  /** a WATCHed key was touched: EXEC must fail */
  dirty = false;
  constructor(
    public txid: number,
    readonly client: TxClient,
    readonly parts: Map<number, TxPart>,
    readonly onGranted: (tx: Tx) => void,
  ) {}
}

export interface LockReq {
  txid: number;
  /** the coordinating shard */
  source: number;
  client: number;
  all: boolean;
  keys: string[];
  granted: boolean;
}

/** txids wrap around at 2^32: compare in sequence space */
export function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export class LockTable {
  /** granted key -> holding txid */
  private byKey = new Map<string, number>();
  /** txid holding the whole shard, 0 if none */
  private allHolder = 0;
  private granted = new Map<number, LockReq>();
  /** not yet granted, ordered by txid */
  private pending: LockReq[] = [];

  /** True while some transaction holds locks here: plain commands must check them. */
  get active(): boolean {
    return this.granted.size > 0;
  }

  holds(txid: number): boolean {
    return this.granted.has(txid);
  }

  private conflicts(a: LockReq, b: LockReq): boolean {
    if (a.all || b.all) return true;
    const [small, big] = a.keys.length < b.keys.length ? [a, b] : [b, a];
    for (const k of small.keys) if (big.keys.includes(k)) return true;
    return false;
  }

  private conflictsGranted(r: LockReq): LockReq | null {
    if (this.allHolder !== 0) return this.granted.get(this.allHolder)!;
    if (r.all) {
      for (const g of this.granted.values()) return g;
      return null;
    }
    for (const k of r.keys) {
      const t = this.byKey.get(k);
      if (t !== undefined) return this.granted.get(t)!;
    }
    return null;
  }

  /** Does a transaction later than `r` hold one of r's keys (or the shard) here? */
  private laterHolder(r: LockReq): boolean {
    if (this.allHolder !== 0) return before(r.txid, this.allHolder);
    if (r.all) {
      for (const t of this.granted.keys()) if (before(r.txid, t)) return true;
      return false;
    }
    for (const k of r.keys) {
      const t = this.byKey.get(k);
      if (t !== undefined && before(r.txid, t)) return true;
    }
    return false;
  }

  /**
   * A lock request. Rejected when a conflicting transaction with a later txid already holds
   * its locks here (waiting for it could deadlock: waits only ever go from later to earlier
   * txids); otherwise queued in txid order. Returns the requests granted by this call.
   */
  request(r: LockReq): LockReq[] | null {
    if (this.laterHolder(r)) return null;
    const p = this.pending;
    let i = p.length;
    while (i > 0 && before(r.txid, p[i - 1].txid)) i--;
    p.splice(i, 0, r);
    return this.grantReady();
  }

  /**
   * Drop a transaction's locks (granted or still pending). The caller runs the commands that
   * waited for them, then grants what is pending (grantReady), so a command that arrived
   * before a pending transaction also runs before it.
   */
  release(txid: number): void {
    const r = this.granted.get(txid);
    if (r !== undefined) {
      this.granted.delete(txid);
      if (r.all) this.allHolder = 0;
      else for (const k of r.keys) this.byKey.delete(k);
    } else {
      const i = this.pending.findIndex((x) => x.txid === txid);
      if (i >= 0) this.pending.splice(i, 1);
    }
  }

  /** Grant, in txid order, every pending request that conflicts with nothing before it. */
  grantReady(): LockReq[] {
    const out: LockReq[] = [];
    const p = this.pending;
    for (let i = 0; i < p.length; i++) {
      const r = p[i];
      if (this.conflictsGranted(r) !== null) continue;
      let blocked = false;
      for (let j = 0; j < i && !blocked; j++) blocked = this.conflicts(p[j], r);
      if (blocked) continue;
      p.splice(i--, 1);
      r.granted = true;
      this.granted.set(r.txid, r);
      if (r.all) this.allHolder = r.txid;
      else for (const k of r.keys) this.byKey.set(k, r.txid);
      out.push(r);
    }
    return out;
  }

  /** The latest transaction (in sequence order) that makes a plain command wait, or 0. */
  latestBlocker(keys: string[] | null): number {
    if (this.granted.size === 0) return 0;
    if (this.allHolder !== 0) return this.allHolder;
    let latest = 0;
    const consider = (t: number) => {
      if (latest === 0 || before(latest, t)) latest = t;
    };
    if (keys === null) { for (const t of this.granted.keys()) consider(t); }
    else {
      for (const k of keys) {
        const t = this.byKey.get(k);
        if (t !== undefined) consider(t);
      }
    }
    return latest;
  }

  /** Would a plain command on these lock keys (or on every key) have to wait? */
  blocks(keys: string[] | null): boolean {
    if (this.granted.size === 0) return false;
    if (keys === null || this.allHolder !== 0) return true;
    for (const k of keys) if (this.byKey.has(k)) return true;
    return false;
  }
}

/** WATCHed keys of the clients (of any shard) whose keys live here. */
export class WatchTable {
  /** lock key -> watching client ids */
  private byKey = new Map<string, Set<number>>();
  /** client -> its watched lock keys here (with "expired when watched"), and whether one was touched */
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
