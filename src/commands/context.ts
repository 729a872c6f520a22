/**
 * What a command handler sees of the world: the shard it runs on, the database, the reply
 * writer, and the connection it came from (when it runs on that connection's own shard). The
 * shard and the connection implement these interfaces; handlers never see their classes, so
 * the command layer stays below the shard layer.
 */
import type { ReplyWriter } from "../resp/writer.ts";
import type { Db, Keyspace } from "../store/keyspace.ts";
import type { ConfigStore } from "../config/mod.ts";
import type { SlotMap } from "../cluster/slots.ts";
import type { User } from "../acl/user.ts";
import type { Persistence } from "../persist/persistence.ts";
import type { LoadTarget } from "../persist/load.ts";

/** Counters a shard keeps for INFO stats (summed over the shards). */
export class ShardStats {
  commands = 0;
  connectionsReceived = 0;
  rejectedConnections = 0;
  keyspaceHits = 0;
  keyspaceMisses = 0;
  netInput = 0;
  netOutput = 0;
  /** requests sent to other shards (whole commands and parts) */
  forwarded = 0;
  /** cross-shard transactions this shard coordinated (split commands, EXEC, shipping) */
  transactions = 0;
  /** commands split over shards (a pipeline's are squashed into fewer transactions) */
  splitCommands = 0;
  /** transactions that took every lock at once and ran in one trip (single_hop.ts) */
  singleHop = 0;
  /** single hops that took a slot this shard's earlier ones still held (key_locks.ts) */
  stackedHops = 0;
  /** lock requests that had to wait here, and requests held behind locks here */
  lockWaits = 0;
  deferred = 0;
  /** expired keys counted before the last CONFIG RESETSTAT */
  expiredKeysBase = 0;
}

/** What a shard's memory holds, in bytes (INFO memory, MEMORY STATS). */
export interface MemoryReport {
  /** everything counted: the keyspace and the overhead */
  used: number;
  peak: number;
  /** what it used right after startup */
  startup: number;
  /** outside the dataset: tables, connection buffers, batches */
  overhead: number;
  /** keys and values: the records' blocks and the collections */
  dataset: number;
  /** the arena's live blocks, and the pages it holds (allocated / active) */
  arenaLive: number;
  arenaCommitted: number;
  /** bytes of the key indexes and TTL tables */
  tables: number;
  /** connection buffers */
  clients: number;
  evictedKeys: number;
  /** this shard's share of maxmemory (0: none) */
  limit: number;
  /** an active defragmentation cycle runs; records it moved / left in place */
  defragRunning: boolean;
  defragHits: number;
  defragMisses: number;
  /** FLUSHDB ASYNC: keys waiting to be freed, and keys freed lazily (store/lazyfree.ts) */
  lazyfreePending: number;
  lazyfreed: number;
  /** full collections of V8's heap the shard ran (big values dropped, the heap grown, PURGE) */
  heapCollections: number;
}

/** Facts about the running server that INFO and friends report. */
export interface ServerFacts {
  readonly port: number;
  readonly io: string;
  readonly startedAt: number;
  readonly configFile: string | null;
  readonly executable: string;
}

/** One connection, as commands may read and change it. */
export interface ClientContext {
  readonly id: number;
  name: string;
  /** the selected database */
  db: number;
  /** its queued commands are running (EXEC): Redis's server.in_exec */
  readonly inExec: boolean;
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  readonly createdAt: number;
  readonly lastInteraction: number;
  readonly lastCommand: string;
  /** the protocol replies are written in (HELLO changes it) */
  proto: 2 | 3;
  /** close once the replies owed so far are out (QUIT, CLIENT KILL of itself) */
  closing: boolean;
  /** killed by CLIENT KILL: on its way out */
  readonly killed: boolean;
  /** unparsed input bytes (CLIENT LIST qbuf) */
  readonly queryBytes: number;
  /** replies still owed by other shards (CLIENT LIST oll) */
  readonly owedReplies: number;
  /** reply bytes waiting to be sent (CLIENT LIST omem) */
  readonly outputBytes: number;
  /** bytes of the reply buffer (CLIENT LIST tot-mem) */
  readonly outputBufferBytes: number;
  /** CLIENT KILL: stop reading, close the socket */
  kill(): void;
  /** the ACL user its commands run as */
  user: User;
  /** authenticated (AUTH, HELLO AUTH, or a nopass default user at connect) */
  authenticated: boolean;
  /** after a change of users or of `user`: recompute what its commands must be checked for */
  refreshAcl(): void;
  /**
   * Keep `arg`, a big argument of the command now running, as the caller's own bytes: true
   * when the request buffer holding it could be given away (no copy needed), else false.
   */
  claim(arg: Uint8Array): boolean;
}

