/**
 * Range reads and deletions (Redis 7.0 zrangeGenericCommand and zremrangeGenericCommand):
 * ZRANGE (BYSCORE / BYLEX / REV / LIMIT / WITHSCORES), ZRANGESTORE, ZREVRANGE,
 * Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX, ZREMRANGEBYRANK / BYSCORE / BYLEX.
 * Starting points and offsets are found by descent, so a range costs O(log n + m).
 */
import { type CommandSpec, type Ctx, ROUTE_KEYS } from "./table.ts";
import { SYNTAX, WRONGTYPE } from "./errors.ts";
import { fitsListpack, ZSetValue } from "../store/zset.ts";
import { ZCursor } from "../store/zset_tree.ts";
import {
  lexGteMin,
  lexLteMax,
  type LexRange,
  scoreGteMin,
  scoreLteMax,
  type ScoreRange,
} from "../store/zset_range.ts";
import {
  deleteRangeByLex,
  deleteRangeByScore,
  firstInLex,
  firstInRange,
  lastInLex,
  lastInRange,
} from "../store/zset_query.ts";
import { TYPE_ZSET } from "../store/types.ts";
import { eqi, latin1 } from "../util/bytes.ts";
import { intArg } from "./args.ts";
import { lpEntries, lpValue, readEntry, zsetLimits } from "./sets_common.ts";
import {
  newLexRange,
  newScoreRange,
  NOT_FLOAT_RANGE,
  NOT_LEX_RANGE,
  pairsHeader,
  parseLexRange,
  parseScoreRange,
  writePair,
  writeZset,
} from "./zsets_common.ts";

const AUTO = 0, RANK = 1, SCORE = 2, LEX = 3;

const sr = newScoreRange();
const lr = newLexRange();
const cur = new ZCursor();
/** the current range result */
const pickedM: string[] = [];
const pickedS: number[] = [];

function pick(c: ZCursor): void {
  pickedM.push(c.member);
  pickedS.push(c.score);
}

/** Elements at ranks [start, end] (Redis's index rules), picked. */
function byRank(z: ZSetValue, start: number, end: number, rev: boolean): void {
  const llen = z.size;
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return;
  if (end >= llen) end = llen - 1;
  let n = end - start + 1;
  z.tree.seekRank(cur, rev ? llen - 1 - start : start);
  while (n-- > 0 && cur.valid) {
    pick(cur);
    if (rev) cur.prev();
    else cur.next();
  }
}

/** Moves the cursor, at rank r, `offset` places on (back when rev); false when past the end. */
function skip(z: ZSetValue, r: number, offset: number, rev: boolean): boolean {
  if (offset === 0) return true;
  z.tree.seekRank(cur, rev ? r - offset : r + offset);
  return cur.valid;
}

function byScore(z: ZSetValue, r: ScoreRange, offset: number, limit: number, rev: boolean) {
  if (offset < 0 || (offset > 0 && offset >= z.size)) return;
  const at = rev ? lastInRange(z, r, cur) : firstInRange(z, r, cur);
  if (at < 0 || !skip(z, at, offset, rev)) return;
  while (cur.valid && limit-- !== 0) {
    if (rev ? !scoreGteMin(cur.score, r) : !scoreLteMax(cur.score, r)) break;
    pick(cur);
    if (rev) cur.prev();
    else cur.next();
  }
}

function byLex(z: ZSetValue, r: LexRange, offset: number, limit: number, rev: boolean) {
  if (offset < 0) return;
  const at = rev ? lastInLex(z, r, cur) : firstInLex(z, r, cur);
  if (at < 0 || !skip(z, at, offset, rev)) return;
  while (cur.valid && limit-- !== 0) {
    if (rev ? !lexGteMin(cur.member, r) : !lexLteMax(cur.member, r)) break;
    pick(cur);
    if (rev) cur.prev();
    else cur.next();
  }
}

/**
 * zrangeGenericCommand: `at` is the index of the source key; `dst` the destination of
 * ZRANGESTORE (else null); `type` / `rev` are preset by the legacy commands.
 */
