/**
 * The rest of the generic keyspace commands: RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, SWAPDB
 * (OBJECT is in object.ts). DEL, EXISTS, the expiry family, TYPE, KEYS, SCAN and the flushes
 * are in keys.ts.
 *
 * A key decides its shard, so COPY and MOVE to another database stay on the key's shard, and
 * SWAPDB swaps the two databases on every shard.
 */
import { type CommandSpec, type Ctx, register, ROUTE_ALL, ROUTE_KEYS } from "./table.ts";
import { INVALID_DB, NOT_INTEGER, SYNTAX } from "./errors.ts";
import { eqi, latin1 } from "../util/bytes.ts";
import { ENC_AUTO, ENC_AUTO_UNSHARED, newAccess } from "../store/keyspace.ts";
import type { CollectionValue, Value } from "../store/types.ts";
import { foldAllOk } from "./folds.ts";
import { readHeader, readInteger, skipReply } from "../resp/reply_reader.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import { parseInt64 } from "../util/numbers.ts";
import "./object.ts";

export const NO_SUCH_KEY = "ERR no such key";
export const SAME_OBJECT = "ERR source and destination objects are the same";

export const INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647";

const MINUS = 45;

/**
 * An int argument as Redis's getIntFromObjectOrReply reads it: `msg` replaces both errors
 * when given. Null after replying the error.
 */
export function int32Arg(ctx: Ctx, b: Uint8Array, msg: string | null): number | null {
  const v = parseInt64(b);
  if (v === null) {
    ctx.w.error(msg ?? NOT_INTEGER);
    return null;
  }
  if (v > 2147483647 || v < -2147483648) {
    ctx.w.error(msg ?? INT_RANGE);
    return null;
  }
  return Number(v);
}

/**
 * RANDOMKEY runs on every shard; each part answers `[number of keys, a random key or null]`
 * and the fold picks one of the keys with a probability proportional to its shard's key
 * count, so every key is about equally likely whatever the shards hold.
 */
function randomkeyPart(ctx: Ctx): void {
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

/** RENAME / RENAMENX: the value, TTL and access time move to the new name. */
function renameGeneric(nx: boolean) {
  return (ctx: Ctx, argv: Uint8Array[]): void => {
    const db = ctx.db, now = ctx.now;
    const src = latin1(argv[1]), dst = latin1(argv[2]);
    const e = db.get(src, now);
    if (e === undefined) return ctx.w.error(NO_SUCH_KEY);
    if (src === dst) return nx ? ctx.w.integer(0) : ctx.w.ok();
    if (nx && db.get(dst, now) !== undefined) return ctx.w.integer(0);
    db.putFrom(dst, e, e.value, now);
    db.remove(e);
    if (nx) ctx.w.integer(1);
    else ctx.w.ok();
  };
}

/** A value for a second key: strings are immutable JS strings, the rest is deep-copied. */
function copyValue(v: Value): Value {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return v.slice();
  return (v as CollectionValue).clone();
}

/** COPY source destination [DB n] [REPLACE] */
function copy(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let replace = false;
  let target = ctx.dbIndex;
  for (let j = 3; j < argc; j++) {
    if (eqi(argv[j], "replace")) replace = true;
    else if (eqi(argv[j], "db") && j + 1 < argc) {
      const id = int32Arg(ctx, argv[++j], null);
      if (id === null) return;
      if (id < 0 || id >= ctx.shard.dbs.length) return ctx.w.error(INVALID_DB);
      target = id;
    } else {
      return ctx.w.error(SYNTAX);
    }
  }
  const src = latin1(argv[1]), dstKey = latin1(argv[2]);
  if (target === ctx.dbIndex && src === dstKey) return ctx.w.error(SAME_OBJECT);
  const now = ctx.now;
  const e = ctx.db.get(src, now);
  if (e === undefined) return ctx.w.integer(0);
  // shipped across shards, the databases are scratch copies (ctx.db, ctx.copies)
  const dst = target === ctx.dbIndex
    ? ctx.db
    : ctx.copies !== null
    ? ctx.copies(target)
    : ctx.shard.dbs[target];
  if (!replace && dst.get(dstKey, now) !== undefined) return ctx.w.integer(0);
  const c = dst.putFrom(dstKey, e, copyValue(e.value), now);
  // a new object: a fresh access field, and a copy of a shared integer is a private one
  c.lru = newAccess(now);
  if (c.enc === ENC_AUTO) c.enc = ENC_AUTO_UNSHARED;
  ctx.w.integer(1);
}

/**
 * COPY's destination is in the DB argument's database (the last valid one, as the handler
 * reads them); an invalid one leaves it in the client's, and the handler replies the error.
 */
function copyKeyDb(argv: Uint8Array[], argc: number, pos: number, db: number, dbs: number): number {
  if (pos !== 2) return db;
  let target = db;
  for (let j = 3; j < argc; j++) {
    if (eqi(argv[j], "db") && j + 1 < argc) {
      const v = parseInt64(argv[++j]);
      if (v === null || typeof v !== "number" || v < 0 || v >= dbs) return db;
      target = v;
    } else if (!eqi(argv[j], "replace")) return db;
  }
  return target;
}

/** MOVE key db: to another database of the same shard (the key decides the shard). */
function move(ctx: Ctx, argv: Uint8Array[]): void {
  const id = int32Arg(ctx, argv[2], null);
  if (id === null) return;
  if (id < 0 || id >= ctx.shard.dbs.length) return ctx.w.error(INVALID_DB);
  if (id === ctx.dbIndex) return ctx.w.error(SAME_OBJECT);
  const now = ctx.now;
  const key = latin1(argv[1]);
  const e = ctx.db.get(key, now);
  if (e === undefined) return ctx.w.integer(0);
  const dst = ctx.shard.dbs[id];
  if (dst.get(key, now) !== undefined) return ctx.w.integer(0);
  dst.putFrom(key, e, e.value, now);
  ctx.db.remove(e);
  ctx.w.integer(1);
}

/**
 * SWAPDB a b, on every shard: the contents swap while each client stays on its selected
 * index, so a client on db 0 sees what was db 1, as in Redis.
 */
function swapdb(ctx: Ctx, argv: Uint8Array[]): void {
  const a = int32Arg(ctx, argv[1], "ERR invalid first DB index");
  if (a === null) return;
  const b = int32Arg(ctx, argv[2], "ERR invalid second DB index");
  if (b === null) return;
  const dbs = ctx.shard.dbs;
  if (a < 0 || a >= dbs.length || b < 0 || b >= dbs.length) return ctx.w.error(INVALID_DB);
  if (a !== b) dbs[a].swapWith(dbs[b]);
  ctx.w.ok();
}

export const specs: CommandSpec[] = [
  { name: "randomkey", route: ROUTE_ALL, handler: randomkeyPart, fold: foldRandomKey },
  { name: "rename", route: ROUTE_KEYS, handler: renameGeneric(false) },
  { name: "renamenx", route: ROUTE_KEYS, handler: renameGeneric(true) },
  { name: "copy", route: ROUTE_KEYS, handler: copy, keyDb: copyKeyDb },
  { name: "move", route: ROUTE_KEYS, handler: move },
  { name: "swapdb", route: ROUTE_ALL, handler: swapdb, fold: foldAllOk },
];

register(specs);
