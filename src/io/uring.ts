/**
 * The completion engine: each shard drives its sockets through its own io_uring (liburing via
 * the shim in native/, bound in ffi/). The shard loop is synchronous and owns its thread:
 * submit+wait, handle completions, drain inbound rings, execute, flush batches to peers, wake
 * parked peers, start sends, tick. A parked shard waits in the kernel with a read armed on its
 * eventfd; peers wake it by writing that eventfd.
 *
 * Requests are tagged (slot << 8 | generation << 3 | op): a completion for a connection slot
 * that has since been reused carries an old generation and is ignored.
 */
import {
  Errno,
  listenFd,
  localAddr,
  peerAddr,
  pointerOf,
  Uring,
  type UringLib,
} from "../../ffi/uring.ts";
import { yieldCpu } from "../../ffi/libc.ts";
import type { Engine, Session, ShardHost, Transport } from "./engine.ts";
import { AcceptBackoff } from "./backoff.ts";

const OP_ACCEPT = 1, OP_RECV = 2, OP_SEND = 3, OP_WAKE = 4, OP_CLOSE = 5, OP_CANCEL = 6;
/** a recv straight into the parser's buffer: the rest of a big argument */
const OP_RECV_TAIL = 7;
const MORE = 2; // IORING_CQE_F_MORE
/**
 * A big argument of which at least this much has come and is still to come is read straight
 * into the parser's buffer, as Redis reads a big bulk into its query buffer: through the 16 KiB
 * provided buffers a 512 MiB value took 32,768 completions and a copy of every byte.
 */
const TAIL_FROM = 1024 * 1024;
/** at most this much per such recv, so the connection's last interaction keeps moving */
const TAIL_MAX = 16 * 1024 * 1024;
/** how a connection is being read */
const READ_MULTISHOT = 0, READ_CANCELLING = 1, READ_TAIL = 2;
/**
 * Idle loop turns (each one a cheap submit+reap) before parking in the kernel. Spinning saves
 * a wake-up when the next request comes soon, and is free while a core is spare; once the
 * shards take every core, a spinning shard takes the CPU its peer or a local client needs (2
 * shards on 2 cores: 256 turns cost 10-17% of pipelined GET/SET throughput against 16, while
 * 1 shard's unpipelined SET lost 3-20% with 16).
 */
function spinIterations(shards: number, cores: number): number {
  return shards < cores ? 256 : 16;
}

/**
 * Whether an idle turn gives the core away (sched_yield) before the next one: where the shards
 * take every core, a thread that can run (the peer, a client on the same machine) gets the
 * core at once instead of after the spin or a sleep, and the shard is back at once when none
 * waits, with no wake-up to pay. 2 shards on 2 cores with redis-benchmark beside them, in
 * alternating runs: SET and GET `-P 16 -r 1000000` and 10-key MSET `-P 1` faster in 17 of 19
 * pairs (by 4-31%), 10-key MGET `-P 16` in 2 of 4 (the others within the noise).
 */
function yieldsWhenIdle(shards: number, cores: number): boolean {
  return shards >= cores;
}

function tagOf(slot: number, gen: number, op: number): number {
  return ((slot << 8) | ((gen & 31) << 3) | op) >>> 0;
}

/** One send buffer with its native address, taken once. */
interface SendBuf {
  buf: Uint8Array;
  ptr: Deno.PointerValue;
}

function sendBuf(buf: Uint8Array = new Uint8Array(new ArrayBuffer(1024))): SendBuf {
  return { buf, ptr: pointerOf(buf) };
}

/** How long replies in flight may take to go out after a stop request. */
const STOP_GRACE_MS = 1000;

class UringConn implements Transport {
  session!: Session;
  sending = false;
  /** the buffer the reply writer fills, the one the kernel is sending, and a spare */
  wbuf: SendBuf | null = null;
  inflight: SendBuf | null = null;
  spare: SendBuf | null = null;
  sendOff = 0;
  sendLen = 0;
  queued = false;
  closed = false;
  /** READ_MULTISHOT, READ_CANCELLING (its multishot recv asked to end) or READ_TAIL */
  reading = READ_MULTISHOT;
  /** the parser's memory a tail recv writes into (kept referenced until it completes) */
  tail: Uint8Array | null = null;

  constructor(
    readonly engine: UringEngine,
    readonly fd: number,
    readonly slot: number,
    readonly gen: number,
  ) {}

  flush(): void {
    if (!this.queued && !this.closed) {
      this.queued = true;
      this.engine.sendQueue.push(this);
    }
  }

  close(): void {
    this.engine.closeConn(this);
  }

