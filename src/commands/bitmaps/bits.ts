/**
 * Bits of a string value: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP.
 * Bitmaps are string values; bit 0 is the most significant bit of the first byte.
 */
import type { Ctx } from "../context.ts";
import { NOT_INTEGER, SYNTAX } from "../errors.ts";
import { eqi } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { TYPE_STRING } from "../../store/types.ts";
import { type Db, ENC_RAW } from "../../store/keyspace.ts";
import { writeTyped, WRONG } from "../lookup.ts";
import { bitOffsetArg } from "./bitfield.ts";
import { resizeRaw } from "./bytes.ts";

const BIT_ERR = "ERR bit is not an integer or out of range";

/** Set bits per byte value. */
const POP = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP[i] = (i & 1) + POP[i >> 1];

function popcount(p: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += POP[p[i]];
  return n;
}

/** GETBIT key offset */
export function getbit(ctx: Ctx, argv: Uint8Array[]): void {
  const off = bitOffsetArg(ctx, argv[2], 0);
  if (off < 0) return;
  const r = writeTyped(ctx, argv[1], TYPE_STRING);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.integer(0);
  const db = ctx.db;
  const byte = Math.floor(off / 8);
  if (byte >= db.strLen(r)) return ctx.w.integer(0);
  const c = db.strBuf(r)[db.strOffset(r) + byte];
  ctx.w.integer((c >> (7 - (off & 7))) & 1);
}

/** SETBIT key offset value */
export function setbit(ctx: Ctx, argv: Uint8Array[]): void {
  const off = bitOffsetArg(ctx, argv[2], 0);
  if (off < 0) return;
  const on = parseInt64(argv[3]);
  if (on !== 0 && on !== 1) return ctx.w.error(BIT_ERR);
  const db = ctx.db;
  let r = writeTyped(ctx, argv[1], TYPE_STRING);
  if (r === WRONG) return;
  const created = r === 0;
  const byte = Math.floor(off / 8);
  r = resizeRaw(db, argv[1], r, Math.max(created ? 0 : db.strLen(r), byte + 1), ctx.now);
  const u8 = db.strBuf(r);
  const i = db.strOffset(r) + byte;
  const m = 0x80 >> (off & 7);
  const was = (u8[i] & m) !== 0;
  u8[i] = on ? u8[i] | m : u8[i] & ~m;
  if (!created) db.touch(r);
  ctx.w.integer(was ? 1 : 0);
}

/**
 * Start/end arguments of BITCOUNT/BITPOS resolved as Redis does (negative from the end,
 * clamped); results in rStart/rEnd, in bits when `isbit`.
 */
let rStart = 0, rEnd = 0;
function resolveRange(s: number | bigint, e: number | bigint, totlen: number): void {
  let start = Number(s), end = Number(e);
  if (start < 0) start += totlen;
  if (end < 0) end += totlen;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= totlen) end = totlen - 1;
  rStart = start;
  rEnd = end;
}

/** BYTE / BIT unit word: 1 bit, 0 byte, -1 after a syntax error. */
function unitArg(ctx: Ctx, b: Uint8Array): number {
  if (eqi(b, "bit")) return 1;
  if (eqi(b, "byte")) return 0;
  ctx.w.error(SYNTAX);
  return -1;
}

/** BITCOUNT key [start end [BYTE | BIT]] */
export function bitcount(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const r = writeTyped(ctx, argv[1], TYPE_STRING);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.integer(0);
  const p = ctx.db.str(r);
  const strlen = p.length;
  let start = 0, end = strlen - 1;
  if (argc === 4 || argc === 5) {
    const s = parseInt64(argv[2]);
    if (s === null) return ctx.w.error(NOT_INTEGER);
    const en = parseInt64(argv[3]);
    if (en === null) return ctx.w.error(NOT_INTEGER);
    if (s < 0 && en < 0 && s > en) return ctx.w.integer(0);
    const isbit = argc === 5 ? unitArg(ctx, argv[4]) : 0;
    if (isbit < 0) return;
    resolveRange(s, en, isbit ? strlen * 8 : strlen);
    start = rStart;
    end = rEnd;
    if (isbit) {
      if (start > end) return ctx.w.integer(0);
      return ctx.w.integer(countBits(p, start, end));
    }
  } else if (argc !== 2) return ctx.w.error(SYNTAX);
  ctx.w.integer(start > end ? 0 : popcount(p, start, end + 1));
}

/** Set bits in the bit range [s, e]. */
function countBits(p: Uint8Array, s: number, e: number): number {
  const sb = Math.floor(s / 8), eb = Math.floor(e / 8);
  let n = popcount(p, sb, eb + 1);
  n -= POP[p[sb] & ~(0xff >> (s & 7)) & 0xff];
  n -= POP[p[eb] & (0xff >> ((e & 7) + 1))];
  return n;
}

