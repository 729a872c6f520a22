/**
 * Redis's hash encoding conversions (listpack -> hashtable), made where Redis makes them so
 * OBJECT ENCODING agrees: before a write whose arguments are too long for a listpack, and
 * after one that leaves too many entries.
 */
import type { Ctx } from "../context.ts";
import type { ConfigStore } from "../../config/mod.ts";
import type { HashValue } from "../../store/hash.ts";
import type { StringValue } from "../../store/types.ts";
import { latin1, toValue } from "../../util/bytes.ts";

/**
 * hash-max-listpack-value and -entries, re-read only when the config changed (a lookup by
 * name costs more than the listpack write it decides).
 */
let limitsFrom: ConfigStore | null = null;
let limitsVersion = -1;
let maxValue = 64;
let maxEntries = 128;

function readLimits(ctx: Ctx): void {
  const c = ctx.shard.config;
  if (c === limitsFrom && c.version === limitsVersion) return;
  limitsFrom = c;
  limitsVersion = c.version;
  maxValue = Number(c.value("hash-max-listpack-value"));
  maxEntries = Number(c.value("hash-max-listpack-entries"));
}

function maxListpackValue(ctx: Ctx): number {
  readLimits(ctx);
  return maxValue;
}

/**
 * Redis's hashTypeTryConversion: a listpack hash becomes a hashtable before the write when
 * any of argv[from..to) is longer than hash-max-listpack-value.
 */
export function convertForArgs(
  ctx: Ctx,
  h: HashValue,
  argv: Uint8Array[],
  from: number,
  to: number,
) {
  if (!h.isListpack) return;
  const max = maxListpackValue(ctx);
  for (let i = from; i < to; i++) {
    if (argv[i].length > max) return h.convert();
  }
}

/**
 * Redis's hashTypeSet: sets the field (converting a listpack first when the field or value is
 * too long for it, and after when it has too many entries); true when the field is new.
 */
export function hashSet(ctx: Ctx, h: HashValue, f: string, v: StringValue): boolean {
  if (!h.isListpack) return h.set(f, v);
  const max = maxListpackValue(ctx);
  if (f.length > max || v.length > max) {
    h.convert();
    return h.set(f, v);
  }
  const added = h.set(f, v);
  if (h.size > maxEntries) h.convert();
  return added;
}

/**
 * hashSet for an argument pair as it arrived: a hashtable copies the bytes into its pool
 * without making JS strings (the HSET path of a big hash).
 */
export function hashSetBytes(ctx: Ctx, h: HashValue, f: Uint8Array, v: Uint8Array): boolean {
  if (!h.isListpack) return h.setBytes(f, v);
  return hashSet(ctx, h, latin1(f), toValue(v));
}
