/**
 * The supervisor runs on the main thread and owns no keys: it builds the ring mesh, spawns one
 * Worker per shard, waits until every shard listens, and shuts them down on request.
 */
import { createMeshInit, Mesh } from "../mesh/mesh.ts";
import { loadUring, probeUring, type UringLib } from "../../ffi/uring.ts";
import type { ShardInit } from "../shard/shard.ts";
import type { Config } from "../config/mod.ts";
import { log } from "../util/log.ts";

const RING_CAPACITY = 1 << 20;

export class StartupError extends Error {}

export interface Server {
  port: number;
  shards: number;
  io: string;
  stop(): Promise<void>;
}

/** Fail early with a clear message when the port is taken (SO_REUSEPORT would hide a peer). */
function checkPort(bind: string, port: number): void {
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

export async function startServer(cfg: Config): Promise<Server> {
  checkPort(cfg.bind, cfg.port);
  const n = cfg.shards;
  const { io, lib } = chooseEngine(cfg.io);
  const efds = lib === null ? [] : Array.from({ length: n }, () => lib.symbols.sk_eventfd());
  const mesh = createMeshInit(n, RING_CAPACITY);
  const workers: Worker[] = [];
  const startedAt = Date.now();
  const accepts = (i: number) => Deno.build.os === "linux" || i === 0;
  const ready = new Array<Promise<void>>();
  for (let i = 0; i < n; i++) {
    const w = new Worker(new URL("../shard/worker.ts", import.meta.url), { type: "module" });
    workers.push(w);
    const init: ShardInit = {
      id: i,
      n,
      port: cfg.port,
      bind: cfg.bind,
      databases: cfg.databases,
      io,
      params: [...cfg.params],
      mesh: { self: i, n, rings: mesh.rings as SharedArrayBuffer[][], control: mesh.control },
      startedAt,
      configFile: cfg.configFile,
      executable: Deno.execPath(),
      efds,
    };
    ready.push(
      new Promise((resolve, reject) => {
        w.onmessage = (e) => {
          const m = e.data as { type: string; message?: string };
          if (m.type === "ready") resolve();
          else if (m.type === "error") {
            reject(new StartupError(`shard ${i} failed to start: ${m.message}`));
          }
        };
        w.onerror = (e) => {
          e.preventDefault();
          reject(new StartupError(`shard ${i} failed to start: ${e.message}`));
        };
      }),
    );
    w.postMessage({ type: "init", init, accept: accepts(i) });
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    Mesh.requestStop(mesh.control, n);
    for (const fd of efds) lib!.symbols.sk_eventfd_write(fd);
    await new Promise((r) => setTimeout(r, 50));
    for (const w of workers) w.terminate();
    throw e;
  }
  log("notice", `ready to accept connections on ${cfg.bind}:${cfg.port} (shards=${n}, io=${io})`);
  let stopped: Promise<void> | null = null;
  return {
    port: cfg.port,
    shards: n,
    io,
    stop() {
      stopped ??= stopAll(workers, () => {
        Mesh.requestStop(mesh.control, n);
        for (const fd of efds) lib!.symbols.sk_eventfd_write(fd);
      });
      return stopped;
    },
  };
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
      w.onmessage = (e) => {
        if ((e.data as { type: string }).type === "stopped") resolve();
      };
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
