/** Random members: SPOP and SRANDMEMBER, with and without a count (Redis 7.0 t_set.c). */
import type { Ctx } from "../context.ts";
import { MUST_BE_POSITIVE, SYNTAX } from "../errors.ts";
import { MAX_RANDOM_REPLY, randomCountArg, rangeArg } from "../args.ts";
import type { SetValue } from "../../store/set.ts";
import { WRONG } from "../lookup.ts";
import { finish, readSet, writeMembers, writeSet } from "./lookup.ts";

export function spop(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc > 3) return ctx.w.error(SYNTAX);
  let count = -1;
  if (argc === 3) {
    const c = rangeArg(ctx, argv[2], 0, Number.MAX_VALUE, MUST_BE_POSITIVE);
    if (c === null) return;
    count = c;
  }
  const r = writeSet(ctx, argv[1]);
  if (r === WRONG) return;
  const w = ctx.w;
  if (r === 0) return count < 0 ? w.nullBulk() : w.setHeader(0);
  const s = ctx.db.object<SetValue>(r);
  if (count < 0) {
    popOne(ctx, s);
    return finish(ctx, r, s);
  }
  if (count === 0) return w.setHeader(0);
  if (count >= s.size) {
    writeMembers(ctx, s);
    ctx.db.remove(r);
    return;
  }
  w.setHeader(count);
  for (let i = 0; i < count; i++) popOne(ctx, s);
  ctx.db.touch(r);
}

/** Replies a uniformly random member of `s` and removes it. */
function popOne(ctx: Ctx, s: SetValue): void {
  const t = s.table;
  if (t === null) return ctx.w.bulkStr(s.pop());
  // a large set: the member's bytes as they lie, written before its removal moves them
  const d = (Math.random() * t.n) | 0;
  ctx.w.bulkRange(t.heap, t.offOf(d), t.lenOf(d));
  t.removeAt(d);
}

export function srandmember(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc > 3) return ctx.w.error(SYNTAX);
  const w = ctx.w;
  if (argc === 2) {
    const s = readSet(ctx, argv[1]);
    if (s === null) return;
    return s === undefined ? w.nullBulk() : w.bulkStr(s.random());
  }
  const l = randomCountArg(ctx, argv[2]);
  if (l === null) return;
  const s = readSet(ctx, argv[1]);
  if (s === null) return;
  if (s === undefined || l === 0) return w.arrayHeader(0);
  if (l < 0 || l === 1) {
    const n = -l > 0 ? -l : l;
    if (n > MAX_RANDOM_REPLY) return w.error("ERR value is out of range");
    w.arrayHeader(n);
    for (let i = 0; i < n; i++) w.bulkStr(s.random());
    return;
  }
  const size = s.size;
  if (l >= size) {
    const m = s.members();
    w.arrayHeader(m.length);
    for (let i = 0; i < m.length; i++) w.bulkStr(m[i]);
    return;
  }
  w.arrayHeader(l);
  if (l * 3 > size) {
    // a partial Fisher-Yates shuffle of a copy
    const m = s.members();
    const copy = s.isView ? m : m.slice();
    for (let i = 0; i < l; i++) {
      const j = i + ((Math.random() * (size - i)) | 0);
      const t = copy[j];
      copy[j] = copy[i];
      copy[i] = t;
      w.bulkStr(t);
    }
    return;
  }
  const picked = new Set<number>();
  while (picked.size < l) {
    const j = (Math.random() * size) | 0;
    if (picked.has(j)) continue;
    picked.add(j);
    w.bulkStr(s.memberAt(j));
  }
}
