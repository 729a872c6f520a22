/**
 * Connection limits a shard enforces on its own clients, with Redis's semantics: maxclients
 * (the admission itself is server-wide, a counter in the mesh's control SAB), timeout,
 * tcp-keepalive (applied by the io engines), client-output-buffer-limit, and Redis's
 * clientsCron: each client looked at about once a second, a bounded number per tick, for idle
 * timeouts, output buffer soft limits and the recent peaks INFO reports
 * (client_recent_max_input_buffer / client_recent_max_output_buffer).
 */
import type { ConfigStore } from "../config/mod.ts";
import { clientInfoLine } from "../commands/server/client.ts";
import { log } from "../util/log.ts";
import type { Client } from "./client.ts";

/** Redis's reply to a connection over maxclients (written before the socket is closed). */
export const MAXCLIENTS_REFUSAL = new TextEncoder().encode(
  "-ERR max number of clients reached\r\n",
);

/** Redis's CLIENTS_CRON_MIN_ITERATIONS and CLIENTS_PEAK_MEM_USAGE_SLOTS. */
const CRON_MIN_ITERATIONS = 5;
const PEAK_SLOTS = 8;

/** One class of client-output-buffer-limit: bytes, bytes, seconds (0: no limit). */
export interface ObufLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/** client-output-buffer-limit's classes, as CONFIG GET prints them (normal, slave, pubsub). */
export function parseObufLimits(value: string): Record<string, ObufLimit> {
  const out: Record<string, ObufLimit> = {};
  const a = value.split(" ");
  for (let i = 0; i + 3 < a.length; i += 4) {
    out[a[i]] = { hard: Number(a[i + 1]), soft: Number(a[i + 2]), softSeconds: Number(a[i + 3]) };
  }
  return out;
}

export class ClientLimits {
  maxclients = 10000;
  /** timeout in seconds (0: clients are never closed for idling) */
  timeout = 0;
  /** tcp-keepalive in seconds for sockets accepted from now on (0: off) */
  keepAlive = 300;
  /** the normal class's output buffer limit; on: a hard or soft limit is set */
  normal: ObufLimit = { hard: 0, soft: 0, softSeconds: 0 };
  obufOn = false;
  /**
   * The replica and pubsub classes, parsed and kept: they act once replication and pub/sub
   * exist (every Skua client is a normal one today).
   */
  others: Record<string, ObufLimit> = {};
  private readonly peakIn = new Float64Array(PEAK_SLOTS);
  private readonly peakOut = new Float64Array(PEAK_SLOTS);
  private cursor: Iterator<Client> | null = null;

  /** Take the current values (at startup and after CONFIG SET). */
  sync(c: ConfigStore): void {
    this.maxclients = Number(c.value("maxclients") ?? 10000);
    this.timeout = Number(c.value("timeout") ?? 0);
    this.keepAlive = Number(c.value("tcp-keepalive") ?? 300);
    const classes = parseObufLimits(c.value("client-output-buffer-limit") ?? "");
    this.normal = classes.normal ?? { hard: 0, soft: 0, softSeconds: 0 };
    delete classes.normal;
    this.others = classes;
    this.obufOn = this.normal.hard > 0 || this.normal.soft > 0;
  }

  /**
   * Redis's checkClientOutputBufferLimits for a normal client: over the hard limit, or over the
   * soft limit for longer than its seconds (the time it went over is kept on the client).
   */
  overLimit(c: Client, now: number): boolean {
    const used = c.pendingOutput;
    const l = this.normal;
    const hard = l.hard > 0 && used >= l.hard;
    let soft = l.soft > 0 && used >= l.soft;
    const secs = Math.floor(now / 1000);
    if (soft) {
      if (c.obufSoftSince === 0) {
        c.obufSoftSince = secs;
        soft = false;
      } else if (secs - c.obufSoftSince <= l.softSeconds) soft = false;
    } else c.obufSoftSince = 0;
    return hard || soft;
  }

  /**
   * Redis's closeClientOnOutputBufferLimitReached: a client over its limit is closed (its
   * pending output dropped) and logged. `async`: found while replies were being added (Redis
   * then schedules the close, and says so), else from the cron. Returns true if closed.
   */
  closeIfOver(c: Client, now: number, async: boolean): boolean {
    if (c.closed || c.killed || c.pendingOutput === 0 || !this.overLimit(c, now)) return false;
    const info = clientInfoLine(c, now).trimEnd();
    log(
      "warning",
      async
        ? `Client ${info} scheduled to be closed ASAP for overcoming of output buffer limits.`
        : `Client ${info} closed for overcoming of output buffer limits.`,
    );
    c.kill();
    return true;
  }

  /**
   * Redis's clientsCron over this shard's clients: about clients/hz of them per call (so each
   * is seen once a second), at least a few.
   */
  cron(clients: Map<number, Client>, now: number, hz: number): void {
    const secs = Math.floor(now / 1000);
    const slot = secs % PEAK_SLOTS;
    // the next second's slot starts from zero, so the peaks are those of the last few seconds
    this.peakIn[(slot + 1) % PEAK_SLOTS] = 0;
    this.peakOut[(slot + 1) % PEAK_SLOTS] = 0;
    const n = clients.size;
    let todo = Math.floor(n / hz);
    if (todo < CRON_MIN_ITERATIONS) todo = Math.min(n, CRON_MIN_ITERATIONS);
    let it = this.cursor ?? clients.values();
    while (todo-- > 0) {
      let r = it.next();
      if (r.done) {
        it = clients.values();
        r = it.next();
        if (r.done) break;
      }
      const c = r.value;
      if (c.closed) continue;
      if (this.timedOut(c, secs)) {
        log("verbose", "Closing idle client");
        c.kill();
        continue;
      }
      const inBytes = c.parser.bufferBytes, outBytes = c.pendingOutput;
      if (inBytes > this.peakIn[slot]) this.peakIn[slot] = inBytes;
      if (outBytes > this.peakOut[slot]) this.peakOut[slot] = outBytes;
      if (this.obufOn) this.closeIfOver(c, now, false);
    }
    this.cursor = it;
  }

  /**
   * Redis's clientsCronHandleTimeout: idle (no command read, no reply written) for more than
   * `timeout` whole seconds. Clients waiting for something are not idle: Redis exempts blocked
   * clients; here that is a client paused on locks or owed replies by other shards.
   */
  private timedOut(c: Client, secs: number): boolean {
    return this.timeout > 0 && !c.paused && c.queue.length === 0 &&
      secs - Math.floor(c.lastInteraction / 1000) > this.timeout;
  }

  /** The biggest input and output buffers of the last few seconds (INFO clients). */
  recentMax(): [number, number] {
    let i = 0, o = 0;
    for (let j = 0; j < PEAK_SLOTS; j++) {
      if (this.peakIn[j] > i) i = this.peakIn[j];
      if (this.peakOut[j] > o) o = this.peakOut[j];
    }
    return [i, o];
  }
}
