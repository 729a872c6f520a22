/**
 * The coordinator of MULTI, EXEC, DISCARD, WATCH, UNWATCH (listed in the transactions family,
 * run here). A transaction whose keys (and WATCHed keys) all live on the client's shard runs
 * inline, atomically because the shard is single-threaded. Otherwise EXEC locks every involved
 * key through the cross-shard protocol (tx.ts), checks the WATCHes at grant time, and routes
 * the queued commands under the transaction; their replies, after the array header, form the
 * EXEC reply.
 */
import type { Command } from "../commands/table.ts";
import { parseInt64 } from "../util/numbers.ts";
import type { Shard } from "./shard.ts";
import { type Client, Slot } from "./client.ts";
import { Plan, plan } from "./plan.ts";
import type { TxPart } from "./locks.ts";
import { beginTx, releaseTx, unwatchAll, watchDirty } from "./tx.ts";
import { route } from "./route.ts";
import { commandTable } from "../commands/table.ts";
import { ACL_OK, aclCheck } from "../commands/acl/check.ts";
import { execNopermText, logDenied } from "../commands/acl/deny.ts";

const enc = new TextEncoder();
const OK = enc.encode("+OK\r\n");
const NULL_ARRAY = [enc.encode("*-1\r\n"), enc.encode("_\r\n")];

/** Commands that run (not queue) between MULTI and EXEC. */
export const RUN_IN_MULTI = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

/** Run one of the transaction commands for client `c`. */
export function control(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
): void {
  switch (cmd.name) {
    case "multi":
      return multi(c);
    case "exec":
      return exec(shard, c);
    case "discard":
      return discard(shard, c);
    case "unwatch":
      return unwatch(shard, c);
    case "watch":
      return watch(shard, c, cmd, argv, argc, now);
  }
  throw new Error(`no coordinator for '${cmd.fullName}'`);
}

function multi(c: Client): void {
  if (c.multi !== null) return c.replyError("ERR MULTI calls can not be nested");
  c.multi = { queued: [], error: false };
  c.replyRaw(OK);
}

function discard(shard: Shard, c: Client): void {
  if (c.multi === null) return c.replyError("ERR DISCARD without MULTI");
  c.multi = null;
  unwatchAll(shard, c);
  c.replyRaw(OK);
}

function unwatch(shard: Shard, c: Client): void {
  unwatchAll(shard, c);
  c.replyRaw(OK);
}

function watch(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
): void {
  if (c.multi !== null) return c.replyError("ERR WATCH inside MULTI is not allowed");
  for (let i = 1; i < argc; i++) c.watchShards.add(shard.slots.ownerOf(argv[i]));
  // each key's shard registers it (the family's WATCH handler), folded into one +OK
  route(shard, c, cmd, argv, argc, now);
}

/** Scratch for planning queued commands (one per Worker). */
const queuedPlan = new Plan();

/** Every shard and key the queued commands touch, following SELECTs as EXEC will run them. */
function planBlock(shard: Shard, c: Client): Map<number, TxPart> {
  const parts = new Map<number, TxPart>();
  const part = (s: number): TxPart => {
    let p = parts.get(s);
    if (p === undefined) parts.set(s, p = { keys: [], all: false });
    return p;
  };
  const table = commandTable();
  let db = c.db;
  for (const q of c.multi!.queued) {
    const cmd = table.resolve(q.argv, q.argc);
    if (cmd === undefined) continue;
    if (cmd.name === "select") {
      const v = parseInt64(q.argv[1]);
      if (v !== null && v >= 0 && v < shard.dbs.length) db = Number(v);
      continue;
    }
    const p = plan(shard.id, shard.slots, cmd, q.argv, q.argc, db, shard.dbs.length, queuedPlan);
    if (p.every) {
      for (let s = 0; s < shard.n; s++) part(s).all = true;
      continue;
    }
    if (p.target >= 0) part(p.target).all = true;
    const lks = p.lockKeys(q.argv);
    for (let i = 0; i < lks.length; i++) part(p.owner[i]).keys.push(lks[i]);
  }
  for (const s of c.watchShards) part(s);
  return parts;
}

/** A queued command, counted and routed as if it had just arrived (its checks passed at MULTI). */
function runQueued(shard: Shard, c: Client, argv: Uint8Array[], argc: number, now: number): void {
  c.totalCommands++;
  shard.stats.commands++;
  const cmd = commandTable().resolve(argv, argc)!;
  c.lastCommand = cmd.fullName;
  // the user may have lost the right since the command was queued: Redis checks again
  if (!c.unrestricted) {
    const r = aclCheck(c.user, cmd, argv, argc);
    if (r !== ACL_OK) {
      logDenied(c, r, cmd, argv, true);
      return c.replyError(execNopermText(r));
    }
  }
  // UNWATCH is queued like any command (only those in RUN_IN_MULTI run at once)
  if (cmd.control) return control(shard, c, cmd, argv, argc, now);
  route(shard, c, cmd, argv, argc, now);
}

function exec(shard: Shard, c: Client): void {
  const m = c.multi;
  if (m === null) return c.replyError("ERR EXEC without MULTI");
  if (m.error) {
    c.multi = null;
    unwatchAll(shard, c);
    return c.replyError("EXECABORT Transaction discarded because of previous errors.");
  }
  const parts = planBlock(shard, c);
  c.multi = null;
  const header = enc.encode(`*${m.queued.length}\r\n`);
  const local = parts.size === 0 || (parts.size === 1 && parts.has(shard.id));
  if (local && !shard.locks.active) {
    const dirty = watchDirty(shard, c);
    unwatchAll(shard, c);
    if (dirty) return c.replyRaw(NULL_ARRAY[c.proto === 3 ? 1 : 0]);
    c.replyRaw(header);
    const now = Date.now();
    c.inExec = true;
    for (const q of m.queued) runQueued(shard, c, q.argv, q.argc, now);
    c.inExec = false;
    return;
  }
  const head = new Slot();
  c.queue.push(head);
  c.paused = true;
  beginTx(shard, c, parts, (tx) => {
    if (tx.dirty) {
      head.bytes = NULL_ARRAY[c.proto === 3 ? 1 : 0];
      releaseTx(shard, tx);
      return done(shard, c);
    }
    head.bytes = header;
    let i = 0;
    const step = (): void => {
      c.txid = tx.txid;
      c.inExec = true;
      while (i < m.queued.length) {
        const q = m.queued[i++];
        runQueued(shard, c, q.argv, q.argc, Date.now());
        if (c.shipping) {
          // a shipped command: the next ones see its result, so they wait for it
          c.txid = 0;
          c.inExec = false;
          c.afterShip = step;
          return;
        }
      }
      c.txid = 0;
      c.inExec = false;
      releaseWhenAnswered(c, head, () => releaseTx(shard, tx));
      done(shard, c);
    };
    step();
  });
}

/**
 * Release once every reply of the block is in (not when earlier replies left: that could
 * wait on a command held back by these very locks).
 */
function releaseWhenAnswered(c: Client, head: Slot, release: () => void): void {
  let pending = 0;
  const ready = () => {
    if (--pending === 0) release();
  };
  for (const s of c.queue.after(head)) {
    if (s.bytes === null) {
      pending++;
      s.onReady = ready;
    }
  }
  if (pending === 0) release();
}

function done(shard: Shard, c: Client): void {
  c.paused = false;
  unwatchAll(shard, c);
  shard.resume(c);
}
