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
import { type Db, Keyspace } from "../store/keyspace.ts";
import { copyArgs, fromLatin1 } from "../util/bytes.ts";
import {
  copyOf,
  decodeEntries,
  decodeStore,
  encodeEntries,
  encodeStore,
  type EntryCopy,
  installEntry,
} from "../store/transfer.ts";
import { lockHash } from "./plan.ts";
import type { TxPart } from "./locks.ts";
import { beginTx, releaseTx } from "./tx.ts";
import { executeOnCopies } from "./execute.ts";
import { ReplyWriter } from "../resp/writer.ts";

const EMPTY = new Uint8Array(0);
/** Per-Worker scratch: the reply of a shipped command, and the keyspace its copies live in. */
const shipW = new ReplyWriter(4096);
let scratchKeyspace: Keyspace | null = null;

/** The scratch keyspace, emptied, with `dbs` databases. */
function freshScratch(dbs: number): Keyspace {
  if (scratchKeyspace === null || scratchKeyspace.dbs.length !== dbs) {
    scratchKeyspace = new Keyspace(dbs, 2);
  }
  for (const d of scratchKeyspace.dbs) d.onTouch = null;
  scratchKeyspace.flushAll();
  return scratchKeyspace;
}

/**
 * Run `cmd` (keys `keys`, on several shards) atomically by shipping its keys here. `dbs[i]` is
 * the database of `keys[i]`: the client's, but for COPY ... DB n's destination.
 */
export function ship(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  keys: string[],
  dbs: number[],
): void {
  const copy = copyArgs(argv, argc);
  const db = c.db;
  // what the client sends next waits until the keys are home again
  c.shipping = true;
  if (c.txid !== 0) {
    // inside EXEC: the transaction already holds these keys; EXEC goes on when this is done
    return shipUnder(shard, c, cmd, copy, argc, db, keys, dbs, () => shipped(shard, c));
  }
  const parts = new Map<number, TxPart>();
  for (let i = 0; i < keys.length; i++) {
    const s = shard.slots.ownerOfLatin1(keys[i]);
    let p = parts.get(s);
    if (p === undefined) parts.set(s, p = { keys: [], all: false });
    p.keys.push(lockHash(dbs[i], fromLatin1(keys[i])));
  }
  c.paused = true;
  beginTx(shard, c, parts, (tx) => {
    shipUnder(shard, c, cmd, copy, argc, db, keys, dbs, () => {
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
  shard.resume(c);
}

/** Keys grouped by shard, then by database. */
type Groups = Map<number, Map<number, string[]>>;

function group(groups: Groups, s: number, db: number, key: string): void {
  let byDb = groups.get(s);
  if (byDb === undefined) groups.set(s, byDb = new Map());
  const l = byDb.get(db);
  if (l === undefined) byDb.set(db, [key]);
  else if (!l.includes(key)) l.push(key);
}

function shipUnder(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  db: number,
  keys: string[],
  dbs: number[],
  done: () => void,
): void {
  const slot = new Slot();
  c.queue.push(slot);
  const proto = c.proto;
  const local: Groups = new Map(), remote: Groups = new Map();
  for (let i = 0; i < keys.length; i++) {
    const s = shard.slots.ownerOfLatin1(keys[i]);
    group(s === shard.id ? local : remote, s, dbs[i], keys[i]);
  }
  const fetched: [number, EntryCopy][] = [];
  let waiting = 0;
  const run = () => {
    runOnCopies(shard, c, cmd, argv, argc, db, local.get(shard.id), fetched, proto, (bytes) => {
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
  for (const byDb of remote.values()) waiting += byDb.size;
  for (const [s, byDb] of remote) {
    for (const [d, ks] of byDb) {
      shard.peers.call(s, (b, token) => b.fetch(token, d, ks), (body) => {
        for (const e of decodeEntries(body)) if (e !== null) fetched.push([d, e]);
        if (--waiting === 0) run();
      });
    }
  }
  if (waiting === 0) run();
}

/**
 * The handler on scratch databases of copies (the client's database, and COPY's destination
 * database when it is another); then every touched key goes home.
 */
function runOnCopies(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  db: number,
  local: Map<number, string[]> | undefined,
  fetched: [number, EntryCopy][],
  proto: 2 | 3,
  done: (reply: Uint8Array) => void,
): void {
  const now = Date.now();
  const sk = freshScratch(shard.dbs.length);
  const touched: Groups = new Map();
  const scratchOf = (d: number): Db => {
    const s = sk.dbs[d];
    s.onTouch ??= (k) => group(touched, shard.slots.ownerOfLatin1(k), d, k);
    return s;
  };
  scratchOf(db);
  if (local !== undefined) {
    for (const [d, ks] of local) {
      const home = shard.dbs[d];
      for (const k of ks) {
        const key = fromLatin1(k);
        const r = home.lookup(key, now);
        if (r !== 0) installEntry(scratchOf(d), key, copyOf(home, r), now);
      }
    }
  }
  for (const [d, e] of fetched) installEntry(scratchOf(d), e.key, e, now);
  // installing is not a change: only what the handler touches goes home
  touched.clear();
  shipW.reset();
  shipW.proto = proto;
  executeOnCopies(shard, c, cmd, argv, argc, now, shipW, db, scratchOf);
  const reply = shipW.take();
  let waiting = 0;
  for (const [s, byDb] of touched) {
    for (const [d, ks] of byDb) {
      const copies = scratchOf(d);
      const keys = ks.map(fromLatin1);
      const entries = keys.map((k) => {
        const r = copies.peek(k, now);
        return r === 0 ? null : copyOf(copies, r, true);
      });
      if (s === shard.id) {
        const home = shard.dbs[d];
        for (let i = 0; i < keys.length; i++) {
          installEntry(home, keys[i], entries[i], now);
          shard.aof.prop.stored(d, keys[i], entries[i]); // its effect, as RESTORE or DEL
        }
        continue;
      }
      waiting++;
      const payload = encodeStore(keys, entries);
      shard.peers.call(s, (b, token) => b.store(token, d, payload), () => {
        if (--waiting === 0) done(reply);
      });
    }
  }
  if (waiting === 0) done(reply);
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
    const entries = r.keys.map((k) => {
      const ref = db.lookup(fromLatin1(k), now);
      return ref === 0 ? null : copyOf(db, ref);
    });
    shard.peers.replyTo(source, r.token, encodeEntries(entries));
    return;
  }
  // the decoded values are views into what is decoded, and the store keeps big ones: they must
  // not stay in the ring's reused read buffer
  const [keys, copies] = decodeStore(r.body.slice());
  for (let i = 0; i < keys.length; i++) {
    installEntry(db, keys[i], copies[i], now);
    shard.aof.prop.stored(r.db < shard.dbs.length ? r.db : 0, keys[i], copies[i]);
  }
  shard.peers.replyTo(source, r.token, EMPTY);
}
