/**
 * The readiness engine: `Deno.listen` (with SO_REUSEPORT on Linux so the kernel spreads
 * connections over the shards), one async read loop per connection, and an async mesh loop
 * that waits for peers with Atomics.waitAsync.
 */
import type { Engine, Session, ShardHost, Transport } from "./engine.ts";
import { setImmediate } from "node:timers";
import { AcceptBackoff } from "./backoff.ts";
import { log } from "../util/log.ts";
import { keepAliveListeners } from "../../ffi/libc.ts";

const READ_SIZE = 64 * 1024;
/** A connection's read loop lets the others run after this many bytes. */
const YIELD_BYTES = 256 * 1024;
/** How long replies in flight may take to go out after a stop request. */
const STOP_GRACE_MS = 1000;

class ListenTransport implements Transport {
  writing = false;
  closed = false;
  private spare: Uint8Array = new Uint8Array(1024);
  session!: Session;
  /** bytes of the write in progress not written yet */
  unsent = 0;

  constructor(private conn: Deno.TcpConn, private host: ShardHost) {}

  flush(): void {
    if (this.closed) return;
    if (this.host.outputLimited && this.host.checkOutput(this.session)) return;
    if (this.writing) return;
    this.writing = true;
    this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    const s = this.session;
    while (s.out.len > 0 && !this.closed) {
      // swap buffers instead of copying: replies keep accumulating in the other one
      const w = s.out, len = w.len, full = w.buf;
      // the spare is reused while replies are big (no garbage per big reply), dropped
      // once they are small again
      w.buf = this.spare.length <= 1 << 20 || len * 16 >= this.spare.length
        ? this.spare
        : new Uint8Array(1024);
      w.len = 0;
      this.spare = full;
      this.host.sent(len);
      this.host.persist();
      let off = 0;
      this.unsent = len;
      try {
        while (off < len) {
          off += await this.conn.write(full.subarray(off, len));
          this.unsent = len - off;
        }
      } catch {
        // the peer is gone; an error in the shard's code below escapes (it ends the process)
        this.close();
        break;
      }
      s.lastInteraction = Date.now();
      if (s.out.len === 0) {
        // input kept while the client was not reading its replies: parse it now
        this.host.drained(s);
        this.host.flushPeers();
      }
    }
    this.unsent = 0;
    this.writing = false;
    if (s.closing && s.owedReplies === 0 && s.out.len === 0) this.close();
  }

  shrink(all: boolean): number {
    const n = this.spare.length;
    if (this.writing || n <= 1024 || (!all && n <= 64 * 1024)) return 0;
    this.spare = new Uint8Array(1024);
    return n - 1024;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed by the peer
    }
    this.onClosed?.();
  }

  private onClosed: (() => void) | null = null;

  /** Resolves once the socket is closed (by the last owed reply going out, or the peer). */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => (this.onClosed = r));
  }
}

function addrOf(a: Deno.Addr): string {
  const n = a as Deno.NetAddr;
  return `${n.hostname}:${n.port}`;
}

export class ListenEngine implements Engine {
  readonly name = "listen";
  private listener: Deno.TcpListener | null = null;
  private stopping = false;
  private transports = new Set<ListenTransport>();
  private nextFd = 8;
  private readonly backoff = new AcceptBackoff();
  /** tcp-keepalive as last set on the listeners (-1: not yet) */
  private keepAliveSet = -1;
  /** the listeners' options could not be set (no libc): SO_KEEPALIVE per connection */
  private keepAlivePerConn = false;

  constructor(private host: ShardHost) {}

  start(accept: boolean): void {
    if (!accept) return;
    const h = this.host;
    this.listener = Deno.listen({
      hostname: h.bind,
      port: h.port,
      reusePort: Deno.build.os === "linux",
    });
    if (h.backlog !== 511 && h.id === 0) {
      log(
        "warning",
        `tcp-backlog ${h.backlog} is not applied by the listen engine (Deno.listen takes no ` +
          "backlog; the io_uring engine applies it)",
      );
    }
    this.syncKeepAlive();
  }

  /**
   * tcp-keepalive: Deno gives no socket's fd and sets only SO_KEEPALIVE on a connection, so the
   * idle time, interval and count go on the listeners, whose accepted sockets inherit them.
   */
  private syncKeepAlive(): void {
    const secs = this.host.keepAlive;
    if (secs === this.keepAliveSet || this.listener === null) return;
    this.keepAliveSet = secs;
    const port = (this.listener.addr as Deno.NetAddr).port;
    this.keepAlivePerConn = keepAliveListeners(port, secs) <= 0;
  }

