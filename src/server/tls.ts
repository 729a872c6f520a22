/**
 * The TLS terminator. An io_uring shard's loop is synchronous and owns its thread, so Deno's
 * async TLS cannot run inside it; TLS is decrypted here instead, on the main thread (which owns
 * no keys), for both engines alike. Each TLS client gets its own loopback connection to the
 * shards' plain listener: the kernel spreads those over the shards (SO_REUSEPORT) exactly as it
 * spreads plain clients, and the connection's first line, a preamble carrying a per-process
 * secret, gives the shard the client's real address (src/shard/preamble.ts). Then bytes are
 * piped both ways until either side closes.
 *
 * node:tls is used rather than Deno.listenTls: it can request and verify client certificates
 * (tls-auth-clients) and bound the protocol versions (tls-protocols), and its piping measured
 * no slower than Deno streams. The settings are read and checked beforehand (tls_plan.ts).
 */
import tls from "node:tls";
import net from "node:net";
import { preambleLine } from "../shard/preamble.ts";
import { log } from "../util/log.ts";
import { probeHostFor, TlsConfigError, type TlsPlan } from "./tls_plan.ts";

/** "ip:port", as the shards' engines write addresses (IPv4-mapped IPv6 as plain IPv4). */
function addrOf(host: string | undefined, port: number | undefined): string {
  let h = host ?? "?";
  if (h.startsWith("::ffff:")) h = h.slice(7);
  return `${h}:${port ?? 0}`;
}

/** A running terminator. */
export interface TlsTerminator {
  readonly port: number;
  /** Stop accepting and close every TLS connection. */
  close(): Promise<void>;
}

/**
 * How often the listener is probed, and how long a probe's connection may wait to be accepted.
 * Deno's node:net/node:tls servers stop accepting for good after an accept error such as
 * EMFILE (measured on Deno 2.9.6: no 'error' event, the listen socket's backlog just fills):
 * a probe connection that is never accepted shows it, and the listener is opened again.
 */
const PROBE_EVERY_MS = 1000;
const PROBE_WAIT_MS = 2000;

class Terminator implements TlsTerminator {
  readonly port: number;
  private server: tls.Server | null = null;
  private readonly opts: tls.TlsOptions;
  private readonly sockets = new Set<net.Socket>();
  private readonly timer: ReturnType<typeof setInterval>;
  /** the probe connection waiting to be accepted, its local port and when it was made */
  private probe: Deno.TcpConn | null = null;
  private probePort = 0;
  private probeAt = 0;
  private probing = false;
  private closed = false;

  constructor(private readonly plan: TlsPlan) {
    this.port = plan.port;
    this.opts = {
      cert: plan.cert,
      key: plan.key,
      minVersion: plan.versions[0] as tls.SecureVersion,
      maxVersion: plan.versions[plan.versions.length - 1] as tls.SecureVersion,
    };
    if (plan.ca !== null) {
      this.opts.ca = plan.ca;
      this.opts.requestCert = true;
      // optional: a client without a certificate is let in, a bad certificate is not (serve)
      this.opts.rejectUnauthorized = plan.authClients === "yes";
    }
    this.timer = setInterval(() => this.check(), PROBE_EVERY_MS);
  }

  /** Opens the listener; rejects when it cannot be bound. */
  listen(): Promise<void> {
    const server = tls.createServer(this.opts, (client) => this.serve(client));
    this.server = server;
    server.on("connection", (sock: net.Socket) => {
      if (this.probe === null || sock.remotePort !== this.probePort) return;
      this.endProbe();
      sock.destroy();
    });
    // a failed handshake (no or a bad client certificate, a plain-text client, a protocol the
    // settings exclude) concerns that client only
    server.on("tlsClientError", (e: Error, s: tls.TLSSocket) => {
      // by now Deno's TLSSocket has let go of its address; the TCP socket under it has not
      const raw = (s as unknown as { _parent?: net.Socket })._parent;
      const host = s.remoteAddress ?? raw?.remoteAddress, port = s.remotePort ?? raw?.remotePort;
      // this terminator's own probes are dropped before any handshake: not worth a line
      if (port !== this.probePort) {
        log("verbose", `TLS handshake with ${addrOf(host, port)} failed: ${e.message}`);
      }
      s.destroy();
    });
    const where = `${this.plan.bind}:${this.plan.port} (tls-port)`;
    return new Promise((resolve, reject) => {
      const onStartError = (e: Error) =>
        reject(new TlsConfigError(`cannot listen on ${where}: ${e.message}`));
      server.once("error", onStartError);
      server.listen(this.plan.port, this.plan.bind, () => {
        server.off("error", onStartError);
        server.on("error", (e: Error) => log("warning", `TLS listener ${where}: ${e.message}`));
        resolve();
      });
    });
  }

