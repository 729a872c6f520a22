/**
 * The one interface between a shard and the io engine that moves its bytes. An engine
 * (`uring.ts`: io_uring completions; `listen.ts`: Deno.listen readiness) accepts connections,
 * hands received bytes to the shard, sends what the shard wrote, and runs the shard's loop;
 * the shard cannot tell which engine runs. Chosen in one place: `createEngine` (select.ts).
 */
import type { ReplyWriter } from "../resp/writer.ts";
import type { Mesh } from "../mesh/mesh.ts";

/** The engine's side of a connection: how the shard asks for output to go or the socket to close. */
export interface Transport {
  /** bytes are waiting in the session's `out`: send them (now or when the current send completes) */
  flush(): void;
  /** close the socket */
  close(): void;
  /**
   * Give back send buffers kept for the next reply while the connection is idle (all: whatever
   * their size); returns the bytes released.
   */
  shrink(all: boolean): number;
  /** reply bytes handed to the socket's send but not written yet */
  readonly unsent: number;
}

/** The shard's side of one connection, as an engine sees it. */
export interface Session {
  /** replies waiting to be sent; the engine swaps its buffer out when it sends */
  readonly out: ReplyWriter;
  /** the shard wants the socket closed once everything owed has gone out */
  readonly closing: boolean;
  /** replies still being computed (on other shards, or waiting for locks) */
  readonly owedReplies: number;
  /** the replies in `out` should go after this read (false: they wait for owed ones) */
  readonly sendable: boolean;
  /** received bytes not parsed yet (kept while the client does not read its replies) */
  readonly queryBytes: number;
  /** when a command was last read or a reply written (ms; the `timeout` idle check) */
  lastInteraction: number;
}

/** What an engine drives: the shard loop (src/shard/loop.ts). */
export interface ShardHost {
  readonly id: number;
  readonly bind: string;
  readonly port: number;
  /** the ring mesh: polled every turn, parked on when idle, its stop flag ends the loop */
  readonly mesh: Mesh;
  /** active expiry and housekeeping frequency (Redis's hz) */
  readonly hz: number;
  /**
   * A connection was accepted. Bytes instead of a session: it is refused (maxclients); the
   * engine writes them (best effort, never waiting) and closes the socket.
   */
  open(addr: string, laddr: string, fd: number, t: Transport): Session | Uint8Array;
  /** tcp-backlog: the listen(2) backlog */
  readonly backlog: number;
  /** tcp-keepalive seconds for sockets accepted from now on (0: off), read at each accept */
  readonly keepAlive: number;
  /** output buffer limits are set: engines call checkOutput when a session's output grew */
  readonly outputLimited: boolean;
  /** closes the session (returns true) when its pending output is over its limits */
  checkOutput(s: Session): boolean;
  /**
   * Bytes arrived. `borrowed`: the bytes are the engine's buffer, valid only during the call.
   * Returns false when the connection must be closed (query buffer limit).
   */
  input(s: Session, data: Uint8Array, borrowed: boolean): boolean;
  /**
   * Where the rest of a big argument the session is receiving may be read straight into (when
   * at least `min` bytes of it are still to come), or null.
   */
  bigTail(s: Session, min: number): Uint8Array | null;
  /** Whether bigTail(s, min) would give room now (a check: nothing is grown) */
  bigTailDue(s: Session, min: number): boolean;
  /** `n` bytes were read into the view bigTail gave; false when the connection must close */
  inputDirect(s: Session, n: number): boolean;
  /** the session's output has gone out: parse input that was held back meanwhile */
  drained(s: Session): void;
  /** the connection is gone */
  closed(s: Session): void;
  /**
   * One turn of the shard's own work: peers' records in, this turn's batches out. Returns true
   * when records came in or a backlog to a full ring remains (the loop should not sleep).
   */
  turn(): boolean;
  /** send the batches built since the last turn (after input, so forwarded requests leave at once) */
  flushPeers(): void;
  /**
   * Between connections' input within one turn: take in the peers' records that arrived
   * meanwhile and send this turn's batches so far (a no-op while the AOF is on).
   */
  midTurn(): void;
  /** replies are about to be sent: the writes they acknowledge go to the AOF first */
  persist(): void;
  /** active expiry and housekeeping, called hz times per second */
  tick(now: number): void;
  /** bytes sent, for INFO */
  sent(bytes: number): void;
}

/** An io engine bound to one shard. */
export interface Engine {
  readonly name: string;
  /**
   * Bind the listener (when `accept`) and prepare; throws on failure (a port in use, ...).
   */
  start(accept: boolean): void;
  /**
   * Run the shard loop until the mesh's stop flag is set, then let the replies in flight go out
   * (bounded) and close every connection.
   */
  run(): Promise<void>;
}
