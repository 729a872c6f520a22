/**
 * The supervisor runs on the main thread and owns no keys: it builds the ring mesh, spawns one
 * Worker per shard, waits until every shard listens, and shuts them down on request.
 */
import { sharedPort } from "./port_owner.ts";
import { createMeshInit, Mesh } from "../mesh/mesh.ts";
import {
  Errno,
  lastError,
  loadUring,
  probePort,
  probeUring,
  type UringLib,
} from "../../ffi/uring.ts";
import type { ShardInit } from "../shard/shard.ts";
import type { Config } from "../config/mod.ts";
import { log } from "../util/log.ts";
import { fitMaxclients } from "../util/fds.ts";
import { firstLine, shardCrashed, type ShardMessage } from "./failure.ts";
import { startSyncHelper } from "../persist/sync_aside.ts";
import { startTerminator, type TlsTerminator } from "./tls.ts";
import { planTls, TlsConfigError, type TlsPlan } from "./tls_plan.ts";
import {
  createPersistShared,
  PersistState,
  SHUTDOWN_GO,
  SHUTDOWN_REFUSED,
} from "../persist/state.ts";
import { SHUTDOWN_NOSAVE, SHUTDOWN_SAVE } from "../persist/persistence.ts";

const RING_CAPACITY = 1 << 20;

export class StartupError extends Error {}

export interface Server {
  port: number;
  /** 0: no TLS */
  tlsPort: number;
  shards: number;
  io: string;
  stop(): Promise<void>;
  /**
   * A signal (SIGTERM 15, SIGINT 2) arrived: true when the shards first save (save points,
   * shutdown-on-sig* save) and then call `onShutdown`; false when the caller stops at once.
   */
  signal(sig: number): boolean;
  /** Called once SHUTDOWN (a client's, or a signal's with its save) lets the process exit. */
  onShutdown: (why: string) => void;
}

/**
 * Fail early with a clear message when the port is taken (SO_REUSEPORT would hide a peer). With
 * the shim the probe only binds; without it, it listens for a moment, and a client that tries
 * the port just then is accepted and reset.
 */
function checkPort(bind: string, port: number, lib: UringLib | null): void {
  if (lib !== null) {
    const errno = probePort(lib, bind, port);
    if (errno === 0) return;
    const why = errno === Errno.EADDRINUSE
      ? "address already in use"
      : errno === Errno.EADDRNOTAVAIL
      ? "address not available"
      : lastError(lib);
    throw new StartupError(`cannot listen on ${bind}:${port}: ${why}`);
  }
  try {
    Deno.listen({ hostname: bind, port }).close();
  } catch (e) {
    const why = e instanceof Deno.errors.AddrInUse
      ? "address already in use"
      : e instanceof Deno.errors.AddrNotAvailable
      ? "address not available"
      : (e as Error).message;
    throw new StartupError(`cannot listen on ${bind}:${port}: ${why}`);
  }
}

/**
 * The listeners' plan: the plain port, and TLS's (null when tls-port is 0), checked before any
 * shard starts. Port 0 with TLS: the shards listen on loopback only, for the terminator.
 */
function planListeners(cfg: Config, lib: UringLib | null): TlsPlan | null {
  let plan: TlsPlan | null;
  try {
    plan = planTls(cfg.params, cfg.bind, cfg.port);
  } catch (e) {
    if (e instanceof TlsConfigError) throw new StartupError(e.message);
    throw e;
  }
  // Redis's words when neither port nor tls-port is set
  if (cfg.port === 0 && plan === null) {
    throw new StartupError("Configured to not listen anywhere, exiting.");
  }
  if (cfg.port !== 0) checkPort(cfg.bind, cfg.port, lib);
  if (plan !== null) checkPort(cfg.bind, plan.port, lib);
  return plan;
}

