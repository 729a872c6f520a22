/**
 * Pipelines squashed per shard (Dragonfly's squashing): the split commands one read of a
 * client's input holds, one after the other, run under one transaction instead of one each.
 * Every shard they touch gets one lock request for all their keys there, followed by their
 * parts in request order in the same batch; the replies come back in one batch, and each
 * command is folded and answered in its turn. A pipeline of 16 MGETs over two shards costs one
 * lock, one grant and one release per shard instead of sixteen, and the queue of waiting lock
 * requests under contention is as long as the clients, not as their pipelines.
 *
 * When every command of a squash is the same one and its parts merge (MGET, MSET: see
 * Command.merge), each shard gets a single part with all their arguments there, in order, and
 * replies once: one request, one run of the handler (its keys prefetched together) and one
 * reply per shard instead of one per command. Each command's reply is then folded out of the
 * merged replies in request order.
 *
 * Running several commands under one transaction is serialisable the same way (they are one
 * atomic unit, ordered as the client sent them). A squash only lives inside one parse loop,
 * while the commands' argument views into the receive buffer are valid: it starts the
 * transaction before anything else of the client runs (`flushSquash` from dispatch) and, at
 * the latest, when the loop ends.
 */
import { type Command, type PartMerge, ROUTE_KEYS } from "../commands/table.ts";
import type { Shard } from "./shard.ts";
import type { Client } from "./client.ts";
import type { Tx, TxHooks, TxPart } from "./locks.ts";
import { beginOrdered, releaseTx } from "./tx.ts";
import { lockHash } from "./plan.ts";
import { type Chain, type ChainOwner, chainSent, noop, startChain } from "./chain.ts";
import { execute } from "./execute.ts";
import { type HopParts, runHop, takeHop } from "./single_hop.ts";

/** At most this many commands in one squash, and about this many keys (a lock message each). */
const MAX_CHAINS = 64;
const MAX_KEYS = 1024;
/**
 * Writers stop sooner: a squash's keys are locked together, and under contention a bigger set
 * meets a held key more often (MSET -P 16 over 100,000 keys on 2 shards: 118-121k/s with
 * limits of 1, 20 and 40 keys, 107k/s with all 160 of a 16-deep pipeline). One that cannot go
 * in one hop at its limit grows on instead (widen).
 */
const MAX_WRITE_KEYS = 32;

/** A merged part's arguments while it is sent or run (the request is copied as it is sent). */
const mergedArgv: Uint8Array[] = [];
const EMPTY_ARG = new Uint8Array(0);
/** Where the next command's share of each merged part's reply starts while they are folded. */
let mergedAt = new Int32Array(8);
/** One command's view of the merged parts and of their cursors while it is folded. */
const chainParts: Uint8Array[] = [];
let chainAt = new Int32Array(8);

export class Squash implements TxHooks, ChainOwner, HopParts {
  readonly chains: Chain[] = [];
  /** the first chain's lock keys per shard, kept for when it runs alone */
  private firstKeys: number[][] = [];
  /** lock keys per shard, the union of the chains' (a key twice is counted twice alike) */
  readonly keys: number[][];
  mask = 0;
  keyCount = 0;
  /** every command only reads: the locks are shared */
  shared = true;
  tx: Tx | null = null;
  /** chains not yet folded: the transaction ends with the last */
  private pending = 0;
  /**
   * Every chain is the same command, one whose parts merge (Command.merge), on one database:
   * each shard gets one part with all their arguments there, and replies once for all of them.
   */
  private merge: PartMerge | undefined = undefined;
  /** not all chains are the same command on the same database */
  private mixed = false;
  /** it could not go in one hop when it reached its limit of keys, and took more (widen) */
  private wide = false;
  /** its transaction has begun (in one hop, or by messages) */
  started = false;
  /** merged: the index of each shard in the squash's order (where its merged reply goes) */
  private at: number[] = [];

