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

/**
 * Redis's getFlushCommandFlags: ASYNC, SYNC, or lazyfree-lazy-user-flush without an argument.
 * Returns whether to free lazily, or null after a syntax error.
 */
function flushMode(ctx: Ctx, argv: Uint8Array[], argc: number): boolean | null {
  if (argc === 2 && eqi(argv[1], "sync")) return false;
  if (argc === 2 && eqi(argv[1], "async")) return true;
  if (argc === 1) return ctx.shard.config.value("lazyfree-lazy-user-flush") === "yes";
  ctx.w.error(SYNTAX);
  return null;
}

/**
 * FLUSHDB [ASYNC|SYNC]: empties the selected database. ASYNC frees its records over the next
 * turns (src/store/lazyfree.ts) unless it is the only database holding keys: then both drop
 * the whole arena at once, in O(pages).
 */
export function flushdb(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const async = flushMode(ctx, argv, argc);
  if (async === null) return;
  ctx.shard.keyspace.flushDb(ctx.db, async);
  ctx.w.ok();
}

/**
 * FLUSHALL [ASYNC|SYNC]: empties every database. Both modes drop the whole arena at once, in
 * O(pages) rather than per key (Keyspace.flushAll): there is nothing left to free lazily.
 */
export function flushall(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (flushMode(ctx, argv, argc) === null) return;
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
