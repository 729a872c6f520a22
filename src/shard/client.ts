/**
 * One client connection as the shard sees it, independent of the io engine: parser, reply
 * buffer, and the queue that keeps replies in request order while some of them are still
 * being computed on other shards. It is the engine's Session and the commands' ClientContext.
 */
import { type ParserLimits, RequestParser } from "../resp/parser.ts";
import { ReplyWriter } from "../resp/writer.ts";
import type { Session, Transport } from "../io/engine.ts";
import type { ClientContext } from "../commands/context.ts";
import type { Tx } from "./locks.ts";
import type { User } from "../acl/user.ts";
import { aclUsers } from "../commands/acl/state.ts";

/** The held-replies buffer: its first size, and the fill past which a fresh one starts. */
const HELD_INITIAL = 16 * 1024;
const HELD_ROTATE = 256 * 1024;
/** A client quiet this long gives its held-replies buffer back (shrinkBuffers). */
const HELD_IDLE_MS = 1000;

/**
 * Input is not parsed while this many of a client's replies wait for other shards (each one
 * holds memory); it goes on once half of them are in.
 */
export const MAX_WAITING = 2048;

/**
 * A reply that is not ready yet. Parts are filled as the shards answer; when the last part
 * arrives the fold (or the single part) produces `bytes`.
 */
/** An argument a held split command no longer needs (Client.holdArgs). */
const NO_ARG = new Uint8Array(0);

/** Ready replies held for owed ones (Client.sendable) go out anyway past this size. */
const HOLD_BYTES = 64 * 1024;

/** The parts of a slot answered whole (a local or forwarded command): none, and never written. */
const NO_PARTS: (Uint8Array | null)[] = Object.freeze([]) as unknown as (Uint8Array | null)[];

export class Slot {
  bytes: Uint8Array | null = null;
  /** a split or fanned-out command's replies per part (set by whoever splits it) */
  parts: (Uint8Array | null)[] = NO_PARTS;
  remaining = 0;
  /** runs when every part has arrived; writes the final reply into w */
  done: ((parts: Uint8Array[]) => Uint8Array) | null = null;
  /** runs when a reply that came from other shards is complete (ends an EXEC) */
  onReady: (() => void) | null = null;
}

/** A pipeline's split commands gathered while its input is parsed (squash.ts's Squash). */
export interface OpenSquash {
  /** start their transaction */
  start(): void;
}

/** A command queued between MULTI and EXEC (arguments copied out of the receive buffer). */
export interface Queued {
  argv: Uint8Array[];
  argc: number;
}

export interface MultiState {
  queued: Queued[];
  /** a command was rejected while queuing: EXEC replies EXECABORT */
  error: boolean;
}

/**
 * FIFO of pending reply slots; O(1) at both ends however long a pipeline gets. The array is
 * never emptied by setting its length (V8 would drop its backing store, and every pipelined
 * batch would grow it again): the indexes go back to 0 instead.
 */
export class SlotQueue {
  private items: (Slot | undefined)[] = [];
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  push(s: Slot): void {
    if (this.tail < this.items.length) this.items[this.tail] = s;
    else this.items.push(s);
    this.tail++;
  }

  first(): Slot | undefined {
    return this.head < this.tail ? this.items[this.head] : undefined;
  }

  last(): Slot | undefined {
    return this.head < this.tail ? this.items[this.tail - 1] : undefined;
  }

  /** The slots queued after `s` (all of them if `s` is not queued). */
  after(s: Slot): Slot[] {
    const i = this.items.indexOf(s, this.head);
    return this.items.slice(i < 0 || i >= this.tail ? this.head : i + 1, this.tail) as Slot[];
  }

