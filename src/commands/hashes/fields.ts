/**
 * Setting, reading and deleting fields: HSET, HMSET, HSETNX, HGET, HMGET, HDEL, HLEN, HSTRLEN,
 * HEXISTS, and the whole-hash reads HKEYS, HVALS, HGETALL.
 */
import type { Ctx } from "../context.ts";
import type { ReplyWriter } from "../../resp/writer.ts";
import type { HashValue } from "../../store/hash.ts";
import type { StringValue } from "../../store/types.ts";
import { latin1, toValue } from "../../util/bytes.ts";
import { hashOrCreate, readHash, writeHash, WRONG } from "./lookup.ts";
import { convertForArgs, hashSet, hashSetBytes } from "./encoding.ts";
import { lpHashValueEntry } from "../../store/hash_listpack.ts";
import { lpString } from "../../store/listpack.ts";

/** HSET (reply: fields added) and HMSET (reply: OK). */
export function hset(ctx: Ctx, argv: Uint8Array[], argc: number, hmset: boolean): void {
  if (argc % 2 === 1) {
    return ctx.w.error(`ERR wrong number of arguments for '${hmset ? "hmset" : "hset"}' command`);
  }
  const r = hashOrCreate(ctx, argv[1]);
  if (r === WRONG) return;
  const h = ctx.db.object<HashValue>(r);
  convertForArgs(ctx, h, argv, 2, argc);
  let created = 0;
  for (let i = 2; i < argc; i += 2) {
    if (hashSetBytes(ctx, h, argv[i], argv[i + 1])) created++;
  }
  ctx.db.touch(r);
  if (hmset) ctx.w.ok();
  else ctx.w.integer(created);
}

export function hsetnx(ctx: Ctx, argv: Uint8Array[]): void {
  const r = hashOrCreate(ctx, argv[1]);
  if (r === WRONG) return;
  const h = ctx.db.object<HashValue>(r);
  const f = latin1(argv[2]);
  if (h.has(f)) return ctx.w.integer(0);
  convertForArgs(ctx, h, argv, 2, 4);
  hashSet(ctx, h, f, toValue(argv[3]));
  ctx.db.touch(r);
  ctx.w.integer(1);
}

export function hget(ctx: Ctx, argv: Uint8Array[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  if (h !== undefined) writeValue(ctx.w, h, argv[2]);
  else ctx.w.nullBulk();
}

/**
 * The value of field f as a bulk reply (null when absent). A listpack blob's or a hashtable's
 * value is written from the bytes where it lies, without making a JS string.
 */
function writeValue(w: ReplyWriter, h: HashValue, fb: Uint8Array): void {
  const d = h.table;
  if (d !== null) {
    const i = d.findBytes(fb);
    if (i === 0) return w.nullBulk();
    const o = d.valueOffset(i);
    if (o >= 0) w.bulkRange(d.bytes, o, d.valueLength(i));
    else w.bulkValue(d.valueAt(i));
    return;
  }
  const f = latin1(fb);
  const b = h.blob;
  if (b !== null) {
    const e = lpHashValueEntry(b, f);
    if (e === null) w.nullBulk();
    else if (e.str >= 0) w.bulkRange(b.u8, e.str, e.len);
    else w.bulkStr(lpString(b.u8, e));
    return;
  }
  const v = h.get(f);
  if (v === undefined) w.nullBulk();
  else w.bulkValue(v);
}

export function hmget(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  const w = ctx.w;
  w.arrayHeader(argc - 2);
  for (let i = 2; i < argc; i++) {
    if (h !== undefined) writeValue(w, h, argv[i]);
    else w.nullBulk();
  }
}

export function hdel(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const r = writeHash(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return ctx.w.integer(0);
  const h = ctx.db.object<HashValue>(r);
  let deleted = 0;
  for (let i = 2; i < argc; i++) {
    if (!h.delete(latin1(argv[i]))) continue;
    deleted++;
    if (h.size === 0) break;
  }
  if (h.size === 0) ctx.db.remove(r);
  else if (deleted > 0) ctx.db.touch(r);
  ctx.w.integer(deleted);
}

export function hlen(ctx: Ctx, argv: Uint8Array[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  ctx.w.integer(h === undefined ? 0 : h.size);
}

export function hstrlen(ctx: Ctx, argv: Uint8Array[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  ctx.w.integer(h === undefined ? 0 : h.strlen(latin1(argv[2])));
}

export function hexists(ctx: Ctx, argv: Uint8Array[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  ctx.w.integer(h !== undefined && h.has(latin1(argv[2])) ? 1 : 0);
}

/** What getAll writes: the fields, the values, or both (KEYS | VALUES). */
export const KEYS = 1, VALUES = 2;

function writeField(f: string, _v: StringValue, w: ReplyWriter): void {
  w.bulkStr(f);
}

function writeVal(_f: string, v: StringValue, w: ReplyWriter): void {
  w.bulkValue(v);
}

function writePair(f: string, v: StringValue, w: ReplyWriter): void {
  w.bulkStr(f);
  w.bulkValue(v);
}

/** HKEYS, HVALS, HGETALL (a map in RESP3). */
export function getAll(ctx: Ctx, argv: Uint8Array[], what: number): void {
  const h: HashValue | undefined | null = readHash(ctx, argv[1]);
  if (h === null) return;
  const w = ctx.w;
  const n = h === undefined ? 0 : h.size;
  if (what === (KEYS | VALUES)) w.mapHeader(n);
  else w.arrayHeader(n);
  if (h === undefined) return;
  h.forEach(what === KEYS ? writeField : what === VALUES ? writeVal : writePair, w);
}
