/**
 * Adding and removing members (Redis 7.0 zaddGenericCommand, zremCommand): ZADD, ZINCRBY,
 * ZREM.
 */
import type { Ctx } from "../context.ts";
import { NOT_FLOAT, SYNTAX } from "../errors.ts";
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
} from "../../store/zset.ts";
import { TYPE_ZSET } from "../../store/types.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { parseDouble } from "../../util/numbers.ts";
import { lpEntries, lpValue, zsetLimits } from "../encoding_limits.ts";
import { WRONG } from "../lookup.ts";
import { writeZset } from "./keyspace.ts";
import { LP_EMPTY, LP_EMPTY_BYTES } from "../../store/listpack.ts";
import { BLOB_LISTPACK } from "../../store/record.ts";

const NAN_SCORE = "ERR resulting score is not a number (NaN)";

/** the parsed scores of the current ZADD (scratch, reused) */
const scores: number[] = [];

/** ZADD and ZINCRBY (`preset` ZADD_INCR): the flags, then score/member pairs. */
export function zaddGeneric(ctx: Ctx, argv: Uint8Array[], argc: number, preset: number): void {
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
  const r = writeZset(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0 && flags & ZADD_XX) return incr ? w.nullBulk() : w.integer(0);
  let z: ZSetValue;
  if (r === 0) {
    // created as Redis creates it: a listpack unless the limits rule out even the first member
    // (the first pair is always added: no XX here, and a parsed score is never NaN)
    zsetLimits(ctx);
    if (lpEntries === 0 || argv[i + 1].length > lpValue) {
      z = new ZSetValue();
      z.listpack = false;
      ctx.db.setObject(argv[1], TYPE_ZSET, z, ctx.now);
    } else {
      const ref = ctx.db.setBlob(
        argv[1],
        TYPE_ZSET,
        BLOB_LISTPACK,
        LP_EMPTY,
        0,
        LP_EMPTY_BYTES,
        ctx.now,
      );
      z = ctx.db.object<ZSetValue>(ref);
    }
  } else {
    z = ctx.db.object<ZSetValue>(r);
    if (z.listpack) zsetLimits(ctx);
  }
  let added = 0, updated = 0, processed = 0;
  let score = 0;
  let nan = false;
  for (let k = 0; k < scores.length; k++) {
    const out = z.addArg(scores[k], argv[i + 2 * k + 1], flags, lpEntries, lpValue);
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
  if (added + updated > 0 && r !== 0) ctx.db.touch(r);
  if (nan) return w.error(NAN_SCORE);
  if (incr) return processed > 0 ? w.double(score) : w.nullBulk();
  w.integer(ch ? added + updated : added);
}

/** ZREM: removes members; the key goes when emptied. */
export function zrem(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const r = writeZset(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.integer(0);
  const z = ctx.db.object<ZSetValue>(r);
  let deleted = 0;
  for (let i = 2; i < argc; i++) {
    if (z.remove(latin1(argv[i]))) deleted++;
    if (z.size === 0) break;
  }
  if (deleted > 0) {
    if (z.size === 0) ctx.db.remove(r);
    else ctx.db.touch(r);
  }
  ctx.w.integer(deleted);
}
