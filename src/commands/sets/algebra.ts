/**
 * Set algebra (Redis 7.0 sinterGenericCommand / sunionDiffGenericCommand): SINTER,
 * SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE. Results are built the way
 * Redis builds them (same iteration, same intset-first destination, same SDIFF algorithm
 * choice), so a stored result gets the same OBJECT ENCODING.
 */
import type { Ctx } from "../context.ts";
import { SYNTAX } from "../errors.ts";
import { rangeArg } from "../args.ts";
import { readTyped, WRONG } from "../lookup.ts";
import { maxIntset } from "../encoding_limits.ts";
import { SetValue } from "../../store/set.ts";
import { putSet } from "../../store/set_store.ts";
import { TYPE_SET } from "../../store/types.ts";
import { eqi } from "../../util/bytes.ts";
import { writeMembers } from "./lookup.ts";

/** the operands of the current command (a Worker runs one command at a time) */
const sets: (SetValue | null)[] = [];

/**
 * Looks up argv[from, to) as sets into `sets` (null for a missing key); false after a
 * WRONGTYPE reply.
 */
function lookupSets(ctx: Ctx, argv: Uint8Array[], from: number, to: number): boolean {
  sets.length = 0;
  for (let i = from; i < to; i++) {
    const r = readTyped(ctx, argv[i], TYPE_SET);
    if (r === WRONG) {
      sets.length = 0;
      return false;
    }
    // the set, not the ref: a later lookup may expire a key (a write)
    sets.push(r === 0 ? null : ctx.db.object<SetValue>(r));
  }
  return true;
}

const UNION = 1, DIFF = 2;
const REPLY = 0, STORE = 1, CARD = 2;

/** Stores `s` at dst (or deletes dst when empty) and replies the size. */
function store(ctx: Ctx, dst: Uint8Array, s: SetValue): void {
  if (s.size > 0) putSet(ctx.db, dst, s, ctx.now);
  else ctx.db.delete(dst, ctx.now);
  ctx.w.integer(s.size);
}

function inter(ctx: Ctx, mode: number, dst: Uint8Array | null, limit: number): void {
  const n = sets.length;
  const w = ctx.w;
  for (let j = 0; j < n; j++) {
    if (sets[j] === null) {
      sets.length = 0;
      if (mode === STORE) return store(ctx, dst!, SetValue.object());
      return mode === CARD ? w.integer(0) : w.setHeader(0);
    }
  }
  const ss = sets as SetValue[];
  ss.sort((a, b) => a.size - b.size);
  const first = ss[0];
  const m = first.members();
  const out = mode === STORE ? SetValue.object() : null;
  const max = mode === STORE ? maxIntset(ctx) : 0;
  let card = 0;
  const hits: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const ele = m[i];
    let j = 1;
    for (; j < n; j++) {
      if (ss[j] === first) continue;
      if (!ss[j].has(ele)) break;
    }
    if (j < n) continue;
    card++;
    if (mode === CARD) {
      if (limit && card >= limit) break;
    } else if (out !== null) out.add(ele, max);
    else hits.push(ele);
  }
  sets.length = 0;
  if (mode === CARD) return w.integer(card);
  if (out !== null) return store(ctx, dst!, out);
  w.setHeader(hits.length);
  for (let i = 0; i < hits.length; i++) w.bulkStr(hits[i]);
}

function unionDiff(ctx: Ctx, op: number, dst: Uint8Array | null): void {
  const n = sets.length;
  const out = SetValue.object();
  const max = maxIntset(ctx);
  const s0 = sets[0];
  if (op === UNION) {
    for (let j = 0; j < n; j++) {
      const s = sets[j];
      if (s === null) continue;
      const m = s.members();
      for (let i = 0; i < m.length; i++) out.add(m[i], max);
    }
  } else if (s0 !== null) {
    let one = 0, two = 0;
    for (let j = 0; j < n; j++) {
      const s = sets[j];
      if (s === null) continue;
      one += s0.size;
      two += s.size;
    }
    if (Math.floor(one / 2) <= two) {
      // algorithm 1: each member of the first set against the others
      const m = s0.members();
      for (let i = 0; i < m.length; i++) {
        let j = 1;
        for (; j < n; j++) {
          const s = sets[j];
          if (s === null) continue;
          if (s === s0 || s.has(m[i])) break;
        }
        if (j === n) out.add(m[i], max);
      }
    } else {
      // algorithm 2: the first set, then removals (its encoding follows the first set)
      for (let j = 0; j < n; j++) {
        const s = sets[j];
        if (s === null) continue;
        const m = s.members();
        for (let i = 0; i < m.length; i++) {
          if (j === 0) out.add(m[i], max);
          else out.remove(m[i]);
          if (out.size === 0) break;
        }
        if (out.size === 0) break;
      }
    }
  }
  sets.length = 0;
  if (dst !== null) return store(ctx, dst, out);
  writeMembers(ctx, out);
}

export function sinter(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (lookupSets(ctx, argv, 1, argc)) inter(ctx, REPLY, null, 0);
}

export function sinterstore(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (lookupSets(ctx, argv, 2, argc)) inter(ctx, STORE, argv[1], 0);
}

export function sintercard(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const nk = rangeArg(ctx, argv[1], 1, Infinity, "ERR numkeys should be greater than 0");
  if (nk === null) return;
  if (nk > argc - 2) return ctx.w.error("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let j = 2 + nk; j < argc; j++) {
    if (eqi(argv[j], "limit") && j < argc - 1) {
      const l = rangeArg(ctx, argv[++j], 0, Infinity, "ERR LIMIT can't be negative");
      if (l === null) return;
      limit = l;
    } else {
      return ctx.w.error(SYNTAX);
    }
  }
  if (lookupSets(ctx, argv, 2, 2 + nk)) inter(ctx, CARD, null, limit);
}

export function sunion(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (lookupSets(ctx, argv, 1, argc)) unionDiff(ctx, UNION, null);
}

export function sunionstore(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (lookupSets(ctx, argv, 2, argc)) unionDiff(ctx, UNION, argv[1]);
}

export function sdiff(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (lookupSets(ctx, argv, 1, argc)) unionDiff(ctx, DIFF, null);
}

export function sdiffstore(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (lookupSets(ctx, argv, 2, argc)) unionDiff(ctx, DIFF, argv[1]);
}
