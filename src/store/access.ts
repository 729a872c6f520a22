/**
 * Redis's 24-bit LRU/LFU field of a key (OBJECT IDLETIME / FREQ, and what the eviction
 * policies read): the LRU clock in seconds, or under an LFU maxmemory-policy the last
 * decrement time in minutes (16 bits) and a logarithmic access counter (8 bits).
 */
import type { ConfigStore } from "../config/mod.ts";

/** Redis's LRU clock: seconds, 24 bits (LRU_CLOCK_MAX). */
export const LRU_CLOCK_MAX = 0xffffff;
/** Redis's LFU_INIT_VAL: the counter of a new key under an LFU policy. */
const LFU_INIT_VAL = 5;

/** The LRU clock at `now` (ms). */
export function lruClock(now: number): number {
  return (now / 1000) & LRU_CLOCK_MAX;
}

function lfuMinutes(now: number): number {
  return (now / 60000) & 0xffff;
}

/** How this shard tracks accesses, as its maxmemory-policy / lfu-* settings say. */
export class AccessPolicy {
  lfu = false;
  logFactor = 10;
  decayTime = 1;

  /** Follow the config (at startup and after every CONFIG SET). */
  sync(config: ConfigStore): void {
    this.lfu = (config.value("maxmemory-policy") ?? "noeviction").endsWith("-lfu");
    this.logFactor = Number(config.value("lfu-log-factor") ?? 10);
    this.decayTime = Number(config.value("lfu-decay-time") ?? 1);
  }

  /** The field of a key created at `now`. */
  fresh(now: number): number {
    return this.lfu ? (lfuMinutes(now) << 8) | LFU_INIT_VAL : lruClock(now);
  }

  /** The field after an access at `now` (Redis's updateLFU, or the LRU clock). */
  touched(field: number, now: number): number {
    if (!this.lfu) return lruClock(now);
    let counter = this.counter(field, now);
    if (counter < 255) {
      const base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
      if (Math.random() < 1 / (base * this.logFactor + 1)) counter++;
    }
    return (lfuMinutes(now) << 8) | counter;
  }

  /** Redis's LFUDecrAndReturn: the counter after the decay periods elapsed since the last one. */
  counter(field: number, now: number): number {
    const ldt = field >>> 8;
    let counter = field & 255;
    const m = lfuMinutes(now);
    const elapsed = m >= ldt ? m - ldt : 65535 - ldt + m;
    const periods = this.decayTime > 0 ? Math.floor(elapsed / this.decayTime) : 0;
    if (periods > 0) counter = periods > counter ? 0 : counter - periods;
    return counter;
  }
}

/** Seconds since the last access for OBJECT IDLETIME (Redis's estimateObjectIdleTime). */
export function idleSeconds(field: number, now: number): number {
  const clock = lruClock(now);
  return clock >= field ? clock - field : clock + (LRU_CLOCK_MAX - field);
}