  get unsent(): number {
    return this.sending ? this.sendLen - this.sendOff : 0;
  }

  shrink(all: boolean): number {
    if (this.sending) return 0;
    let n = 0;
    const sp = this.spare;
    if (sp !== null && (all || sp.buf.length > 64 * 1024)) {
      n += sp.buf.length;
      this.spare = null;
    }
    // the writer's buffer is wrapped again (its address taken) at the next send
    if (this.wbuf !== null && this.wbuf.buf !== this.session.out.buf) this.wbuf = null;
    return n;
  }
}

export class UringEngine implements Engine {
  readonly name = "io_uring";
  readonly sendQueue: UringConn[] = [];
  private ring: Uring;
  private listenFd = -1;
  private conns: (UringConn | undefined)[] = [];
  private gens: number[] = [];
  private freeSlots: number[] = [];
  /** closed connections whose buffers the kernel may still use, until their close completes */
  private closing = new Map<number, UringConn>();
  private wakeBuf = new Uint8Array(new ArrayBuffer(8));
  private wakePtr: Deno.PointerValue;
  private stopping = false;
  /** accept failed (EMFILE, ...): re-armed after a pause, not at once (no busy loop) */
  private readonly backoff = new AcceptBackoff();
  private acceptAt = 0;

  constructor(private host: ShardHost, private lib: UringLib, private efd: number) {
    this.ring = new Uring(lib, { entries: 512, bufCount: 1024, bufSize: 16 * 1024 });
    this.wakePtr = pointerOf(this.wakeBuf);
  }

  start(accept: boolean): void {
    const h = this.host;
    if (accept) {
      this.listenFd = listenFd(this.lib, h.bind, h.port, {
        backlog: h.backlog,
        reusePort: true,
      });
      this.ring.prepAcceptMultishot(this.listenFd, tagOf(0, 0, OP_ACCEPT));
    }
    this.ring.prepRead(this.efd, this.wakePtr, 0, 8, tagOf(0, 0, OP_WAKE));
  }

  /** The shard loop owns the thread until a stop request, and returns once replies went out. */
  run(): Promise<void> {
    this.loop();
    return Promise.resolve();
  }

  private loop(): void {
    const h = this.host, ring = this.ring, mesh = h.mesh;
    let idle = 0;
    let nextTick = 0;
    let deadline = 0;
    const spin = spinIterations(mesh.n, navigator.hardwareConcurrency);
    const yields = yieldsWhenIdle(mesh.n, navigator.hardwareConcurrency);
    for (;;) {
      let n = ring.submitAndWait(0, 0);
      if (n > 0) this.completions(n);
      const busy = h.turn();
      this.startSends();
      const now = Date.now();
      if (now >= nextTick) {
        h.tick(now);
        nextTick = now + 1000 / h.hz;
      }
      if (this.acceptAt !== 0 && now >= this.acceptAt) this.rearmAccept();
      if (mesh.stopRequested) {
        if (!this.stopping) deadline = this.beginStop(now);
        if (this.drained() || now >= deadline) break;
      }
      if (n > 0 || busy) {
        idle = 0;
        continue;
      }
      if (++idle < spin) {
        if (yields) yieldCpu();
        continue;
      }
      if (!mesh.beginPark()) continue;
      const wake = this.acceptAt !== 0 ? Math.min(nextTick, this.acceptAt) : nextTick;
      n = ring.submitAndWait(1, Math.max(1, Math.min(wake - Date.now(), 1000)));
      mesh.endPark();
      if (n > 0) this.completions(n);
      idle = 0;
    }
    this.shutdown();
  }

  private completions(n: number): void {
    const ring = this.ring;
    // between two connections' reads, the mesh is looked at (ShardHost.midTurn)
    const meshed = this.host.mesh.n > 1;
    for (let i = 0; i < n; i++) {
      const tag = ring.tag(i) >>> 0;
      const res = ring.res(i);
      const op = tag & 7;
      if (op === OP_RECV) {
        this.onRecv(tag, res, ring.flags(i), ring.bid(i));
        if (meshed) this.host.midTurn();
      } else if (op === OP_SEND) this.onSend(tag, res);
      else if (op === OP_RECV_TAIL) this.onTail(tag, res);
      else if (op === OP_ACCEPT) this.onAccept(res, ring.flags(i));
      else if (op === OP_WAKE) {
        if (!this.stopping || res >= 0) {
          ring.prepRead(this.efd, this.wakePtr, 0, 8, tagOf(0, 0, OP_WAKE));
        }
      } else if (op === OP_CLOSE) this.closing.delete(tag >>> 3);
    }
    // a full completion array may have left more behind: the next turn reaps them
  }

