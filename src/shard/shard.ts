/**
 * Per-shard state: the keyspace it owns, its local connections, and its side of the ring mesh
 * (`peers`: peers.ts). It is what
 * command handlers see as their ShardContext. The command path itself (dispatch, route, the
 * transaction protocol) lives in the modules beside this one and reaches back to the top of it
 * only through the `Reentry` passed in at construction (src/shard/loop.ts wires it).
 */
import { IdMap } from "../util/id_map.ts";
import { type Db, Keyspace } from "../store/keyspace.ts";
import { EVICT_FAIL, EVICT_OK, Evictor } from "../store/eviction.ts";
import { type DefragConfig, Defragger } from "../store/defrag.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { DEFAULT_LIMITS, type ParserLimits } from "../resp/parser.ts";
import { Mesh, type MeshInit, type Waker } from "../mesh/mesh.ts";
import { KeyLocks } from "./key_locks.ts";
import { ConfigStore } from "../config/mod.ts";
import { SlotMap } from "../cluster/slots.ts";
import {
  type Ctx,
  type MemoryReport,
  type ServerFacts,
  type ShardContext,
  ShardStats,
} from "../commands/context.ts";
import { BatchReader } from "./wire.ts";
import { Peers } from "./peers.ts";
import { type LockReq, LockTable, type Tx, WatchTable } from "./locks.ts";
import { watchKey } from "./plan.ts";
import { Client } from "./client.ts";
import { ClientLimits } from "./limits.ts";
import { fromLatin1 } from "../util/bytes.ts";
import { collectGarbage, heapBytes, oldHeapBytes } from "../util/gc.ts";
import { mallocTrim } from "../../ffi/libc.ts";
import type { Transport } from "../io/engine.ts";
import { setLogFile, setLogLevel } from "../util/log.ts";
import { initAcl, syncAclConfig } from "../commands/acl/config.ts";
import { Persistence } from "../persist/persistence.ts";
import { Aof } from "../persist/aof.ts";
import { copyOf } from "../store/transfer.ts";
import type { LoadTarget } from "../persist/load.ts";

/**
 * Big values dropped since the last GC that make a quiet tick run one (see src/util/gc.ts). The
 * GC is a full, blocking one (24 to 45 ms with a small heap), so it waits for a tick that saw no
 * input; under steady load V8's own external-memory accounting schedules incremental GCs, and
 * only this much garbage makes a busy shard pay for one.
 */
const GC_AFTER_RELEASED = 32 * 1024 * 1024;
const GC_BUSY_AFTER_RELEASED = 512 * 1024 * 1024;
/** A heap under this is never collected for its growth alone. */
const GC_HEAP_FLOOR = 64 * 1024 * 1024;
/**
 * How long a shard stays idle before a heap grown only in its young generation is collected. A
 * forced collection reduces the heap: V8 drops the maps no live object has, and the optimised
 * code built on them, and the next traffic runs a second or so in the interpreter while it is
 * compiled again (on 2 shards a V8 thread then took most of a core). bench/cross_shard.ts lets
 * each server idle while the others run; collecting at every lull had its 2-shard 10-key MGET
 * `-P 16` at 253k per second and MSET at 172k, and without it 273-282k and 199-206k.
 */
const GC_IDLE_SECONDS = 10;
/** a closed client's input buffer past this counts toward that GC */
const BIG_BUFFER = 1024 * 1024;

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
  /** the TLS terminator's preamble secret ("": tls-port is 0; see src/shard/preamble.ts) */
  tlsSecret: string;
  /** `port` is 0 (TLS only): port/bind are the terminator's internal loopback listener */
  tlsOnly: boolean;
  /** `user` directives of the configuration ("name rule rule ...") */
  users?: string[];
  /** persistence facts shared by every shard (src/persist/state.ts) */
  persist: SharedArrayBuffer;
}

