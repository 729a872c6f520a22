/**
 * A finished file made durable off the shard's thread (sync_worker.ts does the fsync, the
 * rename into place and the directory's fsync); the shard polls `done()` once a turn.
 */

import { FAILED, MESSAGE_BYTES, RUNNING, type SyncJob } from "./sync_job.ts";

export class SyncAside {
  private readonly shared = new SharedArrayBuffer(8 + MESSAGE_BYTES);
  private readonly state = new Int32Array(this.shared, 0, 2);
  private worker: Worker | null;

  constructor(temp: string, final: string, dir: string) {
    this.worker = new Worker(new URL("./sync_worker.ts", import.meta.url), { type: "module" });
    const job: SyncJob = { temp, final, dir, shared: this.shared };
    this.worker.postMessage(job);
  }

  /** Whether the helper finished; throws its error if it failed. */
  done(): boolean {
    const s = Atomics.load(this.state, 0);
    if (s === RUNNING) return false;
    this.stop();
    if (s === FAILED) {
      const n = this.state[1];
      throw new Error(new TextDecoder().decode(new Uint8Array(this.shared, 8, n).slice()));
    }
    return true;
  }

  /** Give up (shutdown): the helper is stopped wherever it is. */
  stop(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
