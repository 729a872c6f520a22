/**
 * Sorted-set commands (Redis 7.0 t_zset.c): ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE,
 * ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT here; pops and random members in zsets_pop.ts, ranges in
 * zsets_range.ts, set algebra in zsets_store.ts. Blocking pops are not implemented.
 */
import { type CommandSpec, type Ctx, register, ROUTE_KEYS } from "./table.ts";
import { NOT_FLOAT, SYNTAX } from "./errors.ts";
import {
  ZADD_GT,
  ZADD_INCR,
  ZADD_LT,
  ZADD_NX,
  ZADD_OUT_ADDED,
  ZADD_OUT_NAN,
  ZADD_OUT_NOP,
  ZADD_OUT_UPDATED,
  ZADD_XX,
  ZSetValue,
} from "../store/zset.ts";
import { TYPE_ZSET } from "../store/types.ts";
import { lexLteMax } from "../store/zset_range.ts";
import { ZCursor } from "../store/zset_tree.ts";
import { firstInLex, firstInRange, lastInLex, lastInRange } from "../store/zset_query.ts";
import { eqi, latin1 } from "../util/bytes.ts";
import { parseDouble } from "../util/numbers.ts";
import { lpEntries, lpValue, zsetLimits } from "./sets_common.ts";
import {
  NAN_SCORE,
  newLexRange,
  newScoreRange,
  NOT_FLOAT_RANGE,
  NOT_LEX_RANGE,
  parseLexRange,
  parseScoreRange,
  readZset,
  writeZset,
} from "./zsets_common.ts";
import { rangeSpecs } from "./zsets_range.ts";
import { storeSpecs } from "./zsets_store.ts";
import { popSpecs } from "./zsets_pop.ts";

const scores: number[] = [];