  /** A client whose handshake succeeded: a loopback connection to the shards, preamble first. */
  private serve(client: tls.TLSSocket): void {
    const plan = this.plan;
    const peer = addrOf(client.remoteAddress, client.remotePort);
    if (plan.authClients === "optional" && !client.authorized) {
      const pc = client.getPeerCertificate();
      if (pc !== null && pc !== undefined && Object.keys(pc).length > 0) {
        log("verbose", `TLS client ${peer} refused: ${client.authorizationError}`);
        client.destroy();
        return;
      }
    }
    const local = addrOf(client.localAddress, client.localPort);
    const up = net.connect({ host: plan.upstreamHost, port: plan.upstreamPort });
    const sockets = this.sockets;
    sockets.add(client);
    sockets.add(up);
    client.setNoDelay(true);
    up.setNoDelay(true);
    // the shard's keepalive acts on the loopback connection; the client's socket is this one
    if (plan.keepAliveMs > 0) client.setKeepAlive(true, plan.keepAliveMs);
    up.write(preambleLine(plan.secret, peer, local));
    client.pipe(up);
    up.pipe(client);
    const fail = () => {
      client.destroy();
      up.destroy();
    };
    client.on("error", fail);
    up.on("error", fail);
    // a side that closes ends the other once what it wrote is out (a QUIT's +OK, say)
    client.on("close", () => {
      sockets.delete(client);
      up.end();
    });
    up.on("close", () => {
      sockets.delete(up);
      client.end();
    });
  }

  /** Once a period: is the listener still accepting? Opened again when it is not. */
  private check(): void {
    if (this.closed) return;
    if (this.server === null) {
      // a reopening that failed (the port taken meanwhile): try again
      this.listen().catch((e) => log("warning", (e as Error).message));
      return;
    }
    if (this.probe !== null) {
      if (Date.now() - this.probeAt < PROBE_WAIT_MS) return;
      this.endProbe();
      log(
        "warning",
        `TLS listener ${this.plan.bind}:${this.plan.port} stopped accepting connections ` +
          "(an accept error such as too many open files): listening again",
      );
      const old = this.server;
      this.server = null;
      old.close();
      // the old listen socket goes first; open connections stay
      setTimeout(() => {
        if (!this.closed && this.server === null) {
          this.listen().catch((e) => log("warning", (e as Error).message));
        }
      }, 50);
      return;
    }
    if (this.probing) return;
    this.probing = true;
    Deno.connect({ hostname: probeHostFor(this.plan.bind), port: this.plan.port }).then(
      (conn) => {
        this.probing = false;
        if (this.closed) return conn.close();
        this.probe = conn;
        this.probePort = (conn.localAddr as Deno.NetAddr).port;
        this.probeAt = Date.now();
      },
      // out of descriptors ourselves, or refused: nothing to learn until the next period
      () => (this.probing = false),
    );
  }

  private endProbe(): void {
    try {
      this.probe?.close();
    } catch {
      // closed by the server side already
    }
    this.probe = null;
  }

  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.endProbe();
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server === null) return Promise.resolve();
    return new Promise<void>((done) => server.close(() => done()));
  }
}

/** Starts listening on tls-port; resolves once the listener is bound. */
export async function startTerminator(plan: TlsPlan): Promise<TlsTerminator> {
  const t = new Terminator(plan);
  try {
    await t.listen();
  } catch (e) {
    await t.close();
    throw e;
  }
  return t;
}
