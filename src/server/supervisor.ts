/**
 * The supervisor runs on the main thread and owns no keys: it builds the ring mesh, spawns one
 * Worker per shard, waits until every shard listens, and shuts them down on request.
 */
import { createMeshInit } from "../mesh/mesh.ts";
import type { ShardInit } from "../shard/shard.ts";
import type { Config } from "../config/mod.ts";
import { log } from "./log.ts";

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
  // only the readiness engine exists so far: `auto` resolves to it and `uring` fails fast
  if (cfg.io === "uring") {
    throw new StartupError("io 'uring' is not available: this build has only the listen engine");
  }
  const io = "listen";
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
    };
    ready.push(
      new Promise((resolve, reject) => {
        w.onmessage = (e) => {
          const m = e.data as { type: string; message?: string };
          if (m.type === "ready") resolve();
          else if (m.type === "error") {
            reject(new StartupError(`cannot listen on ${cfg.bind}:${cfg.port}: ${m.message}`));
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
      stopped ??= stopAll(workers);
      return stopped;
    },
  };
}

async function stopAll(workers: Worker[]): Promise<void> {
  const done = workers.map((w) =>
    new Promise<void>((resolve) => {
      w.onmessage = (e) => {
        if ((e.data as { type: string }).type === "stopped") resolve();
      };
      w.postMessage({ type: "stop" });
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
