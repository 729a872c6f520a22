/** Helpers shared by the hash commands: typed lookups and Redis's encoding conversions. */
import { readTyped } from "./args.ts";
import type { Ctx } from "./table.ts";
import type { Entry } from "../store/keyspace.ts";
import { HashValue } from "../store/hash.ts";
import { type StringValue, TYPE_HASH } from "../store/types.ts";
import { WRONGTYPE } from "./errors.ts";
import { latin1 } from "../util/bytes.ts";

export type HashEntry = Entry & { value: HashValue };

/**
 * The hash at key for a read (counted in keyspace hits/misses): undefined when absent, null
 * when the key holds another type (the error is written).
 */
export function readHash(ctx: Ctx, key: Uint8Array): HashValue | undefined | null {
  return readTyped(ctx, key, TYPE_HASH) as HashValue | undefined | null;
}

/** The hash entry at key for a write: undefined when absent, null on WRONGTYPE (written). */
export function writeHash(ctx: Ctx, key: Uint8Array): HashEntry | undefined | null {
  const e = ctx.db.get(latin1(key), ctx.now);
  if (e === undefined) return undefined;
  if (e.type !== TYPE_HASH) {
    ctx.w.error(WRONGTYPE);
    return null;
  }
  return e as HashEntry;
}

/**
 * Redis's hashTypeLookupWriteOrCreate: the hash at key, a new empty one stored there when
 * absent (the caller adds to it before replying), or null on WRONGTYPE (written).
 */
export function hashOrCreate(ctx: Ctx, key: Uint8Array): HashEntry | null {
  const e = writeHash(ctx, key);
  if (e !== undefined) return e;
  return ctx.db.set(latin1(key), new HashValue(), TYPE_HASH) as HashEntry;
}

/** hash-max-listpack-value */
export function maxListpackValue(ctx: Ctx): number {
  return Number(ctx.shard.config.value("hash-max-listpack-value"));
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
  if (h.size > Number(ctx.shard.config.value("hash-max-listpack-entries"))) h.convert();
  return added;
}
