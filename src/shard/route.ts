/**
 * Where a checked command runs, from its plan: inline when this shard owns every key (the fast
 * path), forwarded whole to the one shard that does, split per owning shard and folded (MGET,
 * DEL), shipped here under a transaction when its values must meet (RENAME, set algebra), or
 * fanned out to every shard (KEYS, FLUSHALL). Replies leave in request order (Client.queue).
 */
import { type Command, ROUTE_ALL, ROUTE_KEYS, type SplitPlan } from "../commands/table.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { latin1 } from "../util/bytes.ts";
import type { Shard } from "./shard.ts";
import { type Client, Slot } from "./client.ts";
import { lockKey, Plan, plan } from "./plan.ts";
import type { TxPart } from "./locks.ts";
import { beginTx, releaseTx } from "./tx.ts";
import { ship } from "./ship.ts";
import { execute } from "./execute.ts";

/** Scratch of the routing path (one per Worker, reused by every command). */
const routePlan = new Plan();
const foldW = new ReplyWriter(4096);

/** Run or forward a checked command. */
export function route(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
): void {
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
  const w = shard.scratch;
  w.reset();
  w.proto = c.proto;
  execute(shard, c, cmd, argv, argc, now, w, c.db, c.id);
  const s = new Slot();
  s.bytes = w.take();
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
  const p = plan(shard.id, shard.slots, cmd, argv, argc, c.db, shard.dbs.length, routePlan);
  const nk = p.keys;
  const target = nk > 0 ? p.owner[0] : p.target >= 0 ? p.target : shard.id;
  if (nk === 0 || p.singleOwner() === target) {
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
  shard.forward(target, c, s, 0, argv, argc, null);
}

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
  const byShard: number[][] = [];
  const keysByShard: number[][] = [];
  const order: number[] = [];
  for (let i = 0; i < p.keys; i++) {
    const pos = p.pos[i];
    const t = p.owner[i];
    if (byShard[t] === undefined) {
      byShard[t] = [0];
      keysByShard[t] = [];
      order.push(t);
    }
    for (let j = 0; j <= cmd.keyStride; j++) byShard[t].push(pos + j);
    keysByShard[t].push(pos);
  }
  const sp: SplitPlan = { argc, keyPos: order.map((t) => keysByShard[t]) };
  const done = folder(cmd, sp, c.proto);
  if (c.txid !== 0 || !cmd.atomic) {
    return runParts(shard, c, cmd, argv, argc, now, order, byShard, done);
  }
  // atomic across shards: lock every key, run the parts, release when every part answered
  const parts = new Map<number, TxPart>();
  for (const t of order) {
    parts.set(t, { keys: keysByShard[t].map((q) => lockKey(c.db, latin1(argv[q]))), all: false });
  }
  const copy = argv.slice(0, argc).map((a) => a.slice());
  c.paused = true;
  beginTx(shard, c, parts, (tx) => {
    c.paused = false;
    c.txid = tx.txid;
    runParts(shard, c, cmd, copy, argc, Date.now(), order, byShard, (q) => {
      releaseTx(shard, tx);
      return done(q);
    });
    c.txid = 0;
    shard.resume(c);
  });
}

/** The reply of a split or fanned-out command: its fold over the parts, in the client's protocol. */
function folder(cmd: Command, sp: SplitPlan, proto: 2 | 3): (parts: Uint8Array[]) => Uint8Array {
  const fold = cmd.fold!;
  return (parts) => {
    foldW.reset();
    foldW.proto = proto;
    fold(parts, foldW, sp);
    return foldW.take();
  };
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
  runParts(shard, c, cmd, argv, argc, now, order, null, folder(cmd, sp, c.proto));
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
    else shard.forward(t, c, s, i, argv, argc, pos === null ? null : pos[t]);
  }
  if (localPart >= 0) {
    const w = shard.scratch;
    w.reset();
    w.proto = c.proto;
    let av = argv, ac = argc;
    if (pos !== null) {
      const p = pos[shard.id];
      av = p.map((i) => argv[i]);
      ac = p.length;
    }
    execute(shard, c, cmd, av, ac, now, w, c.db, c.id);
    s.parts[localPart] = w.take();
    s.remaining--;
  }
  if (s.remaining === 0) {
    s.bytes = done(s.parts as Uint8Array[]);
    c.drain();
  }
}
