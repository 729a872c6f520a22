/// <reference lib="deno.worker" />
/**
 * Entry point of a shard Worker. The supervisor posts one `init` message (config and the
 * mesh's SharedArrayBuffers); everything else flows through the mesh and the control SAB,
 * whose stop flag ends the engine's run (one start path, one stop path, for every engine).
 *
 * Failure model: a command handler's error is answered with `-ERR` where it runs
 * (src/shard/execute.ts). Anything else that throws in this Worker — the engine's loop, the
 * mesh, folds, the transaction and shipping code, a rejected promise nobody awaited — means
 * this shard's state can no longer be trusted, and peers may be waiting for it forever. It is
 * reported to the supervisor as `fatal` (with the stack), which ends the whole process.
 */
import { registerCommands } from "../commands/mod.ts";
import type { ShardInit } from "./shard.ts";
import { ShardLoop } from "./loop.ts";
import { engineKind } from "../io/select.ts";
import type { Engine } from "../io/engine.ts";

/** This Worker's shard id, once init arrived (-1 before). */
let shardId = -1;

/** The error's stack (or what can be said of a thrown non-Error). */
function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return `uncaught value: ${String(err)}`;
}

function fail(shard: number, err: unknown): void {
  const e = err as Error;
  self.postMessage({ type: "error", shard, name: e.name, message: e.message });
}

/** Tell the supervisor this shard is dead; it logs the stack and ends the process. */
function crashed(err: unknown): void {
  self.postMessage({ type: "fatal", shard: shardId, stack: describe(err) });
}

self.addEventListener("error", (e: ErrorEvent) => {
  e.preventDefault();
  crashed(e.error ?? e.message);
});
self.addEventListener("unhandledrejection", (e: PromiseRejectionEvent) => {
  e.preventDefault();
  crashed(e.reason);
});

function start(init: ShardInit, accept: boolean): void {
  shardId = init.id;
  let engine: Engine;
  let aof: { close(): void } | null = null;
  try {
    registerCommands();
    const kind = engineKind(init.io, init.id, init.efds);
    const host = new ShardLoop(init, kind.waker);
    aof = host.shard.aof;
    engine = kind.create(host);
    engine.start(accept);
    self.postMessage({ type: "listening", shard: init.id });
    // the shard listens, then loads the dataset in steps of its loop's turns, answering
    // -LOADING meanwhile (src/shard/startup_load.ts); "ready" follows once it is loaded
    host.startLoading({
      ready: () => self.postMessage({ type: "ready", shard: init.id }),
      failed: (message) => self.postMessage({ type: "error", shard: init.id, message }),
    });
  } catch (err) {
    return fail(init.id, err);
  }
  // leave onmessage first: a synchronous engine's loop owns the thread until the stop flag
  setTimeout(async () => {
    try {
      await engine.run();
      aof?.close();
    } catch (err) {
      return crashed(err);
    }
    self.postMessage({ type: "stopped" });
  }, 0);
}

self.onmessage = (e: MessageEvent) => {
  const msg = e.data as { type: string; init?: ShardInit; accept?: boolean };
  if (msg.type === "init") start(msg.init!, msg.accept ?? true);
};
