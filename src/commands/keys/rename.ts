/**
 * A key's value under another name or in another database: RENAME, RENAMENX, COPY, MOVE.
 *
 * A key decides its shard, so COPY and MOVE to another database stay on the key's shard.
 */
import type { Ctx } from "../context.ts";
import { INVALID_DB, SYNTAX } from "../errors.ts";
import { int32Arg } from "../args.ts";
import { eqi } from "../../util/bytes.ts";
import { ENC_AUTO, ENC_AUTO_UNSHARED } from "../../store/keyspace.ts";
import { parseInt64 } from "../../util/numbers.ts";

export const NO_SUCH_KEY = "ERR no such key";
export const SAME_OBJECT = "ERR source and destination objects are the same";

/** RENAME / RENAMENX: the value, TTL and access time move to the new name. */
export function renameGeneric(ctx: Ctx, argv: Uint8Array[], nx: boolean): void {
  const db = ctx.db, now = ctx.now;
  const src = argv[1], dst = argv[2];
  const r = db.lookup(src, now);
  if (r === 0) return ctx.w.error(NO_SUCH_KEY);
  if (sameBytes(src, dst)) return nx ? ctx.w.integer(0) : ctx.w.ok();
  if (nx && db.lookup(dst, now) !== 0) return ctx.w.integer(0);
  // writing another key leaves the source record where it is
  db.putFrom(dst, db, r, now, false);
  db.remove(r);
  if (nx) ctx.w.integer(1);
  else ctx.w.ok();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** COPY source destination [DB n] [REPLACE] */
export function copy(ctx: Ctx, argv: Uint8Array[], argc: number): void {
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
  const src = argv[1], dstKey = argv[2];
  if (target === ctx.dbIndex && sameBytes(src, dstKey)) return ctx.w.error(SAME_OBJECT);
  const now = ctx.now;
  const r = ctx.db.lookup(src, now);
  if (r === 0) return ctx.w.integer(0);
  // shipped across shards, the databases are scratch copies (ctx.db, ctx.copies)
  const dst = target === ctx.dbIndex
    ? ctx.db
    : ctx.copies !== null
    ? ctx.copies(target)
    : ctx.shard.dbs[target];
  if (!replace && dst.lookup(dstKey, now) !== 0) return ctx.w.integer(0);
  // the source record stays where it is while the destination is written (another key)
  const c = dst.putFrom(dstKey, ctx.db, r, now, true);
  // a new object: a fresh access field, and a copy of a shared integer is a private one
  dst.setLru(c, dst.ks.access.fresh(now));
  if (dst.encOf(c) === ENC_AUTO) dst.setEnc(c, ENC_AUTO_UNSHARED);
  ctx.w.integer(1);
}

/**
 * COPY's destination is in the DB argument's database (the last valid one, as the handler
 * reads them); an invalid one leaves it in the client's, and the handler replies the error.
 */
export function copyKeyDb(
  argv: Uint8Array[],
  argc: number,
  pos: number,
  db: number,
  dbs: number,
): number {
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
export function move(ctx: Ctx, argv: Uint8Array[]): void {
  const id = int32Arg(ctx, argv[2], null);
  if (id === null) return;
  if (id < 0 || id >= ctx.shard.dbs.length) return ctx.w.error(INVALID_DB);
  if (id === ctx.dbIndex) return ctx.w.error(SAME_OBJECT);
  const now = ctx.now;
  const key = argv[1];
  const r = ctx.db.lookup(key, now);
  if (r === 0) return ctx.w.integer(0);
  const dst = ctx.shard.dbs[id];
  if (dst.lookup(key, now) !== 0) return ctx.w.integer(0);
  dst.putFrom(key, ctx.db, r, now, false);
  ctx.db.remove(r);
  ctx.w.integer(1);
}