/**
 * The top of the command path, for the parts below it that must enter it again: a command that
 * waited for locks runs through dispatch; a paused client's held input is parsed.
 */
export interface Reentry {
  dispatch(c: Client, argv: Uint8Array[], argc: number, now: number): void;
  resumeInput(c: Client): void;
}

/**
 * A request waiting on this shard: a command whose keys a transaction holds, a lock request
 * that cannot be granted yet, or anything its source sent after one of those.
 */
export interface Deferred {
  /** the peer (or, for a lock request, the coordinating shard) that sent it; -1 for a client of this shard */
  source: number;
  client: Client | null;
  clientId: number;
  token: number;
  db: number;
  proto: number;
  argv: Uint8Array[];
  argc: number;
  /** the transaction a forwarded part runs under (0: a plain command) */
  txid: number;
  /** a forwarded request's REQ_* flags (wire.ts) */
  flags: number;
  /** a lock request, or null (every Deferred has the same fields, so one shape: a pass over
   * the queue saw mixed shapes and deoptimized) */
  lock: LockReq | null;
}

export class Shard implements ShardContext {
  readonly id: number;
  readonly n: number;
  readonly keyspace: Keyspace;
  readonly dbs: Db[];
  readonly slots: SlotMap;
  readonly mesh: Mesh;
  readonly config: ConfigStore;
  readonly server: ServerFacts;
  readonly stats = new ShardStats();
  /** maxclients, timeout, tcp-keepalive, client-output-buffer-limit; the clients cron */
  readonly limits = new ClientLimits();
  /** read by every connection's parser (CONFIG SET changes them here, live) */
  readonly parserLimits: ParserLimits = { ...DEFAULT_LIMITS };
  private readonly conns = new Map<number, Client>();
  /** clients whose peer left, with commands still to run a step a turn (input.ts) */
  readonly finishing = new Set<Client>();
  /** where local parts and queued replies are rendered before they are copied into a slot */
  readonly scratch = new ReplyWriter(4096);
  /** where forwarded requests are executed */
  /** replies to peers' requests; a big one goes on in place, behind a reply item's header */
  readonly remoteW = new ReplyWriter(4096, 16);
  /**
   * The buffer of the peer's ring record being run, while it is the record's own (Mesh.poll's
   * `detached`): a big value in it is kept without a copy (claimForwarded).
   */
  forwardedBuffer: ArrayBufferLike | null = null;
  /** values kept from forwarded records (claimForwarded): a lent record's tells it was kept */
  claims = 0;
  /** a plain request of a peer is being run: its big string reply may be lent (lendReply) */
  lendingReply = false;
  /** the context handed to handlers: one object, refilled for every command */
  readonly ctx: Ctx;
  private nextClient = 0;
  /** requests and peer records seen, and their count at the last tick: a quiet tick saw none */
  work = 0;
  private workAtTick = -1;
  /** the V8 heap's size, and its size outside the young generation, after the last collection */
  private heapAfterGc = 0;
  private oldHeapAfterGc = 0;
  /** ticks in a row that saw no work */
  private quietTicks = 0;
  /** bytes of small idle buffers given back since the last collection (shrinkIdle) */
  private smallReleased = 0;
  /** full collections the shard ran (INFO memory vm_heap_collections) */
  private heapCollections = 0;
  readonly reader = new BatchReader();
  /** what goes to the other shards this turn, and the requests waiting for their replies */
  readonly peers: Peers;
  /** transactions: locks granted here, WATCHed keys here, and the ones this shard coordinates */
  readonly locks: LockTable;
  readonly watches = new WatchTable();
  readonly txs = new IdMap<Tx>();
  /** requests waiting for locks, in arrival order */
  deferred: Deferred[] = [];
  /**
   * A release left waiting requests that may run now: one pass over `deferred` at the end of
   * the loop turn serves every release of the turn (a pass per release was quadratic under
   * contention).
   */
  deferredDue = false;
  /** the other queue array: a pass over `deferred` swaps them (tx.ts's runDeferredOnce) */
  deferredSpare: Deferred[] = [];
  /**
   * Per client: how many requests its shard sent (lock requests, forwarded commands) wait in
   * `deferred`; what the client sends next waits behind them, so its commands keep their order.
   */
  readonly waitingOf = new IdMap<number>();
  /** runDeferred is running (what it runs may release locks and ask for another pass) */
  deferredDraining = false;
  deferredAgain = false;
  /**
   * Deferred commands waiting on a lock themselves (not behind their client's earlier
   * requests): while there are none, a release whose keys no waiting request wants changes
   * nothing, and the queue is not looked at.
   */
  blockedPlain = 0;
  /** lock requests released while a pass over `deferred` held them: the pass drops them */
  readonly cancelledLocks = new Set<number>();
  /** per peer: the key lock slots its single hop now arriving took here (single_hop.ts) */
  readonly hopSlots: (number[] | null)[];
  readonly hopShared: boolean[];
  readonly bind: string;
  readonly port: number;
  /** maxmemory: this shard's share in bytes (0: no limit), and how it evicts */
  readonly evictor: Evictor;
  readonly defrag: Defragger;
  private defragConfig: DefragConfig = {
    enabled: false,
    ignoreBytes: 100 << 20,
    thresholdLower: 10,
    thresholdUpper: 100,
    cycleMin: 1,
    cycleMax: 25,
  };
  memLimit = 0;
  private policy = "noeviction";
  private samples = 5;
  private tenacity = 10;
  /** bytes outside the keyspace (connection buffers, batches), counted each tick */
  private overheadBytes = 0;
  /** the most memoryUsed() has been (INFO used_memory_peak) */
  peakBytes = 0;
  /** memoryUsed() once the shard had started */
  startupBytes = 0;
  private clientBytes = 0;
  /** RDB snapshots: this shard's part, the save points, INFO persistence */
  readonly persistence: Persistence;
  /** the propagation point and the AOF (src/persist/aof.ts, propagate.ts) */
  readonly aof: Aof;

