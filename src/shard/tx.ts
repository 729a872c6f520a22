/**
 * Cross-shard transactions (protocol: TRANSACTIONS.md beside this file). The coordinating
 * shard asks the involved shards for their keys' locks one at a time, in ascending shard
 * order; a command split over shards sends each part with its lock request, so it costs one
 * trip per shard and its locks go with a one-way release once every part answered. MULTI/EXEC
 * and shipped commands run once every lock is held. Plain commands that touch locked keys
 * wait (`deferred`) and run after the release.
 */
import type { Deferred, Shard } from "./shard.ts";
import type { Client } from "./client.ts";
import type { BatchReader } from "./wire.ts";
import {
  GRANTED,
  GRANTED_DIRTY,
  ITEM_GRANT,
  ITEM_LOCK,
  ITEM_RELEASE,
  ITEM_UNWATCH,
  REQ_MORE,
} from "./wire.ts";
import {
  LOCK_ALL,
  LOCK_FINAL,
  LOCK_SHARED,
  type LockReq,
  orderParts,
  Tx,
  type TxHooks,
  type TxPart,
  WaitSet,
} from "./locks.ts";
import { Plan, requestLockKeys } from "./plan.ts";
import { execute } from "./execute.ts";
import { copyArgs } from "../util/bytes.ts";
import { commandTable } from "../commands/table.ts";

/** Scratch for the lock keys of waiting requests (one per Worker, reused). */
const scratchPlan = new Plan();
/** The lock requests kept waiting so far in one pass over the deferred queue (reused). */
const scratchWaits = new WaitSet();
/** The clients with a request kept waiting so far in that pass (reused). */
const scratchStuck = new Set<number>();

/** Whether a forwarded or deferred request touches keys a transaction holds here. */
function blockedHere(shard: Shard, argv: Uint8Array[], argc: number, db: number): boolean {
  const keys = requestLockKeys(
    shard.id,
    shard.slots,
    argv,
    argc,
    db,
    shard.dbs.length,
    scratchPlan,
  );
  const cmd = commandTable().resolve(argv, argc);
  return shard.locks.blocks(keys, cmd === undefined || cmd.write);
}

/**
 * Lock `parts` (shard -> keys) for `client`, one shard after the other in ascending order;
 * `onGranted` runs once every shard granted. `hooks` run the parts of a split command as
 * their locks are asked for (see TxHooks).
 */
export function beginTx(
  shard: Shard,
  client: Client,
  parts: Map<number, TxPart>,
  onGranted: (tx: Tx) => void,
): Tx {
  const [order, locks] = orderParts(parts);
  return beginOrdered(shard, client, order, locks, onGranted, null, false);
}

/**
 * beginTx with the shards already in ascending order and `parts[i]` what to lock on
 * `order[i]` (a split command plans them so: no map, no sort).
 */
export function beginOrdered(
  shard: Shard,
  client: Client,
  order: number[],
  parts: TxPart[],
  onGranted: (tx: Tx) => void,
  hooks: TxHooks | null,
  shared: boolean,
): Tx {
  const tx = new Tx(shard.mesh.nextTxid(), client, order, parts, onGranted, hooks, shared);
  if (hooks === null) client.tx = tx;
  shard.stats.transactions++;
  if (order.length === 0) {
    granted(shard, tx);
    return tx;
  }
  shard.txs.set(tx.txid, tx);
  askNext(shard, tx);
  return tx;
}

function askNext(shard: Shard, tx: Tx): void {
  const t = tx.order[tx.step];
  const p = tx.parts[tx.step];
  const flags = (p.all ? LOCK_ALL : 0) | (tx.shared ? LOCK_SHARED : 0) |
    (finalStep(tx) ? LOCK_FINAL : 0);
  if (t === shard.id) return lockHere(shard, t, tx.txid, tx.client.id, flags, p.keys);
  shard.peers.batch(t).lock(tx.txid, tx.client.id, flags, p.keys);
  if (tx.hooks !== null) tx.hooks.sent(tx, t);
}

