/**
 * Whole databases: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB. They run on every shard, each on the
 * part of the databases it owns, and the replies are folded.
 */
import type { Ctx } from "../context.ts";
import { INVALID_DB, SYNTAX } from "../errors.ts";
import { int32Arg } from "../args.ts";
import { eqi } from "../../util/bytes.ts";

/** DBSIZE: this shard's key count (the parts are added up). */
export function dbsize(ctx: Ctx): void {
  ctx.w.integer(ctx.db.size);
}

function flushArgs(ctx: Ctx, argv: Uint8Array[], argc: number): boolean {
  if (argc > 2 || (argc === 2 && !eqi(argv[1], "async") && !eqi(argv[1], "sync"))) {
    ctx.w.error(SYNTAX);
    return false;
  }
  return true;
}

/** FLUSHDB [ASYNC|SYNC]: empties the selected database. */
export function flushdb(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (!flushArgs(ctx, argv, argc)) return;
  ctx.db.flush();
  ctx.w.ok();
}

/** FLUSHALL [ASYNC|SYNC]: empties every database. */
export function flushall(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (!flushArgs(ctx, argv, argc)) return;
  ctx.shard.keyspace.flushAll();
  ctx.w.ok();
}

/**
 * SWAPDB a b, on every shard: the contents swap while each client stays on its selected
 * index, so a client on db 0 sees what was db 1, as in Redis.
 */
export function swapdb(ctx: Ctx, argv: Uint8Array[]): void {
  const a = int32Arg(ctx, argv[1], "ERR invalid first DB index");
  if (a === null) return;
  const b = int32Arg(ctx, argv[2], "ERR invalid second DB index");
  if (b === null) return;
  const dbs = ctx.shard.dbs;
  if (a < 0 || a >= dbs.length || b < 0 || b >= dbs.length) return ctx.w.error(INVALID_DB);
  if (a !== b) dbs[a].swapWith(dbs[b]);
  ctx.w.ok();
}
