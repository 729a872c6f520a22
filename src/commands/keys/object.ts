/**
 * OBJECT ENCODING / FREQ / IDLETIME / REFCOUNT / HELP, answering as Redis 7.0 would for the
 * same history of writes. None of them counts as an access of the key (LOOKUP_NOTOUCH).
 */
import type { Ctx } from "../context.ts";
import { ENC_AUTO, ENC_EMBSTR, ENC_RAW } from "../../store/keyspace.ts";
import type { Db } from "../../store/keyspace.ts";
import { idleSeconds } from "../../store/access.ts";
import { type CollectionValue, TYPE_LIST, TYPE_SET, TYPE_STRING } from "../../store/types.ts";
import { BLOB_INTSET } from "../../store/record.ts";
import type { ConfigStore } from "../../config/mod.ts";
import { parseInt64 } from "../../util/numbers.ts";

export const LFU_NOT_SELECTED =
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
export const LFU_SELECTED =
  "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT */
const EMBSTR_LIMIT = 44;
/** Redis's OBJ_SHARED_INTEGERS: 0..9999 are shared objects */
const SHARED_INTEGERS = 10000;
/** the refcount Redis reports for a shared object (OBJ_SHARED_REFCOUNT) */
const SHARED_REFCOUNT = 2147483647;

/** The canonical int64 in a string value that Redis would hold as an integer, else null. */
function intOf(db: Db, r: number): number | bigint | null {
  return db.strLen(r) <= 20 ? parseInt64(db.str(r)) : null;
}

function stringEncoding(db: Db, r: number): string {
  const enc = db.encOf(r);
  if (enc === ENC_RAW) return "raw";
  if (enc !== ENC_EMBSTR && intOf(db, r) !== null) return "int";
  return db.strLen(r) <= EMBSTR_LIMIT ? "embstr" : "raw";
}

/** Small integers are shared unless an LRU/LFU policy with a memory limit needs per-key fields. */
function sharingIntegers(config: ConfigStore): boolean {
  const policy = config.value("maxmemory-policy") ?? "noeviction";
  if (!policy.endsWith("-lru") && !policy.endsWith("-lfu")) return true;
  return (config.value("maxmemory") ?? "0") === "0";
}

function refcount(db: Db, r: number, config: ConfigStore): number {
  if (db.typeOf(r) !== TYPE_STRING || db.encOf(r) !== ENC_AUTO) return 1;
  const n = intOf(db, r);
  if (typeof n !== "number" || n < 0 || n >= SHARED_INTEGERS) return 1;
  return sharingIntegers(config) ? SHARED_REFCOUNT : 1;
}

/** OBJECT ENCODING's answer for record `r` of ctx.db (DEBUG OBJECT shows it too). */
export function objectEncodingOf(ctx: Ctx, r: number): string {
  const db = ctx.db;
  const type = db.typeOf(r);
  if (type === TYPE_STRING) return stringEncoding(db, r);
  // a small collection: its blob's format says it (no view needed). Redis 7.0's lists are
  // quicklists whatever their size: a small list's one listpack is a quicklist's one node.
  if (db.isBlob(r)) {
    if (db.encOf(r) === BLOB_INTSET) return "intset";
    // a small non-integer set's listpack stands in for Redis's dict
    if (type === TYPE_SET) return "hashtable";
    return type === TYPE_LIST ? "quicklist" : "listpack";
  }
  return db.object<CollectionValue>(r).encoding(ctx.shard.config);
}

/** OBJECT REFCOUNT's answer for record `r` of ctx.db. */
export function objectRefcountOf(ctx: Ctx, r: number): number {
  return refcount(ctx.db, r, ctx.shard.config);
}

/** The key's record without touching it; a null reply (and 0) when there is none. */
function peekKey(ctx: Ctx, argv: Uint8Array[]): number {
  const r = ctx.db.peek(argv[2], ctx.now);
  if (r === 0) ctx.w.nullBulk();
  return r;
}

/** OBJECT ENCODING key */
export function objectEncoding(ctx: Ctx, argv: Uint8Array[]): void {
  const r = peekKey(ctx, argv);
  if (r !== 0) ctx.w.bulkStr(objectEncodingOf(ctx, r));
}

/** OBJECT FREQ key: the LFU counter (LFU policies only). */
export function objectFreq(ctx: Ctx, argv: Uint8Array[]): void {
  const access = ctx.db.ks.access;
  access.sync(ctx.shard.config);
  const r = peekKey(ctx, argv);
  if (r === 0) return;
  if (!access.lfu) return ctx.w.error(LFU_NOT_SELECTED);
  ctx.w.integer(access.counter(ctx.db.lruOf(r), ctx.now));
}

/** OBJECT IDLETIME key: seconds since the last access (not under LFU policies). */
export function objectIdletime(ctx: Ctx, argv: Uint8Array[]): void {
  const access = ctx.db.ks.access;
  access.sync(ctx.shard.config);
  const r = peekKey(ctx, argv);
  if (r === 0) return;
  if (access.lfu) return ctx.w.error(LFU_SELECTED);
  ctx.w.integer(idleSeconds(ctx.db.lruOf(r), ctx.now));
}

/** OBJECT REFCOUNT key */
export function objectRefcount(ctx: Ctx, argv: Uint8Array[]): void {
  const r = peekKey(ctx, argv);
  if (r !== 0) ctx.w.integer(refcount(ctx.db, r, ctx.shard.config));
}

const HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
];

/** OBJECT HELP */
export function objectHelp(ctx: Ctx): void {
  ctx.w.arrayHeader(HELP.length);
  for (const line of HELP) ctx.w.simple(line);
}
