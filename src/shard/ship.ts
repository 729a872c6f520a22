/**
 * Multi-key commands that need all their values in one place (RENAME, COPY, MSETNX, SMOVE,
 * LMOVE, SUNIONSTORE, ZUNIONSTORE, BITOP, PFMERGE, ...) when their keys live on several
 * shards: under a transaction holding every key's lock, the coordinator fetches the remote
 * entries, runs the command's own handler on a scratch database holding copies of all of
 * them, and stores back every key the handler touched. Nobody sees the keys in between: they
 * stay locked from before the fetch until after the store.
 */
import type { Shard } from "./shard.ts";
import { type Client, Slot } from "./client.ts";
import type { Command } from "../commands/table.ts";
import type { BatchReader } from "./wire.ts";
import { ITEM_FETCH } from "./wire.ts";
import { Db } from "../store/keyspace.ts";
import {
  copyOf,
  decodeEntries,
  decodeStore,
  encodeEntries,
  encodeStore,
  type EntryCopy,
  installEntry,
} from "../store/transfer.ts";
import { keySlotStr } from "../util/crc16.ts";
import { lockKey } from "./locks.ts";
import { beginTx, releaseTx, resumeClient, type TxPart } from "./tx.ts";
import { execOn } from "./router.ts";
import { ReplyWriter } from "../resp/writer.ts";

const EMPTY = new Uint8Array(0);
const shipW = new ReplyWriter(4096);

/** Run `cmd` (keys `keys`, on several shards) atomically by shipping its keys here. */
export function ship(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  keys: string[],
): void {
  const copy = argv.slice(0, argc).map((a) => a.slice());
  const db = c.db;
  // what the client sends next waits until the keys are home again
  c.shipping = true;
  if (c.txid !== 0) {
    // inside EXEC: the transaction already holds these keys; EXEC goes on when this is done
    return shipUnder(shard, c, cmd, copy, argc, db, keys, () => shipped(shard, c));
  }
  const parts = new Map<number, TxPart>();
  for (const k of keys) {
    const s = shard.slotOwner[keySlotStr(k)];
    let p = parts.get(s);
    if (p === undefined) parts.set(s, p = { keys: [], all: false });
    p.keys.push(lockKey(db, k));
  }
  c.paused = true;
  beginTx(shard, c, parts, (tx) => {
    shipUnder(shard, c, cmd, copy, argc, db, keys, () => {
      releaseTx(shard, tx);
      shipped(shard, c);
    });
  });
}

function shipped(shard: Shard, c: Client): void {
  c.shipping = false;
  const next = c.afterShip;
  c.afterShip = null;
  if (next !== null) return next();
  c.paused = false;
  resumeClient(shard, c);
}

function shipUnder(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  db: number,
  keys: string[],
  done: () => void,
): void {
  const slot = new Slot();
  c.queue.push(slot);
  const proto = c.proto;
  const remote = new Map<number, string[]>();
  for (const k of new Set(keys)) {
    const s = shard.slotOwner[keySlotStr(k)];
    if (s === shard.id) continue;
    let l = remote.get(s);
    if (l === undefined) remote.set(s, l = []);
    l.push(k);
  }
  const fetched: EntryCopy[] = [];
  let waiting = remote.size;
  const run = () => {
    runOnCopies(shard, c, cmd, argv, argc, db, keys, fetched, proto, (bytes) => {
      // the reply goes out (in order) once every home stored its keys; then the locks go
      slot.bytes = bytes;
      if (slot.onReady !== null) slot.onReady();
      if (!c.closed) {
        c.drain();
        if (c.out.len > 0) c.transport.flush();
      }
      done();
    });
  };
  for (const [s, ks] of remote) {
    shard.call(s, (b, token) => b.fetch(token, db, ks), (body) => {
      for (const e of decodeEntries(body)) if (e !== null) fetched.push(e);
      if (--waiting === 0) run();
    });
  }
  if (waiting === 0) run();
}

/** The handler on a scratch database of copies; then every touched key goes home. */
function runOnCopies(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  db: number,
  keys: string[],
  fetched: EntryCopy[],
  proto: 2 | 3,
  done: (reply: Uint8Array) => void,
): void {
  const now = Date.now();
  const scratch = new Db();
  const home = shard.dbs[db];
  for (const k of new Set(keys)) {
    if (shard.slotOwner[keySlotStr(k)] !== shard.id) continue;
    const e = home.get(k, now);
    if (e !== undefined) installEntry(scratch, k, copyOf(e), now);
  }
  for (const e of fetched) installEntry(scratch, e.key, e, now);
  const touched = new Set<string>();
  scratch.onTouch = (k) => touched.add(k);
  shipW.reset();
  shipW.proto = proto;
  execOn(shard, c, cmd, argv, argc, now, shipW, scratch, db);
  const reply = shipW.take();
  const back = new Map<number, string[]>();
  for (const k of touched) {
    const s = shard.slotOwner[keySlotStr(k)];
    const e = scratch.map.get(k);
    if (s === shard.id) {
      installEntry(home, k, e === undefined ? null : copyOf(e, true), now);
      continue;
    }
    let l = back.get(s);
    if (l === undefined) back.set(s, l = []);
    l.push(k);
  }
  let waiting = back.size;
  if (waiting === 0) return done(reply);
  for (const [s, ks] of back) {
    const payload = encodeStore(ks, ks.map((k) => scratch.map.get(k) ?? null));
    shard.call(s, (b, token) => b.store(token, db, payload), () => {
      if (--waiting === 0) done(reply);
    });
  }
}

/** Participant side: hand out entries, or install the entries a coordinator sent back. */
export function onShipItem(
  shard: Shard,
  source: number,
  kind: number,
  r: BatchReader,
  now: number,
): void {
  const db = shard.dbs[r.db < shard.dbs.length ? r.db : 0];
  if (kind === ITEM_FETCH) {
    const entries = r.keys.map((k) => db.get(k, now) ?? null);
    shard.replyTo(source, r.token, encodeEntries(entries));
    return;
  }
  const [keys, copies] = decodeStore(r.body);
  for (let i = 0; i < keys.length; i++) installEntry(db, keys[i], copies[i], now);
  shard.replyTo(source, r.token, EMPTY);
}
