/// <reference lib="deno.worker" />
/**
 * Entry point of a shard Worker. The supervisor posts one `init` message (config and the
 * mesh's SharedArrayBuffers) and later `stop`; everything else flows through the mesh.
 */
import "../commands/mod.ts";
import { Shard, type ShardInit } from "./shard.ts";
import { ListenEngine } from "../io/listen.ts";

let engine: ListenEngine | null = null;

self.onmessage = async (e: MessageEvent) => {
  const msg = e.data as { type: string; init?: ShardInit; accept?: boolean };
  if (msg.type === "init") {
    const shard = new Shard(msg.init!);
    engine = new ListenEngine(shard);
    try {
      engine.start(msg.accept ?? true);
      self.postMessage({ type: "ready", shard: shard.id });
    } catch (err) {
      const e2 = err as Error;
      self.postMessage({ type: "error", shard: shard.id, name: e2.name, message: e2.message });
    }
  } else if (msg.type === "stop") {
    await engine?.stop();
    self.postMessage({ type: "stopped" });
  }
};
