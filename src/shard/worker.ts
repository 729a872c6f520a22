/// <reference lib="deno.worker" />
/**
 * Entry point of a shard Worker. The supervisor posts one `init` message (config and the
 * mesh's SharedArrayBuffers); everything else flows through the mesh and the control SAB.
 * The listen engine is async and also takes a `stop` message; the io_uring engine runs a
 * synchronous loop that sees the stop flag in the control SAB.
 */
import "../commands/mod.ts";
import { Shard, type ShardInit } from "./shard.ts";
import { ListenEngine } from "../io/listen.ts";
import { UringEngine } from "../io/uring.ts";
import { loadUring } from "../../ffi/uring.ts";

let listen: ListenEngine | null = null;

function fail(shard: number, err: unknown): void {
  const e = err as Error;
  self.postMessage({ type: "error", shard, name: e.name, message: e.message });
}

function startUring(init: ShardInit, accept: boolean): void {
  const lib = loadUring();
  if ("error" in lib) return fail(init.id, new Error(lib.error));
  const efds = init.efds;
  const shard = new Shard(init, (t) => lib.symbols.sk_eventfd_write(efds[t]));
  let engine: UringEngine;
  try {
    engine = new UringEngine(shard, lib, efds[init.id]);
    engine.listen(accept);
  } catch (err) {
    return fail(init.id, err);
  }
  self.postMessage({ type: "ready", shard: shard.id });
  // leave onmessage first; from here the loop owns the thread until the stop flag
  setTimeout(() => {
    engine.run();
    self.postMessage({ type: "stopped" });
  }, 0);
}

self.onmessage = async (e: MessageEvent) => {
  const msg = e.data as { type: string; init?: ShardInit; accept?: boolean };
  if (msg.type === "init") {
    const init = msg.init!;
    if (init.io === "io_uring") return startUring(init, msg.accept ?? true);
    const shard = new Shard(init);
    listen = new ListenEngine(shard);
    try {
      listen.start(msg.accept ?? true);
      self.postMessage({ type: "ready", shard: shard.id });
    } catch (err) {
      fail(shard.id, err);
    }
  } else if (msg.type === "stop") {
    await listen?.stop();
    self.postMessage({ type: "stopped" });
  }
};
