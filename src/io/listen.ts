/**
 * The readiness engine: `Deno.listen` (with SO_REUSEPORT on Linux so the kernel spreads
 * connections over the shards), one async read loop per connection, and an async mesh loop
 * that waits for peers with Atomics.waitAsync.
 */
import type { Engine, Session, ShardHost, Transport } from "./engine.ts";
import { setImmediate } from "node:timers";

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

  constructor(private conn: Deno.TcpConn, private host: ShardHost) {}

  flush(): void {
    if (this.writing || this.closed) return;
    this.writing = true;
    this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    const s = this.session;
    try {
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
        let off = 0;
        while (off < len) off += await this.conn.write(full.subarray(off, len));
        if (s.out.len === 0) {
          // input kept while the client was not reading its replies: parse it now
          this.host.drained(s);
          this.host.flushPeers();
        }
      }
    } catch {
      this.close();
    }
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

  constructor(private host: ShardHost) {}

  start(accept: boolean): void {
    if (!accept) return;
    const h = this.host;
    this.listener = Deno.listen({
      hostname: h.bind,
      port: h.port,
      reusePort: Deno.build.os === "linux",
    });
  }

  async run(): Promise<void> {
    if (this.listener !== null) this.acceptLoop(this.listener);
    await this.meshLoop();
    await this.stop();
  }

  private async acceptLoop(l: Deno.TcpListener): Promise<void> {
    try {
      for await (const conn of l) this.serve(conn);
    } catch {
      // listener closed on stop
    }
  }

  private async serve(conn: Deno.TcpConn): Promise<void> {
    const h = this.host;
    try {
      conn.setNoDelay(true);
    } catch {
      // not fatal
    }
    const t = new ListenTransport(conn, h);
    const s = h.open(addrOf(conn.remoteAddr), addrOf(conn.localAddr), this.nextFd++, t);
    t.session = s;
    this.transports.add(t);
    const buf = new Uint8Array(READ_SIZE);
    let sinceYield = 0;
    try {
      while (!s.closing && !t.closed && !this.stopping) {
        const n = await conn.read(buf);
        if (n === null) break;
        if (!h.input(s, buf.subarray(0, n), false)) break;
        h.flushPeers();
        if (s.out.len > 0) t.flush();
        // a read of buffered data resolves at once: a client streaming a big pipeline would
        // keep this loop going and starve every other connection (and the accept loop)
        sinceYield += n;
        if (sinceYield >= YIELD_BYTES) {
          sinceYield = 0;
          await new Promise((r) => setImmediate(r));
        }
      }
    } catch {
      // reset by peer, or closed by CLIENT KILL / shutdown
    }
    if (s.closing && !t.closed) {
      // QUIT or protocol error: the replies before it still go out, then the socket closes
      t.flush();
      if (!t.writing && s.owedReplies === 0) t.close();
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
