/**
 * Pipelines squashed per shard (Dragonfly's squashing): the split commands one read of a
 * client's input holds, one after the other, run under one transaction instead of one each.
 * Every shard they touch gets one lock request for all their keys there, followed by their
 * parts in request order in the same batch; the replies come back in one batch, and each
 * command is folded and answered in its turn. A pipeline of 16 DELs over two shards costs one
 * lock, one grant and one release per shard instead of sixteen, and the queue of waiting lock
 * requests under contention is as long as the clients, not as their pipelines.
 *
 * Commands whose parts merge (MGET, MSET: Command.merge) squash apart, into a merged squash
 * (merged.ts) that sends each shard one part for all of them; this one holds the others.
 *
 * Running several commands under one transaction is serialisable the same way (they are one
 * atomic unit, ordered as the client sent them). A squash only lives inside one parse loop,
 * while the commands' argument views into the receive buffer are valid: it starts the
 * transaction before anything else of the client runs (`flushSquash` from dispatch) and, at
 * the latest, when the loop ends.
 */
import { type Command, ROUTE_KEYS } from "../commands/table.ts";
import type { Shard } from "./shard.ts";
import { type Client, type OpenSquash, Slot } from "./client.ts";
import type { Tx, TxHooks, TxPart } from "./locks.ts";
import { beginOrdered, releaseTx } from "./tx.ts";
import { lockHash } from "./plan.ts";
import { type Chain, type ChainOwner, chainSent, noop, startChain } from "./chain.ts";
import { type HopParts, singleHop } from "./single_hop.ts";

/** At most this many commands in one squash, and about this many keys (a lock message each). */
export const MAX_CHAINS = 64;
export const MAX_KEYS = 1024;
/**
 * Writers stop sooner: a squash's keys are locked together, and under contention a bigger set
 * meets a held key more often (MSET -P 16 over 100,000 keys on 2 shards: 118-121k/s with
 * limits of 1, 20 and 40 keys, 107k/s with all 160 of a 16-deep pipeline). One that cannot go
 * in one hop at its limit grows on instead (widen). Against 32, with merged squashes and
 * both servers up, 10 alternating runs each: 16 keys 0.95x, 64 keys 0.95x, 160 keys 0.87x.
 */
export const MAX_WRITE_KEYS = 32;

/**
 * What every squash has: the lock keys of its commands per shard, and how it goes, in one hop
 * when it can, else by the message protocol (a Squash of chains, a MergedSquash). It is a Slot
 * for the merged one, the reply slot of its commands; a Squash is never queued (its chains are).
 */
export abstract class SquashBase extends Slot implements TxHooks, HopParts, Squashing {
  /** lock keys per shard, the union of the commands' (a key twice is counted twice alike) */
  readonly keys: number[][];
  mask = 0;
  keyCount = 0;
  tx: Tx | null = null;
  /** it could not go in one hop when it reached its limit of keys, and took more (widen) */
  protected wide = false;
  /** its transaction has begun (in one hop, or by messages) */
  started = false;

  constructor(
    readonly shard: Shard,
    readonly c: Client,
    /** every command only reads: the locks are shared */
    public shared: boolean,
  ) {
    super();
    this.keys = new Array(shard.n);
  }

  /** its count of commands */
  protected abstract get commands(): number;
  abstract start(): void;
  abstract sendParts(target: number, txid: number): void;
  abstract runLocalParts(): void;
  /** its transaction begins over `order` (in one hop, or by messages) */
  abstract begun(order: number[]): void;
  /** copy what its parts from order[from] on read of the receive buffer (they wait) */
  protected abstract holdRest(order: number[]): void;

  full(): boolean {
    return this.commands >= MAX_CHAINS ||
      this.keyCount >= (this.shared || this.wide ? MAX_KEYS : MAX_WRITE_KEYS);
  }

