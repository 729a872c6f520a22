/**
 * Cross-shard transactions (protocol: TRANSACTIONS.md beside this file). The coordinating
 * shard takes a txid from the global sequence, asks every involved shard to lock the keys it
 * owns, and runs the commands once every shard granted; it releases the locks when every reply
 * is in. Plain commands that touch locked keys wait (`deferred`) and run after the release.
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
  REJECTED,
} from "./wire.ts";
import { before, type LockReq, Tx, type TxPart } from "./locks.ts";
import { Plan, requestLockKeys } from "./plan.ts";
import { execute } from "./execute.ts";
import { commandTable } from "../commands/table.ts";

/** Scratch for the lock keys of waiting requests (one per Worker, reused). */
const scratchPlan = new Plan();

/** The lock keys a forwarded or deferred request needs here (null: every key). */
function lockKeysOf(shard: Shard, argv: Uint8Array[], argc: number, db: number): string[] | null {
  return requestLockKeys(shard.id, shard.slots, argv, argc, db, shard.dbs.length, scratchPlan);
}

function nextTxid(shard: Shard): number {
  return shard.mesh.nextTxid();
}

/** Lock `parts` (shard -> keys) for `client`; `onGranted` runs once every shard granted. */
export function beginTx(
  shard: Shard,
  client: Client,
  parts: Map<number, TxPart>,
  onGranted: (tx: Tx) => void,
): void {
  const tx = new Tx(nextTxid(shard), client, parts, (t) => {
    // a client gone while waiting: nothing to run, just free the locks
    if (client.closed) releaseTx(shard, t);
    else onGranted(t);
  });
  client.tx = tx;
  if (parts.size === 0) return tx.onGranted(tx);
  startTx(shard, tx);
}

function startTx(shard: Shard, tx: Tx): void {
  shard.txs.set(tx.txid, tx);
  tx.waiting = tx.parts.size;
  for (const [s, p] of tx.parts) {
    if (s !== shard.id) shard.batch(s).lock(tx.txid, tx.client.id, p.all, p.keys);
  }
  // the local request last: it may be answered at once, even rejected and restarted
  const own = tx.parts.get(shard.id);
  if (own !== undefined) lockHere(shard, shard.id, tx.txid, tx.client.id, own.all, own.keys);
}

/** Release a transaction's locks everywhere. */
export function releaseTx(shard: Shard, tx: Tx): void {
  if (shard.txs.get(tx.txid) !== tx) return;
  shard.txs.delete(tx.txid);
  if (tx.client.tx === tx) tx.client.tx = null;
  // peers first: what the local release sets off must reach them after the release
  for (const s of tx.parts.keys()) if (s !== shard.id) shard.batch(s).small(ITEM_RELEASE, tx.txid);
  if (tx.parts.has(shard.id)) releaseHere(shard, tx.txid);
}

/** Participant: a lock request (from a peer or from this shard's own coordinator). */
function lockHere(
  shard: Shard,
  source: number,
  txid: number,
  client: number,
  all: boolean,
  keys: string[],
): void {
  const req: LockReq = { txid, source, client, all, keys, granted: false };
  const granted = shard.locks.request(req);
  if (granted === null) return answer(shard, source, txid, REJECTED);
  announce(shard, granted);
  if (granted.length > 0) runDeferred(shard);
}

function releaseHere(shard: Shard, txid: number): void {
  shard.locks.release(txid);
  // released (after a rejection elsewhere) while its lock request was still held back here
  const q = shard.deferred;
  const i = q.findIndex((d) => d.lock !== undefined && d.lock.txid === txid);
  if (i >= 0) {
    shard.deferredFrom[q[i].source]--;
    q.splice(i, 1);
  }
  runDeferred(shard);
  announce(shard, shard.locks.grantReady());
  // new holders may leave a held-back lock request waiting for a later transaction
  runDeferred(shard);
}

/** Tell coordinators about newly granted requests, with the WATCH verdict of their client. */
function announce(shard: Shard, granted: LockReq[]): void {
  const now = Date.now();
  for (const g of granted) {
    const dirty = shard.watches.dirty(g.client, (lk) => expiredNow(shard, lk, now));
    answer(shard, g.source, g.txid, dirty ? GRANTED_DIRTY : GRANTED);
  }
}

/** Whether this client's WATCHed keys on this shard forbid its EXEC. */
export function watchDirty(shard: Shard, c: Client): boolean {
  const now = Date.now();
  return shard.watches.dirty(c.id, (lk) => expiredNow(shard, lk, now));
}

function expiredNow(shard: Shard, lk: string, now: number): boolean {
  const sp = lk.indexOf(" ");
  return shard.expiredNow(Number(lk.slice(0, sp)), lk.slice(sp + 1), now);
}

function answer(shard: Shard, target: number, txid: number, status: number): void {
  if (target === shard.id) onGrant(shard, txid, status);
  else shard.batch(target).small(ITEM_GRANT, txid, status);
}

/** Coordinator: one shard's answer to a lock request. */
function onGrant(shard: Shard, txid: number, status: number): void {
  const tx = shard.txs.get(txid);
  if (tx === undefined) return; // released after a rejection: the peer releases it too
  if (status === REJECTED) {
    // a later transaction already holds a key here: back off and retry with a new txid
    releaseTx(shard, tx);
    if (tx.client.closed) return;
    tx.txid = nextTxid(shard);
    tx.dirty = false;
    tx.client.tx = tx;
    startTx(shard, tx);
    return;
  }
  if (status === GRANTED_DIRTY) tx.dirty = true;
  if (--tx.waiting === 0) tx.onGranted(tx);
}

