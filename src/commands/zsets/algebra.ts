/**
 * Sorted-set algebra (Redis 7.0 zunionInterDiffGenericCommand): ZUNION, ZINTER, ZDIFF,
 * ZINTERCARD and ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE. Inputs may be sets (score 1).
 * Scores are combined in Redis's order (inputs sorted by size for union and intersection,
 * weights applied as it does, NaN from inf - inf or 0 * inf becoming 0 where Redis does so),
 * so the doubles come out bit-identical.
 */
import type { Ctx } from "../context.ts";
import { SYNTAX, WRONGTYPE } from "../errors.ts";
import { ZSetValue } from "../../store/zset.ts";
import { ZCursor } from "../../store/zset_tree.ts";
import type { SetValue } from "../../store/set.ts";
import { TYPE_SET, TYPE_ZSET } from "../../store/types.ts";
import { eqi } from "../../util/bytes.ts";
import { parseDouble } from "../../util/numbers.ts";
import { intArg, rangeArg } from "../args.ts";
import { readRef } from "../lookup.ts";
import { storeZset } from "./keyspace.ts";
import { pairsHeader, writePair } from "./reply.ts";

/** The operation of zsetop. */
export const UNION = 0, INTER = 1, DIFF = 2;
const SUM = 0, MIN = 1, MAX = 2;

type Src = SetValue | ZSetValue | null;

function srcSize(s: Src): number {
  return s === null ? 0 : s.size;
}

/** Score of member m in a source, or undefined. */
function find(s: SetValue | ZSetValue, m: string): number | undefined {
  if (s instanceof ZSetValue) return s.score(m);
  return s.has(m) ? 1 : undefined;
}

/** Calls f(member, score) for each element, zsets from the highest score down as Redis does. */
function each(s: SetValue | ZSetValue, f: (m: string, score: number) => void): void {
  if (s instanceof ZSetValue) {
    const c = new ZCursor();
    for (s.last(c); c.valid; c.prev()) f(c.member, c.score);
  } else {
    const m = s.members();
    for (let i = 0; i < m.length; i++) f(m[i], 1);
  }
}

function aggregate(target: number, val: number, agg: number): number {
  if (agg === SUM) {
    const t = target + val;
    return t !== t ? 0 : t;
  }
  if (agg === MIN) return val < target ? val : target;
  return val > target ? val : target;
}

/**
 * zunionInterDiffGenericCommand: `name` for the error message; `at`: index of numkeys; `op`:
 * UNION, INTER or DIFF; `dst`: destination of the STORE variants; `card`: ZINTERCARD.
 */
export function zsetop(
  ctx: Ctx,
  argv: Uint8Array[],
  argc: number,
  name: string,
  at: number,
  op: number,
  dst: Uint8Array | null,
  card: boolean,
): void {
  const w = ctx.w;
  const n = intArg(ctx, argv[at]);
  if (n === null) return;
  if (n < 1) return w.error(`ERR at least 1 input key is needed for '${name}' command`);
  if (n > argc - (at + 1)) return w.error(SYNTAX);
  const srcs: Src[] = [];
  for (let i = 0; i < n; i++) {
    // the values, not the refs: a later lookup may expire a key (a write)
    const r = readRef(ctx, argv[at + 1 + i]);
    if (r === 0) srcs.push(null);
    else {
      const t = ctx.db.typeOf(r);
      if (t === TYPE_ZSET) srcs.push(ctx.db.object<ZSetValue>(r));
      else if (t === TYPE_SET) srcs.push(ctx.db.object<SetValue>(r));
      else return w.error(WRONGTYPE);
    }
  }
  const weights: number[] = new Array(n).fill(1);
  let agg = SUM, withscores = false, limit = 0;
  let j = at + 1 + n;
  while (j < argc) {
    const remaining = argc - j;
    const o = argv[j];
    if (op !== DIFF && !card && remaining >= n + 1 && eqi(o, "weights")) {
      j++;
      for (let i = 0; i < n; i++, j++) {
        const d = parseDouble(argv[j]);
        if (d === null) return w.error("ERR weight value is not a float");
        weights[i] = d;
      }
    } else if (op !== DIFF && !card && remaining >= 2 && eqi(o, "aggregate")) {
      const a = argv[j + 1];
      if (eqi(a, "sum")) agg = SUM;
      else if (eqi(a, "min")) agg = MIN;
      else if (eqi(a, "max")) agg = MAX;
      else return w.error(SYNTAX);
      j += 2;
    } else if (dst === null && !card && eqi(o, "withscores")) {
      withscores = true;
      j++;
    } else if (card && remaining >= 2 && eqi(o, "limit")) {
      const l = rangeArg(ctx, argv[j + 1], 0, Infinity, "ERR LIMIT can't be negative");
      if (l === null) return;
      limit = l;
      j += 2;
    } else {
      return w.error(SYNTAX);
    }
  }
  // union and intersection walk the inputs from the smallest (a stable order for ties)
  const order: number[] = [];
  for (let i = 0; i < n; i++) order.push(i);
  if (op !== DIFF) order.sort((a, b) => srcSize(srcs[a]) - srcSize(srcs[b]));
  const src = order.map((i) => srcs[i]);
  const wt = order.map((i) => weights[i]);

  const members: string[] = [];
  const scores: number[] = [];
  if (op === INTER) {
    const s0 = src[0];
    if (s0 !== null && s0.size > 0) {
      let count = 0;
      let stop = false;
      each(s0, (m, sc) => {
        if (stop) return;
        let score = wt[0] * sc;
        if (score !== score) score = 0;
        let k = 1;
        for (; k < n; k++) {
          const s = src[k]!;
          if (s === s0) score = aggregate(score, sc * wt[k], agg);
          else {
            const v = find(s, m);
            if (v === undefined) break;
            score = aggregate(score, v * wt[k], agg);
          }
        }
        if (k < n) return;
        if (card) {
          count++;
          if (limit && count >= limit) stop = true;
        } else {
          members.push(m);
          scores.push(score);
        }
      });
      if (card) return w.integer(count);
    } else if (card) {
      return w.integer(0);
    }
  } else if (op === UNION) {
    const acc = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const s = src[i];
      if (s === null || s.size === 0) continue;
      const weight = wt[i];
      each(s, (m, sc) => {
        let score = weight * sc;
        if (score !== score) score = 0;
        const cur = acc.get(m);
        acc.set(m, cur === undefined ? score : aggregate(cur, score, agg));
      });
    }
    for (const [m, sc] of acc) {
      members.push(m);
      scores.push(sc);
    }
  } else {
    const s0 = src[0];
    let same = false;
    for (let k = 1; k < n; k++) if (src[k] === s0) same = true;
    if (s0 !== null && !same) {
      each(s0, (m, sc) => {
        for (let k = 1; k < n; k++) {
          const s = src[k];
          if (s !== null && find(s, m) !== undefined) return;
        }
        members.push(m);
        scores.push(sc);
      });
    }
  }
  if (dst !== null) return storeZset(ctx, dst, members, scores);
  const idx: number[] = [];
  for (let i = 0; i < members.length; i++) idx.push(i);
  idx.sort((a, b) => {
    const x = scores[a], y = scores[b];
    if (x !== y) return x < y ? -1 : 1;
    return members[a] < members[b] ? -1 : 1;
  });
  pairsHeader(w, idx.length, withscores);
  for (const i of idx) writePair(w, members[i], scores[i], withscores);
}
