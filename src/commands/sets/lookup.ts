/**
 * How the set commands read and write their keys (typed wrappers over src/commands/lookup.ts)
 * and the set replies several of them share.
 */
import type { Ctx } from "../context.ts";
import type { SetValue } from "../../store/set.ts";
import { TYPE_SET } from "../../store/types.ts";
import { readObject, writeTyped } from "../lookup.ts";

/** The set at key for a read: undefined when absent, null when of another type (replied). */
export const readSet = (ctx: Ctx, key: Uint8Array): SetValue | undefined | null =>
  readObject<SetValue>(ctx, key, TYPE_SET);

/**
 * The record of the set at key for a write: 0 when absent, WRONG on WRONGTYPE (replied). The
 * ref is valid until the next write to the keyspace; the set itself (`ctx.db.object`) stays.
 */
export const writeSet = (ctx: Ctx, key: Uint8Array): number => writeTyped(ctx, key, TYPE_SET);

/** Members in Redis's iteration order as a set reply. */
export function writeMembers(ctx: Ctx, s: SetValue): void {
  const w = ctx.w;
  const t = s.table;
  if (t !== null) {
    // a large set: its members' bytes as they lie, no string per member
    w.setHeader(t.n);
    for (let d = 0; d < t.n; d++) w.bulkRange(t.heap, t.offOf(d), t.lenOf(d));
    return;
  }
  const m = s.members();
  w.setHeader(m.length);
  for (let i = 0; i < m.length; i++) w.bulkStr(m[i]);
}

/**
 * After an in-place change of the set `s` at `ref`: emptied, it leaves the keyspace, else it is
 * touched.
 */
export function finish(ctx: Ctx, ref: number, s: SetValue): void {
  if (s.size === 0) ctx.db.remove(ref);
  else ctx.db.touch(ref);
}