/**
 * A split command's last lock needs no release message: every other lock is already held, so
 * once its part ran it can go at once (two-phase locking only asks that no lock is taken after
 * one is dropped). MULTI/EXEC and shipping run after the last grant, so theirs stay.
 */
function finalStep(tx: Tx): boolean {
  return tx.hooks !== null && tx.step === tx.order.length - 1;
}

/** Release a transaction's locks everywhere it asked for them (one-way messages). */
export function releaseTx(shard: Shard, tx: Tx): void {
  if (shard.txs.get(tx.txid) !== tx) return;
  shard.txs.delete(tx.txid);
  if (tx.client.tx === tx) tx.client.tx = null;
  let asked = Math.min(tx.step + 1, tx.order.length);
  // the last shard dropped its lock itself once the part ran
  if (tx.hooks !== null && tx.step === tx.order.length) asked--;
  let here = false;
  // peers first: what the local release sets off must reach them after the release
  for (let i = 0; i < asked; i++) {
    const s = tx.order[i];
    if (s === shard.id) here = true;
    else shard.peers.batch(s).small(ITEM_RELEASE, tx.txid);
  }
  if (here) releaseHere(shard, tx.txid);
}

/**
 * Participant: a lock request (from a peer or from this shard's own coordinator). Granted at
 * once when nothing conflicts and its source has nothing waiting here; otherwise it waits in
 * arrival order, and what its source sends next waits behind it.
 */
function lockHere(
  shard: Shard,
  source: number,
  txid: number,
  client: number,
  flags: number,
  keys: number[],
): void {
  const req: LockReq = { txid, source, client, flags, keys, slots: null };
  if (
    !shard.waitingOf.has(client) && shard.locks.grantable(req, shard.locks.waiting) &&
    shard.locks.tryGrant(req)
  ) return announce(shard, req);
  shard.stats.lockWaits++;
  shard.locks.waiting.add(req);
  wait(shard, {
    source,
    client: null,
    clientId: client,
    token: 0,
    db: 0,
    proto: 0,
    argv: [],
    argc: 0,
    txid,
    flags: 0,
    lock: req,
  });
}

function releaseHere(shard: Shard, txid: number): void {
  const q = shard.deferred;
  const r = shard.locks.held(txid);
  if (r !== undefined) {
    shard.locks.release(txid);
    if (q.length > 0 && (shard.blockedPlain > 0 || shard.locks.waiting.conflicts(r))) {
      shard.deferredDue = true;
    }
    return;
  }
  // released while its request still waited here (its client went away); a pass running now
  // holds the queue itself, so it is told to drop the request
  if (shard.deferredDraining) shard.cancelledLocks.add(txid);
  for (let i = 0; i < q.length; i++) {
    const l = q[i].lock;
    if (l === null || l.txid !== txid) continue;
    shard.locks.waiting.remove(l);
    unwait(shard, q[i].clientId);
    q.splice(i, 1);
    break;
  }
  if (q.length > 0) shard.deferredDue = true;
}

/** End of a loop turn: the pass over waiting requests that this turn's releases called for. */
export function runDueDeferred(shard: Shard): void {
  if (!shard.deferredDue) return;
  shard.deferredDue = false;
  runDeferred(shard);
}

/** Tell the coordinator its request was granted, with the WATCH verdict of its client. */
function announce(shard: Shard, g: LockReq): void {
  const dirty = shard.watches.size > 0 && watchDirtyOf(shard, g.client);
  answer(shard, g.source, g.txid, dirty ? GRANTED_DIRTY : GRANTED);
}

/** Whether this client's WATCHed keys on this shard forbid its EXEC. */
export function watchDirty(shard: Shard, c: Client): boolean {
  return watchDirtyOf(shard, c.id);
}

function watchDirtyOf(shard: Shard, client: number): boolean {
  const now = Date.now();
  return shard.watches.dirty(client, (lk) => expiredNow(shard, lk, now));
}

function expiredNow(shard: Shard, lk: string, now: number): boolean {
  const sp = lk.indexOf(" ");
  return shard.expiredNow(Number(lk.slice(0, sp)), lk.slice(sp + 1), now);
}

