/// <reference lib="deno.worker" />
/**
 * The helper thread of a background save's last step (assemble.ts): fsync the finished file,
 * rename it into place and fsync the directory, so the shard that assembles does not stall
 * for the fsync of the whole file (tens to hundreds of ms). It answers through shared memory,
 * which the shard polls each turn: a shard's thread does not run its event loop while it
 * serves, so a message back would never be read.
 */
import { syncDir } from "./fsync.ts";
import { type SyncJob, writeOutcome } from "./sync_job.ts";

self.onmessage = (e: MessageEvent<SyncJob>) => {
  const job = e.data;
  let error: string | null = null;
  try {
    const f = Deno.openSync(job.temp, { read: true });
    try {
      f.syncSync();
    } finally {
      f.close();
    }
    Deno.renameSync(job.temp, job.final);
    syncDir(job.dir);
  } catch (err) {
    error = (err as Error).message;
  }
  writeOutcome(job.shared, error);
  self.close();
};