  /** `waker` replaces the Atomics wake of parked peers (io_uring shards sleep in the kernel) */
  constructor(init: ShardInit, readonly reentry: Reentry, waker?: Waker) {
    this.id = init.id;
    this.n = init.n;
    this.bind = init.bind;
    this.port = init.port;
    this.keyspace = new Keyspace(init.databases);
    this.dbs = this.keyspace.dbs;
    this.evictor = new Evictor(this.keyspace);
    this.defrag = new Defragger(this.keyspace);
    this.slots = new SlotMap(init.n);
    this.mesh = new Mesh(init.mesh, waker);
    this.locks = new LockTable(new KeyLocks(this.mesh.control, this.mesh.n, this.mesh.self));
    this.hopSlots = new Array(this.mesh.n).fill(null);
    this.hopShared = new Array(this.mesh.n).fill(false);
    this.config = new ConfigStore(new Map(init.params));
    this.server = {
      port: init.tlsOnly ? 0 : init.port,
      io: init.io,
      startedAt: init.startedAt,
      configFile: init.configFile,
      executable: init.executable,
    };
    this.syncMemoryConfig();
    this.syncParserLimits();
    this.limits.sync(this.config);
    setLogLevel(this.config.value("loglevel") ?? "notice");
    // main.ts opened it first (a bad path stops startup there)
    setLogFile(this.config.value("logfile") ?? "");
    initAcl(this.config, init.users ?? [], () => this.mesh.nextEventSeq());
    this.persistence = new Persistence(
      this.id,
      this.n,
      this.dbs,
      this.config,
      init.persist,
      () => this.memoryUsed(),
    );
    this.aof = new Aof(this.id, this.n, this.dbs, this.config, (db, r) => copyOf(db, r));
    this.persistence.useAof(this.aof); // BGREWRITEAOF moves the AOF's appends
    this.peers = new Peers(
      this.n,
      this.mesh,
      this.stats,
      this.remoteW,
      this.aof,
      (c) => this.resume(c),
      (bytes) => this.keyspace.objects.released += bytes,
    );
    if (this.peers.lends.on) this.keyspace.objects.lends = this.peers.lends;
    this.startupBytes = this.keyspace.usedBytes();
    this.peakBytes = this.startupBytes;
    this.ctx = {
      shard: this,
      db: this.dbs[0],
      dbIndex: 0,
      w: this.scratch,
      now: 0,
      client: null,
      clientId: 0,
      copies: null,
    };
  }