  constructor(readonly shard: Shard, readonly c: Client) {
    this.keys = new Array(shard.n);
  }

  full(): boolean {
    return this.chains.length >= MAX_CHAINS ||
      this.keyCount >= (this.shared || this.wide ? MAX_KEYS : MAX_WRITE_KEYS);
  }

  add(ch: Chain, keysByShard: number[][]): void {
    this.chains.push(ch);
    if (ch.cmd.write) this.shared = false;
    const first = this.chains[0];
    if (ch !== first && (ch.cmd !== first.cmd || ch.db !== first.db)) this.mixed = true;
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

  /**
   * A writers' squash at its limit of keys (full) that cannot go in one hop now (a key is held,
   * or the client has requests out) will ask for its locks by messages: rather than close it,
   * and have the read's next commands go by messages too, one transaction each, they join it (up
   * to MAX_KEYS), and it goes as one. Returns false when it went in one hop instead (it is
   * started), or may not grow: then it is to be started as usual.
   */
  widen(): boolean {
    if (this.wide || this.shared || this.chains.length < 2) return false;
    const { order, hashes } = this.lockKeys();
    if (this.tryHop(order, hashes)) return false;
    this.wide = true;
    return true;
  }

  /** Start the transaction: one lock per shard, the chains' parts behind each. */
  start(): void {
    const c = this.c, shard = this.shard;
    if (this.chains.length === 1) {
      this.started = true;
      c.chainShards = this.mask;
      return startChain(this.chains[0], this.firstKeys);
    }
    const { order, hashes } = this.lockKeys();
    if (this.tryHop(order, hashes)) return;
    this.begin(order);
    const parts: TxPart[] = hashes.map((keys) => ({ keys, all: false }));
    c.chains++;
    c.locking++;
    this.tx = beginOrdered(shard, c, order, parts, noop, this, this.shared);
    // parts still waiting for a grant need copies: the receive buffer goes after this loop
    for (const ch of this.chains) ch.holdRest();
  }

  /** Its shards in ascending order, and the lock keys on each. */
  private lockKeys(): { order: number[]; hashes: number[][] } {
    const order: number[] = [];
    const hashes: number[][] = [];
    for (let t = 0; t < this.shard.n; t++) {
      if (this.keys[t] === undefined) continue;
      order.push(t);
      hashes.push(this.keys[t]);
    }
    return { order, hashes };
  }

  /** Go in one hop if every slot can be taken now; false when nothing was done. */
  private tryHop(order: number[], hashes: number[][]): boolean {
    const slots = takeHop(this.shard, this.c, order, hashes, this.shared);
    if (slots === null) return false;
    this.begin(order);
    runHop(this.shard, order, slots, this.shared, this);
    return true;
  }

  /** Its transaction begins: the chains end it through the squash, their parts merged or not. */
  private begin(order: number[]): void {
    this.started = true;
    this.c.chainShards = this.mask;
    this.pending = this.chains.length;
    for (const ch of this.chains) ch.owner = this;
    if (!this.mixed && this.chains[0].cmd.merge !== undefined) this.mergeParts(order);
  }

  /**
   * Merged parts: the first chain (the first of them in the client's line) takes the one reply
   * per shard, and its fold answers every chain (foldMerged).
   */
  private mergeParts(order: number[]): void {
    this.merge = this.chains[0].cmd.merge;
    const r = this.chains[0];
    r.parts = new Array(order.length).fill(null);
    r.remaining = order.length;
    r.done = foldMergedChain;
    for (let i = 0; i < order.length; i++) this.at[order[i]] = i;
  }

  /**
   * Fill mergedArgv with the chains' arguments on shard `t`, after the command's name, in request
   * order; returns their count.
   */
  private fillMergedArgv(t: number): number {
    const av = mergedArgv;
    av[0] = this.chains[0].args[0];
    let n = 1;
    for (const ch of this.chains) {
      const p = ch.pos[t];
      if (p === undefined) continue;
      ch.handled++;
      for (let j = 1; j < p.length; j++) av[n++] = ch.args[p[j]];
    }
    return n;
  }

  /** The chains' parts for `target`, in request order; all but the last say more follow. */
  sendParts(target: number, txid: number): void {
    if (this.merge !== undefined) return this.sendMerged(target, txid);
    const chains = this.chains;
    let last = -1;
    for (let i = 0; i < chains.length; i++) if (chains[i].pos[target] !== undefined) last = i;
    for (let i = 0; i <= last; i++) {
      if (chains[i].pos[target] !== undefined) chains[i].sendPart(target, txid, i < last);
    }
  }

  runLocalParts(): void {
    if (this.merge !== undefined) return this.runMerged();
    const id = this.shard.id;
    for (const ch of this.chains) if (ch.pos[id] !== undefined) ch.runLocalPart();
  }

  private sendMerged(target: number, txid: number): void {
    const c = this.c, outer = c.txid;
    const n = this.fillMergedArgv(target);
    c.txid = txid;
    const r = this.chains[0];
    this.shard.peers.forward(target, c, r, this.at[target], mergedArgv, n, null, false, false);
    c.txid = outer;
    mergedArgv.fill(EMPTY_ARG, 0, n);
  }

  private runMerged(): void {
    const c = this.c, shard = this.shard, r = this.chains[0];
    const n = this.fillMergedArgv(shard.id);
    const w = c.holdWriter();
    const start = w.len;
    execute(shard, c, r.cmd, mergedArgv, n, Date.now(), w, r.db, c.id);
    mergedArgv.fill(EMPTY_ARG, 0, n);
    r.ranHere(this.at[shard.id], c.heldView(start));
  }

  /**
   * Every merged part is in (`parts`, in the squash's shard order): fold each chain's reply
   * from them in request order, each taking its share where the one before stopped. Returns
   * the first chain's; the others' are set on them.
   */
  foldMerged(parts: Uint8Array[]): Uint8Array {
    const c = this.c, m = this.merge!, chains = this.chains;
    if (mergedAt.length < parts.length) mergedAt = new Int32Array(parts.length);
    for (let i = 0; i < parts.length; i++) mergedAt[i] = m.start(parts[i]);
    let first: Uint8Array | null = null;
    for (const ch of chains) {
      const order = ch.order;
      if (chainAt.length < order.length) chainAt = new Int32Array(order.length);
      for (let i = 0; i < order.length; i++) {
        const j = this.at[order[i]];
        chainParts[i] = parts[j];
        chainAt[i] = mergedAt[j];
      }
      const w = c.holdWriter();
      const start = w.len;
      m.fold(chainParts, chainAt, w, ch.sp);
      for (let i = 0; i < order.length; i++) mergedAt[this.at[order[i]]] = chainAt[i];
      const bytes = c.heldView(start);
      if (first === null) first = bytes;
      else {
        ch.bytes = bytes;
        ch.remaining = 0;
      }
    }
    chainParts.fill(EMPTY_ARG, 0, chainParts.length);
    this.pending = 0;
    if (this.tx !== null) {
      c.locking--;
      releaseTx(this.shard, this.tx);
    }
    return first!;
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

  folded(): void {
    if (--this.pending > 0 || this.tx === null) return;
    this.c.locking--;
    releaseTx(this.shard, this.tx);
  }
}

/** A merged squash's first chain got every part: the squash folds them all (a Chain's `done`). */
function foldMergedChain(this: Chain, parts: Uint8Array[]): Uint8Array {
  return (this.owner as Squash).foldMerged(parts);
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
  let sq = c.squash as Squash | null;
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
  if (sq === null) {
    if (c.chains > 0 && !sameShards(shard, c, mask)) return false;
    c.squash = sq = new Squash(shard, c);
  }
  sq.add(ch, keysByShard);
  return true;
}
