/**
 * What a background save's durability helper (sync_worker.ts) is given, and how it answers:
 * through shared memory, which the shard polls (sync_aside.ts).
 */

/** Part files to join into `temp` first (a background save's assembly, assemble.ts). */
export interface JoinSpec {
  parts: string[];
  /** the RDB header, or null: the parts are commands, joined as they are (no header, no EOF) */
  header: Uint8Array | null;
  /** compute the CRC-64 into the EOF (rdbchecksum) */
  checksum: boolean;
}

/** What the helper thread is given. */
export interface SyncJob {
  temp: string;
  final: string;
  dir: string;
  join: JoinSpec | null;
  /** i32 [0]: 0 running, 1 done, 2 failed, 3 cancelled; then the error's UTF-8 bytes (length at [1]) */
  shared: SharedArrayBuffer;
}

export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;
/** set by the shard (a SHUTDOWN gave the save up): the helper stops and leaves no file */
export const CANCELLED = 3;
export const MESSAGE_BYTES = 512;

/** The helper's side: publish the outcome (null: success). */
export function writeOutcome(shared: SharedArrayBuffer, error: string | null): void {
  const i32 = new Int32Array(shared, 0, 2);
  if (error !== null) {
    const bytes = new TextEncoder().encode(error).subarray(0, MESSAGE_BYTES);
    new Uint8Array(shared, 8).set(bytes);
    i32[1] = bytes.length;
  }
  Atomics.compareExchange(i32, 0, RUNNING, error === null ? DONE : FAILED);
}

/** The helper's side: was the job given up? */
export function cancelled(shared: SharedArrayBuffer): boolean {
  return Atomics.load(new Int32Array(shared, 0, 1), 0) === CANCELLED;
}