  shift(): void {
    this.items[this.head++] = undefined;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      this.items = this.items.slice(this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
  }
}

export class Client implements Session, ClientContext {
  name = "";
  db = 0;
  readonly parser: RequestParser;
  readonly out = new ReplyWriter(1024);
  /** replies waiting for earlier, still-pending replies (request order) */
  readonly queue = new SlotQueue();
  closing = false;
  closed = false;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCommand = "NULL";
  /** commands processed, for CLIENT INFO / INFO */
  totalCommands = 0;
  /** killed by CLIENT KILL: stop processing input */
  killed = false;
  /** when (unix seconds) its output went over the soft limit, 0 while under it */
  obufSoftSince = 0;
  /** input is not parsed while a command of this client waits (locks, a transaction) */
  paused = false;
  /**
   * The peer went away while complete commands it sent had not run (one waited for locks,
   * for replies of other shards, or for the client to read its output): they run, their
   * replies dropped, and the client ends after them, as Redis runs every command it read
   * before it sees the connection's end.
   */
  finishing = false;
  /** closed by the server for its input (client-query-buffer-limit, no buffer): none of it runs */
  inputRefused = false;
  /** inside the parse loop (a transaction granted at once must not re-enter it) */
  parsing = false;
  multi: MultiState | null = null;
  /** the transaction this client's commands are dispatched under right now (EXEC), or 0 */
  txid = 0;
  /** its queued commands are running (EXEC, local or across shards: Redis's server.in_exec) */
  inExec = false;
  /** shards holding keys this client WATCHes */
  readonly watchShards = new Set<number>();
  /** a command shipped across shards is running: what follows waits for it */
  shipping = false;
  /** run when the shipped command is done (the rest of an EXEC) */
  afterShip: (() => void) | null = null;
  /** the cross-shard transaction this client waits for or runs (released if it goes away) */
  tx: Tx | null = null;
  /**
   * Split commands of this client with parts not yet sent (their shards are locked in turn):
   * any other command waits until they are out, so it cannot overtake them.
   */
  chains = 0;
  /** the shards of those split commands (a bit each; they all span the same shards) */
  chainShards = 0;
  /** its commands forwarded whole or in parts outside a transaction, not yet answered */
  forwardsOut = 0;
  /** its split commands taking their locks by messages (tx.ts), not yet answered */
  locking = 0;
  /** its split commands of this parse loop, squashed under one transaction (squash.ts) */
  squash: OpenSquash | null = null;
  /** may its first bytes be the TLS terminator's preamble (src/shard/preamble.ts): 0 no */
  gate = 0;
  /** the start of a preamble, while its line is still arriving */
  gateBytes: Uint8Array | null = null;
  /** the ACL user its commands run as (the default user until AUTH) */
  user: User;
  /** authenticated (Redis's c->authenticated): set at connect when the default user is nopass */
  authenticated: boolean;
  /**
   * No check can refuse this client's commands: no AUTH is owed and its user holds every
   * command, key and channel. Dispatch tests only this; refreshAcl() keeps it true to the users.
   */
  unrestricted = false;
  /**
   * Replies finished while an earlier one is still out (a pipeline with forwarded commands):
   * appended here, their slots keep views, so a reply waiting its turn costs no allocation.
   */
  private heldW: ReplyWriter | null = null;

  constructor(
    readonly id: number,
    /** "ip:port"; a TLS client's are replaced by its preamble (src/shard/preamble.ts) */
    public addr: string,
    public laddr: string,
    readonly fd: number,
    readonly transport: Transport,
    limits: ParserLimits,
  ) {
    this.parser = new RequestParser();
    // the shard's object: CONFIG SET reaches every connection at once
    this.parser.limits = limits;
    const users = aclUsers();
    this.user = users.defaultUser;
    this.authenticated = this.user.nopass && this.user.enabled;
    this.refreshAcl();
  }

  /** After a change of users or of this client's user: what dispatch must check again. */
  refreshAcl(): void {
    this.parser.authRequired = !this.authenticated && aclUsers().authRequired;
    this.unrestricted = !this.parser.authRequired && this.user.unrestricted;
  }

  get proto(): 2 | 3 {
    return this.out.proto;
  }

  set proto(v: 2 | 3) {
    this.out.proto = v;
  }

  get queryBytes(): number {
    return this.parser.pending;
  }

  get owedReplies(): number {
    return this.queue.length;
  }

  /**
   * Replies ready after a read go out at once unless replies owed by other shards follow
   * them: those come back within a round trip (forwarded commands and split parts never
   * block), and the reply that completes them sends everything in one write. Sending the ready
   * part first doubled the sends (and the client's reads) per pipeline on 2 shards.
   */
  get sendable(): boolean {
    return this.out.len > 0 && (this.queue.length === 0 || this.out.len >= HOLD_BYTES);
  }

  get outputBytes(): number {
    return this.out.len;
  }

  /** Reply bytes not yet written to the socket: client-output-buffer-limit's measure. */
  get pendingOutput(): number {
    return this.out.len + this.transport.unsent;
  }

  get outputBufferBytes(): number {
    return this.out.buf.length;
  }

