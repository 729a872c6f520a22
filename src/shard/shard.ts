/**
 * Per-shard state: the keyspace it owns, its local connections, and its side of the ring mesh
 * (outgoing batches per peer, tokens of requests waiting for a peer's reply). Command routing
 * lives in router.ts; the io engines (src/io/) feed bytes in and send `client.out` back.
 */
import { Db } from "../store/keyspace.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { Mesh, type MeshInit, type Waker } from "../mesh/mesh.ts";
import { ConfigStore } from "../config/mod.ts";
import { syncAccessPolicy } from "../commands/object.ts";
import {
  BatchBuilder,
  BatchReader,
  ITEM_FETCH,
  ITEM_REPLY,
  ITEM_REQUEST,
  ITEM_STORE,
} from "./wire.ts";
import { onShipItem } from "./ship.ts";
import { LockTable, WatchTable } from "./locks.ts";
import { mustDeferRemote, onTxItem, releaseTx, resumeClient, type Tx, unwatchAll } from "./tx.ts";
import { MAX_WAITING } from "./input.ts";
import { Client, type Slot, type Transport } from "./client.ts";
import { executeForwarded } from "./router.ts";

export const SLOTS = 16384;
const EMPTY = new Uint8Array(0);

export interface ShardInit {
  id: number;
  n: number;
  port: number;
  bind: string;
  databases: number;
  io: string;
  params: [string, string][];
  mesh: MeshInit;
  startedAt: number;
  configFile: string | null;
  executable: string;
  /** io_uring: every shard's eventfd (index = shard id), written to wake a parked shard */
  efds: number[];
}

/** A plain command that found its keys locked by a transaction: it runs when they are free. */
export interface Deferred {
  /** the peer that sent it, or -1 for a client of this shard */
  source: number;
  client: Client | null;
  clientId: number;
  token: number;
  db: number;
  proto: number;
  argv: Uint8Array[];
  argc: number;
  /** a lock request held back behind earlier requests of the same peer */
  lock?: { txid: number; all: boolean; keys: string[] };
}

interface Waiting {
  slot: Slot;
  part: number;
  client: Client;
}

export class Stats {
  commands = 0;
  connectionsReceived = 0;
  rejectedConnections = 0;
  keyspaceHits = 0;
  keyspaceMisses = 0;
  netInput = 0;
  netOutput = 0;
  expiredKeysBase = 0;
}

export class Shard {
  readonly id: number;
  readonly n: number;
  readonly dbs: Db[];
  /** slot -> owning shard */
  readonly slotOwner = new Uint16Array(SLOTS);
  readonly slotStart: number;
  readonly slotEnd: number;
  readonly mesh: Mesh;
  readonly config: ConfigStore;
  readonly clients = new Map<number, Client>();
  readonly stats = new Stats();
  /** where local parts and queued replies are rendered before they are copied into a slot */
  readonly scratch = new ReplyWriter(4096);
  /** where forwarded requests are executed */
  readonly remoteW = new ReplyWriter(4096);
  private readonly batches: BatchBuilder[];
  private readonly dirty: boolean[];
  private readonly waiting = new Map<number, Waiting>();
  private readonly calls = new Map<number, (body: Uint8Array) => void>();
  private nextToken = 1;
  private nextClient = 0;
  private readonly reader = new BatchReader();
  /** transactions: locks granted here, WATCHed keys here, and the ones this shard coordinates */
  readonly locks = new LockTable();
  readonly watches = new WatchTable();
  readonly txs = new Map<number, Tx>();
  /** plain commands waiting for locks, in arrival order */
  readonly deferred: Deferred[] = [];
  /** per peer: how many of its requests wait in `deferred` (they must keep their order) */
  readonly deferredFrom: number[] = [];
  readonly init: ShardInit;

  /** `waker` replaces the Atomics wake of parked peers (io_uring shards sleep in the kernel) */
  constructor(init: ShardInit, waker?: Waker) {
    this.init = init;
    this.id = init.id;
    this.n = init.n;
    this.dbs = [];
    for (let i = 0; i < init.databases; i++) this.dbs.push(new Db());
    for (let s = 0; s < init.n; s++) {
      const a = Math.floor((s * SLOTS) / init.n), b = Math.floor(((s + 1) * SLOTS) / init.n);
      this.slotOwner.fill(s, a, b);
    }
    this.slotStart = Math.floor((init.id * SLOTS) / init.n);
    this.slotEnd = Math.floor(((init.id + 1) * SLOTS) / init.n) - 1;
    this.mesh = new Mesh(init.mesh, waker);
    this.config = new ConfigStore(new Map(init.params));
    syncAccessPolicy(this.config);
    this.batches = [];
    this.dirty = [];
    for (let i = 0; i < init.n; i++) {
      this.batches.push(new BatchBuilder());
      this.dirty.push(false);
      this.deferredFrom.push(0);
    }
  }

  /** Apply live config values this shard acts on (after CONFIG SET). */
  applyConfig(): void {
    syncAccessPolicy(this.config);
    const maxBulk = Number(this.config.value("proto-max-bulk-len") ?? 512 * 1024 * 1024);
    for (const c of this.clients.values()) c.parser.limits.maxBulkLen = maxBulk;
  }

  /** Active expiry runs hz times per second, as in Redis. */
  get hz(): number {
    const hz = Number(this.config.value("hz") ?? 10);
    return hz >= 1 && hz <= 500 ? hz : 10;
  }

  /** Slot range owned by shard s, inclusive. */
  slotRange(s: number): [number, number] {
    return [Math.floor((s * SLOTS) / this.n), Math.floor(((s + 1) * SLOTS) / this.n) - 1];
  }