function answer(shard: Shard, target: number, txid: number, status: number): void {
  if (target === shard.id) onGrant(shard, txid, status);
  else shard.peers.batch(target).small(ITEM_GRANT, txid, status);
}

/** Coordinator: a shard granted its locks; ask the next one, or run. */
function onGrant(shard: Shard, txid: number, status: number): void {
  const tx = shard.txs.get(txid);
  if (tx === undefined) return; // released meanwhile (its client went away)
  if (status === GRANTED_DIRTY) tx.dirty = true;
  if (tx.hooks !== null && tx.order[tx.step] === shard.id) {
    tx.hooks.local(tx);
    if (finalStep(tx)) partRan(shard, txid);
  }
  if (++tx.step < tx.order.length) return askNext(shard, tx);
  granted(shard, tx);
}

/** Every shard granted: run what the locks were for. */
function granted(shard: Shard, tx: Tx): void {
  // a client gone while its block waited: nothing to run, just free the locks
  if (tx.client.closed && tx.hooks === null) releaseTx(shard, tx);
  else tx.onGranted(tx);
}

/** A part of transaction `txid` ran here: a final lock goes now. */
export function partRan(shard: Shard, txid: number): void {
  const r = shard.locks.held(txid);
  if (r !== undefined && (r.flags & LOCK_FINAL) !== 0) releaseHere(shard, txid);
}

/** Transaction control items from peer `source`. */
export function onTxItem(shard: Shard, source: number, kind: number, r: BatchReader): void {
  if (kind === ITEM_LOCK) lockHere(shard, source, r.token, r.client, r.flags, r.lockKeys);
  else if (kind === ITEM_GRANT) onGrant(shard, r.token, r.flags);
  else if (kind === ITEM_RELEASE) releaseHere(shard, r.token);
  else if (kind === ITEM_UNWATCH) clearWatches(shard, r.token);
}

/** Queue a request its shard sent: the client's later ones wait behind it. */
function wait(shard: Shard, d: Deferred): void {
  shard.waitingOf.set(d.clientId, (shard.waitingOf.get(d.clientId) ?? 0) + 1);
  shard.deferred.push(d);
}

function unwait(shard: Shard, client: number): void {
  const n = shard.waitingOf.get(client)! - 1;
  if (n === 0) shard.waitingOf.delete(client);
  else shard.waitingOf.set(client, n);
}

/** Participant: must this forwarded request wait for locks? If so it is kept (copied). */
export function mustDeferRemote(shard: Shard, source: number, r: BatchReader): boolean {
  if (r.txid !== 0 && shard.locks.holds(r.txid)) return false;
  if (!shard.waitingOf.has(r.client)) {
    if (!shard.locks.active) return false;
    if (!blockedHere(shard, r.argv, r.argc, r.db)) return false;
    shard.blockedPlain++;
  }
  shard.stats.deferred++;
  wait(shard, {
    source,
    client: null,
    clientId: r.client,
    token: r.token,
    db: r.db,
    proto: r.proto,
    argv: copyArgs(r.argv, r.argc),
    argc: r.argc,
    txid: r.txid,
    flags: r.flags,
    lock: null,
  });
  return true;
}

/**
 * A client's command must wait (its keys are locked, or its client's split commands are not
 * all sent yet): park it, and the client, until it may run.
 */
export function deferLocal(shard: Shard, c: Client, argv: Uint8Array[], argc: number): void {
  shard.stats.deferred++;
  shard.blockedPlain++;
  c.paused = true;
  shard.deferred.push({
    source: -1,
    client: c,
    clientId: c.id,
    token: 0,
    db: c.db,
    proto: c.proto,
    argv: copyArgs(argv, argc),
    argc,
    txid: 0,
    flags: 0,
    lock: null,
  });
}

/** Run the waiting requests that may run now, in arrival order per source. */
export function runDeferred(shard: Shard): void {
  // a command run here may release locks and so come back here: loop instead of re-entering
  if (shard.deferredDraining) {
    shard.deferredAgain = true;
    return;
  }
  shard.deferredDraining = true;
  try {
    do {
      shard.deferredAgain = false;
      runDeferredOnce(shard);
    } while (shard.deferredAgain);
  } finally {
    shard.deferredDraining = false;
    shard.cancelledLocks.clear();
  }
}