  /**
   * A writers' squash at its limit of keys (full) that cannot go in one hop now (a key is held,
   * or the client has requests out) will ask for its locks by messages: rather than close it,
   * and have the read's next commands go by messages too, one transaction each, they join it (up
   * to MAX_KEYS), and it goes as one. Returns false when it went in one hop instead (it is
   * started), or may not grow: then it is to be started as usual.
   */
  widen(): boolean {
    if (this.wide || this.shared || this.commands < 2) return false;
    const { order, hashes } = lockOrder(this.keys);
    if (singleHop(this.shard, this.c, order, hashes, this.shared, this)) return false;
    this.wide = true;
    return true;
  }

  /** Its transaction: one lock per shard, the parts behind each, in one hop if it can. */
  protected go(): void {
    const c = this.c;
    const { order, hashes } = lockOrder(this.keys);
    if (singleHop(this.shard, c, order, hashes, this.shared, this)) return;
    this.begun(order);
    const parts: TxPart[] = hashes.map((keys) => ({ keys, all: false }));
    c.chains++;
    c.locking++;
    this.tx = beginOrdered(this.shard, c, order, parts, noop, this, this.shared);
    // parts still waiting for a grant need copies: the receive buffer goes after this loop
    this.holdRest(order);
  }

  sent(t: Tx, target: number): void {
    this.tx = t;
    this.sendParts(target, t.txid);
    if (t.step === t.order.length - 1) chainSent(this.shard, this.c);
  }

  local(t: Tx): void {
    this.tx = t;
    this.runLocalParts();
    if (t.step === t.order.length - 1) chainSent(this.shard, this.c);
  }
}

export class Squash extends SquashBase implements ChainOwner {
  readonly chains: Chain[] = [];
  /** the first chain's lock keys per shard, kept for when it runs alone */
  private firstKeys: number[][] = [];
  /** chains not yet folded: the transaction ends with the last */
  private pending = 0;

  constructor(shard: Shard, c: Client) {
    super(shard, c, true);
  }

  protected get commands(): number {
    return this.chains.length;
  }

  add(ch: Chain, keysByShard: number[][]): void {
    this.chains.push(ch);
    if (ch.cmd.write) this.shared = false;
    // a squash of one (every unpipelined command) runs as a plain chain: hash its keys once
    // another joins
    if (this.chains.length === 1) {
      this.firstKeys = keysByShard;
      for (const t of ch.order) {
        this.mask |= 1 << t;
        this.keyCount += keysByShard[t].length;
      }
      return;
    }
    if (this.chains.length === 2) {
      this.keyCount = 0;
      this.union(this.chains[0], this.firstKeys);
    }
    this.union(ch, keysByShard);
  }

  private union(ch: Chain, keysByShard: number[][]): void {
    for (const t of ch.order) {
      const ks = keysByShard[t];
      let out = this.keys[t];
      if (out === undefined) {
        this.keys[t] = out = [];
        this.mask |= 1 << t;
      }
      for (let j = 0; j < ks.length; j++) out.push(lockHash(ch.db, ch.args[ks[j]]));
      this.keyCount += ks.length;
    }
  }

  /** Start the transaction: one lock per shard, the chains' parts behind each. */
  start(): void {
    if (this.chains.length === 1) {
      this.started = true;
      this.c.chainShards = this.mask;
      return startChain(this.chains[0], this.firstKeys);
    }
    this.go();
  }

  protected holdRest(): void {
    for (const ch of this.chains) ch.holdRest();
  }

  /** Its transaction begins: the chains end it through the squash. */
  begun(): void {
    this.started = true;
    this.c.chainShards = this.mask;
    this.pending = this.chains.length;
    for (const ch of this.chains) ch.owner = this;
  }

  /** The chains' parts for `target`, in request order; all but the last say more follow. */
  sendParts(target: number, txid: number): void {
    const chains = this.chains;
    let last = -1;
    for (let i = 0; i < chains.length; i++) if (chains[i].pos[target] !== undefined) last = i;
    for (let i = 0; i <= last; i++) {
      if (chains[i].pos[target] !== undefined) chains[i].sendPart(target, txid, i < last);
    }
  }