  private connOf(tag: number): UringConn | undefined {
    const c = this.conns[tag >>> 8];
    return c !== undefined && c.gen === ((tag >>> 3) & 31) ? c : undefined;
  }

  private onAccept(fd: number, flags: number): void {
    const armed = (flags & MORE) !== 0;
    if (fd < 0) {
      if (this.stopping || this.listenFd < 0 || fd === -Errno.ECANCELED) return;
      // an error ends the multishot accept: the pending connection waits in the backlog, and
      // the accept is armed again after a pause (re-arming at once spins while fds lack)
      const delay = this.backoff.failed(-fd);
      if (!armed) this.acceptAt = Date.now() + delay;
      return;
    }
    if (!armed && !this.stopping && this.listenFd >= 0) {
      this.ring.prepAcceptMultishot(this.listenFd, tagOf(0, 0, OP_ACCEPT));
    }
    const sym = this.lib.symbols;
    if (this.stopping) {
      sym.sk_close(fd);
      return;
    }
    this.backoff.succeeded();
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.conns.length;
    const gen = ((this.gens[slot] ?? 0) + 1) & 31;
    this.gens[slot] = gen;
    const conn = new UringConn(this, fd, slot, gen);
    const s = this.host.open(peerAddr(this.lib, fd), localAddr(this.lib, fd), fd, conn);
    if (s instanceof Uint8Array) {
      // refused: Redis writes its error once, without waiting, and closes
      sym.sk_send_now(fd, s, s.length);
      sym.sk_close(fd);
      this.freeSlots.push(slot);
      return;
    }
    conn.session = s;
    sym.sk_set_nodelay(fd);
    const ka = this.host.keepAlive;
    if (ka > 0) sym.sk_set_keepalive(fd, ka);
    this.conns[slot] = conn;
    this.ring.prepRecvMultishot(fd, tagOf(slot, gen, OP_RECV));
  }

  private rearmAccept(): void {
    this.acceptAt = 0;
    if (!this.stopping && this.listenFd >= 0) {
      this.ring.prepAcceptMultishot(this.listenFd, tagOf(0, 0, OP_ACCEPT));
    }
  }

  private onRecv(tag: number, res: number, flags: number, bid: number): void {
    const conn = this.connOf(tag);
    const ring = this.ring;
    if (conn === undefined || conn.closed) {
      if (bid >= 0) ring.recycle(bid);
      return;
    }
    const ended = (flags & MORE) === 0;
    if (res > 0) {
      const s = conn.session;
      const off = ring.bufOffset(bid);
      const chunk = ring.bufs.subarray(off, off + res);
      const keep = this.host.input(s, chunk, true);
      ring.recycle(bid);
      if (!keep) return this.closeConn(conn);
      if (s.sendable) conn.flush();
      if (conn.closed) return;
      if (ended) return this.rearm(conn);
      // a big argument is under way: the multishot recv ends, its rest is read in place
      if (conn.reading === READ_MULTISHOT && this.host.bigTailDue(s, TAIL_FROM)) {
        conn.reading = READ_CANCELLING;
        ring.prepCancelTag(
          tagOf(conn.slot, conn.gen, OP_RECV),
          tagOf(conn.slot, conn.gen, OP_CANCEL),
        );
      }
      return;
    }
    if (bid >= 0) ring.recycle(bid);
    // every provided buffer in use (the data waits in the socket), or the end asked for above
    // (on an open connection a cancel is only ever that one, even one that came late and met
    // the next multishot recv)
    if (res === -Errno.ENOBUFS || res === -Errno.ECANCELED) return this.rearm(conn);
    // EOF, reset or cancel: replies still owed are dropped with the connection, as in Redis
    if (res === 0 || ended) this.closeConn(conn);
  }

  /**
   * The connection's multishot recv has ended: read on, straight into the parser's buffer when
   * a big argument has enough still to come, else with a new multishot recv.
   */
  private rearm(conn: UringConn): void {
    const tail = this.host.bigTail(conn.session, TAIL_FROM);
    if (tail === null) {
      conn.reading = READ_MULTISHOT;
      this.ring.prepRecvMultishot(conn.fd, tagOf(conn.slot, conn.gen, OP_RECV));
      return;
    }
    conn.reading = READ_TAIL;
    conn.tail = tail;
    const len = Math.min(tail.length, TAIL_MAX);
    this.ring.prepRecv(conn.fd, pointerOf(tail), 0, len, tagOf(conn.slot, conn.gen, OP_RECV_TAIL));
  }

