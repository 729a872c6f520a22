/**
 * PFADD, PFCOUNT, PFMERGE. The values are ordinary strings holding Redis's own HLL bytes
 * (src/store/hll.ts); an HLL being changed is kept as bytes owned by its key so PFADD works
 * in place.
 */
import type { Ctx } from "../context.ts";
import { latin1 } from "../../util/bytes.ts";
import { type StringValue, TYPE_STRING } from "../../store/types.ts";
import { ENC_RAW, type Entry } from "../../store/keyspace.ts";
import {
  HLL_DENSE,
  hllAdd,
  HllBuf,
  hllCount,
  hllCountRaw,
  hllCreate,
  hllInvalidate,
  hllMergeInto,
  hllRecomputed,
  hllSetRegisters,
  hllToDense,
  hllValid,
} from "../../store/hll.ts";
import { HLL_REGISTERS } from "../../store/hll_math.ts";
import { isOwned, own, readBytes } from "../strings/bytes.ts";
import { stringEntry } from "../strings/lookup.ts";

export const INVALID_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";
export const CORRUPT_HLL = "INVALIDOBJ Corrupted HLL object detected";

/** Spare bytes given to a sparse HLL copied into its own buffer. */
const SPARSE_ROOM = 32;

function sparseMax(ctx: Ctx): number {
  return Number(ctx.shard.config.value("hll-sparse-max-bytes"));
}

/** The HLL being worked on (one command at a time). */
const work = new HllBuf(new Uint8Array(0), 0);

/**
 * The HLL of a string value as bytes that may be changed in place (in `work`), or null if
 * the value is not a valid HLL. A value that is not already such bytes is copied once.
 */
function hllOf(v: StringValue): HllBuf | null {
  if (typeof v !== "string" && isOwned(v)) {
    if (!hllValid(v)) return null;
    // the whole buffer: room to grow a sparse HLL in place
    work.buf = v.length === v.buffer.byteLength ? v : new Uint8Array(v.buffer);
    work.len = v.length;
    return work;
  }
  const src = readBytes(v);
  if (!hllValid(src)) return null;
  const b = new Uint8Array(src.length + (src[4] === HLL_DENSE ? 0 : SPARSE_ROOM));
  b.set(src);
  work.buf = b;
  work.len = src.length;
  return work;
}

/** The HLL's bytes as a value (its buffer now belongs to that value). */
function valueOf(h: HllBuf): Uint8Array {
  const v = h.view();
  own(v);
  return v;
}

/**
 * Stores the HLL in the entry, or under a new key. Redis unshares the value first, so it is
 * a raw string from then on.
 */
function store(ctx: Ctx, e: Entry | undefined, key: Uint8Array, h: HllBuf): void {
  if (e === undefined) {
    ctx.db.set(latin1(key), valueOf(h), TYPE_STRING).enc = ENC_RAW;
    return;
  }
  const v = e.value as StringValue;
  // unchanged owned bytes of the same length need no new view
  if (typeof v === "string" || v.buffer !== h.buf.buffer || v.length !== h.len) {
    e.value = valueOf(h);
  }
  e.enc = ENC_RAW;
}

/** PFADD key [element ...] */
export function pfadd(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  let h: HllBuf | null;
  let updated = 0;
  if (e === undefined) {
    h = hllCreate();
    updated = 1;
  } else {
    h = hllOf(e.value);
    if (h === null) return ctx.w.error(INVALID_HLL);
  }
  const max = argc > 2 ? sparseMax(ctx) : 0;
  for (let j = 2; j < argc; j++) {
    const r = hllAdd(h, argv[j], max);
    if (r === 1) updated++;
    else if (r === -1) {
      // what was changed before the corruption was found stays, as in Redis
      store(ctx, e, argv[1], h);
      return ctx.w.error(CORRUPT_HLL);
    }
  }
  if (updated > 0) hllInvalidate(h);
  store(ctx, e, argv[1], h);
  if (updated > 0 && e !== undefined) ctx.db.touch(e.key);
  ctx.w.integer(updated > 0 ? 1 : 0);
}

const maxRegs = new Uint8Array(HLL_REGISTERS);

/** Merges the HLLs at argv[from..argc) into maxRegs; false after replying an error. */
function mergeKeys(ctx: Ctx, argv: Uint8Array[], argc: number, from: number): boolean | null {
  maxRegs.fill(0);
  let dense = false;
  for (let j = from; j < argc; j++) {
    const e = stringEntry(ctx, argv[j]);
    if (e === null) return null;
    if (e === undefined) continue;
    const b = readBytes(e.value);
    if (!hllValid(b)) {
      ctx.w.error(INVALID_HLL);
      return null;
    }
    if (b[4] === HLL_DENSE) dense = true;
    if (!hllMergeInto(maxRegs, b)) {
      ctx.w.error(CORRUPT_HLL);
      return null;
    }
  }
  return dense;
}

/** PFCOUNT key [key ...] */
export function pfcount(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  if (argc > 2) {
    if (mergeKeys(ctx, argv, argc, 1) === null) return;
    return writeCard(ctx, hllCountRaw(maxRegs));
  }
  const e = stringEntry(ctx, argv[1]);
  if (e === null) return;
  if (e === undefined) return w.integer(0);
  const h = hllOf(e.value);
  if (h === null) return w.error(INVALID_HLL);
  const card = hllCount(h);
  // a converted value is kept as bytes either way (identical unless the cache was refreshed)
  store(ctx, e, argv[1], h);
  if (card === null) return w.error(CORRUPT_HLL);
  if (hllRecomputed) ctx.db.touch(e.key);
  writeCard(ctx, card);
}

function writeCard(ctx: Ctx, card: number | bigint): void {
  if (typeof card === "number") ctx.w.integer(card);
  else ctx.w.bigint(BigInt.asIntN(64, card));
}

/** PFMERGE destkey [sourcekey ...] */
export function pfmerge(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const dense = mergeKeys(ctx, argv, argc, 1);
  if (dense === null) return;
  const key = latin1(argv[1]);
  const e = ctx.db.get(key, ctx.now);
  // an existing destination was validated by mergeKeys
  const h = e === undefined ? hllCreate() : hllOf(e.value as StringValue)!;
  if (dense && !hllToDense(h)) {
    store(ctx, e, argv[1], h);
    return ctx.w.error(CORRUPT_HLL);
  }
  hllSetRegisters(h, maxRegs, sparseMax(ctx));
  hllInvalidate(h);
  store(ctx, e, argv[1], h);
  if (e !== undefined) ctx.db.touch(key);
  ctx.w.ok();
}