/** The first bit equal to `bit` in the bit range [s, e] of p, or -1. */
function findBit(p: Uint8Array, s: number, e: number, bit: number): number {
  const skip = bit ? 0 : 0xff;
  let i = Math.floor(s / 8);
  const last = Math.floor(e / 8);
  for (let pos = s; i <= last; i++) {
    const c = p[i];
    if (c !== skip || pos > i * 8 || (i === last && (e & 7) !== 7)) {
      for (let k = pos - i * 8; k < 8 && pos <= e; k++, pos++) {
        if (((c >> (7 - k)) & 1) === bit) return pos;
      }
    }
    pos = (i + 1) * 8;
  }
  return -1;
}

/** BITPOS key bit [start [end [BYTE | BIT]]] */
export function bitpos(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const bv = parseInt64(argv[2]);
  if (bv === null) return ctx.w.error(NOT_INTEGER);
  if (bv !== 0 && bv !== 1) return ctx.w.error("ERR The bit argument must be 1 or 0.");
  const bit = Number(bv);
  const r = writeTyped(ctx, argv[1], TYPE_STRING);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.integer(bit ? -1 : 0);
  const p = ctx.db.str(r);
  const strlen = p.length;
  let s = 0, en = strlen * 8 - 1, endGiven = false;
  if (argc >= 4 && argc <= 6) {
    const s0 = parseInt64(argv[3]);
    if (s0 === null) return ctx.w.error(NOT_INTEGER);
    const isbit = argc === 6 ? unitArg(ctx, argv[5]) : 0;
    if (isbit < 0) return;
    let e0: number | bigint = isbit ? strlen * 8 + 7 : strlen - 1;
    if (argc >= 5) {
      const v = parseInt64(argv[4]);
      if (v === null) return ctx.w.error(NOT_INTEGER);
      e0 = v;
      endGiven = true;
    }
    resolveRange(s0, e0, isbit ? strlen * 8 : strlen);
    if (rStart > rEnd) return ctx.w.integer(-1);
    s = isbit ? rStart : rStart * 8;
    en = isbit ? rEnd : rEnd * 8 + 7;
  } else if (argc !== 3) return ctx.w.error(SYNTAX);
  if (s > en) return ctx.w.integer(-1);
  const pos = findBit(p, s, en, bit);
  if (pos >= 0 || bit === 1) return ctx.w.integer(pos);
  // no clear bit: past the end unless the range was explicit
  ctx.w.integer(endGiven ? -1 : en + 1);
}

const OP_AND = 0, OP_OR = 1, OP_XOR = 2, OP_NOT = 3;

/** BITOP AND | OR | XOR | NOT destkey key [key ...] */
export function bitop(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const name = argv[1];
  let op: number;
  if (eqi(name, "and")) op = OP_AND;
  else if (eqi(name, "or")) op = OP_OR;
  else if (eqi(name, "xor")) op = OP_XOR;
  else if (eqi(name, "not")) op = OP_NOT;
  else return ctx.w.error(SYNTAX);
  if (op === OP_NOT && argc !== 4) {
    return ctx.w.error("ERR BITOP NOT must be called with a single source key.");
  }
  // Every source is looked up (and its type checked) before anything is computed; the
  // values are read afterwards in place, by a find that cannot expire anything any more.
  const db = ctx.db;
  let maxlen = 0;
  for (let j = 3; j < argc; j++) {
    const r = writeTyped(ctx, argv[j], TYPE_STRING);
    if (r === WRONG) return;
    const n = r === 0 ? 0 : db.strLen(r);
    if (n > maxlen) maxlen = n;
  }
  if (maxlen === 0) {
    db.delete(argv[2], ctx.now);
    return ctx.w.integer(0);
  }
  const res = resultBytes(maxlen);
  const first = source(db, argv[3]);
  if (op === OP_NOT) {
    for (let i = 0; i < maxlen; i++) res[i] = ~first[i] & 0xff;
  } else {
    res.set(first);
    for (let j = 4; j < argc; j++) {
      const s = source(db, argv[j]);
      const n = s.length;
      if (op === OP_AND) {
        for (let i = 0; i < n; i++) res[i] &= s[i];
        res.fill(0, n);
      } else if (op === OP_OR) {
        for (let i = 0; i < n; i++) res[i] |= s[i];
      } else {
        for (let i = 0; i < n; i++) res[i] ^= s[i];
      }
    }
  }
  db.setString(argv[2], res, 0, maxlen, ctx.now, false, ENC_RAW);
  ctx.w.integer(maxlen);
}

const EMPTY = new Uint8Array(0);

/** A BITOP source already looked up: its bytes in place (valid until the next write), or none. */
function source(db: Db, key: Uint8Array): Uint8Array {
  const r = db.find(key);
  return r === 0 ? EMPTY : db.str(r);
}

/** Results up to this many bytes are built in a reused buffer. */
const SCRATCH_MAX = 1 << 20;
let scratch = new Uint8Array(64);

/** `len` zero bytes for BITOP's result, valid until the next call. */
function resultBytes(len: number): Uint8Array {
  if (len > SCRATCH_MAX) return new Uint8Array(len);
  if (len > scratch.length) scratch = new Uint8Array(Math.max(len, scratch.length * 2));
  return scratch.fill(0, 0, len).subarray(0, len);
}
