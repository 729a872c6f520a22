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
import { commandPlan, nextDispatch, type Plan, planCommand } from "./plan.ts";
import type { TxPart } from "./locks.ts";
import { beginOrdered, deferLocal } from "./tx.ts";
import { Chain, foldHeld, noop, startChain } from "./chain.ts";
import { flushSquash, joinSquash, sameShards, squashable } from "./squash.ts";
import { ship } from "./ship.ts";
import { joinMerged } from "./merged.ts";
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
    flushSquash(c);
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
    flushSquash(c);
    if (held(shard, c, argv, argc)) return;
    if (target === shard.id) return runLocal(shard, c, cmd, argv, argc, now);
    return forwardWhole(shard, c, target, argv, argc);
  }
  if (cmd.fold === undefined) {
    flushSquash(c);
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
  // a pipeline's MGETs or MSETs go as one part per shard, with no objects per command
  if (cmd.merge !== undefined && squashable(c, cmd)) {
    let mask = 0;
    for (let i = 0; i < p.keys; i++) mask |= 1 << p.owner[i];
    if (
      (c.squash !== null || c.chains === 0 || sameShards(shard, c, mask)) &&
      joinMerged(shard, c, cmd, argv, p, mask)
    ) {
      shard.stats.splitCommands++;
      return;
    }
  }
  // exact sizes first: an array grown by push reallocates its backing store, and a split
  // command's arrays are most of what it allocates
  const stride = cmd.keyStride + 1;
  const counts = splitCounts;
  counts.fill(0, 0, shard.n);
  let shards = 0;
  for (let i = 0; i < p.keys; i++) if (counts[p.owner[i]]++ === 0) shards++;
  // parts in ascending shard order: the order a transaction takes its locks in
  const order: number[] = new Array(shards);
  for (let t = 0, k = 0; k < shards; t++) if (counts[t] > 0) order[k++] = t;
  const byShard: number[][] = new Array(shard.n);
  const keysByShard: number[][] = new Array(shard.n);
  const keyPos: number[][] = new Array(shards);
  for (let i = 0; i < shards; i++) {
    const t = order[i];
    byShard[t] = new Array(1 + counts[t] * stride);
    byShard[t][0] = 0;
    keyPos[i] = keysByShard[t] = new Array(counts[t]);
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
  const sp: SplitPlan = { argc, keyPos };
  if (!mayChain(c, cmd)) {
    return runParts(shard, c, cmd, argv, argc, now, order, byShard, folder(cmd, sp, c));
  }
  shard.stats.splitCommands++;
  // Chains of a client over the same shards ask them in the same order, so each shard takes
  // their parts in request order. One over other shards could reach a shard before an earlier
  // chain still waiting for a grant elsewhere: it waits until those are all sent.
  let mask = 0;
  for (let i = 0; i < shards; i++) mask |= 1 << order[i];
  // a pipeline's split commands go under one transaction (squash.ts), behind the client's
  // chains still out too when it asks the same shards
  if (squashable(c, cmd) && (c.squash !== null || c.chains === 0 || sameShards(shard, c, mask))) {
    const ch = new Chain(shard, c, cmd, argv.slice(0, argc), argc, order, byShard, sp);
    if (joinSquash(shard, c, ch, keysByShard, mask)) {
      c.queue.push(ch);
      return;
    }
  }
  // (after joinSquash: a squash it started may have changed the client's shards)
  if (!sameShards(shard, c, mask) && held(shard, c, argv, argc)) return;
  c.chainShards = mask;
  const ch = new Chain(shard, c, cmd, argv, argc, order, byShard, sp);
  c.queue.push(ch);
  startChain(ch, keysByShard);
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
  c.locking++;
  beginOrdered(shard, c, order, parts, noop, ch, false);
  if (!ch.sentAll) ch.holdRest();
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