  /** Apply live config values this shard acts on (after CONFIG SET). */
  applyConfig(): void {
    syncAclConfig(this.config, this.conns.values());
    this.syncMemoryConfig();
    this.syncParserLimits();
    this.limits.sync(this.config);
    this.persistence.sync();
    this.aof.tick(Date.now()); // appendonly/appendfsync act before CONFIG SET replies
    // each Worker has its own log threshold: the shards follow CONFIG SET loglevel
    setLogLevel(this.config.value("loglevel") ?? "notice");
  }

  private syncParserLimits(): void {
    const l = this.parserLimits;
    l.maxBulkLen = Number(this.config.value("proto-max-bulk-len") ?? DEFAULT_LIMITS.maxBulkLen);
    l.maxQueryLen = Number(
      this.config.value("client-query-buffer-limit") ?? DEFAULT_LIMITS.maxQueryLen,
    );
  }

  private syncMemoryConfig(): void {
    const c = this.config;
    this.keyspace.access.sync(c);
    const policy = c.value("maxmemory-policy") ?? "noeviction";
    if (policy !== this.policy) this.evictor.reset();
    this.policy = policy;
    this.memLimit = Math.floor(Number(c.value("maxmemory") ?? 0) / this.n);
    // no limit: the peers stop refusing writes for this shard at once
    if (this.memLimit === 0) this.mesh.publishOom(false);
    else if (this.mesh.oomAt(this.id)) this.memoryState(Date.now());
    this.samples = Number(c.value("maxmemory-samples") ?? 5);
    this.tenacity = Number(c.value("maxmemory-eviction-tenacity") ?? 10);
    this.defragConfig = {
      enabled: c.value("activedefrag") === "yes",
      ignoreBytes: Number(c.value("active-defrag-ignore-bytes") ?? 100 << 20),
      thresholdLower: Number(c.value("active-defrag-threshold-lower") ?? 10),
      thresholdUpper: Number(c.value("active-defrag-threshold-upper") ?? 100),
      cycleMin: Number(c.value("active-defrag-cycle-min") ?? 1),
      cycleMax: Number(c.value("active-defrag-cycle-max") ?? 25),
    };
  }

  /** Bytes this shard uses: its keyspace, connection buffers and batches. */
  memoryUsed(): number {
    const n = this.keyspace.usedBytes() + this.overheadBytes;
    if (n > this.peakBytes) this.peakBytes = n;
    return n;
  }

  /** Bytes outside the keyspace, as last counted (INFO used_memory_overhead). */
  get overhead(): number {
    return this.overheadBytes;
  }

  /**
   * Redis's performEvictions, before a command runs: under the limit, or evict down to it.
   * Returns EVICT_OK, EVICT_RUNNING (the tick goes on) or EVICT_FAIL (denyoom commands are
   * refused); the state is published for the other shards.
   */
  memoryState(now: number): number {
    // nothing is evicted while the dataset loads (Redis's isSafeToPerformEvictions)
    if (this.memLimit === 0 || this.persistence.state.loading) return EVICT_OK;
    const r = this.evictor.perform(
      this.memLimit,
      () => this.memoryUsed(),
      this.policy,
      this.samples,
      this.tenacity,
      now,
    );
    this.mesh.publishOom(r === EVICT_FAIL);
    return r;
  }

