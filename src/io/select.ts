/**
 * The one place an engine is chosen for a shard: io_uring when the supervisor picked it (the
 * shim loaded and the kernel probe passed), the listen engine otherwise.
 */
import type { Engine, ShardHost } from "./engine.ts";
import type { Waker } from "../mesh/mesh.ts";
import { ListenEngine } from "./listen.ts";
import { UringEngine } from "./uring.ts";
import { loadUring, type UringLib } from "../../ffi/uring.ts";

/** An engine kind bound to one shard, before the shard exists. */
export interface EngineKind {
  /** how peers wake this shard when it is parked (undefined: the mesh's Atomics wake) */
  readonly waker: Waker | undefined;
  create(host: ShardHost): Engine;
}

/**
 * `io` is what the supervisor chose ("io_uring" or "listen"); `efds` are every shard's
 * eventfd under io_uring (a parked io_uring shard sleeps in the kernel, so peers write its
 * eventfd instead of notifying an Atomics word). Throws when the shim does not load.
 */
export function engineKind(io: string, self: number, efds: number[]): EngineKind {
  if (io !== "io_uring") {
    return { waker: undefined, create: (host) => new ListenEngine(host) };
  }
  const lib = loadUring();
  if ("error" in lib) throw new Error(lib.error);
  const l: UringLib = lib;
  return {
    waker: (t) => l.symbols.sk_eventfd_write(efds[t]),
    create: (host) => new UringEngine(host, l, efds[self]),
  };
}
