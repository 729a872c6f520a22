/**
 * From parsed request to reply: command lookup, arity, and routing. A command whose keys are
 * all owned by this shard runs inline (the fast path); otherwise it is forwarded to the owner,
 * or split per owning shard and folded. Replies leave in request order (see Client.queue).
 */
import {
  arityOk,
  type Command,
  type Ctx,
  keyDb,
  keyPositions,
  lookup,
  lookupSub,
  ROUTE_ALL,
  ROUTE_KEYS,
  type SplitPlan,
} from "../commands/table.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { keySlot } from "../util/crc16.ts";
import { latin1 } from "../util/bytes.ts";
import type { Shard } from "./shard.ts";
import type { Db } from "../store/keyspace.ts";
import { ship } from "./ship.ts";
import { lockKey } from "./locks.ts";
import { beginTx, deferLocal, releaseTx, resumeClient, type TxPart } from "./tx.ts";
import { log } from "../server/log.ts";
import { type Client, Slot } from "./client.ts";

const ctx: Ctx = {
  shard: undefined as unknown as Shard,
  db: undefined as unknown as Ctx["db"],
  dbIndex: 0,
  w: undefined as unknown as ReplyWriter,
  now: 0,
  client: null,
  clientId: 0,
  copies: null,
};
const keyPos: number[] = [];
const foldW = new ReplyWriter(4096);

export function replyError(c: Client, msg: string): void {
  if (c.blocked) {
    const s = new Slot();
    const w = new ReplyWriter(64);
    w.error(msg);
    s.bytes = w.take();
    c.queue.push(s);
  } else {
    c.out.error(msg);
  }
}

/** An argument as C's %s prints it: up to the first NUL byte, at most `max` bytes. */
function cstr(b: Uint8Array, max: number): string {
  let n = b.indexOf(0);
  if (n < 0) n = b.length;
  return latin1(b.subarray(0, Math.min(n, max)));
}

function unknownCommand(c: Client, argv: Uint8Array[], argc: number): void {
  if (c.multi !== null) c.multi.error = true;
  // Redis quotes arguments until 128 bytes are used, cutting the last one to fit
  let args = "";
  for (let i = 1; i < argc && args.length < 128; i++) {
    args += `'${cstr(argv[i], 128 - args.length)}' `;
  }
  replyError(
    c,
    `ERR unknown command '${cstr(argv[0], 128)}', with args beginning with: ${args}`,
  );
}

export function dispatch(
  shard: Shard,
  c: Client,
  argv: Uint8Array[],
  argc: number,
  now: number,
): void {
  c.totalCommands++;
  shard.stats.commands++;
  let cmd = lookup(argv[0]);
  if (cmd === undefined) return unknownCommand(c, argv, argc);
  if (cmd.sub !== null && argc >= 2) {
    const sub = lookupSub(cmd, argv[1]);
    if (sub === undefined) {
      if (c.multi !== null) c.multi.error = true;
      return replyError(
        c,
        `ERR unknown subcommand '${cstr(argv[1], 128)}'. Try ${cmd.name.toUpperCase()} HELP.`,
      );
    }
    cmd = sub;
  }
  c.lastCommand = cmd.fullName;
  if (!arityOk(cmd, argc)) {
    if (c.multi !== null) c.multi.error = true;
    return replyError(c, `ERR wrong number of arguments for '${cmd.fullName}' command`);
  }
  if (c.multi !== null && !TX_CONTROL.has(cmd.name)) return queueInMulti(c, argv, argc);
  if (cmd.direct !== undefined) return cmd.direct(shard, c, argv, argc, now);
  // a transaction holds locks here: a command touching them waits (and its client with it)
  if (c.txid === 0 && shard.locks.active && mustWaitLocal(shard, c, cmd, argv, argc)) {
    return deferLocal(shard, c, argv, argc);
  }
  route(shard, c, cmd, argv, argc, now);
}

/** Run or forward a checked command by its route. */
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

