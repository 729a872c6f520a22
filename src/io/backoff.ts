/**
 * What both engines do when accept fails (EMFILE and ENFILE when descriptors run out, ENOBUFS,
 * ENOMEM): wait before the next accept, 10 ms doubling up to 1 s while it keeps failing, and
 * log once per episode (when it starts, and when accepting works again) instead of once per
 * failure. The connections waiting meanwhile stay in the listen backlog.
 */
import { log } from "../util/log.ts";

const FIRST_DELAY_MS = 10;
const MAX_DELAY_MS = 1000;

const REASONS: Record<number, string> = {
  12: "Cannot allocate memory",
  23: "Too many open files in system",
  24: "Too many open files",
  103: "Software caused connection abort",
  105: "No buffer space available",
};

export class AcceptBackoff {
  /** the current pause (0: accepting works) */
  delay = 0;
  /** failures in this episode */
  failures = 0;

  /** An accept failed with `errno` (or `reason`): returns how long to wait before the next. */
  failed(errno: number, reason?: string): number {
    this.failures++;
    if (this.delay === 0) {
      this.delay = FIRST_DELAY_MS;
      const why = reason ?? REASONS[errno] ?? `errno ${errno}`;
      log(
        "warning",
        `Accepting client connection: accept: ${why} (retrying every ` +
          `${FIRST_DELAY_MS}..${MAX_DELAY_MS} ms until it works)`,
      );
    } else this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    return this.delay;
  }

  /** An accept worked: ends an episode of failures. */
  succeeded(): void {
    if (this.delay === 0) return;
    log("notice", `Accepting client connections again (after ${this.failures} failed accepts)`);
    this.delay = 0;
    this.failures = 0;
  }
}