  async run(): Promise<void> {
    if (this.listener !== null) this.acceptLoop(this.listener);
    await this.meshLoop();
    await this.stop();
  }

  /**
   * Accept until the listener closes. A failed accept (out of descriptors, ...) must not end
   * the loop: it waits (backing off) and accepts again.
   */
  private async acceptLoop(l: Deno.TcpListener): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await l.accept();
      } catch (e) {
        if (
          this.stopping || e instanceof Deno.errors.BadResource ||
          e instanceof Deno.errors.Interrupted
        ) return;
        const err = e as Error & { code?: string };
        const errno = err.code === "EMFILE" ? 24 : err.code === "ENFILE" ? 23 : 0;
        const delay = this.backoff.failed(errno, err.message.replace(/ \(os error \d+\)$/, ""));
        await new Promise((r) => setTimeout(r, delay));
        continue;
      }
      this.backoff.succeeded();
      this.serve(conn);
    }
  }

  /** Write a refusal without waiting for the peer to read it, then close. */
  private async refuse(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
    try {
      await conn.write(bytes);
    } catch {
      // best effort, as Redis
    }
    try {
      conn.close();
    } catch {
      // already closed by the peer
    }
  }

  private async serve(conn: Deno.TcpConn): Promise<void> {
    const h = this.host;
    const t = new ListenTransport(conn, h);
    const s = h.open(addrOf(conn.remoteAddr), addrOf(conn.localAddr), this.nextFd++, t);
    if (s instanceof Uint8Array) return this.refuse(conn, s);
    try {
      conn.setNoDelay(true);
      if (this.keepAlivePerConn && h.keepAlive > 0) conn.setKeepAlive(true);
    } catch {
      // not fatal
    }
    t.session = s;
    this.transports.add(t);
    const buf = new Uint8Array(READ_SIZE);
    let sinceYield = 0;
    // only the socket's errors end the connection quietly: an error in the shard's own code
    // (input, flushPeers) escapes, and the worker's unhandled-rejection handler ends the process
    while (!s.closing && !t.closed && !this.stopping) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        break; // reset by peer, or closed by CLIENT KILL / shutdown
      }
      if (n === null) break;
      if (!h.input(s, buf.subarray(0, n), false)) break;
      h.flushPeers();
      if (s.sendable) t.flush();
      // a read of buffered data resolves at once: a client streaming a big pipeline would
      // keep this loop going and starve every other connection (and the accept loop)
      sinceYield += n;
      if (sinceYield >= YIELD_BYTES) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
    }
    if (s.closing && !t.closed) {
      // QUIT or protocol error: the replies before it still go out, then the socket closes
      t.flush();
      if (!t.writing && s.owedReplies === 0) t.close();
      // replies other shards still owe it: the shard keeps the client until they went out
      else await t.whenClosed();
    } else {
      t.close();
    }
    h.closed(s);
    this.transports.delete(t);
  }

  /** Peers' records, batches out, the tick; parks (async) when idle. Returns on a stop request. */
  private async meshLoop(): Promise<void> {
    const h = this.host;
    let nextTick = 0;
    while (!h.mesh.stopRequested) {
      const busy = h.turn();
      const now = Date.now();
      if (now >= nextTick) {
        h.tick(now);
        nextTick = now + 1000 / h.hz;
        if (h.keepAlive !== this.keepAliveSet) this.syncKeepAlive();
      }
      if (busy) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      await h.mesh.parkAsync(Math.max(1, nextTick - Date.now()));
    }
  }

  /** Stop accepting, let replies in flight go out (bounded), close every connection. */
  private async stop(): Promise<void> {
    this.stopping = true;
    try {
      this.listener?.close();
    } catch {
      // already closed
    }
    const deadline = Date.now() + STOP_GRACE_MS;
    for (const t of this.transports) {
      const s = t.session;
      while (Date.now() < deadline && (s.owedReplies > 0 || t.writing || s.out.len > 0)) {
        this.host.turn();
        t.flush();
        await new Promise((r) => setTimeout(r, 5));
      }
      t.close();
    }
  }
}