  newClient(addr: string, laddr: string, fd: number, t: Transport): Client {
    // ids are unique across shards and tell which shard owns the connection (id % n)
    const id = ++this.nextClient * this.n + this.id;
    const maxBulk = Number(this.config.value("proto-max-bulk-len") ?? 512 * 1024 * 1024);
    const c = new Client(id, addr, laddr, fd, t, maxBulk);
    this.clients.set(id, c);
    this.stats.connectionsReceived++;
    return c;
  }

  dropClient(c: Client): void {
    c.closed = true;
    this.clients.delete(c.id);
    // its locks go (requests already sent to peers run first: rings are FIFO), and its WATCHes
    if (c.tx !== null) releaseTx(this, c.tx as Tx);
    if (c.watchShards.size > 0) unwatchAll(this, c);
  }

  /** Queue a request for `target`; its reply fills part `part` of `slot`. */
  forward(
    target: number,
    client: Client,
    slot: Slot,
    part: number,
    argv: Uint8Array[],
    argc: number,
    pos: number[] | null,
  ): void {
    const token = this.nextToken;
    this.nextToken = (this.nextToken + 1) >>> 0 || 1;
    this.waiting.set(token, { slot, part, client });
    this.batches[target].request(
      token,
      client.db,
      client.proto,
      argv,
      argc,
      pos,
      client.txid,
      0,
      client.id,
    );
    this.dirty[target] = true;
  }

  /** The batch going to `target` this iteration (for transaction control items). */
  batch(target: number): BatchBuilder {
    this.dirty[target] = true;
    return this.batches[target];
  }

  /**
   * An internal round trip to peer `target`: `build` appends an item carrying the token; the
   * peer's reply item for that token goes to `cb`.
   */
  call(
    target: number,
    build: (b: BatchBuilder, token: number) => void,
    cb: (body: Uint8Array) => void,
  ): void {
    const token = this.nextToken;
    this.nextToken = (this.nextToken + 1) >>> 0 || 1;
    this.calls.set(token, cb);
    build(this.batch(target), token);
  }

  /** Reply to a request of peer `source` (a deferred one, run later). */
  replyTo(source: number, token: number, body: Uint8Array): void {
    this.batches[source].reply(token, body);
    this.dirty[source] = true;
  }

  /** A ring record from peer `source`: requests, replies, transaction control. */
  onRecord = (source: number, rec: Uint8Array): void => {
    const r = this.reader;
    r.reset(rec);
    let kind: number;
    const now = Date.now();
    while ((kind = r.next()) !== 0) {
      if (kind === ITEM_REQUEST) {
        if (mustDeferRemote(this, source, r)) continue;
        const w = this.remoteW;
        w.reset();
        w.proto = r.proto === 3 ? 3 : 2;
        executeForwarded(this, r.db, r.argv, r.argc, now, r.client);
        this.batches[source].reply(r.token, w.view());
        this.dirty[source] = true;
      } else if (kind === ITEM_REPLY) {
        this.completePart(r.token, r.body);
      } else if (kind === ITEM_FETCH || kind === ITEM_STORE) {
        onShipItem(this, source, kind, r, now);
      } else {
        onTxItem(this, source, kind, r);
      }
    }
  };

  private completePart(token: number, body: Uint8Array): void {
    const cb = this.calls.get(token);
    if (cb !== undefined) {
      this.calls.delete(token);
      return cb(body.slice());
    }
    const wt = this.waiting.get(token);
    if (wt === undefined) return;
    this.waiting.delete(token);
    const c = wt.client;
    const slot = wt.slot;
    if (
      slot.remaining === 1 && slot.done === null && slot.onReady === null && !c.closed &&
      c.queue.first() === slot
    ) {
      // the usual case, a whole forwarded command whose reply is next in line: straight out
      c.out.raw(body);
      slot.bytes = EMPTY;
      slot.remaining = 0;
      c.queue.shift();
      c.drain();
      c.transport.flush();
      if (c.parser.pending > 0 && c.queue.length <= MAX_WAITING >> 1) resumeClient(this, c);
      return;
    }
    slot.parts[wt.part] = body.slice();
    if (--slot.remaining > 0) return;
    // folded even for a client gone meanwhile: a fold may end a transaction
    slot.bytes = slot.done === null ? slot.parts[0]! : slot.done(slot.parts as Uint8Array[]);
    if (slot.onReady !== null) slot.onReady();
    if (c.closed) return;
    if (c.queue.first() === slot) {
      c.drain();
      c.transport.flush();
      // input held while too many replies were outstanding: go on once half of them are in
      if (c.parser.pending > 0 && c.queue.length <= MAX_WAITING >> 1) resumeClient(this, c);
    }
  }

  /** Send this iteration's batches, retry backlogs, wake parked peers. Returns true if a backlog remains. */
  flushPeers(): boolean {
    for (let t = 0; t < this.n; t++) {
      if (!this.dirty[t]) continue;
      this.dirty[t] = false;
      const b = this.batches[t];
      if (b.len > 0) this.mesh.send(t, b.view());
      b.reset();
    }
    const more = this.mesh.flush();
    this.mesh.wakePeers();
    return more;
  }

  /**
   * Active expiry, Redis-style: sample volatile keys in every database, and keep going while
   * samples come back mostly expired, within a time budget so the shard never stalls.
   */
  tick(now: number, budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    for (const db of this.dbs) {
      while (db.volatile.length > 0) {
        const before = db.expiredKeys;
        const sampled = db.activeExpire(now, 400);
        if ((db.expiredKeys - before) * 4 <= sampled) break;
        if (performance.now() >= deadline) return;
      }
    }
  }

  expiredKeys(): number {
    let n = 0;
    for (const db of this.dbs) n += db.expiredKeys;
    return n;
  }

  keyCount(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }
}
