/**
 * Walking the keyspace: KEYS, SCAN, RANDOMKEY, and the SCAN cursor parser that HSCAN, SSCAN
 * and ZSCAN share.
 */
import type { Ctx } from "../context.ts";
import { INVALID_CURSOR, NOT_INTEGER, SYNTAX } from "../errors.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { globMatch } from "../../util/glob.ts";
import { typeCode } from "../../store/types.ts";
import type { ScanFilter } from "../../store/keyspace.ts";
import { readHeader, readInteger, skipReply } from "../../resp/reply_reader.ts";
import type { ReplyWriter } from "../../resp/writer.ts";

const MINUS = 45;

/** KEYS pattern: this shard's part (the parts are concatenated). */
export function keysPart(ctx: Ctx, argv: Uint8Array[]): void {
  const pat = latin1(argv[1]);
  const all = pat === "*";
  const out: string[] = [];
  const db = ctx.db;
  db.forEachLive(ctx.now, (r) => {
    const k = db.keyLatin1(r);
    if (all || globMatch(pat, k, false)) out.push(k);
  });
  ctx.w.arrayHeader(out.length);
  for (const k of out) ctx.w.bulkStr(k);
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * Parse a SCAN cursor as Redis does (strtoul: optional sign, "" is 0, "-1" wraps to 2^64-1);
 * -1 when invalid. Cursors beyond 2^53 are returned as Infinity: no Skua cursor is that big.
 */
export function parseCursor(b: Uint8Array): number {
  if (b.length === 0) return 0;
  if (b.length > 21) return -1;
  let i = 0;
  const neg = b[0] === 45;
  if (neg || b[0] === 43) i = 1;
  if (i === b.length) return -1;
  let v = 0n;
  for (; i < b.length; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10n + BigInt(c);
  }
  if (v > U64_MAX) return -1;
  if (neg && v !== 0n) v = (1n << 64n) - v;
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(v);
}

/**
 * The shard a SCAN cursor points into: cursor = position * shards + shard. An invalid cursor
 * runs on the connection's own shard, which replies the error.
 */
export function scanTarget(argv: Uint8Array[], _argc: number, shards: number): number {
  const c = parseCursor(argv[1]);
  return c < 0 || c === Infinity ? -1 : c % shards;
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type], on the shard the cursor names. */
export function scan(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const cursor = parseCursor(argv[1]);
  if (cursor < 0) return ctx.w.error(INVALID_CURSOR);
  let count = 10;
  const f: ScanFilter = {};
  for (let i = 2; i < argc; i += 2) {
    const o = argv[i];
    if (i + 1 >= argc) return ctx.w.error(SYNTAX);
    if (eqi(o, "count")) {
      const v = parseInt64(argv[i + 1]);
      if (v === null) return ctx.w.error(NOT_INTEGER);
      if (v < 1) return ctx.w.error(SYNTAX);
      count = Number(v);
    } else if (eqi(o, "match")) {
      const pat = latin1(argv[i + 1]);
      f.match = pat === "*" ? undefined : (k: string) => globMatch(pat, k, false);
    } else if (eqi(o, "type")) {
      // an unknown type name matches nothing (Redis 7.0)
      f.type = typeCode(latin1(argv[i + 1]));
    } else {
      return ctx.w.error(SYNTAX);
    }
  }
  const n = ctx.shard.n;
  const shard = cursor === Infinity ? 0 : cursor % n;
  const inner = Math.floor(cursor / n);
  const out: string[] = [];
  // an out-of-range cursor ends the scan with an empty page, as in Redis
  const next = cursor === Infinity ? 0 : ctx.db.scan(inner, count, ctx.now, f, out);
  let global = 0;
  if (next !== 0) global = next * n + shard;
  else if (shard + 1 < n && cursor !== Infinity) global = shard + 1;
  const w = ctx.w;
  w.arrayHeader(2);
  w.bulkStr(String(global));
  w.arrayHeader(out.length);
  for (const k of out) w.bulkStr(k);
}

/**
 * RANDOMKEY runs on every shard; each part answers `[number of keys, a random key or null]`
 * and the fold picks one of the keys with a probability proportional to its shard's key
 * count, so every key is about equally likely whatever the shards hold.
 */
export function randomkeyPart(ctx: Ctx): void {
  const k = ctx.db.randomKey(ctx.now);
  const w = ctx.w;
  w.arrayHeader(2);
  if (k === null) {
    w.integer(0);
    w.nullBulk();
  } else {
    w.integer(ctx.db.size);
    w.bulkStr(k);
  }
}

/** RANDOMKEY's fold: one key from the parts, weighted by their shards' key counts. */
export function foldRandomKey(parts: Uint8Array[], w: ReplyWriter): void {
  for (const p of parts) if (p[0] === MINUS) return w.raw(p);
  let total = 0;
  const weights: number[] = [];
  const keyAt: number[] = [];
  for (const p of parts) {
    const [, , off] = readHeader(p, 0);
    const n = readInteger(p, off);
    weights.push(n);
    keyAt.push(skipReply(p, off));
    total += n;
  }
  if (total === 0) return w.nullBulk();
  let r = Math.random() * total;
  for (let i = 0; i < parts.length; i++) {
    r -= weights[i];
    if (r < 0 && weights[i] > 0) return w.raw(parts[i].subarray(keyAt[i]));
  }
  // rounding at the very end of the range: the last shard that had a key
  for (let i = parts.length - 1; i >= 0; i--) {
    if (weights[i] > 0) return w.raw(parts[i].subarray(keyAt[i]));
  }
}