/** The command (or subcommand) an argv names, if any. */
export function resolveCommand(argv: Uint8Array[], argc: number): Command | undefined {
  const cmd = lookup(argv[0]);
  if (cmd === undefined || cmd.sub === null || argc < 2) return cmd;
  return lookupSub(cmd, argv[1]) ?? cmd;
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
    exec(shard, c, cmd, argv, argc, now, c.out);
    return;
  }
  const w = shard.scratch;
  w.reset();
  w.proto = c.proto;
  exec(shard, c, cmd, argv, argc, now, w);
  const s = new Slot();
  s.bytes = w.take();
  c.queue.push(s);
}

function exec(
  shard: Shard,
  c: Client | null,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
  w: ReplyWriter,
  db = c === null ? 0 : c.db,
  clientId = c === null ? 0 : c.id,
): void {
  execOn(shard, c, cmd, argv, argc, now, w, shard.dbs[db], db, clientId);
}

/** Run a handler against a given database object (a shard's, or a scratch one). */
export function execOn(
  shard: Shard,
  c: Client | null,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
  w: ReplyWriter,
  db: Db,
  dbIndex: number,
  clientId = c === null ? 0 : c.id,
  copies: ((n: number) => Db) | null = null,
): void {
  ctx.copies = copies;
  ctx.shard = shard;
  ctx.db = db;
  ctx.dbIndex = dbIndex;
  ctx.w = w;
  ctx.now = now;
  ctx.client = c;
  ctx.clientId = clientId;
  const mark = w.len;
  try {
    cmd.handler(ctx, argv, argc);
  } catch (e) {
    // a bug must not take the connection (or the shard) down: drop any partial reply, say so
    w.len = mark;
    const msg = e instanceof Error ? e.message : String(e);
    w.error(`ERR internal error in '${cmd.fullName}': ${msg}`);
    log("warning", `internal error in '${cmd.fullName}': ${e instanceof Error ? e.stack : msg}`);
  }
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
  const owner = shard.slotOwner;
  if (cmd.firstKey > 0 && cmd.firstKey === cmd.lastKey && !cmd.movable) {
    const t = owner[keySlot(argv[cmd.firstKey])];
    if (t === shard.id) return runLocal(shard, c, cmd, argv, argc, now);
    return forwardWhole(shard, c, t, argv, argc);
  }
  // a split needs whole key groups (MSET pairs); a malformed one is an arity error anyway
  if (cmd.keyStride > 0 && (argc - cmd.firstKey) % (cmd.keyStride + 1) !== 0) {
    return replyError(c, `ERR wrong number of arguments for '${cmd.fullName}' command`);
  }
  const nk = keyPositions(cmd, argc, keyPos, argv);
  const target = nk > 0
    ? owner[keySlot(argv[keyPos[0]])]
    : cmd.target !== undefined
    ? cmd.target(shard, argv, argc)
    : shard.id;
  let same = true;
  for (let i = 1; i < nk; i++) {
    if (owner[keySlot(argv[keyPos[i]])] !== target) {
      same = false;
      break;
    }
  }
  if (same) {
    if (target === shard.id) return runLocal(shard, c, cmd, argv, argc, now);
    return forwardWhole(shard, c, target, argv, argc);
  }
  if (cmd.fold === undefined) {
    // all its values in one place: ship the keys here under a transaction (ship.ts)
    const keys: string[] = [];
    const dbs: number[] = [];
    for (let i = 0; i < nk; i++) {
      keys.push(latin1(argv[keyPos[i]]));
      dbs.push(keyDb(cmd, argv, argc, keyPos[i], c.db, shard.dbs.length));
    }
    return ship(shard, c, cmd, argv, argc, keys, dbs);
  }
  split(shard, c, cmd, argv, argc, nk, now);
}

/** Commands that run (not queue) between MULTI and EXEC. */
const TX_CONTROL = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

function queueInMulti(c: Client, argv: Uint8Array[], argc: number): void {
  const copy: Uint8Array[] = [];
  for (let i = 0; i < argc; i++) copy.push(argv[i].slice());
  c.multi!.queued.push({ argv: copy, argc });
  replyRaw(c, QUEUED);
}
const QUEUED = new TextEncoder().encode("+QUEUED\r\n");

/** Append ready reply bytes in order. */
export function replyRaw(c: Client, bytes: Uint8Array): void {
  if (c.blocked) {
    const s = new Slot();
    s.bytes = bytes;
    c.queue.push(s);
  } else {
    c.out.raw(bytes);
  }
}

