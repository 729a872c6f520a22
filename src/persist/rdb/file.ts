/**
 * The file layer of an RDB snapshot, as Redis 7.0 writes and reads it (rdb.c's rdbSaveRio and
 * rdbLoadRioWithLoadingCtx): the `REDIS0010` header and AUX fields, SELECTDB and RESIZEDB per
 * database, per key the optional expiry and IDLE/FREQ opcodes before the value, EOF, and the
 * CRC-64 trailer. Values themselves are the value codec's (value.ts); this layer only frames
 * them, so a loader hands each key to a callback that reads (or skips) its value.
 */
import type { RdbWriter } from "./writer.ts";
import { RdbError, RdbReader } from "./reader.ts";
import { crc64Bytes, crc64Init, crc64Update } from "./crc64.ts";
import { latin1 } from "../../util/bytes.ts";

export const RDB_VERSION = 10;

export const OP_FUNCTION2 = 245;
export const OP_FUNCTION_PRE_GA = 246;
export const OP_MODULE_AUX = 247;
export const OP_IDLE = 248;
export const OP_FREQ = 249;
export const OP_AUX = 250;
export const OP_RESIZEDB = 251;
export const OP_EXPIRETIME_MS = 252;
export const OP_EXPIRETIME = 253;
export const OP_SELECTDB = 254;
export const OP_EOF = 255;

/** Value types Redis 7.0 reads: 0-7 and 9-21 (8 was never used). */
const TYPE_MODULE_PRE_GA = 6;
const TYPE_MODULE_2 = 7;
const STREAM_TYPES = new Set([15, 19, 21]);

const MAGIC = new TextEncoder().encode(`REDIS00${RDB_VERSION}`);

/** What the header says about the server that wrote the file. */
export interface HeaderFacts {
  redisVersion: string;
  ctime: number;
  usedMem: number;
  /** Skua's own AUX field: the writer's version (absent in files from Redis) */
  skuaVersion?: string;
  /** the file is an AOF's base (Redis's `aof-base` AUX field is 1 then) */
  aofBase?: boolean;
}

/** The magic and the AUX fields Redis 7.0 writes (rdbSaveInfoAuxFields), and Skua's own. */
export function writeHeader(w: RdbWriter, facts: HeaderFacts): void {
  w.raw(MAGIC);
  aux(w, "redis-ver", facts.redisVersion);
  auxInt(w, "redis-bits", 64);
  auxInt(w, "ctime", facts.ctime);
  auxInt(w, "used-mem", facts.usedMem);
  auxInt(w, "aof-base", facts.aofBase ? 1 : 0);
  if (facts.skuaVersion !== undefined) aux(w, "skua-ver", facts.skuaVersion);
}

function aux(w: RdbWriter, key: string, value: string): void {
  w.byte(OP_AUX);
  w.string(key);
  w.string(value);
}

function auxInt(w: RdbWriter, key: string, value: number): void {
  w.byte(OP_AUX);
  w.string(key);
  w.longLong(value);
}

/** SELECTDB and, when the sizes are known, RESIZEDB (a hint for the loader's tables). */
export function writeSelectDb(w: RdbWriter, db: number, keys: number, expires: number): void {
  w.byte(OP_SELECTDB);
  w.len(db);
  if (keys < 0) return;
  w.byte(OP_RESIZEDB);
  w.len(keys);
  w.len(expires);
}

/**
 * What precedes a key's type byte (rdbSaveKeyValuePair): EXPIRETIME_MS when it has a TTL,
 * IDLE under an LRU maxmemory-policy, FREQ under an LFU one (-1: not written).
 */
export function writeKeyPrefix(
  w: RdbWriter,
  expireAt: number,
  exact: bigint | undefined,
  idleSeconds: number,
  freq: number,
): void {
  if (expireAt !== 0) {
    w.byte(OP_EXPIRETIME_MS);
    w.msTime(expireAt, exact);
  }
  if (idleSeconds >= 0) {
    w.byte(OP_IDLE);
    w.len(idleSeconds);
  }
  if (freq >= 0) {
    w.byte(OP_FREQ);
    w.byte(freq);
  }
}

/** EOF and the CRC-64 of every byte before it and the EOF byte (zeros: rdbchecksum no). */
export function eofBytes(crcOfBody: Uint8Array | null): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = OP_EOF;
  if (crcOfBody !== null) out.set(crcOfBody, 1);
  return out;
}

/** One key as the loader met it; the callback must read (or skip) its value from `r`. */
export interface LoadedKey {
  db: number;
  key: Uint8Array;
  type: number;
  /** unix ms, 0: none */
  expireAt: number;
  /** seconds idle (IDLE), -1: not in the file */
  idle: number;
  /** LFU counter (FREQ), -1: not in the file */
  freq: number;
}

export interface LoadOptions {
  /** `databases`: a SELECTDB beyond it is refused, as Redis refuses it */
  databases: number;
  /** `rdbchecksum`: verify a non-zero trailer */
  checksum: boolean;
  /** each key, in file order; it must consume the value */
  onKey(k: LoadedKey, r: RdbReader): void;
  /** an AUX field (unknown ones are skipped by the caller's choice) */
  onAux?(key: string, value: Uint8Array): void;
  /** progress, every so many keys: bytes read so far of the total */
  onProgress?(keys: number, pos: number, total: number): void;
  /** RESIZEDB of the database selected */
  onResize?(db: number, keys: number, expires: number): void;
}

/** A file Skua must refuse whole (corrupt, truncated, or holding what Skua cannot load). */
export class RdbLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RdbLoadError";
  }
}

