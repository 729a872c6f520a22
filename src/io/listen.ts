/**
 * The readiness engine: `Deno.listen` (with SO_REUSEPORT on Linux so the kernel spreads
 * connections over the shards), one async read loop per connection, and an async mesh loop
 * that waits for peers with Atomics.waitAsync.
 */
import type { Shard } from "../shard/shard.ts";
import type { Client, Transport } from "../shard/client.ts";
import { onInput, resumeInput } from "../shard/input.ts";
import { setImmediate } from "node:timers";

const READ_SIZE = 64 * 1024;

export interface Engine {
  name: string;
  stop(): Promise<void>;
}

class ListenTransport implements Transport {
  writing = false;
  closed = false;
  private spare: Uint8Array = new Uint8Array(16 * 1024);
  client!: Client;

  constructor(private conn: Deno.TcpConn, private shard: Shard) {}

  flush(): void {
    if (this.writing || this.closed) return;
    this.writing = true;
    this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    const c = this.client;
    try {
      while (c.out.len > 0 && !this.closed) {
        // swap buffers instead of copying: replies keep accumulating in the other one
        const w = c.out, len = w.len, full = w.buf;
        // the spare is reused while replies are big (no garbage per big reply), dropped
        // once they are small again
        w.buf = this.spare.length <= 1 << 20 || len * 16 >= this.spare.length
          ? this.spare
          : new Uint8Array(16 * 1024);
        w.len = 0;
        this.spare = full;
        this.shard.stats.netOutput += len;
        let off = 0;
        while (off < len) off += await this.conn.write(full.subarray(off, len));
        if (c.out.len === 0) {
          // input kept while the client was not reading its replies: parse it now
          resumeInput(this.shard, c);
          this.shard.flushPeers();
        }
      }
    } catch {
      this.close();
    }
    this.writing = false;
    if (c.closing && c.queue.length === 0 && c.out.len === 0) this.close();
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
  name = "listen";
  private listener: Deno.TcpListener | null = null;
  private stopping = false;
  private transports = new Set<ListenTransport>();
  private nextFd = 8;

  constructor(private shard: Shard) {}

  /** Bind (throws on failure) and start accepting and polling the mesh. */
  start(accept: boolean): void {
    const sh = this.shard;
    if (accept) {
      this.listener = Deno.listen({
        hostname: sh.init.bind,
        port: sh.init.port,
        reusePort: Deno.build.os === "linux",
      });
      this.acceptLoop(this.listener);
    }
    this.meshLoop();
  }

  private async acceptLoop(l: Deno.TcpListener): Promise<void> {
    try {
      for await (const conn of l) this.serve(conn);
    } catch {
      // listener closed on stop
    }
  }

  private async serve(conn: Deno.TcpConn): Promise<void> {
    const sh = this.shard;
    try {
      conn.setNoDelay(true);
    } catch {
      // not fatal
    }
    const t = new ListenTransport(conn, sh);
    const c = sh.newClient(addrOf(conn.remoteAddr), addrOf(conn.localAddr), this.nextFd++, t);
    t.client = c;
    this.transports.add(t);
    const buf = new Uint8Array(READ_SIZE);
    try {
      while (!c.closing && !t.closed && !this.stopping) {
        const n = await conn.read(buf);
        if (n === null) break;
        if (!onInput(sh, c, buf.subarray(0, n), false)) break;
        sh.flushPeers();
        if (c.out.len > 0) t.flush();
      }
    } catch {
      // reset by peer, or closed by CLIENT KILL / shutdown
    }
    if (c.closing && !t.closed) {
      // QUIT or protocol error: the replies before it still go out, then the socket closes
      t.flush();
      if (!t.writing && c.queue.length === 0) t.close();
    } else {
      t.close();
    }
    sh.dropClient(c);
    this.transports.delete(t);
  }

  private async meshLoop(): Promise<void> {
    const sh = this.shard;
    let nextTick = 0;
    while (true) {
      const n = sh.mesh.poll(sh.onRecord);
      const more = sh.flushPeers();
      const now = Date.now();
      if (now >= nextTick) {
        const hz = sh.hz;
        sh.tick(now, 250 / hz);
        nextTick = now + 1000 / hz;
      }
      if (n > 0 || more) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      await sh.mesh.parkAsync(Math.max(1, nextTick - Date.now()));
    }
  }

  /** Stop accepting, let replies in flight go out (bounded), close every connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      this.listener?.close();
    } catch {
      // already closed
    }
    const deadline = Date.now() + 1000;
    for (const t of this.transports) {
      const c = t.client;
      while (Date.now() < deadline && (c.queue.length > 0 || t.writing || c.out.len > 0)) {
        t.flush();
        await new Promise((r) => setTimeout(r, 5));
      }
      t.close();
    }
  }
}
