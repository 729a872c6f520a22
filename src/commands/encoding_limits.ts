/**
 * The encoding limits of sets and sorted sets, as the config sets them (set-max-intset-entries,
 * zset-max-listpack-entries, zset-max-listpack-value). Each is re-read from the config only
 * when its text changes: the cached values are per-Worker state (a Worker runs one command at
 * a time, and each reads the limits of its own shard's config).
 */
import type { Ctx } from "./context.ts";

// The config texts the cached limits were read from.
let intsetText: string | undefined = "";
let intsetMax = 512;
let lpEntriesText: string | undefined = "";
let lpValueText: string | undefined = "";
/** zset-max-listpack-entries, as of the last zsetLimits() call */
export let lpEntries = 128;
/** zset-max-listpack-value, as of the last zsetLimits() call */
export let lpValue = 64;

/** set-max-intset-entries */
export function maxIntset(ctx: Ctx): number {
  const s = ctx.shard.config.value("set-max-intset-entries");
  if (s !== intsetText) {
    intsetText = s;
    intsetMax = Number(s ?? 512);
  }
  return intsetMax;
}

/** Refreshes lpEntries / lpValue from the config. */
export function zsetLimits(ctx: Ctx): void {
  const c = ctx.shard.config;
  const e = c.value("zset-max-listpack-entries");
  if (e !== lpEntriesText) {
    lpEntriesText = e;
    lpEntries = Number(e ?? 128);
  }
  const v = c.value("zset-max-listpack-value");
  if (v !== lpValueText) {
    lpValueText = v;
    lpValue = Number(v ?? 64);
  }
}
