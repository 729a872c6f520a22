/**
 * The failure policy, in one place: a shard that dies after startup takes the whole process
 * down, loudly and at once. A half-alive server is worse than none: the dead shard's listener
 * stays in the SO_REUSEPORT group (a share of new connections would hang), its keys are
 * unreachable and requests forwarded to it wait forever. Exiting non-zero lets the service
 * manager restart the process (systemd's Restart=on-failure).
 */
import { log } from "../util/log.ts";

/** The exit code after a shard crashed (sysexits' EX_SOFTWARE: an internal software error). */
export const EXIT_SHARD_CRASH = 70;

/** What a shard's Worker posts to the supervisor (src/shard/worker.ts). */
import type { SyncJob } from "../persist/sync_job.ts";

export interface ShardMessage {
  type: "listening" | "ready" | "error" | "fatal" | "stopped" | "sync";
  shard: number;
  /** "error": why the shard could not start */
  message?: string;
  /** "fatal": the stack of what was thrown */
  stack?: string;
  /** "sync": a background save's last step, for a helper Worker (src/persist/sync_aside.ts) */
  job?: SyncJob;
}

/** The first line of a report (a startup error stays one line). */
export function firstLine(report: string): string {
  const nl = report.indexOf("\n");
  return nl < 0 ? report : report.slice(0, nl);
}

/** Log the crash of shard `shard` with its stack, and end the process. */
export function shardCrashed(shard: number, report: string): never {
  log("warning", `shard ${shard} crashed: ${report}`);
  log("warning", `exiting with code ${EXIT_SHARD_CRASH}: a server missing a shard cannot serve`);
  Deno.exit(EXIT_SHARD_CRASH);
}
