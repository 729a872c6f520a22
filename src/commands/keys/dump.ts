/**
 * DUMP and RESTORE (Redis 7.0's cluster.c): a key's value as an RDB payload and back. The
 * payload is the value as RDB writes it (src/persist/rdb/value.ts), the RDB version (2 bytes
 * little-endian) and the CRC-64 of everything before it (8 bytes little-endian), so payloads
 * move between Skua and Redis both ways, byte-identical for the same value and encoding.
 */
import type { Ctx } from "../context.ts";
import { NOT_INTEGER, SYNTAX } from "../errors.ts";
import { int64Arg } from "../args.ts";
import { readRef } from "../lookup.ts";
import { eqi } from "../../util/bytes.ts";
import { RdbWriter } from "../../persist/rdb/writer.ts";
import { RdbError, RdbReader } from "../../persist/rdb/reader.ts";
import { crc64Bytes, crc64Of } from "../../persist/rdb/crc64.ts";
import {
  isEmptyLoaded,
  isValueType,
  loadedCopy,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_VERSION,
  readValue,
  writeValue,
} from "../../persist/rdb/value.ts";
import { installEntry } from "../../store/transfer.ts";
import { LRU_CLOCK_MAX, lruClock } from "../../store/access.ts";

export const BUSYKEY = "BUSYKEY Target key name already exists.";
export const BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong";
export const BAD_DATA = "ERR Bad data format";

/** The footer: 2 bytes of RDB version, 8 of CRC-64. */
const FOOTER_BYTES = 10;
const INT64_MAX = (1n << 63n) - 1n;

/** Per-Worker writer for payloads (reused; a huge payload's buffer is let go by drain). */
const payload = new RdbWriter();

/** DUMP key: the serialized value, or a null bulk when the key does not exist. */
export function dump(ctx: Ctx, argv: Uint8Array[]): void {
  const r = readRef(ctx, argv[1]);
  if (r === 0) return ctx.w.nullBulk();
  const config = ctx.shard.config;
  const w = payload;
  w.reset();
  w.compression = config.value("rdbcompression") !== "no";
  writeValue(w, ctx.db, r, config);
  w.u16le(RDB_VERSION);
  w.raw(crc64Bytes(crc64Of(w.view())));
  ctx.w.bulk(w.drain());
}

/** verifyDumpPayload: a known RDB version and the right checksum. */
function payloadValid(p: Uint8Array): boolean {
  const n = p.length;
  if (n < FOOTER_BYTES) return false;
  const version = p[n - FOOTER_BYTES] | (p[n - FOOTER_BYTES + 1] << 8);
  if (version > RDB_VERSION) return false;
  const crc = crc64Bytes(crc64Of(p, 0, n - 8));
  for (let i = 0; i < 8; i++) if (crc[i] !== p[n - 8 + i]) return false;
  return true;
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] */
export function restore(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let replace = false, absttl = false;
  let idle: number | bigint = -1, freq: number | bigint = -1;
  for (let j = 4; j < argc; j++) {
    const additional = argc - j - 1;
    const a = argv[j];
    if (eqi(a, "replace")) replace = true;
    else if (eqi(a, "absttl")) absttl = true;
    else if (eqi(a, "idletime") && additional >= 1 && freq === -1) {
      const v = int64Arg(ctx, argv[++j]);
      if (v === null) return;
      if (v < 0) return ctx.w.error("ERR Invalid IDLETIME value, must be >= 0");
      idle = v;
    } else if (eqi(a, "freq") && additional >= 1 && idle === -1) {
      const v = int64Arg(ctx, argv[++j]);
      if (v === null) return;
      if (v < 0 || v > 255) return ctx.w.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      freq = v;
    } else return ctx.w.error(SYNTAX);
  }
  const db = ctx.db, now = ctx.now, key = argv[1];
  if (!replace && db.lookup(key, now) !== 0) return ctx.w.error(BUSYKEY);
  const ttlArg = int64Arg(ctx, argv[2], NOT_INTEGER);
  if (ttlArg === null) return;
  if (ttlArg < 0) return ctx.w.error("ERR Invalid TTL value, must be >= 0");
  const p = argv[3];
  if (!payloadValid(p)) return ctx.w.error(BAD_PAYLOAD);

  // the value is read from the whole payload, footer included, as rioInitWithBuffer does
  let loaded;
  try {
    const rd = new RdbReader(p);
    const type = rd.byte();
    // Redis 7.0's rdbLoadObjectType: 7.2's types (20, 21) are unknown to it
    if (!isValueType(type) || type > RDB_TYPE_STREAM_LISTPACKS_2) return ctx.w.error(BAD_DATA);
    loaded = readValue(rd, type, ctx.shard.config, key);
    if (isEmptyLoaded(loaded)) return ctx.w.error(BAD_DATA);
  } catch (e) {
    if (e instanceof RdbError) return ctx.w.error(BAD_DATA);
    throw e;
  }

  if (replace) db.delete(key, now);
  // a relative TTL becomes absolute (in C's int64, which wraps)
  let ttl = BigInt(ttlArg);
  if (ttl !== 0n && !absttl) ttl = BigInt.asIntN(64, ttl + BigInt(now));
  if (ttl !== 0n && ttl <= BigInt(now)) return ctx.w.ok(); // already expired: not created
  const expireAt = Number(ttl);
  const exact = ttl > BigInt(Number.MAX_SAFE_INTEGER) && ttl <= INT64_MAX ? ttl : undefined;
  const copy = loadedCopy(key.slice(), loaded, expireAt, accessField(ctx, idle, freq), exact);
  installEntry(db, copy.key, copy, now);
  ctx.w.ok();
}

/** objectSetLRUOrLFU: FREQ under an LFU policy, IDLETIME under an LRU one, else a fresh field. */
function accessField(ctx: Ctx, idle: number | bigint, freq: number | bigint): number {
  const access = ctx.db.ks.access, now = ctx.now;
  if (access.lfu) {
    if (freq !== -1) return (((now / 60000) & 0xffff) << 8) | Number(freq);
  } else if (idle !== -1) {
    // the idle time in seconds, back from the LRU clock (which wraps)
    let abs = BigInt(lruClock(now)) - BigInt(idle);
    if (abs < 0n) abs += BigInt(LRU_CLOCK_MAX);
    return Number(BigInt.asUintN(24, abs));
  }
  return access.fresh(now);
}
