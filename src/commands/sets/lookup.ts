/**
 * How the set commands read and write their keys (typed wrappers over src/commands/lookup.ts)
 * and the set replies several of them share.
 */
import type { Ctx } from "../context.ts";
import type { Entry } from "../../store/keyspace.ts";
import type { SetValue } from "../../store/set.ts";
import { TYPE_SET } from "../../store/types.ts";
import { readValue, writeEntry } from "../lookup.ts";

/** A keyspace entry holding a set. */
export type SetEntry = Entry & { value: SetValue };

/** The set at key for a read: undefined when absent, null when of another type (replied). */
export const readSet = (ctx: Ctx, key: Uint8Array) =>
  readValue(ctx, key, TYPE_SET) as SetValue | undefined | null;

/** The set entry at key for a write: undefined when absent, null on WRONGTYPE (replied). */
export const writeSet = (ctx: Ctx, key: string) =>
  writeEntry(ctx, key, TYPE_SET) as SetEntry | undefined | null;

/** Members in Redis's iteration order as a set reply. */
export function writeMembers(ctx: Ctx, s: SetValue): void {
  const m = s.members();
  const w = ctx.w;
  w.setHeader(m.length);
  for (let i = 0; i < m.length; i++) w.bulkStr(m[i]);
}

/** After an in-place change: an emptied set leaves the keyspace, else it is touched. */
export function finish(ctx: Ctx, e: SetEntry): void {
  if (e.value.size === 0) ctx.db.remove(e);
  else ctx.db.touch(e.key);
}
