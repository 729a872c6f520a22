/**
 * Where a checked command runs, from its plan: inline when this shard owns every key (the fast
 * path), forwarded whole to the one shard that does, split per owning shard and folded (MGET,
 * DEL), shipped here under a transaction when its values must meet (RENAME, set algebra), or
 * fanned out to every shard (KEYS, FLUSHALL). Replies leave in request order (Client.queue).
 */
import { aofExclusive } from "../persist/propagate.ts";
import { type Command, ROUTE_ALL, ROUTE_KEYS, type SplitPlan } from "../commands/table.ts";
import { latin1 } from "../util/bytes.ts";
import type { Shard } from "./shard.ts";
import { type Client, Slot } from "./client.ts";
import { commandPlan, lockHash, nextDispatch, type Plan, planCommand } from "./plan.ts";
import type { Tx, TxHooks, TxPart } from "./locks.ts";
import { beginOrdered, deferLocal, releaseTx, runDeferred } from "./tx.ts";
import { ship } from "./ship.ts";
import { execute } from "./execute.ts";

/** Run or forward a checked command. */
export function route(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
): void {
  // reached from dispatch, EXEC or an internal command: a plan is only shared within one
  if (commandPlan.memoArgv !== argv) nextDispatch();
  // behind the client's split commands still going out; a split of its own may go too
  if (!mayChain(c, cmd) && held(shard, c, argv, argc)) return;
  if (cmd.route === ROUTE_KEYS) return routeKeys(shard, c, cmd, argv, argc, now);
  if (cmd.route === ROUTE_ALL) return fanout(shard, c, cmd, argv, argc, now);
  runLocal(shard, c, cmd, argv, argc, now);
}

/** Run on this shard, writing the reply in order. */
function runLocal(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
): void {
  if (!c.blocked) {
    execute(shard, c, cmd, argv, argc, now, c.out, c.db, c.id);
    return;
  }
  const w = c.holdWriter();
  const start = w.len;
  execute(shard, c, cmd, argv, argc, now, w, c.db, c.id);
  const s = new Slot();
  s.bytes = c.heldView(start);
  c.queue.push(s);
}

function routeKeys(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
): void {
  // fast paths: one shard owns everything; a command with exactly one key
  if (shard.n === 1) return runLocal(shard, c, cmd, argv, argc, now);
  if (cmd.firstKey > 0 && cmd.firstKey === cmd.lastKey && !cmd.movable) {
    const t = shard.slots.ownerOf(argv[cmd.firstKey]);
    if (t === shard.id) return runLocal(shard, c, cmd, argv, argc, now);
    return forwardWhole(shard, c, t, argv, argc);
  }
  // a split needs whole key groups (MSET pairs); a malformed one is an arity error anyway
  if (cmd.keyStride > 0 && (argc - cmd.firstKey) % (cmd.keyStride + 1) !== 0) {
    return c.replyError(`ERR wrong number of arguments for '${cmd.fullName}' command`);
  }
  const p = planCommand(shard.id, shard.slots, cmd, argv, argc, c.db, shard.dbs.length);
  const nk = p.keys;
  const target = nk > 0 ? p.owner[0] : p.target >= 0 ? p.target : shard.id;
  if (nk === 0 || p.singleOwner() === target) {
    if (held(shard, c, argv, argc)) return;
    if (target === shard.id) return runLocal(shard, c, cmd, argv, argc, now);
    return forwardWhole(shard, c, target, argv, argc);
  }
  if (cmd.fold === undefined) {
    // all its values in one place: ship the keys here under a transaction (ship.ts)
    const keys: string[] = [];
    for (let i = 0; i < nk; i++) keys.push(latin1(argv[p.pos[i]]));
    return ship(shard, c, cmd, argv, argc, keys, p.db.slice());
  }
  split(shard, c, cmd, argv, argc, p, now);
}

function forwardWhole(
  shard: Shard,
  c: Client,
  target: number,
  argv: Uint8Array[],
  argc: number,
): void {
  const s = new Slot();
  s.remaining = 1;
  c.queue.push(s);
  shard.peers.forward(target, c, s, 0, argv, argc, null);
}

/** Keys per shard while a split is planned (reused). */
const splitCounts = new Int32Array(1024);

