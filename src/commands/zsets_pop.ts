/**
 * Sorted-set pops, random members and scans: ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER, ZSCAN
 * (Redis 7.0 genericZpopCommand, zrandmemberWithCountCommand, scanGenericCommand).
 */
import { type CommandSpec, type Ctx, ROUTE_KEYS } from "./table.ts";
import { INVALID_CURSOR, SYNTAX, WRONGTYPE } from "./errors.ts";
import type { ZSetValue } from "../store/zset.ts";
import { ZCursor } from "../store/zset_tree.ts";
import { TYPE_ZSET } from "../store/types.ts";
import { eqi, latin1 } from "../util/bytes.ts";
import { formatDouble, parseInt64 } from "../util/numbers.ts";

const HALF_LONG = 4611686018427387903n;
import { globMatch } from "../config/glob.ts";
import { parseCursor } from "./keys.ts";
import {
  MAX_RANDOM_REPLY,
  MUST_BE_POSITIVE,
  randomCountArg,
  rangeArg,
  scanArgs,
  scanCount,
  scanPattern,
} from "./sets_common.ts";
import { pairsHeader, readZset, writePair, type ZSetEntry } from "./zsets_common.ts";

const cur = new ZCursor();

/**
 * Pops up to `count` members (count -1: one, flat) from the first existing key of
 * argv[from, to). `nested`: pairs as arrays; `emitKey`: ZMPOP's [key, [...]] shape, with a
 * null reply when every key is missing.
 */
function zpop(
  ctx: Ctx,
  argv: Uint8Array[],
  from: number,
  to: number,
  max: boolean,
  count: number,
  nested: boolean,
  emitKey: boolean,
): void {
  const w = ctx.w;
  let e: ZSetEntry | undefined;
  for (let i = from; i < to; i++) {
    const x = ctx.db.get(latin1(argv[i]), ctx.now);
    if (x === undefined) continue;
    if (x.type !== TYPE_ZSET) return w.error(WRONGTYPE);
    e = x as ZSetEntry;
    break;
  }
  if (e === undefined) return emitKey ? w.nullArray() : w.arrayHeader(0);
  if (count === 0) return w.arrayHeader(0);
  if (count === -1) count = 1;
  const z = e.value;
  const n = Math.min(count, z.size);
  if (emitKey) {
    w.arrayHeader(2);
    w.bulkStr(e.key);
    w.arrayHeader(n);
  } else {
    w.arrayHeader(nested ? n : n * 2);
  }
  const c = cur;
  if (max) z.tree.last(c);
  else z.tree.first(c);
  for (let i = 0; i < n; i++) {
    if (nested) w.arrayHeader(2);
    w.bulkStr(c.member);
    w.double(c.score);
    if (max) c.prev();
    else c.next();
  }
  z.removeRange(max ? z.size - n : 0, n);
  if (z.size === 0) ctx.db.remove(e);
  else ctx.db.touch(e.key);
}

function zpopMinMax(ctx: Ctx, argv: Uint8Array[], argc: number, max: boolean): void {
  if (argc > 3) return ctx.w.error(SYNTAX);
  let count = -1;
  if (argc === 3) {
    const c = rangeArg(ctx, argv[2], 0, Infinity, MUST_BE_POSITIVE);
    if (c === null) return;
    count = c;
  }
  zpop(ctx, argv, 1, 2, max, count, ctx.w.proto === 3 && count !== -1, false);
}

function zmpop(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  const nk = rangeArg(ctx, argv[1], 1, Infinity, "ERR numkeys should be greater than 0");
  if (nk === null) return;
  const whereAt = 2 + nk;
  if (whereAt >= argc) return w.error(SYNTAX);
  let max: boolean;
  if (eqi(argv[whereAt], "min")) max = false;
  else if (eqi(argv[whereAt], "max")) max = true;
  else return w.error(SYNTAX);
  let count = -1;
  for (let j = whereAt + 1; j < argc; j++) {
    if (count === -1 && eqi(argv[j], "count") && j < argc - 1) {
      const c = rangeArg(ctx, argv[++j], 1, Infinity, "ERR count should be greater than 0");
      if (c === null) return;
      count = c;
    } else {
      return w.error(SYNTAX);
    }
  }
  if (count === -1) count = 1;
  zpop(ctx, argv, 2, whereAt, max, count, true, true);
}

