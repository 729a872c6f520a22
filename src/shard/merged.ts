/**
 * A merged squash (squash.ts): the split commands of one read of a client's input that are all
 * one command whose parts merge (MGET, MSET: Command.merge), on one database. Each shard gets one
 * part, the command over all their arguments there in request order, and replies once; the
 * replies of all of them fold into one reply slot, one command's reply after the other's.
 *
 * It keeps no per-command objects: each command adds its arguments to the parts of the shards
 * that own its keys, its lock keys to theirs, and for each key the part its reply comes from,
 * in order. The fold walks those. The squash is itself the one reply slot of them all in the
 * client's line, so it takes a command only while it is the last reply the client waits for.
 * (Its `done` is a plain function: with a closure there, V8 pretenured its arrays, and every
 * shard ran a full collection every 0.7 s under 10-key MGET -P 16.)
 *
 * The locks, the single hop and the message protocol are those of any squash: one lock per
 * shard for all its keys there, taken in one hop when every slot is free now (single_hop.ts),
 * or asked for in ascending shard order with the parts in the same batches (tx.ts).
 */
import type { Command } from "../commands/table.ts";
import type { Shard } from "./shard.ts";
import type { Client } from "./client.ts";
import { releaseTx } from "./tx.ts";
import { lockHash, type Plan } from "./plan.ts";
import { execute } from "./execute.ts";
import { keepOpen, SquashBase } from "./squash.ts";

/** A part's arguments while it is sent or run (a request is copied as it is sent). */
const partArgv: Uint8Array[] = [];
const EMPTY_ARG = new Uint8Array(0);
/** Where the next command's share of each part's reply starts while they are folded. */
let partAt = new Int32Array(8);

export class MergedSquash extends SquashBase {
  readonly db: number;
  private readonly stride: number;
  /** the arguments of each shard's part, after the command's name (by shard id) */
  private readonly args: Uint8Array[][];
  /** for each key of each command, in order: its shard, then (once begun) its part's index */
  private readonly from: number[] = [];
  /** each command's count of keys */
  private readonly counts: number[] = [];
  /** the command's name as the first command spelt it (copied when its part must wait) */
  private name: Uint8Array = EMPTY_ARG;
  /** parts sent or run (order[0..handled)) */
  private handled = 0;
  /** each shard's index in its order */
  private readonly at: number[] = [];

  constructor(shard: Shard, c: Client, readonly cmd: Command) {
    super(shard, c, !cmd.write);
    this.db = c.db;
    this.stride = cmd.keyStride + 1;
    this.args = new Array(shard.n);
    this.done = foldSquash;
  }

  protected get commands(): number {
    return this.counts.length;
  }

  /** May `cmd` of `c` join it now: the same command and database, its slot last in line. */
  takes(c: Client, cmd: Command): boolean {
    return cmd === this.cmd && c.db === this.db && c.queue.last() === this;
  }

  /** Add a command, planned in `p`: its arguments go to the parts of its keys' shards. */
  add(argv: Uint8Array[], p: Plan): void {
    const n = p.keys, stride = this.stride;
    if (this.counts.length === 0) this.name = argv[0];
    for (let i = 0; i < n; i++) {
      const t = p.owner[i], pos = p.pos[i];
      let a = this.args[t];
      if (a === undefined) {
        this.args[t] = a = [];
        this.keys[t] = [];
        this.mask |= 1 << t;
      }
      for (let j = 0; j < stride; j++) a.push(argv[pos + j]);
      this.keys[t].push(lockHash(this.db, argv[pos]));
      this.from.push(t);
    }
    this.counts.push(n);
    this.keyCount += n;
  }

  start(): void {
    this.go();
  }

  protected holdRest(order: number[]): void {
    const c = this.c;
    if (this.handled < order.length) this.name = c.holdCopy(this.name);
    for (let i = this.handled; i < order.length; i++) {
      const a = this.args[order[i]];
      for (let j = 0; j < a.length; j++) a[j] = c.holdCopy(a[j]);
    }
  }

  /** Its transaction begins: a reply part per shard, each key's part known by its index. */
  begun(order: number[]): void {
    const slot = this;
    this.started = true;
    this.c.chainShards = this.mask;
    slot.remaining = order.length;
    slot.parts = new Array(order.length).fill(null);
    for (let i = 0; i < order.length; i++) this.at[order[i]] = i;
    const from = this.from;
    for (let k = 0; k < from.length; k++) from[k] = this.at[from[k]];
  }

  /** Fill partArgv with shard `t`'s part; returns its count of arguments. */
  private fillArgv(t: number): number {
    const av = partArgv, a = this.args[t];
    av[0] = this.name;
    for (let j = 0; j < a.length; j++) av[j + 1] = a[j];
    this.handled++;
    return a.length + 1;
  }

  sendParts(target: number, txid: number): void {
    const c = this.c, outer = c.txid;
    const n = this.fillArgv(target);
    c.txid = txid;
    this.shard.peers.forward(
      target,
      c,
      this,
      this.at[target],
      partArgv,
      n,
      null,
      false,
      false,
    );
    c.txid = outer;
    partArgv.fill(EMPTY_ARG, 0, n);
  }

  runLocalParts(): void {
    const c = this.c, shard = this.shard, slot = this;
    const n = this.fillArgv(shard.id);
    const w = c.holdWriter();
    const start = w.len;
    execute(shard, c, this.cmd, partArgv, n, Date.now(), w, this.db, c.id);
    partArgv.fill(EMPTY_ARG, 0, n);
    slot.parts[this.at[shard.id]] = c.heldView(start);
    if (--slot.remaining > 0) return;
    slot.bytes = this.fold(slot.parts as Uint8Array[]);
    if (!c.closed && c.queue.first() === slot) {
      c.drain();
      c.transport.flush();
    }
  }

  /** Every part is in (`parts`, in its order): each command's reply, one after the other. */
  fold(parts: Uint8Array[]): Uint8Array {
    const c = this.c, m = this.cmd.merge!;
    if (partAt.length < parts.length) partAt = new Int32Array(parts.length);
    for (let i = 0; i < parts.length; i++) partAt[i] = m.start(parts[i]);
    const w = c.holdWriter();
    const start = w.len;
    const counts = this.counts, from = this.from;
    for (let i = 0, k = 0; i < counts.length; k += counts[i++]) {
      m.fold(parts, partAt, from, k, counts[i], w);
    }
    if (this.tx !== null) {
      c.locking--;
      releaseTx(this.shard, this.tx);
    }
    return c.heldView(start);
  }
}

/** Every part of a merged squash is in (its `done`). */
function foldSquash(this: MergedSquash, parts: Uint8Array[]): Uint8Array {
  return this.fold(parts);
}

/**
 * Add a split command planned in `p` (its shards `mask`) to the client's merged squash, or
 * open one. As in joinSquash: behind the client's split commands still out, only one over the
 * same shards joins. False when it cannot join: the caller runs it alone.
 */
export function joinMerged(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  p: Plan,
  mask: number,
): boolean {
  const open = c.squash;
  const kept = keepOpen(
    shard,
    c,
    open instanceof MergedSquash && open.takes(c, cmd) ? open : null,
    mask,
  );
  if (kept === false) return false;
  let sq = kept;
  if (sq === null) {
    c.squash = sq = new MergedSquash(shard, c, cmd);
    c.queue.push(sq);
  }
  sq.add(argv, p);
  return true;
}