/** Split a multi-key command per owning shard; the command's fold joins the parts. */
function split(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  p: Plan,
  now: number,
): void {
  // exact sizes first: arrays grown by push reallocate their backing store several times
  const stride = cmd.keyStride + 1;
  const counts = splitCounts;
  counts.fill(0, 0, shard.n);
  const order: number[] = [];
  for (let i = 0; i < p.keys; i++) {
    const t = p.owner[i];
    if (counts[t]++ === 0) order.push(t);
  }
  const byShard: number[][] = new Array(shard.n);
  const keysByShard: number[][] = new Array(shard.n);
  for (let i = 0; i < order.length; i++) {
    const t = order[i];
    byShard[t] = new Array(1 + counts[t] * stride);
    byShard[t][0] = 0;
    keysByShard[t] = new Array(counts[t]);
    counts[t] = 0;
  }
  for (let i = 0; i < p.keys; i++) {
    const pos = p.pos[i];
    const t = p.owner[i];
    const k = counts[t]++;
    keysByShard[t][k] = pos;
    const at = 1 + k * stride;
    for (let j = 0; j < stride; j++) byShard[t][at + j] = pos + j;
  }
  // parts in ascending shard order: the order a transaction takes its locks in
  for (let i = 1; i < order.length; i++) {
    const t = order[i];
    let j = i - 1;
    for (; j >= 0 && order[j] > t; j--) order[j + 1] = order[j];
    order[j + 1] = t;
  }
  const sp: SplitPlan = { argc, keyPos: order.map((t) => keysByShard[t]) };
  if (!mayChain(c, cmd)) {
    return runParts(shard, c, cmd, argv, argc, now, order, byShard, folder(cmd, sp, c));
  }
  // Chains of a client over the same shards ask them in the same order, so each shard takes
  // their parts in request order. One over other shards could reach a shard before an earlier
  // chain still waiting for a grant elsewhere: it waits until those are all sent.
  let mask = 0;
  for (const t of order) mask |= 1 << t;
  if ((mask !== c.chainShards || shard.n > 30) && held(shard, c, argv, argc)) return;
  c.chainShards = mask;
  chain(shard, c, cmd, argv, argc, order, byShard, keysByShard, sp);
}

/**
 * An atomic command split over shards: each shard's locks are asked for in ascending shard
 * order with that shard's part in the same message, so the part runs as soon as its locks are
 * granted and its reply comes back in the same trip; the local part runs when the local locks
 * are granted. Once every part answered, the fold writes the reply and the locks go with a
 * one-way release. The client's next split commands over the same shards go out meanwhile
 * (each shard takes them in order); any other command waits until every part of these was sent.
 */
function chain(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  order: number[],
  pos: number[][],
  keysByShard: number[][],
  sp: SplitPlan,
): void {
  const ch = new Chain(shard, c, cmd, argv, argc, order, pos, sp);
  c.queue.push(ch);
  const parts: TxPart[] = new Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const ks = keysByShard[order[i]];
    const keys: number[] = new Array(ks.length);
    for (let j = 0; j < ks.length; j++) keys[j] = lockHash(ch.db, argv[ks[j]]);
    parts[i] = { keys, all: false };
  }
  c.chains++;
  beginOrdered(shard, c, order, parts, noop, ch, !cmd.write);
  // the steps usually all ran in beginTx, on the request's own bytes; those left waiting for
  // a grant need a copy of their arguments (kept with the client's held replies)
  if (!ch.sentAll) ch.args = c.holdArgs(argv, argc, pos, order, ch.handled);
}

/** The local part's arguments while it runs (a split part keeps no reference to its argv). */
const localArgs: Uint8Array[] = [];
const EMPTY_ARG = new Uint8Array(0);

/** A split atomic command in flight: its reply slot, and the hooks that run its parts. */
class Chain extends Slot implements TxHooks {
  tx: Tx | null = null;
  sentAll = false;
  /** steps whose part was sent or ran (order[0..handled)) */
  handled = 0;
  readonly db: number;

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

  sent(t: Tx, target: number): void {
    const c = this.c;
    this.tx = t;
    const outer = c.txid;
    c.txid = t.txid;
    const pos = this.pos[target];
    this.handled++;
    this.shard.peers.forward(
      target,
      c,
      this,
      this.order.indexOf(target),
      this.args,
      this.argc,
      pos,
    );
    c.txid = outer;
    if (t.step === t.order.length - 1) this.sentAll = chainSent(this.shard, c);
  }

  local(t: Tx): void {
    const c = this.c, shard = this.shard;
    this.tx = t;
    this.handled++;
    const w = c.holdWriter();
    const start = w.len;
    const p = this.pos[shard.id];
    const av = localArgs;
    for (let i = 0; i < p.length; i++) av[i] = this.args[p[i]];
    execute(shard, c, this.cmd, av, p.length, Date.now(), w, this.db, c.id);
    av.fill(EMPTY_ARG, 0, p.length);
    this.parts[this.order.indexOf(shard.id)] = c.heldView(start);
    if (--this.remaining === 0) {
      this.bytes = this.done!(this.parts as Uint8Array[]);
      if (!c.closed && c.queue.first() === this) {
        c.drain();
        c.transport.flush();
      }
    }
    if (t.step === t.order.length - 1) this.sentAll = chainSent(shard, c);
  }
}

