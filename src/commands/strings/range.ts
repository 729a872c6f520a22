/** Parts of a string value: APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE. */
import type { Ctx } from "../context.ts";
import { MAX_STRING, NOT_INTEGER } from "../errors.ts";
import { ENC_RAW } from "../../store/keyspace.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { WRONG } from "../lookup.ts";
import { maxStringLen } from "./bytes.ts";
import { stringRef } from "./lookup.ts";

/** APPEND key value */
export function append(ctx: Ctx, argv: Uint8Array[]): void {
  const db = ctx.db;
  let r = stringRef(ctx, argv[1]);
  if (r === WRONG) return;
  const add = argv[2];
  if (r === 0) {
    db.setString(argv[1], add, 0, add.length, ctx.now);
    return ctx.w.integer(add.length);
  }
  const old = db.strLen(r);
  const len = old + add.length;
  if (len > maxStringLen(ctx)) return ctx.w.error(MAX_STRING);
  // grows in place, or moves to a block with room to spare: repeated APPENDs are amortized O(1)
  r = db.resizeString(r, len);
  db.strBuf(r).set(add, db.strOffset(r) + old);
  db.setEnc(r, ENC_RAW);
  db.touch(r);
  ctx.w.integer(len);
}

/** STRLEN key */
export function strlen(ctx: Ctx, argv: Uint8Array[]): void {
  const r = stringRef(ctx, argv[1]);
  if (r === WRONG) return;
  ctx.w.integer(r === 0 ? 0 : ctx.db.strLen(r));
}

/** GETRANGE key start end, and SUBSTR (the same). */
export function getrange(ctx: Ctx, argv: Uint8Array[]): void {
  const s0 = parseInt64(argv[2]);
  if (s0 === null) return ctx.w.error(NOT_INTEGER);
  const e0 = parseInt64(argv[3]);
  if (e0 === null) return ctx.w.error(NOT_INTEGER);
  const r = stringRef(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.bulkStr("");
  const db = ctx.db;
  const len = db.strLen(r);
  if (s0 < 0 && e0 < 0 && s0 > e0) return ctx.w.bulkStr("");
  // int64 extremes only matter through their sign here, so doubles are exact enough
  let start = Number(s0), end = Number(e0);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return ctx.w.bulkStr("");
  ctx.w.bulkRange(db.strBuf(r), db.strOffset(r) + start, end - start + 1);
}

/** SETRANGE key offset value */
export function setrange(ctx: Ctx, argv: Uint8Array[]): void {
  const off = parseInt64(argv[2]);
  if (off === null) return ctx.w.error(NOT_INTEGER);
  if (off < 0) return ctx.w.error("ERR offset is out of range");
  const add = argv[3];
  const db = ctx.db;
  let r = stringRef(ctx, argv[1]);
  if (r === WRONG) return;
  if (add.length === 0) return ctx.w.integer(r === 0 ? 0 : db.strLen(r));
  if (Number(off) + add.length > maxStringLen(ctx)) return ctx.w.error(MAX_STRING);
  const offset = Number(off);
  const old = r === 0 ? 0 : db.strLen(r);
  const len = Math.max(old, offset + add.length);
  // a new key starts as zero bytes up to the offset (Redis pads with zeros too)
  if (r === 0) r = db.setString(argv[1], add, 0, 0, ctx.now);
  if (len !== old) r = db.resizeString(r, len);
  db.strBuf(r).set(add, db.strOffset(r) + offset);
  db.setEnc(r, ENC_RAW);
  db.touch(r);
  ctx.w.integer(len);
}
