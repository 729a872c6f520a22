/**
 * Open files for maxclients, as Redis's adjustOpenFilesLimit: at startup the limit is raised
 * to maxclients plus what the server itself keeps open, and where the system refuses,
 * maxclients is lowered to what fits (with Redis's log lines) rather than left as a number the
 * process could never reach: clients past it would wait unanswered in the listen backlog.
 */
import { nofileLimit, raiseNofile } from "../../ffi/libc.ts";
import { log } from "./log.ts";

/**
 * Descriptors the server keeps besides its clients: Redis's CONFIG_MIN_RESERVED_FDS (32) to
 * spare, plus what Skua holds idle (measured: 24 for the runtime and 9 per shard: its Worker's
 * event loop, listener, io ring and eventfd), rounded up.
 */
export function reservedFds(shards: number): number {
  return 32 + 24 + 10 * shards;
}

/**
 * Returns the maxclients the process can hold (the one asked for, or lower), or a message
 * when not even the reserve fits (the server cannot start).
 */
export function fitMaxclients(maxclients: number, shards: number): number | string {
  const reserve = reservedFds(shards);
  const want = maxclients + reserve;
  const before = nofileLimit();
  const got = raiseNofile(want);
  if (before === null || got === null) return maxclients; // not Linux/glibc: nothing to adjust
  if (got >= want) {
    if (before.soft < want) {
      log(
        "notice",
        `Increased maximum number of open files to ${want} (it was originally set to ${before.soft}).`,
      );
    }
    return maxclients;
  }
  if (got <= reserve) {
    return `Your current 'ulimit -n' of ${before.soft} is not enough for the server to start. ` +
      `Please increase your open file limit to at least ${want}. Exiting.`;
  }
  const fit = got - reserve;
  log(
    "warning",
    `You requested maxclients of ${maxclients} requiring at least ${want} max file descriptors.`,
  );
  log(
    "warning",
    `Server can't set maximum open files to ${want} because of OS error: Operation not permitted.`,
  );
  log(
    "warning",
    `Current maximum open files is ${got}. maxclients has been reduced to ${fit} to compensate ` +
      `for low ulimit. If you need higher maxclients increase 'ulimit -n'.`,
  );
  return fit;
}

/**
 * CONFIG SET maxclients above the current value: the limit is raised first, and a value the
 * system cannot hold is refused with Redis's words. Returns null when it fits.
 */
export function maxclientsRoom(maxclients: number, shards: number): string | null {
  const reserve = reservedFds(shards);
  const got = raiseNofile(maxclients + reserve);
  if (got === null || got >= maxclients + reserve) return null;
  return "The operating system is not able to handle the specified number of clients, try with " +
    `${Math.max(0, got - reserve)}`;
}