function runDeferredOnce(shard: Shard): void {
  if (shard.deferred.length === 0) return;
  // take the queue: what runs now may defer new entries, which arrive behind the ones kept
  const list = shard.deferred;
  shard.deferred = shard.deferredSpare;
  // sources with an entry kept: what they sent later keeps waiting behind it
  const stuck = scratchStuck;
  stuck.clear();
  const earlier = scratchWaits;
  earlier.clear();
  // counted again below (and by what gets deferred while this pass runs)
  shard.blockedPlain = 0;
  const now = Date.now();
  // the entries kept are compacted to the front of `list` as the pass goes
  let kept = 0;
  const keep = (d: Deferred): void => {
    list[kept++] = d;
  };
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    // a held command of a local client is later than its chains' lock requests: its own key
    const src = d.source >= 0 ? d.clientId : -1 - d.clientId;
    if (d.lock !== null) {
      if (shard.cancelledLocks.delete(d.txid)) {
        unwait(shard, d.clientId);
        shard.locks.waiting.remove(d.lock);
        continue;
      }
      if (
        !stuck.has(src) && shard.locks.grantable(d.lock, earlier) && shard.locks.tryGrant(d.lock)
      ) {
        unwait(shard, d.clientId);
        shard.locks.waiting.remove(d.lock);
        announce(shard, d.lock);
      } else {
        stuck.add(src);
        earlier.add(d.lock);
        keep(d);
      }
      continue;
    }
    if (stuck.has(src)) {
      keep(d);
      continue;
    }
    if (!mayRun(shard, d)) {
      stuck.add(src);
      shard.blockedPlain++;
      keep(d);
      continue;
    }
    runOne(shard, d, now);
  }
  // entries deferred meanwhile arrived later than the ones kept
  const added = shard.deferred;
  list.length = kept;
  for (let i = 0; i < added.length; i++) list.push(added[i]);
  added.length = 0;
  shard.deferredSpare = added;
  shard.deferred = list;
}

function mayRun(shard: Shard, d: Deferred): boolean {
  if (d.txid !== 0 && shard.locks.holds(d.txid)) return true;
  if (d.client !== null && d.client.chains > 0) return false;
  return !blockedHere(shard, d.argv, d.argc, d.db);
}

function runOne(shard: Shard, d: Deferred, now: number): void {
  if (d.source >= 0) {
    unwait(shard, d.clientId);
    const rw = shard.remoteW;
    rw.reset();
    rw.proto = d.proto === 3 ? 3 : 2;
    runForwarded(shard, d.db, d.argv, d.argc, now, d.clientId);
    shard.peers.replyRemote(d.source, d.token);
    if (d.txid !== 0 && (d.flags & REQ_MORE) === 0) partRan(shard, d.txid);
    return;
  }
  const c = d.client!;
  if (c.closed) return;
  c.paused = false;
  shard.reentry.dispatch(c, d.argv, d.argc, now);
  shard.resume(c);
}

/** Execute a request forwarded by a peer (checked by its sender); the reply goes to shard.remoteW. */
export function runForwarded(
  shard: Shard,
  db: number,
  argv: Uint8Array[],
  argc: number,
  now: number,
  clientId: number,
): void {
  const cmd = commandTable().resolve(argv, argc)!;
  execute(shard, null, cmd, argv, argc, now, shard.remoteW, db, clientId);
}

export function clearWatches(shard: Shard, id: number): void {
  shard.watches.clear(id);
  if (shard.watches.size === 0) { for (const d of shard.dbs) d.onTouch = null; }
}

/** UNWATCH everything this client watches, on every shard. */
export function unwatchAll(shard: Shard, c: Client): void {
  for (const s of c.watchShards) {
    if (s === shard.id) clearWatches(shard, c.id);
    else shard.peers.batch(s).small(ITEM_UNWATCH, c.id);
  }
  c.watchShards.clear();
}