/** Transaction control items from peer `source`. */
export function onTxItem(shard: Shard, source: number, kind: number, r: BatchReader): void {
  if (kind === ITEM_LOCK) lockFrom(shard, source, r.token, r.client, r.flags === 1, r.keys);
  else if (kind === ITEM_GRANT) onGrant(shard, r.token, r.flags);
  else if (kind === ITEM_RELEASE) releaseHere(shard, r.token);
  else if (kind === ITEM_UNWATCH) clearWatches(shard, r.token);
}

/**
 * A peer's lock request. Requests of that peer waiting here were sent before it, so it waits
 * behind them (its client's order is the order of the peer's requests) — unless one of them
 * waits for a later transaction: waiting then could close a cycle, so the request is rejected
 * and its coordinator retries with a new txid.
 */
function lockFrom(
  shard: Shard,
  source: number,
  txid: number,
  client: number,
  all: boolean,
  keys: string[],
): void {
  if (shard.deferredFrom[source] === 0) return lockHere(shard, source, txid, client, all, keys);
  let latest = 0;
  for (const d of shard.deferred) {
    if (d.source !== source || d.lock !== undefined) continue;
    const b = shard.locks.latestBlocker(lockKeysOf(shard, d.argv, d.argc, d.db));
    if (b !== 0 && (latest === 0 || before(latest, b))) latest = b;
  }
  if (latest !== 0 && before(txid, latest)) return answer(shard, source, txid, REJECTED);
  shard.deferredFrom[source]++;
  shard.deferred.push({
    source,
    client: null,
    clientId: client,
    token: 0,
    db: 0,
    proto: 0,
    argv: [],
    argc: 0,
    lock: { txid, all, keys },
  });
}

/** Participant: must this forwarded request wait for locks? If so it is kept (copied). */
export function mustDeferRemote(shard: Shard, source: number, r: BatchReader): boolean {
  if (r.txid !== 0 && shard.locks.holds(r.txid)) return false;
  if (!shard.locks.active && shard.deferredFrom[source] === 0) return false;
  if (
    shard.deferredFrom[source] === 0 && !shard.locks.blocks(lockKeysOf(shard, r.argv, r.argc, r.db))
  ) {
    return false;
  }
  shard.deferredFrom[source]++;
  shard.deferred.push({
    source,
    client: null,
    clientId: r.client,
    token: r.token,
    db: r.db,
    proto: r.proto,
    argv: Array.from({ length: r.argc }, (_, i) => r.argv[i].slice()),
    argc: r.argc,
  });
  return true;
}

/** A client's command found its keys locked: park it, and the client, until they are free. */
export function deferLocal(shard: Shard, c: Client, argv: Uint8Array[], argc: number): void {
  c.paused = true;
  shard.deferred.push({
    source: -1,
    client: c,
    clientId: c.id,
    token: 0,
    db: c.db,
    proto: c.proto,
    argv: Array.from({ length: argc }, (_, i) => argv[i].slice()),
    argc,
  });
}

/** After a release: run the waiting commands whose keys are free, in arrival order per source. */
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
  }
}

function runDeferredOnce(shard: Shard): void {
  if (shard.deferred.length === 0) return;
  // take the queue: what runs now may defer new entries, which arrive behind the ones kept
  const list = shard.deferred.splice(0);
  // per source: the latest transaction one of its kept requests waits for
  const stuck = new Map<number, number>();
  const now = Date.now();
  const keep: Deferred[] = [];
  for (const d of list) {
    const src = d.source >= 0 ? d.source : -1 - d.clientId;
    const waitsFor = stuck.get(src);
    if (d.lock !== undefined) {
      if (waitsFor === undefined) {
        shard.deferredFrom[d.source]--;
        lockHere(shard, d.source, d.lock.txid, d.clientId, d.lock.all, d.lock.keys);
      } else if (before(d.lock.txid, waitsFor)) {
        // it would wait for a later transaction now: reject, its coordinator retries
        shard.deferredFrom[d.source]--;
        answer(shard, d.source, d.lock.txid, REJECTED);
      } else keep.push(d);
      continue;
    }
    const b = shard.locks.latestBlocker(lockKeysOf(shard, d.argv, d.argc, d.db));
    if (waitsFor !== undefined || b !== 0) {
      const w = waitsFor ?? 0;
      stuck.set(src, w === 0 || (b !== 0 && before(w, b)) ? b : w);
      keep.push(d);
      continue;
    }
    runOne(shard, d, now);
  }
  // entries deferred meanwhile arrived later than the ones kept
  shard.deferred.unshift(...keep);
}

function runOne(shard: Shard, d: Deferred, now: number): void {
  if (d.source >= 0) {
    shard.deferredFrom[d.source]--;
    const rw = shard.remoteW;
    rw.reset();
    rw.proto = d.proto === 3 ? 3 : 2;
    runForwarded(shard, d.db, d.argv, d.argc, now, d.clientId);
    shard.replyTo(d.source, d.token, rw.take());
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
    else shard.batch(s).small(ITEM_UNWATCH, c.id);
  }
  c.watchShards.clear();
}