  /** A recv into the parser's buffer completed. */
  private onTail(tag: number, res: number): void {
    const conn = this.connOf(tag);
    if (conn === undefined || conn.closed) return;
    conn.tail = null;
    // EOF or an error mid-argument: the command can never complete
    if (res <= 0) return this.closeConn(conn);
    const s = conn.session;
    if (!this.host.inputDirect(s, res)) return this.closeConn(conn);
    if (s.sendable) conn.flush();
    if (!conn.closed) this.rearm(conn);
  }

  /** Start a send on every connection with output and none in flight. */
  private startSends(): void {
    const q = this.sendQueue;
    if (q.length > 0) this.host.persist();
    const limited = this.host.outputLimited;
    for (let i = 0; i < q.length; i++) {
      const conn = q[i];
      conn.queued = false;
      if (conn.closed || (limited && this.host.checkOutput(conn.session))) continue;
      if (!conn.sending) this.sendNext(conn);
    }
    q.length = 0;
  }

  /** Hand the accumulated replies to the kernel, swapping in the spare buffer meanwhile. */
  private sendNext(conn: UringConn): void {
    const s = conn.session;
    const w = s.out;
    if (w.len === 0) {
      if (s.closing && s.owedReplies === 0) this.closeConn(conn);
      else if (s.queryBytes > 0) {
        this.host.drained(s);
        if (s.out.len > 0) {
          this.host.persist();
          this.sendNext(conn);
        }
      }
      return;
    }
    const len = w.len;
    let cur = conn.wbuf;
    // the writer grows by reallocating: take the new buffer's address once
    if (cur === null || cur.buf !== w.buf) cur = sendBuf(w.buf);
    const next = conn.spare ?? sendBuf();
    conn.spare = null;
    w.buf = next.buf;
    w.len = 0;
    conn.wbuf = next;
    conn.inflight = cur;
    conn.sendOff = 0;
    conn.sendLen = len;
    conn.sending = true;
    this.host.sent(len);
    this.ring.prepSend(conn.fd, cur.ptr, 0, len, tagOf(conn.slot, conn.gen, OP_SEND));
  }

  private onSend(tag: number, res: number): void {
    const conn = this.connOf(tag);
    if (conn === undefined || conn.closed) return;
    if (res < 0) return this.closeConn(conn);
    conn.sendOff += res;
    if (conn.sendOff < conn.sendLen) {
      const sb = conn.inflight!;
      this.ring.prepSend(
        conn.fd,
        sb.ptr,
        conn.sendOff,
        conn.sendLen - conn.sendOff,
        tagOf(conn.slot, conn.gen, OP_SEND),
      );
      return;
    }
    conn.sending = false;
    conn.session.lastInteraction = Date.now();
    const done = conn.inflight!;
    conn.inflight = null;
    // a buffer that grew for big replies is reused while they keep coming (reallocating it
    // for every big reply piles up garbage outside the V8 heap), dropped once they stop
    if (done.buf.length <= 1 << 20 || conn.sendLen * 16 >= done.buf.length) conn.spare = done;
    this.sendNext(conn);
  }

  closeConn(conn: UringConn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.host.closed(conn.session);
    this.conns[conn.slot] = undefined;
    this.freeSlots.push(conn.slot);
    // the kernel may still hold the send buffer: keep it alive until the close completes
    this.closing.set(tagOf(conn.slot, conn.gen, OP_CLOSE) >>> 3, conn);
    this.ring.prepCancelFd(conn.fd, tagOf(conn.slot, conn.gen, OP_CANCEL));
    this.ring.prepClose(conn.fd, tagOf(conn.slot, conn.gen, OP_CLOSE));
  }

  private beginStop(now: number): number {
    this.stopping = true;
    if (this.listenFd >= 0) {
      this.ring.prepCancelFd(this.listenFd, tagOf(0, 0, OP_CANCEL));
      this.ring.prepClose(this.listenFd, tagOf(0, 0, OP_CLOSE));
      this.listenFd = -1;
    }
    return now + STOP_GRACE_MS;
  }

  /** Every connection has sent what it owed. */
  private drained(): boolean {
    for (const conn of this.conns) {
      if (conn === undefined) continue;
      const s = conn.session;
      if (conn.sending || s.out.len > 0 || s.owedReplies > 0) return false;
    }
    return true;
  }

  private shutdown(): void {
    for (const conn of this.conns) if (conn !== undefined) this.closeConn(conn);
    this.ring.submitAndWait(0, 0);
    this.ring.destroy();
  }
}