function zrandmember(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  if (argc === 2) {
    const z = readZset(ctx, argv[1]);
    if (z === null) return;
    return z === undefined ? w.nullBulk() : w.bulkStr(z.members[z.randomSlot()]);
  }
  const l = randomCountArg(ctx, argv[2]);
  if (l === null) return;
  let withscores = false;
  if (argc > 4 || (argc === 4 && !eqi(argv[3], "withscores"))) return w.error(SYNTAX);
  if (argc === 4) {
    withscores = true;
    // within LONG_MAX / 2 either way, compared exactly
    const v = parseInt64(argv[2]);
    if (typeof v === "bigint" && (v < -HALF_LONG || v > HALF_LONG)) {
      return w.error("ERR value is out of range");
    }
  }
  const z = readZset(ctx, argv[1]);
  if (z === null) return;
  if (z === undefined || l === 0) return w.arrayHeader(0);
  randomWithCount(ctx, z, l, withscores);
}

function randomWithCount(ctx: Ctx, z: ZSetValue, l: number, withscores: boolean): void {
  const w = ctx.w;
  const size = z.size;
  const members = z.members, scores = z.scores;
  if (l < 0 || l === 1) {
    const n = l < 0 ? -l : 1;
    if (n > MAX_RANDOM_REPLY) return w.error("ERR value is out of range");
    pairsHeader(w, n, withscores);
    for (let i = 0; i < n; i++) {
      const j = z.randomSlot();
      writePair(w, members[j], scores[j], withscores);
    }
    return;
  }
  if (l >= size) {
    // the whole set, walked from the highest score down as Redis's set-op iterator does
    pairsHeader(w, size, withscores);
    for (z.tree.last(cur); cur.valid; cur.prev()) writePair(w, cur.member, cur.score, withscores);
    return;
  }
  pairsHeader(w, l, withscores);
  if (l * 3 > size) {
    // a partial Fisher-Yates shuffle of the slots
    const slots: number[] = [];
    for (let i = 0; i < size; i++) slots.push(i);
    for (let i = 0; i < l; i++) {
      const j = i + ((Math.random() * (size - i)) | 0);
      const t = slots[j];
      slots[j] = slots[i];
      writePair(w, members[t], scores[t], withscores);
    }
    return;
  }
  const picked = new Set<number>();
  while (picked.size < l) {
    const j = z.randomSlot();
    if (picked.has(j)) continue;
    picked.add(j);
    writePair(w, members[j], scores[j], withscores);
  }
}

const page: number[] = [];

/**
 * Redis's d2string, as ZSCAN prints scores: integral values within +-LLONG_MAX/2 as integers
 * (exactly, beyond 2^53 too), the rest as "%.17g". A listpack never holds -0.
 */
function scanScore(d: number): string {
  if (Number.isInteger(d) && d >= -4611686018427387904 && d <= 4611686018427387904) {
    if (d === 0) return Object.is(d, -0) ? "-0" : "0";
    return Number.isSafeInteger(d) ? String(d) : BigInt(d).toString();
  }
  return formatDouble(d);
}

function zscan(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const cursor = parseCursor(argv[2]);
  if (cursor < 0) return ctx.w.error(INVALID_CURSOR);
  const e = scanArgs(ctx, argv, argc, TYPE_ZSET);
  if (e === undefined) return;
  const z = e.value as ZSetValue;
  const pat = scanPattern;
  const w = ctx.w;
  w.arrayHeader(2);
  if (z.listpack) {
    // a listpack is answered in one page, in order, whatever the cursor
    w.bulkStr("0");
    let n = 0;
    for (z.tree.first(cur); cur.valid; cur.next()) {
      if (pat === null || globMatch(pat, cur.member, false)) n++;
    }
    w.arrayHeader(n * 2);
    for (z.tree.first(cur); cur.valid; cur.next()) {
      if (pat !== null && !globMatch(pat, cur.member, false)) continue;
      w.bulkStr(cur.member);
      w.bulkStr(scanScore(cur.score));
    }
    return;
  }
  page.length = 0;
  const next = cursor === Infinity ? 0 : z.scanStep(cursor, scanCount, page);
  let n = page.length;
  if (pat !== null) {
    n = 0;
    for (let i = 0; i < page.length; i++) {
      if (globMatch(pat, z.members[page[i]], false)) page[n++] = page[i];
    }
  }
  w.bulkStr(String(next));
  w.arrayHeader(n * 2);
  for (let i = 0; i < n; i++) {
    w.bulkStr(z.members[page[i]]);
    w.bulkStr(scanScore(z.scores[page[i]]));
  }
  page.length = 0;
}

export const popSpecs: CommandSpec[] = [
  {
    name: "zpopmin",
    route: ROUTE_KEYS,
    handler: (ctx, argv, argc) => zpopMinMax(ctx, argv, argc, false),
  },
  {
    name: "zpopmax",
    route: ROUTE_KEYS,
    handler: (ctx, argv, argc) => zpopMinMax(ctx, argv, argc, true),
  },
  { name: "zmpop", route: ROUTE_KEYS, handler: zmpop },
  { name: "zrandmember", route: ROUTE_KEYS, handler: zrandmember },
  { name: "zscan", route: ROUTE_KEYS, handler: zscan },
];