/** Every part is in: the locks go, the fold writes the reply (a Chain's `done`). */
function foldChain(this: Chain, parts: Uint8Array[]): Uint8Array {
  if (this.tx !== null) releaseTx(this.shard, this.tx);
  return foldHeld(this.c, this.cmd, parts, this.sp);
}

/** The fold of `parts`, written where the client's replies wait their turn. */
function foldHeld(c: Client, cmd: Command, parts: Uint8Array[], sp: SplitPlan): Uint8Array {
  const w = c.holdWriter();
  const start = w.len;
  cmd.fold!(parts, w, sp);
  return c.heldView(start);
}

function noop(): void {}

/** Every part of one of the client's split commands is out: its held commands may go. */
function chainSent(shard: Shard, c: Client): true {
  // inside a pass over the deferred queue (a lock granted there sent the last part) the queue
  // is taken out and looks empty: asking again makes the pass go round once more
  if (--c.chains === 0 && (shard.deferred.length > 0 || shard.deferredDraining)) {
    runDeferred(shard);
  }
  return true;
}

/**
 * Whether `cmd` runs as a chain when its keys span shards: an atomic split command outside
 * EXEC (inside, the EXEC's transaction already holds its keys).
 */
export function mayChain(c: Client, cmd: Command): boolean {
  return cmd.route === ROUTE_KEYS && cmd.fold !== undefined && cmd.atomic && c.txid === 0;
}

/**
 * A command of a client whose split commands are not all sent waits for them (it could
 * otherwise run before one of their parts); true when it was held.
 */
export function held(shard: Shard, c: Client, argv: Uint8Array[], argc: number): boolean {
  if (c.chains === 0) return false;
  deferLocal(shard, c, argv, argc);
  return true;
}

/** The reply of a split or fanned-out command: its fold over the parts, held for its turn. */
function folder(cmd: Command, sp: SplitPlan, c: Client): (parts: Uint8Array[]) => Uint8Array {
  return (parts) => foldHeld(c, cmd, parts, sp);
}

/** Run a command on every shard and fold the replies. */
function fanout(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
): void {
  const order: number[] = [];
  for (let i = 0; i < shard.n; i++) order.push(i);
  const sp: SplitPlan = { argc, keyPos: [] };
  // with the AOF on, FLUSHALL/FLUSHDB/SWAPDB too: their last part writes them once (persist/)
  if (c.txid === 0 && !c.inExec && aofExclusive(shard.aof.prop, cmd)) {
    return exclusive(shard, c, cmd, argv, argc, order, sp);
  }
  if (cmd.exclusive) {
    // inside EXEC the client's shard alone answers (BGSAVE is then only scheduled)
    if (c.inExec) return runLocal(shard, c, cmd, argv, argc, now);
    if (shard.n > 1) return exclusive(shard, c, cmd, argv, argc, order, sp);
  }
  runParts(shard, c, cmd, argv, argc, now, order, null, folder(cmd, sp, c));
}

/**
 * A fan-out under an exclusive lock of every key, taken shard after shard in ascending order
 * with each shard's part run as its lock is granted (a Chain): no transaction can run on some
 * shards before the parts and on others after them, so the parts see one point in time.
 */
function exclusive(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  order: number[],
  sp: SplitPlan,
): void {
  if (held(shard, c, argv, argc)) return;
  const all: number[] = [];
  for (let i = 0; i < argc; i++) all.push(i);
  const pos: number[][] = order.map(() => all);
  const ch = new Chain(shard, c, cmd, argv, argc, order, pos, sp);
  c.queue.push(ch);
  const parts: TxPart[] = order.map(() => ({ keys: [], all: true }));
  c.chains++;
  beginOrdered(shard, c, order, parts, noop, ch, false);
  if (!ch.sentAll) ch.args = c.holdArgs(argv, argc, pos, order, ch.handled);
}

function runParts(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
  order: number[],
  pos: number[][] | null,
  done: (parts: Uint8Array[]) => Uint8Array,
): void {
  const s = new Slot();
  s.done = done;
  s.remaining = order.length;
  s.parts = new Array(order.length).fill(null);
  c.queue.push(s);
  let localPart = -1;
  for (let i = 0; i < order.length; i++) {
    const t = order[i];
    if (t === shard.id) localPart = i;
    else shard.peers.forward(t, c, s, i, argv, argc, pos === null ? null : pos[t]);
  }
  if (localPart >= 0) {
    const w = c.holdWriter();
    const start = w.len;
    let av = argv, ac = argc;
    if (pos !== null) {
      const p = pos[shard.id];
      av = p.map((i) => argv[i]);
      ac = p.length;
    }
    execute(shard, c, cmd, av, ac, now, w, c.db, c.id);
    s.parts[localPart] = c.heldView(start);
    s.remaining--;
  }
  if (s.remaining === 0) {
    s.bytes = done(s.parts as Uint8Array[]);
    c.drain();
  }
}
