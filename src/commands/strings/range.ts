/** Parts of a string value: APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE. */
import type { Ctx } from "../context.ts";
import { MAX_STRING, NOT_INTEGER } from "../errors.ts";
import { ENC_RAW } from "../../store/keyspace.ts";
import { MAX_STRING_VALUE, type StringValue, TYPE_STRING } from "../../store/types.ts";
import { latin1, toValue, valueBytes } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { maxStringLen, putRaw, storedValue, writableBytes } from "./bytes.ts";
import { stringEntry } from "./lookup.ts";

/** APPEND key value */
export function append(ctx: Ctx, argv: Uint8Array[]): void {
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  const add = argv[2];
  if (e === undefined) {
    ctx.db.set(latin1(argv[1]), toValue(add), TYPE_STRING);
    return ctx.w.integer(add.length);
  }
  const old = e.value;
  const len = old.length + add.length;
  if (len > maxStringLen(ctx)) return ctx.w.error(MAX_STRING);
  if (typeof old === "string" && len <= MAX_STRING_VALUE) {
    // V8 builds a rope: repeated APPENDs stay amortized O(1), flattened on the next read
    e.value = old + latin1(add);
  } else {
    const buf = new Uint8Array(len);
    buf.set(valueBytes(old));
    buf.set(add, old.length);
    e.value = buf;
  }
  e.enc = ENC_RAW;
  ctx.db.touch(e.key);
  ctx.w.integer(len);
}

/** STRLEN key */
export function strlen(ctx: Ctx, argv: Uint8Array[]): void {
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  ctx.w.integer(e === undefined ? 0 : e.value.length);
}

/** GETRANGE key start end, and SUBSTR (the same). */
export function getrange(ctx: Ctx, argv: Uint8Array[]): void {
  const s0 = parseInt64(argv[2]);
  if (s0 === null) return ctx.w.error(NOT_INTEGER);
  const e0 = parseInt64(argv[3]);
  if (e0 === null) return ctx.w.error(NOT_INTEGER);
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  if (e === undefined) return ctx.w.bulkStr("");
  const v = e.value as StringValue;
  const len = v.length;
  if (s0 < 0 && e0 < 0 && s0 > e0) return ctx.w.bulkStr("");
  // int64 extremes only matter through their sign here, so doubles are exact enough
  let start = Number(s0), end = Number(e0);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return ctx.w.bulkStr("");
  if (typeof v === "string") ctx.w.bulkStr(v.slice(start, end + 1));
  else ctx.w.bulk(v.subarray(start, end + 1));
}

/** SETRANGE key offset value */
export function setrange(ctx: Ctx, argv: Uint8Array[]): void {
  const off = parseInt64(argv[2]);
  if (off === null) return ctx.w.error(NOT_INTEGER);
  if (off < 0) return ctx.w.error("ERR offset is out of range");
  const add = argv[3];
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  if (add.length === 0) return ctx.w.integer(e === undefined ? 0 : e.value.length);
  if (Number(off) + add.length > maxStringLen(ctx)) return ctx.w.error(MAX_STRING);
  const offset = Number(off);
  const old: StringValue | undefined = e?.value;
  const len = Math.max(old === undefined ? 0 : old.length, offset + add.length);
  const b = writableBytes(old, len);
  b.set(add, offset);
  putRaw(ctx.db, e, latin1(argv[1]), storedValue(b));
  ctx.w.integer(len);
}
