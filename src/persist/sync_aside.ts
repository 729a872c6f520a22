/**
 * A finished file made durable off the shard's thread (sync_worker.ts joins the parts when
 * asked, then does the fsync, the rename into place and the directory's fsync); the shard
 * polls `done()` once a turn.
 */

import {
  CANCELLED,
  FAILED,
  type JoinSpec,
  MESSAGE_BYTES,
  RUNNING,
  type SyncJob,
} from "./sync_job.ts";

/** A shard asks the supervisor for a helper: the message it posts. */
export interface SyncRequest {
  type: "sync";
  job: SyncJob;
}

/**
 * The supervisor's side: start the helper Worker for a shard's job. Starting a Worker takes
 * its creator's thread some 17 ms, which a shard under load would show in its latency.
 */
export function startSyncHelper(job: SyncJob): void {
  const w = new Worker(new URL("./sync_worker.ts", import.meta.url), { type: "module" });
  w.postMessage(job);
}

export class SyncAside {
  private readonly shared = new SharedArrayBuffer(8 + MESSAGE_BYTES);
  private readonly state = new Int32Array(this.shared, 0, 2);

  /** `join`: the part files to join into `temp` first. */
  constructor(temp: string, final: string, dir: string, join: JoinSpec | null = null) {
    const job: SyncJob = { temp, final, dir, join, shared: this.shared };
    // inside a shard's Worker the supervisor starts the helper; elsewhere it is started here
    if ("WorkerGlobalScope" in globalThis) {
      const request: SyncRequest = { type: "sync", job };
      (globalThis as unknown as { postMessage(m: SyncRequest): void }).postMessage(request);
    } else startSyncHelper(job);
  }

  /** Whether the helper finished; throws its error if it failed. */
  done(): boolean {
    const s = Atomics.load(this.state, 0);
    if (s === RUNNING) return false;
    if (s === FAILED) {
      const n = this.state[1];
      throw new Error(new TextDecoder().decode(new Uint8Array(this.shared, 8, n).slice()));
    }
    return true;
  }

  /** Give up (shutdown): the helper stops at its next chunk and renames nothing. */
  stop(): void {
    Atomics.compareExchange(this.state, 0, RUNNING, CANCELLED);
  }
}
