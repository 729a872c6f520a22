/**
 * Single hop (TRANSACTIONS.md): a split command, or a pipeline's squash of them, takes every
 * key lock it needs on every other shard at once in shared memory (key_locks.ts; its own shard's
 * are looked at), sends each peer its parts behind a HELD item naming the slots taken there, and
 * runs its local parts at once. A peer runs such parts on arrival (their keys are theirs) and
 * gives the slots back after the last one: one trip, no grant, no release message. When a slot is taken, the command goes the
 * message protocol's way instead (tx.ts), which queues it in order at each shard.
 */
import type { Shard } from "./shard.ts";
import type { Client } from "./client.ts";
import { LOCK_SHARED } from "./locks.ts";
import { ITEM_HELD, REQ_MORE } from "./wire.ts";

/** What runs in a single hop: parts for each peer, and parts here. */
export interface HopParts {
  /** queue its parts for peer `t` under transaction `txid` (the HELD item is already out) */
  sendParts(t: number, txid: number): void;
  /** run its parts on this shard */
  runLocalParts(): void;
  /** its slots over `order` are taken, before any part goes (a squash gets ready to fold) */
  begun?(order: number[]): void;
}

/**
 * Run `parts` in one hop over the shards `order` (ascending), locking `hashes[i]` on
 * `order[i]`; false when it cannot, and nothing was done. Not while the client has requests
 * out that may still wait at a peer (a forwarded command, a split command that took its locks
 * by messages and is not answered yet, a transaction): parts that run on arrival could
 * overtake them there.
 */
export function singleHop(
  shard: Shard,
  c: Client,
  order: number[],
  hashes: number[][],
  shared: boolean,
  parts: HopParts,
): boolean {
  const slots = takeHop(shard, c, order, hashes, shared);
  if (slots === null) return false;
  runHop(shard, order, slots, shared, parts);
  return true;
}

/**
 * singleHop's first half: take the slots of `hashes[i]` on `order[i]` for every i (see there);
 * null when it cannot, and nothing was taken. runHop must follow before anything else runs.
 */
function takeHop(
  shard: Shard,
  c: Client,
  order: number[],
  hashes: number[][],
  shared: boolean,
): number[][] | null {
  if (c.locking > 0 || c.chains > 0 || c.tx !== null || c.forwardsOut > 0) return null;
  const kl = shard.locks.keyLocks;
  const slots: number[][] = new Array(order.length);
  for (let i = 0; i < order.length; i++) slots[i] = kl.slotsOf(order[i], hashes[i], shared);
  const stacked = kl.stacked;
  if (!kl.tryTake(order, slots, shared)) return null;
  if (kl.stacked !== stacked) shard.stats.stackedHops++;
  return slots;
}

/** singleHop's second half: the parts go, under the slots takeHop took. */
function runHop(
  shard: Shard,
  order: number[],
  slots: number[][],
  shared: boolean,
  parts: HopParts,
): void {
  parts.begun?.(order);
  const txid = shard.mesh.nextTxid();
  shard.stats.transactions++;
  shard.stats.singleHop++;
  let local = -1;
  for (let i = 0; i < order.length; i++) {
    const t = order[i];
    if (t === shard.id) {
      local = i;
      continue;
    }
    shard.peers.batch(t).lock(txid, 0, shared ? LOCK_SHARED : 0, slots[i], ITEM_HELD);
    parts.sendParts(t, txid);
  }
  // its slots here were not taken (tryTake): nothing runs between the look and these parts
  if (local >= 0) parts.runLocalParts();
}

/** Participant: the slots a single-hop transaction of peer `source` took here. */
export function onHeld(shard: Shard, source: number, flags: number, slots: number[]): void {
  const shared = (flags & LOCK_SHARED) !== 0;
  shard.hopSlots[source] = slots;
  // a writer's slots come in while the parts run, for the give-back after the last one (a
  // reader's gives are plain writes, whose misses overlap anyway)
  if (!shared) shard.locks.keyLocks.prefetch(slots);
  shard.hopShared[source] = shared;
}

/** Does the next request from `source` run under slots taken for it (a single hop)? */
export function underHop(shard: Shard, source: number): boolean {
  return shard.hopSlots[source] !== null;
}

/** A single hop's part from `source` ran: after its last one, the slots go back. */
export function hopPartRan(shard: Shard, source: number, flags: number): void {
  if ((flags & REQ_MORE) !== 0) return;
  const slots = shard.hopSlots[source]!;
  shard.hopSlots[source] = null;
  giveBack(shard, slots, shard.hopShared[source], source);
}

/** This shard's slots of a single hop go back; what waited for them runs at the turn's end. */
function giveBack(shard: Shard, slots: number[], shared: boolean, source: number): void {
  shard.locks.keyLocks.releaseHeld(slots, shared, source);
  if (shard.deferred.length > 0) shard.deferredDue = true;
}
