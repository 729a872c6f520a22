/// <reference lib="deno.worker" />
/**
 * Entry point of a shard Worker. The supervisor posts one `init` message (config and the
 * mesh's SharedArrayBuffers); everything else flows through the mesh and the control SAB,
 * whose stop flag ends the engine's run (one start path, one stop path, for every engine).
 */
import { registerCommands } from "../commands/mod.ts";
import type { ShardInit } from "./shard.ts";
import { ShardLoop } from "./loop.ts";
import { engineKind } from "../io/select.ts";
import type { Engine } from "../io/engine.ts";

function fail(shard: number, err: unknown): void {
  const e = err as Error;
  self.postMessage({ type: "error", shard, name: e.name, message: e.message });
}

function start(init: ShardInit, accept: boolean): void {
  let engine: Engine;
  try {
    registerCommands();
    const kind = engineKind(init.io, init.id, init.efds);
    engine = kind.create(new ShardLoop(init, kind.waker));
    engine.start(accept);
  } catch (err) {
    return fail(init.id, err);
  }
  self.postMessage({ type: "ready", shard: init.id });
  // leave onmessage first: a synchronous engine's loop owns the thread until the stop flag
  setTimeout(async () => {
    await engine.run();
    self.postMessage({ type: "stopped" });
  }, 0);
}

self.onmessage = (e: MessageEvent) => {
  const msg = e.data as { type: string; init?: ShardInit; accept?: boolean };
  if (msg.type === "init") start(msg.init!, msg.accept ?? true);
};