/** The shard a command runs on. */
export interface ShardContext {
  readonly id: number;
  /** times this shard slept in the kernel, and times it woke a parked peer */
  readonly meshParks: number;
  readonly meshWakes: number;
  /** big values lent to other shards by address and not given back yet, and theirs held here */
  readonly meshLent: number;
  readonly meshHeld: number;
  /** number of shards */
  readonly n: number;
  readonly dbs: readonly Db[];
  /** the shard's keyspace: the databases and the memory they live in */
  readonly keyspace: Keyspace;
  readonly config: ConfigStore;
  readonly stats: ShardStats;
  /** which shard owns which key */
  readonly slots: SlotMap;
  readonly server: ServerFacts;
  /** this shard's connections */
  clients(): Iterable<ClientContext>;
  readonly clientCount: number;
  /** keys removed by expiry, all databases */
  expiredKeys(): number;
  /** the biggest client input and output buffers of the last few seconds (INFO clients) */
  recentClientBuffers(): [number, number];
  /** act on configuration values just changed by CONFIG SET */
  applyConfig(): void;
  /** what this shard's memory holds now */
  memoryReport(): MemoryReport;
  /** give free memory back to the system (MEMORY PURGE); returns the bytes released */
  purgeMemory(): number;
  /** CONFIG RESETSTAT of the counters the shard keeps itself (evictions, defragmentation) */
  resetStats(): void;
  /** DEBUG SET-ACTIVE-EXPIRE: active expiry on or off, on every shard at once */
  setActiveExpire(enabled: boolean): void;
  /** WATCH's part on the key's shard: register `key` of database `db` for client `clientId` */
  watchKey(clientId: number, db: number, key: string, now: number): void;
  /** RDB snapshots (SAVE, BGSAVE, LASTSAVE, INFO persistence) */
  readonly persistence: Persistence;
  /** what loading an RDB file into this shard needs (DEBUG RELOAD) */
  loadTarget(): LoadTarget;
  /**
   * Keep `arg`, a big argument of a command a peer sent (or a peer's reply), as the caller's
   * own bytes: true when
   * the ring record holding it has a buffer of its own that it fills (no copy needed).
   */
  claimForwarded(arg: Uint8Array): boolean;
  /**
   * `value`, a big string, is the whole reply to a peer's request being run on `w`: lend it to
   * that shard instead of writing it (src/shard/lend.ts). False: write it.
   */
  lendReply(w: ReplyWriter, value: Uint8Array): boolean;
}

/** Everything a handler gets besides its arguments. */
export interface Ctx {
  readonly shard: ShardContext;
  /** the database the command runs against (a scratch copy when keys were shipped) */
  db: Db;
  dbIndex: number;
  w: ReplyWriter;
  now: number;
  /** the connection, when running on its own shard; null when forwarded from a peer */
  client: ClientContext | null;
  /** id of the client the command came from (also when forwarded) */
  clientId: number;
  /** running on shipped copies: the scratch database standing for database n (COPY ... DB) */
  copies: ((n: number) => Db) | null;
}

/** A command handler: reads argv[0..argc), writes exactly one reply to ctx.w. */
export type Handler = (ctx: Ctx, argv: Uint8Array[], argc: number) => void;
