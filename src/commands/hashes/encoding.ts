/**
 * Redis's hash encoding conversions (listpack -> hashtable), made where Redis makes them so
 * OBJECT ENCODING agrees: before a write whose arguments are too long for a listpack, and
 * after one that leaves too many entries.
 */
import type { Ctx } from "../context.ts";
import type { HashValue } from "../../store/hash.ts";
import type { StringValue } from "../../store/types.ts";

/** hash-max-listpack-value */
function maxListpackValue(ctx: Ctx): number {
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
