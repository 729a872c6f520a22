/**
 * String values as bytes, for the commands that read or write them bytewise (bit operations,
 * SETRANGE, HyperLogLog). A string value is a latin1 string or bytes; commands that change
 * a value in place keep it as bytes in a buffer allocated here (with room to grow), so that
 * repeated SETBIT/SETRANGE on a big value do not copy it each time. Small values go back to
 * being strings, which are far more compact per key.
 *
 * Only buffers allocated here are ever changed in place: a Uint8Array value from elsewhere
 * (a huge SET, RESTORE, ...) may share its buffer, so it is copied before the first write.
 *
 * Also the size limit every command that builds a string checks (maxStringLen).
 */
import { Buffer } from "node:buffer";
import type { Ctx } from "../context.ts";
import { type StringValue, TYPE_STRING } from "../../store/types.ts";
import { type Db, ENC_RAW, type Entry } from "../../store/keyspace.ts";

interface Latin1Proto {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
}
const latin1Slice = (Buffer.prototype as unknown as Latin1Proto).latin1Slice;

/**
 * Copies a one-char-per-byte string into b at 0. A plain loop: Buffer's latin1Write is
 * slower than this at every size in Deno (about 1 us per call of overhead).
 */
function writeLatin1(b: Uint8Array, s: string): void {
  const n = s.length;
  for (let i = 0; i < n; i++) b[i] = s.charCodeAt(i);
}

/** proto-max-bulk-len: the largest string a command may build. */
export function maxStringLen(ctx: Ctx): number {
  return Number(ctx.shard.config.value("proto-max-bulk-len"));
}

/** Values up to this many bytes are stored as strings after a write. */
export const SMALL_VALUE = 64;
/** Reads of string values longer than this use a one-off copy instead of the scratch buffer. */
const SCRATCH_MAX = 1 << 20;

const owned = new WeakSet<ArrayBufferLike>();
let readScratch = new Uint8Array(1024);
const writeScratch = new Uint8Array(SMALL_VALUE);

/** Marks bytes as held by one value only (allocated by the caller for it). */
export function own(b: Uint8Array): void {
  owned.add(b.buffer);
}

/** Whether bytes are a value's own buffer (allocated here), which may be changed in place. */
export function isOwned(b: Uint8Array): boolean {
  return b.byteOffset === 0 && owned.has(b.buffer);
}

/**
 * A value's bytes for reading: the value itself when it is bytes, else a copy in a scratch
 * buffer that is valid until the next call.
 */
export function readBytes(v: StringValue): Uint8Array {
  if (typeof v !== "string") return v;
  const n = v.length;
  let b: Uint8Array;
  if (n > SCRATCH_MAX) b = new Uint8Array(n);
  else {
    if (n > readScratch.length) readScratch = new Uint8Array(Math.max(n, readScratch.length * 2));
    b = readScratch;
  }
  writeLatin1(b, v);
  return b.subarray(0, n);
}

/**
 * The bytes of an entry's string value for reading. A big string value is converted to bytes
 * once and kept that way (the same value, so no change is signalled); a small one is copied
 * to the scratch buffer (valid until the next readBytes/entryBytes call).
 */
export function entryBytes(e: { value: unknown }): Uint8Array {
  const v = e.value as StringValue;
  if (typeof v !== "string") return v;
  if (v.length <= SCRATCH_MAX) return readBytes(v);
  const b = new Uint8Array(v.length);
  writeLatin1(b, v);
  owned.add(b.buffer);
  e.value = b;
  return b;
}

/** A value's bytes that stay valid while other values are read (no shared scratch). */
export function stableBytes(v: StringValue): Uint8Array {
  if (typeof v !== "string") return v;
  const b = new Uint8Array(v.length);
  writeLatin1(b, v);
  return b;
}

/** Copies a string value's chars (or bytes) into b at 0. */
function copyInto(b: Uint8Array, v: StringValue): void {
  if (typeof v === "string") {
    writeLatin1(b, v);
  } else b.set(v);
}

/**
 * The bytes of value `v` (undefined: a new key) made `len` bytes long (len >= its length; new
 * bytes are 0), ready to be changed in place. Store the result with `storedValue` afterwards.
 * The small-value scratch it may return is valid until the next call.
 */
export function writableBytes(v: StringValue | undefined, len: number): Uint8Array {
  if (len <= SMALL_VALUE) {
    const s = writeScratch;
    s.fill(0, 0, len);
    if (v !== undefined) copyInto(s, v);
    return s.subarray(0, len);
  }
  if (v !== undefined && typeof v !== "string" && isOwned(v)) {
    if (v.length === len) return v;
    // room left in the buffer: the bytes past the value's end were never written, so are 0
    if (v.buffer.byteLength >= len) return new Uint8Array(v.buffer, 0, len);
  }
  const cur = v === undefined ? 0 : v.length;
  // exact unless an existing value grows: then greedily, as sds does
  const cap = cur === 0 || len === cur ? len : len < (1 << 20) ? len * 2 : len + (1 << 20);
  const b = new Uint8Array(new ArrayBuffer(cap), 0, len);
  if (v !== undefined) copyInto(b, v);
  owned.add(b.buffer);
  return b;
}

/** The value to store after writing into bytes from writableBytes (or any owned bytes). */
export function storedValue(b: Uint8Array): StringValue {
  if (b.buffer === writeScratch.buffer) return latin1Slice.call(b, 0, b.length);
  return b;
}

/**
 * Stores a value built or changed bytewise: Redis holds such values as raw strings (OBJECT
 * ENCODING says "raw" whatever their length). A new key when `e` is undefined.
 */
export function putRaw(db: Db, e: Entry | undefined, key: string, v: StringValue): void {
  if (e === undefined) db.set(key, v, TYPE_STRING).enc = ENC_RAW;
  else {
    e.value = v;
    e.enc = ENC_RAW;
    db.touch(key);
  }
}

/** A latin1 string of bytes (for replies and small values). */
export function bytesToLatin1(b: Uint8Array): string {
  return latin1Slice.call(b, 0, b.length);
}
