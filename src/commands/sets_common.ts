/**
 * Helpers shared by the set and sorted-set commands: typed lookups, the encoding limits from
 * the config, count arguments and SSCAN/ZSCAN options.
 */
import type { Ctx } from "./table.ts";
import type { Entry } from "../store/keyspace.ts";
import { TYPE_SET } from "../store/types.ts";
import type { SetValue } from "../store/set.ts";
import { NOT_INTEGER, SYNTAX, WRONGTYPE } from "./errors.ts";
import { eqi, latin1 } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

export const MUST_BE_POSITIVE = "ERR value is out of range, must be positive";
export const RANGE_LONG =
  "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/** Redis's reply to an SSCAN/ZSCAN of a missing key (the same bytes in RESP2 and RESP3). */
const EMPTY_SCAN = Uint8Array.from("*2\r\n$1\r\n0\r\n*0\r\n", (c) => c.charCodeAt(0));

/**
 * Negative counts (SRANDMEMBER, ZRANDMEMBER) ask for that many picks with repetition; Redis
 * tries to build any such reply, Skua refuses replies beyond this many elements.
 */
export const MAX_RANDOM_REPLY = 1 << 26;

export type SetEntry = Entry & { value: SetValue };

/** The entry at key for a read, counted as a keyspace hit or miss; undefined when absent. */
export function readEntry(ctx: Ctx, key: string): Entry | undefined {
  const e = ctx.db.get(key, ctx.now);
  const st = ctx.shard.stats;
  if (e === undefined) st.keyspaceMisses++;
  else st.keyspaceHits++;
  return e;
}

/** The set at key for a read: undefined when absent, null when of another type (replied). */
export function readSet(ctx: Ctx, key: Uint8Array): SetValue | undefined | null {
  const e = readEntry(ctx, latin1(key));
  if (e === undefined) return undefined;
  if (e.type !== TYPE_SET) {
    ctx.w.error(WRONGTYPE);
    return null;
  }
  return e.value as SetValue;
}

/** The set entry at key for a write: undefined when absent, null on WRONGTYPE (replied). */
export function writeSet(ctx: Ctx, key: string): SetEntry | undefined | null {
  const e = ctx.db.get(key, ctx.now);
  if (e === undefined) return undefined;
  if (e.type !== TYPE_SET) {
    ctx.w.error(WRONGTYPE);
    return null;
  }
  return e as SetEntry;
}

/** Members in Redis's iteration order as a set reply. */
export function writeMembers(ctx: Ctx, s: SetValue): void {
  const m = s.members();
  const w = ctx.w;
  w.setHeader(m.length);
  for (let i = 0; i < m.length; i++) w.bulkStr(m[i]);
}

/** After an in-place change: an emptied collection leaves the keyspace, else it is touched. */
export function finish(ctx: Ctx, e: Entry & { value: { size: number } }): void {
  if (e.value.size === 0) ctx.db.remove(e);
  else ctx.db.touch(e.key);
}

// The encoding limits, re-read from the config only when its text changes.
let intsetText: string | undefined = "";
let intsetMax = 512;
let lpEntriesText: string | undefined = "";
let lpValueText: string | undefined = "";
/** zset-max-listpack-entries, as of the last zsetLimits() call */
export let lpEntries = 128;
/** zset-max-listpack-value, as of the last zsetLimits() call */
export let lpValue = 64;

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

/** A count argument in [min, max] (Redis's getRangeLongFromObjectOrReply), or null (replied). */
export function rangeArg(ctx: Ctx, b: Uint8Array, min: number, max: number, err: string) {
  const v = parseInt64(b);
  if (v === null) {
    ctx.w.error(err === "" ? NOT_INTEGER : err);
    return null;
  }
  const n = Number(v);
  if (n < min || n > max) {
    ctx.w.error(err === "" ? RANGE_LONG : err);
    return null;
  }
  return n;
}

/** A count for SRANDMEMBER / ZRANDMEMBER: any long but LONG_MIN. */
export function randomCountArg(ctx: Ctx, b: Uint8Array): number | null {
  const v = parseInt64(b);
  if (v === null) {
    ctx.w.error(NOT_INTEGER);
    return null;
  }
  if (v === -9223372036854775808n) {
    ctx.w.error(RANGE_LONG);
    return null;
  }
  return Number(v);
}

/** Options of the last scanArgs() call */
export let scanCount = 10;
export let scanPattern: string | null = null;

/**
 * SSCAN / ZSCAN after the cursor: the key (missing: Redis's empty page) and its type, then the
 * COUNT / MATCH options, in Redis's order. Returns the entry, or undefined when replied.
 */
export function scanArgs(
  ctx: Ctx,
  argv: Uint8Array[],
  argc: number,
  type: number,
): Entry | undefined {
  const e = readEntry(ctx, latin1(argv[1]));
  if (e === undefined) {
    ctx.w.raw(EMPTY_SCAN);
    return undefined;
  }
  if (e.type !== type) {
    ctx.w.error(WRONGTYPE);
    return undefined;
  }
  scanCount = 10;
  scanPattern = null;
  for (let i = 3; i < argc; i += 2) {
    const o = argv[i];
    if (i + 1 >= argc) return void ctx.w.error(SYNTAX);
    if (eqi(o, "count")) {
      const v = parseInt64(argv[i + 1]);
      if (v === null) return void ctx.w.error(NOT_INTEGER);
      if (v < 1) return void ctx.w.error(SYNTAX);
      scanCount = Number(v);
    } else if (eqi(o, "match")) {
      const p = latin1(argv[i + 1]);
      scanPattern = p === "*" ? null : p;
    } else {
      return void ctx.w.error(SYNTAX);
    }
  }
  return e;
}
