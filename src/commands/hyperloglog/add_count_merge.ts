/**
 * PFADD, PFCOUNT, PFMERGE. The values are ordinary strings holding Redis's own HLL bytes
 * (src/store/hll.ts). A dense HLL is changed in place, in the arena; a sparse one being
 * changed is copied out (it may grow, or turn dense) and written back.
 */
import type { Ctx } from "../context.ts";
import { TYPE_STRING } from "../../store/types.ts";
import { ENC_RAW } from "../../store/keyspace.ts";
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
import { writeTyped, WRONG } from "../lookup.ts";
import { resizeRaw } from "../bitmaps/bytes.ts";

export const INVALID_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";
export const CORRUPT_HLL = "INVALIDOBJ Corrupted HLL object detected";

/** Spare bytes given to a sparse HLL copied out to be changed. */
const SPARSE_ROOM = 32;
/** Sparse HLLs up to this many bytes are copied to a reused buffer. */
const SCRATCH_MAX = 1 << 16;
let scratch = new Uint8Array(4096);

function sparseMax(ctx: Ctx): number {
  return Number(ctx.shard.config.value("hll-sparse-max-bytes"));
}

/** The HLL being worked on (one command at a time). */
const work = new HllBuf(new Uint8Array(0), 0);

/**
 * The HLL of the string at `ref` (in `work`), or null if the value is not a valid HLL. Its
 * bytes are the value's own, in place, when it is dense or only read (`write` false: the
 * cached cardinality may still be updated); a sparse HLL to be changed is copied out, with
 * room to grow, and goes back with `store`.
 */
function hllOf(ctx: Ctx, ref: number, write: boolean): HllBuf | null {
  const v = ctx.db.str(ref);
  if (!hllValid(v)) return null;
  const n = v.length;
  if (!write || v[4] === HLL_DENSE) {
    work.buf = v;
    work.len = n;
    return work;
  }
  const cap = n + SPARSE_ROOM;
  let b: Uint8Array;
  if (cap > SCRATCH_MAX) b = new Uint8Array(cap);
  else {
    if (cap > scratch.length) scratch = new Uint8Array(SCRATCH_MAX);
    b = scratch;
    // the bytes past the value read as 0, as in a fresh buffer
    b.fill(0, n, cap);
  }
  b.set(v);
  work.buf = b;
  work.len = n;
  return work;
}

/**
 * Stores the HLL at the key (record `ref`, 0 for a new key); returns the key's record. Redis
 * unshares the value first, so it is a raw string from then on. The caller touches an
 * existing key when it changed.
 */
function store(ctx: Ctx, ref: number, key: Uint8Array, h: HllBuf): number {
  const db = ctx.db;
  if (ref === 0) return db.setString(key, h.buf, 0, h.len, ctx.now, false, ENC_RAW);
  if (h.buf.buffer === db.ks.arena.buf) {
    // changed in place
    db.setEnc(ref, ENC_RAW);
    return ref;
  }
  ref = resizeRaw(db, key, ref, h.len, ctx.now);
  db.strBuf(ref).set(h.view(), db.strOffset(ref));
  return ref;
}

/** PFADD key [element ...] */
export function pfadd(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const r = writeTyped(ctx, argv[1], TYPE_STRING);
  if (r === WRONG) return;
  let h: HllBuf | null;
  let updated = 0;
  if (r === 0) {
    h = hllCreate();
    updated = 1;
  } else {
    h = hllOf(ctx, r, true);
    if (h === null) return ctx.w.error(INVALID_HLL);
  }
  const max = argc > 2 ? sparseMax(ctx) : 0;
  for (let j = 2; j < argc; j++) {
    const res = hllAdd(h, argv[j], max);
    if (res === 1) updated++;
    else if (res === -1) {
      // what was changed before the corruption was found stays, as in Redis
      store(ctx, r, argv[1], h);
      return ctx.w.error(CORRUPT_HLL);
    }
  }
  if (updated > 0) hllInvalidate(h);
  const stored = store(ctx, r, argv[1], h);
  if (updated > 0 && r !== 0) ctx.db.touch(stored);
  ctx.w.integer(updated > 0 ? 1 : 0);
}

const maxRegs = new Uint8Array(HLL_REGISTERS);

/** Merges the HLLs at argv[from..argc) into maxRegs; null after replying an error. */
function mergeKeys(ctx: Ctx, argv: Uint8Array[], argc: number, from: number): boolean | null {
  maxRegs.fill(0);
  let dense = false;
  for (let j = from; j < argc; j++) {
    const r = writeTyped(ctx, argv[j], TYPE_STRING);
    if (r === WRONG) return null;
    if (r === 0) continue;
    // in place: read before the next lookup, which may write (expire a key)
    const b = ctx.db.str(r);
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
  const r = writeTyped(ctx, argv[1], TYPE_STRING);
  if (r === WRONG) return;
  if (r === 0) return w.integer(0);
  // counting only rewrites the cached cardinality, in place
  const h = hllOf(ctx, r, false);
  if (h === null) return w.error(INVALID_HLL);
  const card = hllCount(h);
  // the value is unshared (raw) either way, as in Redis
  ctx.db.setEnc(r, ENC_RAW);
  if (card === null) return w.error(CORRUPT_HLL);
  if (hllRecomputed) ctx.db.touch(r);
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
  const r = ctx.db.lookup(argv[1], ctx.now);
  // an existing destination was validated by mergeKeys
  const h = r === 0 ? hllCreate() : hllOf(ctx, r, true)!;
  if (dense && !hllToDense(h)) {
    store(ctx, r, argv[1], h);
    return ctx.w.error(CORRUPT_HLL);
  }
  hllSetRegisters(h, maxRegs, sparseMax(ctx));
  hllInvalidate(h);
  const stored = store(ctx, r, argv[1], h);
  if (r !== 0) ctx.db.touch(stored);
  ctx.w.ok();
}