function zrange(
  ctx: Ctx,
  argv: Uint8Array[],
  argc: number,
  at: number,
  dst: Uint8Array | null,
  preType: number,
  preRev: boolean | null,
): void {
  const w = ctx.w;
  let type = preType;
  let rev = preRev;
  let withscores = false;
  let offset = 0, limit = -1;
  for (let j = at + 3; j < argc; j++) {
    const o = argv[j];
    const left = argc - j - 1;
    if (dst === null && eqi(o, "withscores")) withscores = true;
    else if (eqi(o, "limit") && left >= 2) {
      const a = intArg(ctx, argv[j + 1]);
      if (a === null) return;
      const b = intArg(ctx, argv[j + 2]);
      if (b === null) return;
      offset = a;
      limit = b;
      j += 2;
    } else if (preRev === null && rev === null && eqi(o, "rev")) rev = true;
    else if (type === AUTO && eqi(o, "bylex")) type = LEX;
    else if (type === AUTO && eqi(o, "byscore")) type = SCORE;
    else return w.error(SYNTAX);
  }
  const reverse = rev === true;
  if (type === AUTO) type = RANK;
  if (limit !== -1 && type === RANK) {
    return w.error(
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    );
  }
  if (withscores && type === LEX) {
    return w.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  let minAt = at + 1, maxAt = at + 2;
  if (reverse && type !== RANK) {
    minAt = at + 2;
    maxAt = at + 1;
  }
  let start = 0, end = 0;
  if (type === RANK) {
    const a = intArg(ctx, argv[minAt]);
    if (a === null) return;
    const b = intArg(ctx, argv[maxAt]);
    if (b === null) return;
    start = a;
    end = b;
  } else if (type === SCORE) {
    if (!parseScoreRange(argv[minAt], argv[maxAt], sr)) return w.error(NOT_FLOAT_RANGE);
  } else if (!parseLexRange(argv[minAt], argv[maxAt], lr)) {
    return w.error(NOT_LEX_RANGE);
  }
  const e = readEntry(ctx, latin1(argv[at]));
  if (e !== undefined && e.type !== TYPE_ZSET) return w.error(WRONGTYPE);
  pickedM.length = 0;
  pickedS.length = 0;
  if (e !== undefined) {
    const z = e.value as ZSetValue;
    if (type === RANK) byRank(z, start, end, reverse);
    else if (type === SCORE) byScore(z, sr, offset, limit, reverse);
    else byLex(z, lr, offset, limit, reverse);
  }
  if (dst !== null) storeRange(ctx, dst);
  else {
    const n = pickedM.length;
    pairsHeader(w, n, withscores);
    for (let i = 0; i < n; i++) writePair(w, pickedM[i], pickedS[i], withscores);
  }
  pickedM.length = 0;
  pickedS.length = 0;
}

/** ZRANGESTORE's destination: the picked elements as a new set (or dst deleted when none). */
function storeRange(ctx: Ctx, dst: Uint8Array): void {
  const key = latin1(dst);
  const n = pickedM.length;
  if (n === 0) {
    ctx.db.delete(key, ctx.now);
    return ctx.w.integer(0);
  }
  let maxLen = 0;
  for (let i = 0; i < n; i++) if (pickedM[i].length > maxLen) maxLen = pickedM[i].length;
  zsetLimits(ctx);
  const z = new ZSetValue();
  z.listpack = fitsListpack(n, maxLen, lpEntries, lpValue);
  for (let i = 0; i < n; i++) z.insert(pickedM[i], pickedS[i]);
  ctx.db.set(key, z, TYPE_ZSET);
  ctx.w.integer(n);
}

function zremrange(ctx: Ctx, argv: Uint8Array[], type: number): void {
  const w = ctx.w;
  let start = 0, end = 0;
  if (type === RANK) {
    const a = intArg(ctx, argv[2]);
    if (a === null) return;
    const b = intArg(ctx, argv[3]);
    if (b === null) return;
    start = a;
    end = b;
  } else if (type === SCORE) {
    if (!parseScoreRange(argv[2], argv[3], sr)) return w.error(NOT_FLOAT_RANGE);
  } else if (!parseLexRange(argv[2], argv[3], lr)) {
    return w.error(NOT_LEX_RANGE);
  }
  const e = writeZset(ctx, latin1(argv[1]));
  if (e === null) return;
  if (e === undefined) return w.integer(0);
  const z = e.value;
  let deleted: number;
  if (type === RANK) {
    const llen = z.size;
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return w.integer(0);
    if (end >= llen) end = llen - 1;
    deleted = z.removeRange(start, end - start + 1);
  } else if (type === SCORE) {
    deleted = deleteRangeByScore(z, sr, cur);
  } else {
    deleted = deleteRangeByLex(z, lr, cur);
  }
  if (deleted > 0) {
    if (z.size === 0) ctx.db.remove(e);
    else ctx.db.touch(e.key);
  }
  w.integer(deleted);
}

type H = (ctx: Ctx, argv: Uint8Array[], argc: number) => void;
const spec = (name: string, handler: H): CommandSpec => ({ name, route: ROUTE_KEYS, handler });

export const rangeSpecs: CommandSpec[] = [
  spec("zrange", (ctx, argv, argc) => zrange(ctx, argv, argc, 1, null, AUTO, null)),
  spec("zrangestore", (ctx, argv, argc) => zrange(ctx, argv, argc, 2, argv[1], AUTO, null)),
  spec("zrevrange", (ctx, argv, argc) => zrange(ctx, argv, argc, 1, null, RANK, true)),
  spec("zrangebyscore", (ctx, argv, argc) => zrange(ctx, argv, argc, 1, null, SCORE, false)),
  spec("zrevrangebyscore", (ctx, argv, argc) => zrange(ctx, argv, argc, 1, null, SCORE, true)),
  spec("zrangebylex", (ctx, argv, argc) => zrange(ctx, argv, argc, 1, null, LEX, false)),
  spec("zrevrangebylex", (ctx, argv, argc) => zrange(ctx, argv, argc, 1, null, LEX, true)),
  spec("zremrangebyrank", (ctx, argv) => zremrange(ctx, argv, RANK)),
  spec("zremrangebyscore", (ctx, argv) => zremrange(ctx, argv, SCORE)),
  spec("zremrangebylex", (ctx, argv) => zremrange(ctx, argv, LEX)),
];