const PROGRESS_EVERY = 100_000;
/** Keys between two pauses of a stepped load (the caller decides whether to go on). */
const STEP_KEYS = 64;

/**
 * Read a whole RDB file's bytes: header, opcodes and keys, EOF and the checksum. Throws an
 * RdbLoadError for anything Redis 7.0 would refuse, and for what it would accept only with a
 * module, functions engine or streams Skua does not have. Returns the number of keys met.
 */
export function loadRdb(buf: Uint8Array, opts: LoadOptions): number {
  const steps = loadRdbSteps(buf, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * loadRdb in steps: it pauses every few keys, yielding how many bytes of the file it has read,
 * so a shard can serve between two steps (the startup load answers -LOADING meanwhile). The
 * checksum is computed as the steps go, not in one pass at the end.
 */
export function* loadRdbSteps(buf: Uint8Array, opts: LoadOptions): Generator<number, number> {
  const r = new RdbReader(buf);
  try {
    return yield* loadBody(r, buf, opts);
  } catch (e) {
    if (e instanceof RdbError) {
      throw new RdbLoadError(
        `the file is truncated or corrupt (${e.message})`,
      );
    }
    throw e;
  }
}

function* loadBody(r: RdbReader, buf: Uint8Array, opts: LoadOptions): Generator<number, number> {
  if (buf.length < 9 || latin1(buf.subarray(0, 5)) !== "REDIS") {
    throw new RdbLoadError("Wrong signature trying to load DB from file");
  }
  const version = Number(latin1(buf.subarray(5, 9)));
  if (!(version >= 1 && version <= RDB_VERSION)) {
    throw new RdbLoadError(`Can't handle RDB format version ${latin1(buf.subarray(5, 9))}`);
  }
  r.pos = 9;
  let db = 0;
  let expireAt = 0, idle = -1, freq = -1;
  let keys = 0;
  // the CRC of the bytes before `summed`, kept up with the reader at every pause
  const crc = opts.checksum && version >= 5 ? crc64Init() : null;
  let summed = 0;
  for (;;) {
    const type = r.byte();
    if (type === OP_EXPIRETIME) {
      // seconds, int32 little-endian (RDB < 3, still accepted)
      const b = r.bytes(4, "an expire time");
      expireAt = new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true) * 1000;
      continue;
    }
    if (type === OP_EXPIRETIME_MS) {
      expireAt = r.msTime();
      continue;
    }
    if (type === OP_FREQ) {
      freq = r.byte();
      continue;
    }
    if (type === OP_IDLE) {
      idle = r.len();
      continue;
    }
    if (type === OP_EOF) break;
    if (type === OP_SELECTDB) {
      db = r.len();
      if (db >= opts.databases) {
        throw new RdbLoadError(
          `Data file was created with a Redis server configured to handle more than ` +
            `${opts.databases} databases (it selects database ${db})`,
        );
      }
      continue;
    }
    if (type === OP_RESIZEDB) {
      const n = r.len(), e = r.len();
      opts.onResize?.(db, n, e);
      continue;
    }
    if (type === OP_AUX) {
      const k = latin1(r.string());
      const v = r.string();
      opts.onAux?.(k, v);
      continue;
    }
    if (type === OP_MODULE_AUX) {
      throw new RdbLoadError(
        "The RDB file contains AUX module data (MODULE_AUX) that Skua cannot load: Skua has no modules",
      );
    }
    if (type === OP_FUNCTION2 || type === OP_FUNCTION_PRE_GA) {
      const code = type === OP_FUNCTION2 ? latin1(r.string()) : "";
      const m = /^#!\S+[^\n]*\bname=([^\s]+)/.exec(code);
      throw new RdbLoadError(
        `The RDB file contains the function library '${m?.[1] ?? "?"}' that Skua cannot ` +
          "load: Skua has no functions engine",
      );
    }
    if (type > 21 || type === 8) {
      throw new RdbLoadError(`Unknown RDB encoding type ${type}`);
    }
    const key = r.string();
    if (type === TYPE_MODULE_PRE_GA || type === TYPE_MODULE_2) {
      throw new RdbLoadError(
        `The RDB file holds the module value '${latin1(key)}' (db ${db}) that Skua cannot load: ` +
          "Skua has no modules",
      );
    }
    if (STREAM_TYPES.has(type)) {
      throw new RdbLoadError(
        `The RDB file holds the stream '${latin1(key)}' (db ${db}) that Skua cannot load: ` +
          "Skua has no streams yet",
      );
    }
    opts.onKey({ db, key, type, expireAt, idle, freq }, r);
    keys++;
    expireAt = 0;
    idle = -1;
    freq = -1;
    if (opts.onProgress !== undefined && keys % PROGRESS_EVERY === 0) {
      opts.onProgress(keys, r.pos, buf.length);
    }
    if (keys % STEP_KEYS === 0) {
      if (crc !== null) crc64Update(crc, buf, summed, r.pos);
      summed = r.pos;
      yield r.pos;
    }
  }
  if (version >= 5) {
    const end = r.pos;
    const trailer = r.bytes(8, "the checksum");
    if (crc !== null && trailer.some((b) => b !== 0)) {
      const got = crc64Bytes(crc64Update(crc, buf, summed, end));
      if (!got.every((b, i) => b === trailer[i])) {
        throw new RdbLoadError(
          `Wrong RDB checksum expected: (${hex64(trailer)}) got (${hex64(got)}). Aborting now.`,
        );
      }
    }
  }
  return keys;
}

/** A little-endian u64 as %016llx. */
function hex64(b: Uint8Array): string {
  let s = "";
  for (let i = 7; i >= 0; i--) s += b[i].toString(16).padStart(2, "0");
  return s;
}