  /** Count what connections and batches hold (once a tick: it walks every connection). */
  private countOverhead(): void {
    const n = this.scratch.buf.length + this.remoteW.buf.length + this.peers.bufferBytes();
    let clients = 0;
    for (const c of this.conns.values()) clients += c.memoryBytes();
    this.clientBytes = clients;
    this.overheadBytes = n + clients;
  }

  memoryReport(): MemoryReport {
    this.countOverhead();
    const ks = this.keyspace;
    const used = this.memoryUsed();
    const tables = ks.tableBytes;
    return {
      used,
      peak: this.peakBytes,
      startup: this.startupBytes,
      overhead: this.overheadBytes + tables,
      dataset: used - this.overheadBytes - tables,
      arenaLive: ks.arena.liveBytes,
      arenaCommitted: ks.arena.committedBytes,
      tables,
      clients: this.clientBytes,
      evictedKeys: this.evictor.evictedKeys,
      limit: this.memLimit,
      defragRunning: this.defrag.running,
      defragHits: this.defrag.hits,
      defragMisses: this.defrag.misses,
      lazyfreePending: ks.lazy.pending,
      lazyfreed: ks.lazy.freed,
      heapCollections: this.heapCollections,
    };
  }

  get meshParks(): number {
    return this.mesh.parks;
  }

  get meshWakes(): number {
    return this.mesh.wakes;
  }

  get meshLent(): number {
    return this.peers.lends.lentCount;
  }

  get meshHeld(): number {
    return this.peers.lends.heldCount;
  }

  claimForwarded(arg: Uint8Array): boolean {
    const b = this.forwardedBuffer;
    if (b === null || arg.buffer !== b || arg.length * 2 < b.byteLength) return false;
    this.forwardedBuffer = null;
    this.claims++;
    return true;
  }

  /**
   * `value`, a big string of the keyspace, is the whole reply to the plain request of a peer
   * being run: it is lent to that peer (lend.ts) rather than copied into the reply. False
   * where it must be written.
   */
  lendReply(w: ReplyWriter, value: Uint8Array): boolean {
    const p = this.peers;
    if (!this.lendingReply || w !== this.remoteW || w.len !== 0 || p.lentReply !== null) {
      return false;
    }
    if (!p.lends.lendable(value.length)) return false;
    p.lends.pin(value);
    p.lentReply = value;
    return true;
  }

  /**
   * CONFIG RESETSTAT's part kept outside ShardStats: evicted_keys and active_defrag_hits/misses
   * back to zero, as Redis's resetServerStats does.
   */
  resetStats(): void {
    this.mesh.parks = 0;
    this.mesh.wakes = 0;
    this.evictor.evictedKeys = 0;
    this.defrag.hits = 0;
    this.defrag.misses = 0;
    // Redis's resetServerStats calls lazyfreeResetStats
    this.keyspace.lazy.freed = 0;
  }

  purgeMemory(): number {
    // records waiting for the lazy freer are not in any index defragmentation walks
    if (!this.persistence.snapshotting && this.keyspace.lazy.pending === 0) {
      this.defrag.compactAll();
    }
    let n = this.keyspace.arena.trim(true);
    n += this.shrinkBuffers();
    this.collect();
    return n;
  }

  /**
   * A full GC, so that dropped big values and buffers are freed now, and malloc gives what was
   * freed back to the system.
   */
  private collect(): void {
    this.keyspace.objects.released = 0;
    this.smallReleased = 0;
    collectGarbage();
    mallocTrim();
    this.heapCollections++;
    this.heapAfterGc = heapBytes();
    this.oldHeapAfterGc = oldHeapBytes();
  }