function zaddGeneric(ctx: Ctx, argv: Uint8Array[], argc: number, preset: number): void {
  let flags = preset;
  let ch = false;
  let i = 2;
  for (; i < argc; i++) {
    const o = argv[i];
    if (eqi(o, "nx")) flags |= ZADD_NX;
    else if (eqi(o, "xx")) flags |= ZADD_XX;
    else if (eqi(o, "ch")) ch = true;
    else if (eqi(o, "incr")) flags |= ZADD_INCR;
    else if (eqi(o, "gt")) flags |= ZADD_GT;
    else if (eqi(o, "lt")) flags |= ZADD_LT;
    else break;
  }
  const w = ctx.w;
  const elements = argc - i;
  if (elements % 2 !== 0 || elements === 0) return w.error(SYNTAX);
  const nx = flags & ZADD_NX, gt = flags & ZADD_GT, lt = flags & ZADD_LT;
  if (nx && flags & ZADD_XX) {
    return w.error("ERR XX and NX options at the same time are not compatible");
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    return w.error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  const incr = (flags & ZADD_INCR) !== 0;
  if (incr && elements > 2) {
    return w.error("ERR INCR option supports a single increment-element pair");
  }
  scores.length = 0;
  for (let j = i; j < argc; j += 2) {
    const d = parseDouble(argv[j]);
    if (d === null) return w.error(NOT_FLOAT);
    scores.push(d);
  }
  const key = latin1(argv[1]);
  const e = writeZset(ctx, key);
  if (e === null) return;
  if (e === undefined && flags & ZADD_XX) return incr ? w.nullBulk() : w.integer(0);
  const z = e === undefined ? new ZSetValue() : e.value;
  if (z.listpack) zsetLimits(ctx);
  let added = 0, updated = 0, processed = 0;
  let score = 0;
  let nan = false;
  for (let k = 0; k < scores.length; k++) {
    const out = z.add(scores[k], latin1(argv[i + 2 * k + 1]), flags, lpEntries, lpValue);
    if (out & ZADD_OUT_NAN) {
      nan = true;
      break;
    }
    if (out & ZADD_OUT_ADDED) added++;
    if (out & ZADD_OUT_UPDATED) updated++;
    if (!(out & ZADD_OUT_NOP)) {
      processed++;
      score = z.newScore;
    }
  }
  if (added + updated > 0) {
    if (e === undefined) ctx.db.set(key, z, TYPE_ZSET);
    else ctx.db.touch(key);
  }
  if (nan) return w.error(NAN_SCORE);
  if (incr) return processed > 0 ? w.double(score) : w.nullBulk();
  w.integer(ch ? added + updated : added);
}

function zrem(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const e = writeZset(ctx, latin1(argv[1]));
  if (e === null) return;
  if (e === undefined) return ctx.w.integer(0);
  const z = e.value;
  let deleted = 0;
  for (let i = 2; i < argc; i++) {
    if (z.remove(latin1(argv[i]))) deleted++;
    if (z.size === 0) break;
  }
  if (deleted > 0) {
    if (z.size === 0) ctx.db.remove(e);
    else ctx.db.touch(e.key);
  }
  ctx.w.integer(deleted);
}

function zcard(ctx: Ctx, argv: Uint8Array[]): void {
  const z = readZset(ctx, argv[1]);
  if (z !== null) ctx.w.integer(z === undefined ? 0 : z.size);
}

function zscore(ctx: Ctx, argv: Uint8Array[]): void {
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  const s = z === undefined ? undefined : z.score(latin1(argv[2]));
  if (s === undefined) ctx.w.nullBulk();
  else ctx.w.double(s);
}

function zmscore(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  const w = ctx.w;
  w.arrayHeader(argc - 2);
  for (let i = 2; i < argc; i++) {
    const s = z === undefined ? undefined : z.score(latin1(argv[i]));
    if (s === undefined) w.nullBulk();
    else w.double(s);
  }
}

function zrankGeneric(ctx: Ctx, argv: Uint8Array[], rev: boolean): void {
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  const r = z === undefined ? -1 : z.rank(latin1(argv[2]), rev);
  if (r < 0) ctx.w.nullBulk();
  else ctx.w.integer(r);
}

const sr = newScoreRange();
const lr = newLexRange();

const cur = new ZCursor();

function zcount(ctx: Ctx, argv: Uint8Array[]): void {
  if (!parseScoreRange(argv[2], argv[3], sr)) return ctx.w.error(NOT_FLOAT_RANGE);
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  if (z === undefined) return ctx.w.integer(0);
  let count = 0;
  const first = firstInRange(z, sr, cur);
  if (first >= 0) {
    count = z.size - first;
    const last = lastInRange(z, sr, cur);
    if (last >= 0) count -= z.size - 1 - last;
  }
  ctx.w.integer(count);
}

function zlexcount(ctx: Ctx, argv: Uint8Array[]): void {
  if (!parseLexRange(argv[2], argv[3], lr)) return ctx.w.error(NOT_LEX_RANGE);
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  if (z === undefined) return ctx.w.integer(0);
  let count = 0;
  const first = firstInLex(z, lr, cur);
  if (first >= 0) {
    if (z.listpack) {
      // the listpack walk: from the first member >= min while members are <= max
      for (; cur.valid && lexLteMax(cur.member, lr); cur.next()) count++;
    } else {
      count = z.size - first;
      const last = lastInLex(z, lr, cur);
      if (last >= 0) count -= z.size - 1 - last;
    }
  }
  ctx.w.integer(count);
}

export const specs: CommandSpec[] = [
  {
    name: "zadd",
    route: ROUTE_KEYS,
    handler: (ctx, argv, argc) => zaddGeneric(ctx, argv, argc, 0),
  },
  {
    name: "zincrby",
    route: ROUTE_KEYS,
    handler: (ctx, argv, argc) => zaddGeneric(ctx, argv, argc, ZADD_INCR),
  },
  { name: "zrem", route: ROUTE_KEYS, handler: zrem },
  { name: "zcard", route: ROUTE_KEYS, handler: zcard },
  { name: "zscore", route: ROUTE_KEYS, handler: zscore },
  { name: "zmscore", route: ROUTE_KEYS, handler: zmscore },
  { name: "zrank", route: ROUTE_KEYS, handler: (ctx, argv) => zrankGeneric(ctx, argv, false) },
  { name: "zrevrank", route: ROUTE_KEYS, handler: (ctx, argv) => zrankGeneric(ctx, argv, true) },
  { name: "zcount", route: ROUTE_KEYS, handler: zcount },
  { name: "zlexcount", route: ROUTE_KEYS, handler: zlexcount },
  ...popSpecs,
  ...rangeSpecs,
  ...storeSpecs,
];

register(specs);
