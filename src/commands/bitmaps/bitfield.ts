/**
 * BITFIELD and BITFIELD_RO, plus the bit offset argument shared with the other bit commands.
 * Fields are read and written MSB first across byte boundaries, as Redis does; fields of up
 * to 32 bits are computed with doubles, wider ones with bigints.
 */
import type { Ctx } from "../context.ts";
import { NOT_INTEGER, SYNTAX, WRONGTYPE } from "../errors.ts";
import { eqi } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { TYPE_STRING } from "../../store/types.ts";
import { maxStringLen } from "../strings/bytes.ts";
import { resizeRaw } from "./bytes.ts";

export const BIT_OFFSET_ERR = "ERR bit offset is not an integer or out of range";
const TYPE_ERR =
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/**
 * A bit offset argument (Redis getBitOffsetFromArgument): with `bits` > 0, "#n" means n*bits.
 * -1 after replying the error.
 */
export function bitOffsetArg(ctx: Ctx, b: Uint8Array, bits: number): number {
  const hash = bits > 0 && b.length > 0 && b[0] === 0x23;
  const v = parseInt64(hash ? b.subarray(1) : b);
  if (v === null) {
    ctx.w.error(BIT_OFFSET_ERR);
    return -1;
  }
  let off = Number(v);
  // "#n" multiplies in int64 and may wrap, as the C code does
  if (hash) off = Number(BigInt.asIntN(64, BigInt(v) * BigInt(bits)));
  if (off < 0 || Math.floor(off / 8) >= maxStringLen(ctx)) {
    ctx.w.error(BIT_OFFSET_ERR);
    return -1;
  }
  return off;
}

const OP_GET = 0, OP_SET = 1, OP_INCRBY = 2;
const OW_WRAP = 0, OW_SAT = 1, OW_FAIL = 2;

interface FieldOp {
  op: number;
  signed: boolean;
  bits: number;
  offset: number;
  arg: number | bigint;
  overflow: number;
}

/** "i8", "u16" ...: bits, negative for signed; 0 after replying the error. */
function fieldType(ctx: Ctx, b: Uint8Array): number {
  // only lower-case 'i' / 'u' (Redis 7.0 compares case-sensitively)
  const c = b.length > 0 ? b[0] : 0;
  if (c === 0x69 || c === 0x75) {
    let end = 1;
    while (end < b.length && b[end] !== 0) end++; // C's strlen
    const n = parseInt64(b.subarray(1, end));
    const max = c === 0x69 ? 64 : 63;
    if (n !== null && n >= 1 && n <= max) return c === 0x69 ? -Number(n) : Number(n);
  }
  ctx.w.error(TYPE_ERR);
  return 0;
}

function bitfieldGeneric(ctx: Ctx, argv: Uint8Array[], argc: number, readonlyCmd: boolean): void {
  const w = ctx.w;
  const ops: FieldOp[] = [];
  let overflow = OW_WRAP;
  let readonly = true;
  let highest = -1;
  for (let j = 2; j < argc; j++) {
    const rem = argc - j - 1;
    const sub = argv[j];
    let op: number;
    if (eqi(sub, "get") && rem >= 2) op = OP_GET;
    else if (eqi(sub, "set") && rem >= 3) op = OP_SET;
    else if (eqi(sub, "incrby") && rem >= 3) op = OP_INCRBY;
    else if (eqi(sub, "overflow") && rem >= 1) {
      const t = argv[++j];
      if (eqi(t, "wrap")) overflow = OW_WRAP;
      else if (eqi(t, "sat")) overflow = OW_SAT;
      else if (eqi(t, "fail")) overflow = OW_FAIL;
      else return w.error("ERR Invalid OVERFLOW type specified");
      continue;
    } else return w.error(SYNTAX);
    const t = fieldType(ctx, argv[j + 1]);
    if (t === 0) return;
    const bits = Math.abs(t);
    const offset = bitOffsetArg(ctx, argv[j + 2], bits);
    if (offset < 0) return;
    let arg: number | bigint = 0;
    if (op !== OP_GET) {
      readonly = false;
      if (offset + bits - 1 > highest) highest = offset + bits - 1;
      const v = parseInt64(argv[j + 3]);
      if (v === null) return w.error(NOT_INTEGER);
      arg = v;
    }
    ops.push({ op, signed: t < 0, bits, offset, arg, overflow });
    j += op === OP_GET ? 2 : 3;
  }

  const db = ctx.db;
  let r = db.lookup(argv[1], ctx.now);
  const wrongType = r !== 0 && db.typeOf(r) !== TYPE_STRING;
  if (wrongType && readonly) return w.error(WRONGTYPE);
  const created = r === 0;
  // the value's bytes in place, valid while the fields are worked on (no other write)
  let p: Uint8Array | null = null;
  if (!readonly) {
    if (readonlyCmd) return w.error("ERR BITFIELD_RO only supports the GET subcommand");
    if (wrongType) return w.error(WRONGTYPE);
    const need = Math.floor(highest / 8) + 1;
    r = resizeRaw(db, argv[1], r, Math.max(created ? 0 : db.strLen(r), need), ctx.now);
    p = db.str(r);
  } else if (!created) p = db.str(r);

  w.arrayHeader(ops.length);
  for (const o of ops) {
    if (o.op === OP_GET) {
      w.int64(getField(p, o.offset, o.bits, o.signed));
      continue;
    }
    const res = o.bits <= 32 && typeof o.arg === "number" && Math.abs(o.arg) <= 2 ** 52
      ? writeSmall(p!, o)
      : writeBig(p!, o);
    if (res === null) w.nullBulk();
    else w.int64(res);
  }
  if (!readonly && !created) db.touch(r);
}

