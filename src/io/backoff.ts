/**
 * What both engines do when accept fails (EMFILE and ENFILE when descriptors run out, ENOBUFS,
 * ENOMEM): wait before the next accept, 10 ms doubling up to 1 s while it keeps failing, and
 * log once per episode (when it starts, and when accepting works again) instead of once per
 * failure. The connections waiting meanwhile stay in the listen backlog.
 *
 * With descriptors at the limit, any one freed (a client gone, a file the runtime closed) lets
 * one accept through, and the next fails again a millisecond later: the same shortage. A
 * descriptor the runtime holds for a moment can also fail one accept just before the clients
 * fill the table for good (in CI: one failure, accepting again 12 ms later, and the shortage
 * 1.3 s after that). A failure within RESUME_MS of an episode's end takes it up again without a
 * word, so a burst logs one failure and one recovery, not a pair per freed descriptor; should
 * the shortage then last RESUME_MS, it is logged again (the recovery logged before was not one).
 */
import { log } from "../util/log.ts";

const FIRST_DELAY_MS = 10;
const MAX_DELAY_MS = 1000;
const RESUME_MS = 5000;

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
  /** when the last episode ended */
  private endedAt = -Infinity;
  /** this episode took up one that had just ended: not logged (yet), nor is its end */
  private quiet = false;
  private startedAt = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  /** An accept failed with `errno` (or `reason`): returns how long to wait before the next. */
  failed(errno: number, reason?: string): number {
    this.failures++;
    const now = this.clock();
    if (this.delay === 0) {
      this.delay = FIRST_DELAY_MS;
      this.startedAt = now;
      this.quiet = now - this.endedAt < RESUME_MS;
      if (!this.quiet) this.logFailure(errno, reason);
      return this.delay;
    }
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    if (this.quiet && now - this.startedAt >= RESUME_MS) {
      this.quiet = false;
      this.logFailure(errno, reason);
    }
    return this.delay;
  }

  private logFailure(errno: number, reason?: string): void {
    const why = reason ?? REASONS[errno] ?? `errno ${errno}`;
    log(
      "warning",
      `Accepting client connection: accept: ${why} (retrying every ` +
        `${FIRST_DELAY_MS}..${MAX_DELAY_MS} ms until it works)`,
    );
  }

  /** An accept worked: ends an episode of failures. */
  succeeded(): void {
    if (this.delay === 0) return;
    if (!this.quiet) {
      log("notice", `Accepting client connections again (after ${this.failures} failed accepts)`);
    }
    this.delay = 0;
    this.failures = 0;
    this.endedAt = this.clock();
  }
}