  runLocalParts(): void {
    const id = this.shard.id;
    for (const ch of this.chains) if (ch.pos[id] !== undefined) ch.runLocalPart();
  }

  folded(): void {
    if (--this.pending > 0 || this.tx === null) return;
    this.c.locking--;
    releaseTx(this.shard, this.tx);
  }
}

/** The shards of lock keys `keys` (by shard id) in ascending order, and the lock keys on each. */
export function lockOrder(keys: number[][]): { order: number[]; hashes: number[][] } {
  const order: number[] = [];
  const hashes: number[][] = [];
  for (let t = 0; t < keys.length; t++) {
    if (keys[t] === undefined) continue;
    order.push(t);
    hashes.push(keys[t]);
  }
  return { order, hashes };
}

/**
 * May `cmd` join a squash: an atomic split command outside MULTI/EXEC, sent by a client whose
 * input is being parsed (its argument views stay valid until the loop ends).
 */
export function squashable(c: Client, cmd: Command): boolean {
  return c.parsing && cmd.route === ROUTE_KEYS && cmd.fold !== undefined && cmd.atomic &&
    c.txid === 0 && !c.inExec && c.multi === null;
}

/**
 * Does a split command over the shards of `mask` ask them as the client's chains still out do
 * (the same shards, so in the same ascending order)? Masks name at most 31 shards.
 */
export function sameShards(shard: Shard, c: Client, mask: number): boolean {
  return mask === c.chainShards && shard.n <= 30;
}

/** Start the client's squashed commands, if any (before anything else of it runs). */
export function flushSquash(c: Client): void {
  const sq = c.squash;
  if (sq === null) return;
  c.squash = null;
  sq.start();
}

/** What a squash is to its client while its commands are read (Squash, MergedSquash). */
export interface Squashing extends OpenSquash {
  started: boolean;
  full(): boolean;
  widen(): boolean;
}

/**
 * The client's open squash `open` (of the kind the command would join, else null) if the next
 * split command over the shards `mask` may join it; null when it is to join a new one (the
 * caller opens it); false when it cannot join any: the caller runs it alone. A squash of
 * another kind, a full one and one the command may not follow are started first.
 */
export function keepOpen<S extends Squashing>(
  shard: Shard,
  c: Client,
  open: S | null,
  mask: number,
): S | null | false {
  let sq = open;
  // another kind of squash starts first (nothing of the client may overtake it)
  if (sq === null) flushSquash(c);
  if (sq !== null && sq.full()) {
    c.squash = null;
    // (widen may start it, in one hop; started or not, it is no longer open)
    if (sq.widen()) c.squash = sq;
    else {
      if (!sq.started) sq.start();
      sq = null;
    }
  }
  if (sq !== null && c.chains > 0 && !sameShards(shard, c, mask)) {
    flushSquash(c);
    sq = null;
  }
  // (looked at again: the squash just started may have changed the client's shards)
  if (sq === null && c.chains > 0 && !sameShards(shard, c, mask)) return false;
  return sq;
}

/**
 * Add a split command's chain to the client's squash, or open one. Behind earlier split
 * commands of the client still out (waiting for a grant somewhere), only a chain over the same
 * shards (`sameShards`) joins: its squash asks them in the same ascending order, so every shard
 * takes its parts after theirs, and a pipeline that met a held key goes on as one transaction
 * per read, not one per command. False when it cannot join: the caller runs it alone.
 */
export function joinSquash(
  shard: Shard,
  c: Client,
  ch: Chain,
  keysByShard: number[][],
  mask: number,
): boolean {
  const open = c.squash;
  const kept = keepOpen(shard, c, open instanceof Squash ? open : null, mask);
  if (kept === false) return false;
  let sq = kept;
  if (sq === null) c.squash = sq = new Squash(shard, c);
  sq.add(ch, keysByShard);
  return true;
}