export async function startServer(cfg: Config): Promise<Server> {
  const { io, lib } = chooseEngine(cfg.io);
  const tlsPlan = planListeners(cfg, lib);
  let terminator: TlsTerminator | null = null;
  const n = cfg.shards;
  const fit = fitMaxclients(Number(cfg.params.get("maxclients") ?? 10000), n);
  if (typeof fit === "string") throw new StartupError(fit);
  // what CONFIG GET maxclients reports after a reduction, as in Redis
  if (cfg.params.has("maxclients") || fit !== 10000) cfg.params.set("maxclients", String(fit));
  const efds = lib === null ? [] : Array.from({ length: n }, () => lib.symbols.sk_eventfd());
  const mesh = createMeshInit(n, RING_CAPACITY);
  // the shards listen, then load the dataset (answering -LOADING), then report "ready"
  const persist = createPersistShared(n, true);
  const workers: Worker[] = [];
  const startedAt = Date.now();
  const accepts = (i: number) => Deno.build.os === "linux" || i === 0;
  const ready = new Array<Promise<void>>();
  /** each shard listens (then it loads, answering -LOADING, and reports "ready") */
  const listening = new Array<Promise<void>>();
  // a shard failing before the server is up fails the startup (one line, exit 1); once it is
  // up, a shard's failure ends the process (failure.ts)
  let serving = false;
  let startupFailed: (e: Error) => void = () => {};
  const failedEarly = new Promise<never>((_, reject) => (startupFailed = reject));
  const failed = (i: number, report: string) => {
    if (serving) shardCrashed(i, report);
    startupFailed(new StartupError(`shard ${i} failed to start: ${firstLine(report)}`));
  };
  for (let i = 0; i < n; i++) {
    const w = new Worker(new URL("../shard/worker.ts", import.meta.url), { type: "module" });
    workers.push(w);
    const init: ShardInit = {
      id: i,
      n,
      port: tlsPlan?.internal ? tlsPlan.upstreamPort : cfg.port,
      bind: tlsPlan?.internal ? "127.0.0.1" : cfg.bind,
      databases: cfg.databases,
      io,
      params: [...cfg.params],
      mesh: { self: i, n, rings: mesh.rings as SharedArrayBuffer[][], control: mesh.control },
      startedAt,
      configFile: cfg.configFile,
      executable: Deno.execPath(),
      efds,
      users: cfg.users,
      tlsSecret: tlsPlan?.secret ?? "",
      tlsOnly: tlsPlan?.internal ?? false,
      persist,
    };
    let listened: () => void = () => {};
    listening.push(new Promise((resolve) => (listened = resolve)));
    ready.push(
      new Promise((resolve) => {
        // kept for the Worker's life (stopAll listens for "stopped" beside it)
        w.onmessage = (e) => {
          const m = e.data as ShardMessage;
          if (m.type === "listening") listened();
          else if (m.type === "ready") resolve();
          else if (m.type === "error") failed(i, m.message ?? "unknown error");
          else if (m.type === "fatal") failed(i, m.stack ?? "unknown error");
          else if (m.type === "sync" && m.job !== undefined) startSyncHelper(m.job);
        };
        // what the Worker's own handlers could not report (an error while loading its modules)
        w.onerror = (e) => {
          e.preventDefault();
          failed(i, `${e.message} (${e.filename}:${e.lineno}:${e.colno})`);
        };
      }),
    );
    w.postMessage({ type: "init", init, accept: accepts(i) });
  }
  try {
    // TLS clients reach the shards through their listener: it starts once they listen, so
    // they too are answered (-LOADING) while the dataset loads
    await Promise.race([Promise.all(listening), failedEarly]);
    const shardPort = tlsPlan?.internal ? tlsPlan.upstreamPort : cfg.port;
    if (shardPort !== 0 && sharedPort(shardPort)) {
      throw new StartupError(`cannot listen on ${cfg.bind}:${shardPort}: address already in use`);
    }
    if (tlsPlan !== null) terminator = await startTerminator(tlsPlan);
    await Promise.race([Promise.all(ready), failedEarly]);
    serving = true;
  } catch (e) {
    await terminator?.close();
    Mesh.requestStop(mesh.control, n);
    for (const fd of efds) lib!.symbols.sk_eventfd_write(fd);
    await new Promise((r) => setTimeout(r, 50));
    for (const w of workers) w.terminate();
    throw e instanceof TlsConfigError ? new StartupError(e.message) : e;
  }
  if (cfg.port !== 0) {
    log("notice", `ready to accept connections on ${cfg.bind}:${cfg.port} (shards=${n}, io=${io})`);
  }
  if (tlsPlan !== null) {
    log(
      "notice",
      `ready to accept TLS connections on ${cfg.bind}:${tlsPlan.port} (shards=${n}, io=${io}` +
        (tlsPlan.internal ? `, internal listener 127.0.0.1:${tlsPlan.upstreamPort})` : ")"),
    );
  }
  let stopped: Promise<void> | null = null;
  const pstate = new PersistState(persist, n);
  let bySignal = "";
  // SHUTDOWN's outcome is a word the shards set (src/persist/state.ts)
  const poll = setInterval(() => {
    const s = pstate.shutdown;
    if (s === SHUTDOWN_GO) {
      clearInterval(poll);
      server.onShutdown(bySignal || "SHUTDOWN");
    } else if (s === SHUTDOWN_REFUSED) {
      pstate.shutdown = 0;
      if (bySignal !== "") {
        log(
          "warning",
          "Errors trying to shut down the server. Check the logs for more information.",
        );
      }
      bySignal = "";
    }
  }, 50);
  const server: Server = {
    port: cfg.port,
    tlsPort: tlsPlan?.port ?? 0,
    shards: n,
    io,
    // embedded (mod.ts): SHUTDOWN stops the server; main.ts replaces it with its exit
    onShutdown: () => void server.stop(),
    signal(sig: number): boolean {
      const f = pstate.onSignal(sig);
      const save = (f & SHUTDOWN_SAVE) !== 0 || (pstate.savePoints && (f & SHUTDOWN_NOSAVE) === 0);
      if (!save || bySignal !== "") return bySignal !== "";
      bySignal = sig === 2 ? "SIGINT" : "SIGTERM";
      pstate.requestSignal(sig);
      return true;
    },
    stop() {
      clearInterval(poll);
      // TLS clients first: the terminator's connections to the shards close with them
      stopped ??= (terminator?.close() ?? Promise.resolve()).then(() =>
        stopAll(workers, () => {
          Mesh.requestStop(mesh.control, n);
          for (const fd of efds) lib!.symbols.sk_eventfd_write(fd);
        })
      );
      return stopped;
    },
  };
  return server;
}

/**
 * `--io auto` takes io_uring when the shim loads and the probe passes, else the listen engine
 * with one log line saying why; `--io uring` fails fast with that reason instead.
 */
function chooseEngine(want: string): { io: string; lib: UringLib | null } {
  if (want === "listen") return { io: "listen", lib: null };
  const p = probeUring();
  if (p.ok) {
    const lib = loadUring();
    if (!("error" in lib)) return { io: "io_uring", lib };
  }
  const reason = p.ok ? "the shim failed to load" : p.reason;
  if (want === "uring") throw new StartupError(`io_uring is not available: ${reason}`);
  log("notice", `io_uring is not available (${reason}); using the listen engine`);
  return { io: "listen", lib: null };
}

async function stopAll(workers: Worker[], signal: () => void): Promise<void> {
  signal();
  const done = workers.map((w) =>
    new Promise<void>((resolve) => {
      w.addEventListener("message", (e) => {
        if ((e.data as ShardMessage).type === "stopped") resolve();
      });
    })
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(done),
    new Promise((r) => (timer = setTimeout(r, 1500))),
  ]);
  clearTimeout(timer);
  for (const w of workers) w.terminate();
}