  /**
   * Whether a quiet tick collects V8's heap for its growth. An idle heap is never collected by
   * V8 itself (the shard loop never yields to its idle tasks). A burst of cross-shard traffic
   * leaves its transactions' dead objects in the old generation (they lived for a round trip):
   * 300 MB stayed after MGETs on an empty keyspace, so its doubling is collected at once. The
   * young generation is bounded and grows to its maximum under any load, and small buffers
   * come back after every burst: only a shard idle for GC_IDLE_SECONDS gives those back.
   */
  private heapGrew(): boolean {
    if (oldHeapBytes() > Math.max(2 * this.oldHeapAfterGc, GC_HEAP_FLOOR)) return true;
    if (this.quietTicks < GC_IDLE_SECONDS * this.hz) return false;
    return this.smallReleased >= GC_AFTER_RELEASED ||
      heapBytes() > Math.max(2 * this.heapAfterGc, GC_HEAP_FLOOR);
  }

  /**
   * Give back the buffers that grew for a burst, whatever their size (MEMORY PURGE):
   * connections' reply and input buffers, the batch builders, the scratch writers. Returns the
   * bytes released.
   */
  private shrinkBuffers(): number {
    let n = this.scratch.shrink(true) + this.remoteW.shrink(true) + this.peers.shrink(true);
    const now = Date.now();
    for (const c of this.conns.values()) n += c.shrinkBuffers(true, now);
    return n;
  }

  /**
   * The tick's shrink: the buffers that grew for a burst and are idle now. Buffers given back
   * are garbage. Where one connection's (or the batches', or the writers') come to 1 MiB or
   * more, they count toward the next quiet tick's GC as dropped values do; the small ones every
   * burst leaves (reply and held buffers of its connections, a few MB in all) only toward an
   * idle shard's (heapGrew), or every few bursts a lull would collect.
   */
  private shrinkIdle(now: number): void {
    const objects = this.keyspace.objects;
    let small = 0;
    const freed = (n: number) => {
      if (n >= BIG_BUFFER) objects.released += n;
      else small += n;
    };
    freed(this.scratch.shrink(false) + this.remoteW.shrink(false));
    freed(this.peers.shrink(false));
    for (const c of this.conns.values()) freed(c.shrinkBuffers(false, now));
    this.smallReleased += small;
  }

  /** Active expiry runs hz times per second, as in Redis. */
  get hz(): number {
    const hz = Number(this.config.value("hz") ?? 10);
    return hz >= 1 && hz <= 500 ? hz : 10;
  }

  clients(): Iterable<Client> {
    return this.conns.values();
  }

  get clientCount(): number {
    return this.conns.size;
  }

  client(id: number): Client | undefined {
    return this.conns.get(id);
  }

  newClient(addr: string, laddr: string, fd: number, t: Transport): Client {
    // ids are unique across shards and tell which shard owns the connection (id % n)
    const id = ++this.nextClient * this.n + this.id;
    const c = new Client(id, addr, laddr, fd, t, this.parserLimits);
    this.conns.set(id, c);
    this.stats.connectionsReceived++;
    return c;
  }

  /** Forget a closed connection (its transaction and WATCHes are the caller's to release). */
  forgetClient(c: Client): void {
    c.closing = true;
    c.closed = true;
    this.conns.delete(c.id);
    // a big input buffer (an argument cut short) is garbage now: it counts toward the next GC
    const n = c.parser.bufferBytes;
    if (n > BIG_BUFFER) this.keyspace.objects.released += n;
  }

  /** Let a paused client go on: parse what it sent meanwhile, send what is ready. */
  resume(c: Client): void {
    if (c.closed || c.paused) return;
    // granted at once, inside the parse loop: that loop goes on by itself
    if (!c.parsing) this.reentry.resumeInput(c);
    c.drain();
    if (c.sendable) c.transport.flush();
  }

