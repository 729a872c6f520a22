/**
 * A command split over shards and run atomically (TRANSACTIONS.md, "Run"): its reply slot, and
 * how its parts go out as the transaction's locks are granted: the part for a peer in the same
 * batch as the lock request there, the local part once the local lock is granted. A chain runs
 * under a transaction of its own, or under its pipeline's squashed one (squash.ts).
 */
import type { Command, SplitPlan } from "../commands/table.ts";
import type { Shard } from "./shard.ts";
import { type Client, Slot } from "./client.ts";
import type { Tx, TxHooks, TxPart } from "./locks.ts";
import { beginOrdered, releaseTx, runDeferred } from "./tx.ts";
import { execute } from "./execute.ts";
import { lockHash } from "./plan.ts";
import { type HopParts, singleHop } from "./single_hop.ts";

/** The local part's arguments while it runs (a split part keeps no reference to its argv). */
const localArgs: Uint8Array[] = [];
const EMPTY_ARG = new Uint8Array(0);

/** What ends a chain's transaction once the chain is folded: the chain itself, or its squash. */
export interface ChainOwner {
  /** one chain it runs was folded */
  folded(): void;
}

/** A split atomic command in flight: its reply slot, and the hooks that run its parts. */
export class Chain extends Slot implements TxHooks, ChainOwner, HopParts {
  tx: Tx | null = null;
  sentAll = false;
  /** its parts sent or run (order[0..handled)): the shards are taken in ascending order */
  handled = 0;
  readonly db: number;
  /** the transaction it runs under ends through it: itself, or a squash of several chains */
  owner: ChainOwner = this;

  constructor(
    readonly shard: Shard,
    readonly c: Client,
    readonly cmd: Command,
    public args: Uint8Array[],
    readonly argc: number,
    readonly order: number[],
    readonly pos: number[][],
    readonly sp: SplitPlan,
  ) {
    super();
    this.db = c.db;
    this.remaining = order.length;
    this.parts = new Array(order.length).fill(null);
    this.done = foldChain;
  }

  /** The lock keys of its part on each of its shards, in `order`. */
  lockParts(keysByShard: number[][]): TxPart[] {
    const parts: TxPart[] = new Array(this.order.length);
    for (let i = 0; i < this.order.length; i++) {
      const ks = keysByShard[this.order[i]];
      const keys: number[] = new Array(ks.length);
      for (let j = 0; j < ks.length; j++) keys[j] = lockHash(this.db, this.args[ks[j]]);
      parts[i] = { keys, all: false };
    }
    return parts;
  }

  /** Send its part for `target` under transaction `txid` (more: others of it follow there). */
  sendPart(target: number, txid: number, more: boolean): void {
    const c = this.c;
    const outer = c.txid;
    c.txid = txid;
    this.handled++;
    this.shard.peers.forward(
      target,
      c,
      this,
      this.order.indexOf(target),
      this.args,
      this.argc,
      this.pos[target],
      more,
    );
    c.txid = outer;
  }

  /** Run its local part now (the local lock is held). */
  runLocalPart(): void {
    const c = this.c, shard = this.shard;
    this.handled++;
    const w = c.holdWriter();
    const start = w.len;
    const p = this.pos[shard.id];
    const av = localArgs;
    for (let i = 0; i < p.length; i++) av[i] = this.args[p[i]];
    execute(shard, c, this.cmd, av, p.length, Date.now(), w, this.db, c.id);
    av.fill(EMPTY_ARG, 0, p.length);
    this.ranHere(this.order.indexOf(shard.id), c.heldView(start));
  }

  /**
   * Part `i` ran on this shard with reply `bytes` (its own part, or a squash's merged one):
   * after the last part the reply is folded, and leaves if it is next in the client's line.
   */
  ranHere(i: number, bytes: Uint8Array): void {
    this.parts[i] = bytes;
    if (--this.remaining > 0) return;
    this.bytes = this.done!(this.parts as Uint8Array[]);
    const c = this.c;
    if (!c.closed && c.queue.first() === this) {
      c.drain();
      c.transport.flush();
    }
  }

  /** Copy the arguments its parts still to be sent need (the rest were sent or ran). */
  holdRest(): void {
    if (this.handled < this.order.length) {
      this.args = this.c.holdArgs(this.args, this.argc, this.pos, this.order, this.handled);
    }
  }

  sent(t: Tx, target: number): void {
    this.tx = t;
    this.sendPart(target, t.txid, false);
    if (t.step === t.order.length - 1) this.sentAll = chainSent(this.shard, this.c);
  }

  local(t: Tx): void {
    this.tx = t;
    this.runLocalPart();
    if (t.step === t.order.length - 1) this.sentAll = chainSent(this.shard, this.c);
  }

  folded(): void {
    if (this.tx === null) return;
    this.c.locking--;
    releaseTx(this.shard, this.tx);
  }

  sendParts(t: number, txid: number): void {
    this.sendPart(t, txid, false);
  }

  runLocalParts(): void {
    this.runLocalPart();
  }
}

/**
 * Run `ch` under a transaction of its own: each shard's locks asked for in ascending shard
 * order with its part in the same message. Once every part answered, the fold writes the reply
 * and the locks go with a one-way release.
 */
export function startChain(ch: Chain, keysByShard: number[][]): void {
  const c = ch.c;
  const parts = ch.lockParts(keysByShard);
  const hashes: number[][] = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) hashes[i] = parts[i].keys;
  if (singleHop(ch.shard, c, ch.order, hashes, !ch.cmd.write, ch)) return;
  c.chains++;
  c.locking++;
  beginOrdered(ch.shard, c, ch.order, parts, noop, ch, !ch.cmd.write);
  // the steps usually all ran in beginOrdered, on the request's own bytes; those left waiting
  // for a grant need a copy of their arguments (kept with the client's held replies)
  if (!ch.sentAll) ch.holdRest();
}

/** Every part is in: the transaction may end, the fold writes the reply (a Chain's `done`). */
function foldChain(this: Chain, parts: Uint8Array[]): Uint8Array {
  this.owner.folded();
  return foldHeld(this.c, this.cmd, parts, this.sp);
}

/** The fold of `parts`, written where the client's replies wait their turn. */
export function foldHeld(c: Client, cmd: Command, parts: Uint8Array[], sp: SplitPlan): Uint8Array {
  const w = c.holdWriter();
  const start = w.len;
  cmd.fold!(parts, w, sp);
  return c.heldView(start);
}

export function noop(): void {}

/** Every part of one of the client's split commands is out: its held commands may go. */
export function chainSent(shard: Shard, c: Client): true {
  // inside a pass over the deferred queue (a lock granted there sent the last part) the queue
  // is taken out and looks empty: asking again makes the pass go round once more
  if (--c.chains === 0 && (shard.deferred.length > 0 || shard.deferredDraining)) {
    runDeferred(shard);
  }
  return true;
}