/** Do this command's keys on this shard (or, for all-shard commands, any key) hold locks? */
function mustWaitLocal(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
): boolean {
  if (cmd.route === ROUTE_ALL) return true;
  if (cmd.route !== ROUTE_KEYS) return false;
  const keys: string[] = [];
  keyPositions(cmd, argc, keyPos, argv);
  for (const p of keyPos) {
    if (shard.slotOwner[keySlot(argv[p])] !== shard.id) continue;
    keys.push(lockKey(keyDb(cmd, argv, argc, p, c.db, shard.dbs.length), latin1(argv[p])));
  }
  return keys.length === 0 ? cmd.target !== undefined : shard.locks.blocks(keys);
}

/** Lock keys a forwarded or deferred command needs here (null: it reads every key). */
export function lockKeysOf(
  shard: Shard,
  argv: Uint8Array[],
  argc: number,
  db: number,
): string[] | null {
  const cmd = resolveCommand(argv, argc);
  if (cmd === undefined) return [];
  if (cmd.route === ROUTE_ALL || cmd.target !== undefined) return null;
  if (cmd.route !== ROUTE_KEYS) return [];
  const out: string[] = [];
  keyPositions(cmd, argc, keyPos, argv);
  const dbs = shard.dbs.length;
  for (const p of keyPos) out.push(lockKey(keyDb(cmd, argv, argc, p, db, dbs), latin1(argv[p])));
  return out;
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
  nk: number,
  now: number,
): void {
  const byShard: number[][] = [];
  const keysByShard: number[][] = [];
  const order: number[] = [];
  for (let i = 0; i < nk; i++) {
    const p = keyPos[i];
    const t = shard.slotOwner[keySlot(argv[p])];
    if (byShard[t] === undefined) {
      byShard[t] = [0];
      keysByShard[t] = [];
      order.push(t);
    }
    for (let j = 0; j <= cmd.keyStride; j++) byShard[t].push(p + j);
    keysByShard[t].push(p);
  }
  const plan: SplitPlan = { argc, keyPos: order.map((t) => keysByShard[t]) };
  const done = folder(cmd, plan, c.proto);
  if (c.txid !== 0 || !cmd.atomic) {
    return runParts(shard, c, cmd, argv, argc, now, order, byShard, done);
  }
  // atomic across shards: lock every key, run the parts, release when every part answered
  const parts = new Map<number, TxPart>();
  for (const t of order) {
    parts.set(t, { keys: keysByShard[t].map((p) => lockKey(c.db, latin1(argv[p]))), all: false });
  }
  const copy = argv.slice(0, argc).map((a) => a.slice());
  c.paused = true;
  beginTx(shard, c, parts, (tx) => {
    c.paused = false;
    c.txid = tx.txid;
    runParts(shard, c, cmd, copy, argc, Date.now(), order, byShard, (p) => {
      releaseTx(shard, tx);
      return done(p);
    });
    c.txid = 0;
    resumeClient(shard, c);
  });
}

/** The reply of a split or fanned-out command: its fold over the parts, in the client's protocol. */
function folder(cmd: Command, plan: SplitPlan, proto: 2 | 3): (parts: Uint8Array[]) => Uint8Array {
  const fold = cmd.fold!;
  return (parts) => {
    foldW.reset();
    foldW.proto = proto;
    fold(parts, foldW, plan);
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
  const plan: SplitPlan = { argc, keyPos: [] };
  runParts(shard, c, cmd, argv, argc, now, order, null, folder(cmd, plan, c.proto));
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
    exec(shard, c, cmd, av, ac, now, w);
    s.parts[localPart] = w.take();
    s.remaining--;
  }
  if (s.remaining === 0) {
    s.bytes = done(s.parts as Uint8Array[]);
    c.drain();
  }
}

/** Execute a request forwarded by a peer; the reply goes to shard.remoteW. */
export function executeForwarded(
  shard: Shard,
  db: number,
  argv: Uint8Array[],
  argc: number,
  now: number,
  clientId: number,
): void {
  let cmd = lookup(argv[0])!;
  if (cmd.sub !== null && argc >= 2) cmd = lookupSub(cmd, argv[1])!;
  const d = db < shard.dbs.length ? db : 0;
  exec(shard, null, cmd, argv, argc, now, shard.remoteW, d, clientId);
}
