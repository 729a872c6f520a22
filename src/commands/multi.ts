/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH. A transaction whose keys (and WATCHed keys) all live on
 * the client's shard runs inline, atomically because the shard is single-threaded. Otherwise
 * EXEC locks every involved key through the cross-shard protocol (src/shard/tx.ts), checks the
 * WATCHes at grant time, and dispatches the queued commands under the transaction; their
 * replies, preceded by the array header, form the EXEC reply.
 */
import {
  type CommandSpec,
  type Ctx,
  keyDb,
  keyPositions,
  register,
  ROUTE_ALL,
  ROUTE_KEYS,
  ROUTE_LOCAL,
} from "./table.ts";
import type { Shard } from "../shard/shard.ts";
import { type Client, Slot } from "../shard/client.ts";
import { dispatch, replyError, replyRaw, resolveCommand, route } from "../shard/router.ts";
import {
  beginTx,
  releaseTx,
  resumeClient,
  type TxPart,
  unwatchAll,
  watchDirty,
  watchHere,
} from "../shard/tx.ts";
import { lockKey } from "../shard/locks.ts";
import { keySlot } from "../util/crc16.ts";
import { latin1 } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";
import { foldAllOk } from "./folds.ts";

const enc = new TextEncoder();
const OK = enc.encode("+OK\r\n");
const NULL_ARRAY = [enc.encode("*-1\r\n"), enc.encode("_\r\n")];

function multi(_shard: Shard, c: Client): void {
  if (c.multi !== null) return replyError(c, "ERR MULTI calls can not be nested");
  c.multi = { queued: [], error: false };
  replyRaw(c, OK);
}

function discard(shard: Shard, c: Client): void {
  if (c.multi === null) return replyError(c, "ERR DISCARD without MULTI");
  c.multi = null;
  unwatchAll(shard, c);
  replyRaw(c, OK);
}

function unwatch(shard: Shard, c: Client): void {
  unwatchAll(shard, c);
  replyRaw(c, OK);
}

function watch(shard: Shard, c: Client, argv: Uint8Array[], argc: number, now: number): void {
  if (c.multi !== null) return replyError(c, "ERR WATCH inside MULTI is not allowed");
  for (let i = 1; i < argc; i++) c.watchShards.add(shard.slotOwner[keySlot(argv[i])]);
  route(shard, c, resolveCommand(argv, argc)!, argv, argc, now);
}

/** WATCH's part on the shard owning the keys: register them for the client. */
function watchPart(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  for (let i = 1; i < argc; i++) {
    watchHere(ctx.shard, ctx.clientId, ctx.dbIndex, latin1(argv[i]), ctx.now);
  }
  ctx.w.ok();
}

/** Every shard and key the queued commands touch, following SELECTs as EXEC will run them. */
function plan(shard: Shard, c: Client): Map<number, TxPart> {
  const parts = new Map<number, TxPart>();
  const part = (s: number): TxPart => {
    let p = parts.get(s);
    if (p === undefined) parts.set(s, p = { keys: [], all: false });
    return p;
  };
  let db = c.db;
  const pos: number[] = [];
  for (const q of c.multi!.queued) {
    const cmd = resolveCommand(q.argv, q.argc);
    if (cmd === undefined) continue;
    if (cmd.name === "select") {
      const v = parseInt64(q.argv[1]);
      if (v !== null && v >= 0 && v < shard.dbs.length) db = Number(v);
    } else if (cmd.route === ROUTE_ALL) {
      for (let s = 0; s < shard.n; s++) part(s).all = true;
    } else if (cmd.route === ROUTE_KEYS) {
      keyPositions(cmd, q.argc, pos, q.argv);
      if (pos.length === 0 && cmd.target !== undefined) {
        part(cmd.target(shard, q.argv, q.argc)).all = true;
      }
      for (const p of pos) {
        const d = keyDb(cmd, q.argv, q.argc, p, db, shard.dbs.length);
        part(shard.slotOwner[keySlot(q.argv[p])]).keys.push(lockKey(d, latin1(q.argv[p])));
      }
    }
  }
  for (const s of c.watchShards) part(s);
  return parts;
}

function exec(shard: Shard, c: Client, _argv: Uint8Array[], _argc: number, now: number): void {
  const m = c.multi;
  if (m === null) return replyError(c, "ERR EXEC without MULTI");
  if (m.error) {
    c.multi = null;
    unwatchAll(shard, c);
    return replyError(c, "EXECABORT Transaction discarded because of previous errors.");
  }
  const parts = plan(shard, c);
  c.multi = null;
  const header = enc.encode(`*${m.queued.length}\r\n`);
  const local = parts.size === 0 || (parts.size === 1 && parts.has(shard.id));
  if (local && !shard.locks.active) {
    const dirty = watchDirty(shard, c);
    unwatchAll(shard, c);
    if (dirty) return replyRaw(c, NULL_ARRAY[c.proto === 3 ? 1 : 0]);
    replyRaw(c, header);
    for (const q of m.queued) dispatch(shard, c, q.argv, q.argc, now);
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
      while (i < m.queued.length) {
        const q = m.queued[i++];
        dispatch(shard, c, q.argv, q.argc, Date.now());
        if (c.shipping) {
          // a shipped command: the next ones see its result, so they wait for it
          c.txid = 0;
          c.afterShip = step;
          return;
        }
      }
      c.txid = 0;
      releaseWhenAnswered(shard, c, head, () => releaseTx(shard, tx));
      done(shard, c);
    };
    step();
  });
}

/**
 * Release once every reply of the block is in (not when earlier replies left: that could
 * wait on a command held back by these very locks).
 */
function releaseWhenAnswered(_shard: Shard, c: Client, head: Slot, release: () => void): void {
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
  resumeClient(shard, c);
}

const noHandler = (): void => {};

export const specs: CommandSpec[] = [
  { name: "multi", route: ROUTE_LOCAL, handler: noHandler, direct: multi },
  { name: "exec", route: ROUTE_LOCAL, handler: noHandler, direct: exec },
  { name: "discard", route: ROUTE_LOCAL, handler: noHandler, direct: discard },
  { name: "unwatch", route: ROUTE_LOCAL, handler: noHandler, direct: unwatch },
  {
    name: "watch",
    route: ROUTE_KEYS,
    handler: watchPart,
    fold: foldAllOk,
    atomic: false,
    direct: watch,
  },
];

register(specs);