  /** WATCH's part here: register `key` of database `db` for client `clientId`. */
  watchKey(clientId: number, db: number, key: string, now: number): void {
    const d = this.dbs[db];
    this.watches.add(clientId, watchKey(db, key), this.expiredNow(db, key, now));
    if (d.onTouch === null) d.onTouch = (k) => this.watches.touched(watchKey(db, k));
  }

  /**
   * Whether `key` of database `db` exists but is logically expired at `now` (WATCH: a key that
   * expires after it was watched makes EXEC fail). Not a lookup: nothing is deleted.
   */
  expiredNow(db: number, key: string, now: number): boolean {
    const d = this.dbs[db];
    if (d === undefined) return false;
    const at = d.expireAtOfKey(fromLatin1(key));
    return at !== 0 && at <= now;
  }

  /**
   * Active expiry, Redis-style: sample volatile keys in every database, and keep going while
   * samples come back mostly expired, within a time budget so the shard never stalls.
   */
  tick(now: number, budgetMs: number): void {
    // the key indexes grow and shrink a step at a time; here they get a millisecond more
    this.keyspace.rehash(1);
    // a background save knows its written records by reference: nothing moves them meanwhile
    // (nor records waiting for the lazy freer: they are in no index it walks)
    if (!this.persistence.snapshotting && this.keyspace.lazy.pending === 0) {
      this.defrag.tick(this.defragConfig, 1000 / this.hz);
    }
    this.keyspace.arena.trim();
    this.locks.trim();
    // a whole-shard lock, or a grant racing a single hop's take, can find a slot or count
    // taken that is then given back elsewhere without a word: a pass now and then re-checks
    if (this.deferred.length > 0) this.deferredDue = true;
    this.shrinkIdle(now);
    this.limits.cron(this.conns, now, this.hz);
    const quiet = this.stats.netInput + this.work === this.workAtTick;
    this.workAtTick = this.stats.netInput + this.work;
    this.quietTicks = quiet ? this.quietTicks + 1 : 0;
    const released = this.keyspace.objects.released;
    if (released >= (quiet ? GC_AFTER_RELEASED : GC_BUSY_AFTER_RELEASED)) this.collect();
    else if (quiet && this.heapGrew()) this.collect();
    this.countOverhead();
    // a shard that refuses writes looks again each tick: memory freed by a FLUSHALL, a DEL or
    // a higher limit lets the peers forward writes again without waiting for a local one
    if (
      this.memLimit > 0 &&
      (this.evictor.running || this.mesh.oomAt(this.id) || this.memoryUsed() > this.memLimit)
    ) {
      this.memoryState(now);
    } else this.memoryUsed();
    // DEBUG SET-ACTIVE-EXPIRE 0 turns it off on every shard
    if (this.mesh.activeExpire) this.activeExpireCycle(now, budgetMs);
  }

  /** Sample volatile keys while samples come back mostly expired, within the budget. */
  private activeExpireCycle(now: number, budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    for (const db of this.dbs) {
      while (db.volatileCount > 0) {
        const before = db.expiredKeys;
        const sampled = db.activeExpire(now, 400);
        if ((db.expiredKeys - before) * 4 <= sampled) break;
        if (performance.now() >= deadline) return;
      }
    }
  }

  recentClientBuffers(): [number, number] {
    return this.limits.recentMax();
  }

  setActiveExpire(enabled: boolean): void {
    this.mesh.setActiveExpire(enabled);
  }

  expiredKeys(): number {
    let n = 0;
    for (const db of this.dbs) n += db.expiredKeys;
    return n;
  }

  keyCount(): number {
    return this.keyspace.keys;
  }

  /** What the startup load of an RDB file needs of this shard (src/persist/load.ts). */
  loadTarget(): LoadTarget {
    return {
      id: this.id,
      n: this.n,
      dbs: this.dbs,
      slots: this.slots,
      config: this.config,
      access: this.keyspace.access,
      state: this.persistence.state,
    };
  }
}