  /** Bytes this connection holds: its input, its reply buffer and the replies queued. */
  memoryBytes(): number {
    let n = this.parser.bufferBytes + this.out.buf.length;
    if (this.heldW !== null) n += this.heldW.buf.length;
    if (this.queue.length > 0) n += this.queue.length * 64;
    return n;
  }

  /**
   * Give back buffers grown for a burst, now idle (all: whatever their size). The held-replies
   * buffer goes once the client is quiet for a second: dropped at every tick, a busy pipelining
   * client made a new one each time (16 KiB of garbage per connection and tick).
   */
  shrinkBuffers(all: boolean, now: number): number {
    if (this.closed) return 0;
    let n = 0;
    const heldIdle = all || now - this.lastInteraction >= HELD_IDLE_MS;
    if (this.heldW !== null && this.queue.length === 0 && heldIdle) {
      n = this.heldW.buf.length;
      this.heldW = null;
    }
    return n + this.out.shrink(all) + this.parser.shrink(all) + this.transport.shrink(all);
  }

  /**
   * The writer for a reply that must wait its turn: write it, then take it with `heldView`.
   * A full buffer is left to the views still on it and a fresh one started.
   */
  holdWriter(): ReplyWriter {
    let w = this.heldW;
    if (w === null) this.heldW = w = new ReplyWriter(HELD_INITIAL);
    else if (w.len >= HELD_ROTATE) {
      w.buf = new Uint8Array(HELD_INITIAL);
      w.len = 0;
    }
    w.proto = this.proto;
    return w;
  }

  /** The reply written since `start` into holdWriter()'s writer, as a view. */
  heldView(start: number): Uint8Array {
    const w = this.heldW!;
    return w.buf.subarray(start, w.len);
  }

  /** Keep a copy of `bytes` until its turn (a peer's reply, valid only now). */
  hold(bytes: Uint8Array): Uint8Array {
    const w = this.holdWriter();
    const start = w.len;
    w.raw(bytes);
    return this.heldView(start);
  }

  /** Keep a copy of an argument until it is sent (it was a view into the receive buffer). */
  holdCopy(arg: Uint8Array): Uint8Array {
    const w = this.holdWriter();
    const start = w.len;
    w.raw(arg);
    return new Uint8Array(w.buf.buffer, w.buf.byteOffset + start, w.len - start);
  }

  /**
   * Keep a copy of the arguments a split command's parts still need (the positions
   * `pos[order[i]]` for i from `from`) until they run: the others are not copied. They go
   * where the held replies go, and stay while its slot is queued.
   */
  holdArgs(
    argv: Uint8Array[],
    argc: number,
    pos: number[][],
    order: number[],
    from: number,
  ): Uint8Array[] {
    const out: Uint8Array[] = new Array(argc).fill(NO_ARG);
    for (let s = from; s < order.length; s++) {
      const p = pos[order[s]];
      for (let j = 0; j < p.length; j++) {
        const i = p[j];
        if (out[i] === NO_ARG) out[i] = this.holdCopy(argv[i]);
      }
    }
    return out;
  }

  claim(arg: Uint8Array): boolean {
    return this.parser.take(arg);
  }

  kill(): void {
    this.killed = true;
    this.closing = true;
    this.transport.close();
  }

  /** True while some earlier reply is still pending: new replies must queue behind it. */
  get blocked(): boolean {
    return this.queue.length > 0;
  }

  /** Move every finished reply at the head of the queue into `out`. */
  drain(): void {
    const q = this.queue;
    for (let s = q.first(); s !== undefined && s.bytes !== null; s = q.first()) {
      this.out.raw(s.bytes);
      q.shift();
    }
    // no slot is left to look at the held replies: their buffer starts over
    if (q.length === 0 && this.heldW !== null) this.heldW.len = 0;
  }

  /** Append ready reply bytes, in request order. */
  replyRaw(bytes: Uint8Array): void {
    if (this.blocked) {
      const s = new Slot();
      s.bytes = bytes;
      this.queue.push(s);
    } else {
      this.out.raw(bytes);
    }
  }

  /** Append an error reply, in request order. */
  replyError(msg: string): void {
    if (this.blocked) {
      const s = new Slot();
      const w = new ReplyWriter(64);
      w.error(msg);
      s.bytes = w.take();
      this.queue.push(s);
    } else {
      this.out.error(msg);
    }
  }
}