/** A field's value; bytes past the end (or no value at all) read as 0. */
function getField(p: Uint8Array | null, offset: number, bits: number, signed: boolean) {
  if (bits <= 32) return getSmall(p, offset, bits, signed);
  const u = getBig(p, offset, bits);
  return narrow(signed ? BigInt.asIntN(bits, u) : u);
}

function narrow(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

function getSmall(p: Uint8Array | null, offset: number, bits: number, signed: boolean): number {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  const len = p === null ? 0 : p.length;
  let v = 0;
  for (let i = first; i <= last; i++) v = v * 256 + (i < len ? p![i] : 0);
  const shift = (last + 1) * 8 - (offset + bits);
  v = Math.floor(v / 2 ** shift) % 2 ** bits;
  return signed && v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
}

function getBig(p: Uint8Array | null, offset: number, bits: number): bigint {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  const len = p === null ? 0 : p.length;
  let v = 0n;
  for (let i = first; i <= last; i++) v = (v << 8n) | BigInt(i < len ? p![i] : 0);
  const shift = (last + 1) * 8 - (offset + bits);
  return BigInt.asUintN(bits, v >> BigInt(shift));
}

/** Writes the low `bits` bits of the unsigned value u (a number below 2^32, or a bigint). */
function setField(p: Uint8Array, offset: number, bits: number, u: number | bigint): void {
  if (typeof u === "number") {
    for (let k = bits - 1; k >= 0; k--, offset++) {
      const bit = Math.floor(u / 2 ** k) % 2;
      const i = Math.floor(offset / 8), m = 0x80 >> (offset & 7);
      p[i] = bit ? p[i] | m : p[i] & ~m;
    }
    return;
  }
  for (let k = bits - 1; k >= 0; k--, offset++) {
    const bit = (u >> BigInt(k)) & 1n;
    const i = Math.floor(offset / 8), m = 0x80 >> (offset & 7);
    p[i] = bit ? p[i] | m : p[i] & ~m;
  }
}

function mod(a: number, m: number): number {
  const r = a % m;
  return r < 0 ? r + m : r;
}

/** SET / INCRBY on a field of up to 32 bits; null when OVERFLOW FAIL refused it. */
function writeSmall(p: Uint8Array, o: FieldOp): number | null {
  const bits = o.bits;
  const arg = o.arg as number;
  const old = getSmall(p, o.offset, bits, o.signed);
  const span = 2 ** bits;
  const max = o.signed ? span / 2 - 1 : span - 1;
  const min = o.signed ? -span / 2 : 0;
  // unsigned SET takes the int64 as uint64: a negative value is a (huge) positive overflow
  const v = o.op === OP_INCRBY ? old + arg : arg;
  let nv = v;
  const over = o.signed
    ? (v > max ? 1 : v < min ? -1 : 0)
    : (v > max || (o.op === OP_SET && v < 0) ? 1 : v < 0 ? -1 : 0);
  if (over !== 0) {
    if (o.overflow === OW_FAIL) return null;
    if (o.overflow === OW_SAT) nv = over > 0 ? max : min;
    else {
      nv = mod(v, span);
      if (o.signed && nv > max) nv -= span;
    }
  }
  setField(p, o.offset, bits, mod(nv, span));
  return o.op === OP_INCRBY ? nv : old;
}

/** SET / INCRBY on any field, in bigints. */
function writeBig(p: Uint8Array, o: FieldOp): number | bigint | null {
  const bits = o.bits, b = BigInt(bits);
  const arg = BigInt(o.arg);
  const u = getBig(p, o.offset, bits);
  const old = o.signed ? BigInt.asIntN(bits, u) : u;
  const max = o.signed ? (1n << (b - 1n)) - 1n : (1n << b) - 1n;
  const min = o.signed ? -(1n << (b - 1n)) : 0n;
  const v = o.op === OP_INCRBY ? old + arg : arg;
  let nv = v;
  const over = o.signed
    ? (v > max ? 1 : v < min ? -1 : 0)
    : (v > max || (o.op === OP_SET && v < 0n) ? 1 : v < 0n ? -1 : 0);
  if (over !== 0) {
    if (o.overflow === OW_FAIL) return null;
    if (o.overflow === OW_SAT) nv = over > 0 ? max : min;
    else nv = o.signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
  }
  setField(p, o.offset, bits, BigInt.asUintN(bits, nv));
  return narrow(o.op === OP_INCRBY ? nv : old);
}

/** BITFIELD key [GET type offset | SET type offset value | INCRBY type offset n | OVERFLOW ...] */
export function bitfield(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  bitfieldGeneric(ctx, argv, argc, false);
}

/** BITFIELD_RO key [GET type offset ...] */
export function bitfieldRo(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  bitfieldGeneric(ctx, argv, argc, true);
}
