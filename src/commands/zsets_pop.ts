/**
 * Sorted-set pops, random members and scans: ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER, ZSCAN
 * (Redis 7.0 genericZpopCommand, zrandmemberWithCountCommand, scanGenericCommand).
 */
import { type CommandSpec, type Ctx, ROUTE_KEYS } from "./table.ts";
import { INVALID_CURSOR, SYNTAX, WRONGTYPE } from "./errors.ts";
import type { ZSetValue } from "../store/zset.ts";
import type { ZNode } from "../store/skiplist.ts";
import { TYPE_ZSET } from "../store/types.ts";
import { eqi, latin1 } from "../util/bytes.ts";
import { formatDouble, parseInt64 } from "../util/numbers.ts";

const HALF_LONG = 4611686018427387903n;
import { globMatch } from "../config/glob.ts";
import { parseCursor } from "./keys.ts";
import {
  foreignKeys,
  MAX_RANDOM_REPLY,
  MUST_BE_POSITIVE,
  numkeysTarget,
  randomCountArg,
  rangeArg,
  scanArgs,
  scanCount,
  scanPattern,
} from "./sets_common.ts";
import { pairsHeader, readZset, writePair, type ZSetEntry } from "./zsets_common.ts";

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
  for (let i = 0; i < n; i++) {
    const node = max ? z.zsl.tail! : z.zsl.first!;
    if (nested) w.arrayHeader(2);
    w.bulkStr(node.member);
    w.double(node.score);
    z.removeNode(node);
  }
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
  if (foreignKeys(ctx, argv, 2, whereAt)) return;
  zpop(ctx, argv, 2, whereAt, max, count, true, true);
}

function zrandmember(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  if (argc === 2) {
    const z = readZset(ctx, argv[1]);
    if (z === null) return;
    return z === undefined ? w.nullBulk() : w.bulkStr(z.randomNode().member);
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
  if (l < 0 || l === 1) {
    const n = l < 0 ? -l : 1;
    if (n > MAX_RANDOM_REPLY) return w.error("ERR value is out of range");
    pairsHeader(w, n, withscores);
    for (let i = 0; i < n; i++) {
      const node = z.randomNode();
      writePair(w, node.member, node.score, withscores);
    }
    return;
  }
  if (l >= size) {
    // the whole set, walked from the highest score down as Redis's set-op iterator does
    pairsHeader(w, size, withscores);
    for (let n = z.zsl.tail; n !== null; n = n.backward) {
      writePair(w, n.member, n.score, withscores);
    }
    return;
  }
  pairsHeader(w, l, withscores);
  const nodes = z.nodes;
  if (l * 3 > size) {
    const copy = nodes.slice();
    for (let i = 0; i < l; i++) {
      const j = i + ((Math.random() * (size - i)) | 0);
      const t = copy[j];
      copy[j] = copy[i];
      copy[i] = t;
      writePair(w, t.member, t.score, withscores);
    }
    return;
  }
  const picked = new Set<number>();
  while (picked.size < l) {
    const j = (Math.random() * size) | 0;
    if (picked.has(j)) continue;
    picked.add(j);
    writePair(w, nodes[j].member, nodes[j].score, withscores);
  }
}

const page: ZNode[] = [];

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
  let next = 0;
  page.length = 0;
  if (z.listpack) {
    // a listpack is answered in one page, in order, whatever the cursor
    for (let n = z.zsl.first; n !== null; n = n.next[0]) page.push(n);
  } else if (cursor !== Infinity) {
    next = z.scanStep(cursor, scanCount, page);
  }
  const pat = scanPattern;
  let n = page.length;
  if (pat !== null) {
    n = 0;
    for (let i = 0; i < page.length; i++) {
      if (globMatch(pat, page[i].member, false)) page[n++] = page[i];
    }
  }
  const w = ctx.w;
  w.arrayHeader(2);
  w.bulkStr(String(next));
  w.arrayHeader(n * 2);
  for (let i = 0; i < n; i++) {
    w.bulkStr(page[i].member);
    w.bulkStr(scanScore(page[i].score));
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
  { name: "zmpop", route: ROUTE_KEYS, handler: zmpop, target: numkeysTarget(1) },
  { name: "zrandmember", route: ROUTE_KEYS, handler: zrandmember },
  { name: "zscan", route: ROUTE_KEYS, handler: zscan },
];
