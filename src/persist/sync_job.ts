/**
 * What a background save's durability helper (sync_worker.ts) is given, and how it answers:
 * through shared memory, which the shard polls (sync_aside.ts).
 */

/** What the helper thread is given. */
export interface SyncJob {
  temp: string;
  final: string;
  dir: string;
  /** i32 [0]: 0 running, 1 done, 2 failed; then the error's UTF-8 bytes (length at [1]) */
  shared: SharedArrayBuffer;
}

export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;
export const MESSAGE_BYTES = 512;

/** The helper's side: publish the outcome (null: success). */
export function writeOutcome(shared: SharedArrayBuffer, error: string | null): void {
  const i32 = new Int32Array(shared, 0, 2);
  if (error !== null) {
    const bytes = new TextEncoder().encode(error).subarray(0, MESSAGE_BYTES);
    new Uint8Array(shared, 8).set(bytes);
    i32[1] = bytes.length;
  }
  Atomics.store(i32, 0, error === null ? DONE : FAILED);
}
