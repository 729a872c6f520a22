/**
 * Running a handler: the one place a command's context is filled in. Every path ends here —
 * inline, forwarded by a peer, deferred behind locks, on shipped copies — and a handler's
 * error becomes an `-ERR` reply (the shard goes on).
 */
import type { Command } from "../commands/table.ts";
import type { Ctx } from "../commands/context.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import type { Db } from "../store/keyspace.ts";
import { log } from "../util/log.ts";
import { EVICT_FAIL } from "../store/eviction.ts";
import { OOM, ShardPanic } from "../commands/errors.ts";
import type { Shard } from "./shard.ts";
import type { Client } from "./client.ts";
import { Plan, plan } from "./plan.ts";

/** Scratch for a write's keys while a background save runs (one per Worker). */
const snapPlan = new Plan();

/**
 * A background save runs here: the keys this write may change are written out first, as they
 * were at the snapshot point (src/persist/snapshot.ts); a write whose keys cannot be told
 * (FLUSHALL, FLUSHDB, SWAPDB) has the whole part written first.
 */
function beforeWrite(
  shard: Shard,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  db: number,
): void {
  const p = plan(shard.id, shard.slots, cmd, argv, argc, db, shard.dbs.length, snapPlan);
  if (p.keys === 0) return shard.persistence.beforeWriteAll();
  for (let i = 0; i < p.keys; i++) shard.persistence.beforeWrite(p.db[i], argv[p.pos[i]]);
}

/** The handler, with a partial reply dropped and an `-ERR` written if it throws. */
function run(shard: Shard, ctx: Ctx, cmd: Command, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  const mark = w.len;
  // Redis's performEvictions before every command; denyoom ones are refused when it fails
  if (shard.memLimit > 0 && shard.memoryState(ctx.now) === EVICT_FAIL && cmd.denyoom) {
    return w.error(OOM);
  }
  try {
    cmd.handler!(ctx, argv, argc);
  } catch (e) {
    // a deliberate crash (DEBUG PANIC) is for the failure model, not a reply
    if (e instanceof ShardPanic) throw e;
    // a bug must not take the connection (or the shard) down: drop any partial reply, say so
    w.len = mark;
    // an arena or table that cannot grow: the command fails, the shard serves on
    if (e instanceof RangeError && /arena|allocation|Array buffer/i.test(e.message)) {
      log("warning", `out of memory in '${cmd.fullName}': ${e.message}`);
      return w.error(OOM);
    }
    const msg = e instanceof Error ? e.message : String(e);
    w.error(`ERR internal error in '${cmd.fullName}': ${msg}`);
    log("warning", `internal error in '${cmd.fullName}': ${e instanceof Error ? e.stack : msg}`);
  }
}

/**
 * Run `cmd` on database `db` of this shard, for client `c` (null when a peer's client
 * `clientId` sent it), writing the reply to `w`.
 */
export function execute(
  shard: Shard,
  c: Client | null,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
  w: ReplyWriter,
  db: number,
  clientId: number,
): void {
  const ctx = shard.ctx;
  const d = db < shard.dbs.length ? db : 0;
  ctx.db = shard.dbs[d];
  ctx.dbIndex = d;
  ctx.copies = null;
  ctx.w = w;
  ctx.now = now;
  ctx.client = c;
  ctx.clientId = clientId;
  if (!cmd.write) return run(shard, ctx, cmd, argv, argc);
  if (shard.persistence.snapshotting) beforeWrite(shard, cmd, argv, argc, d);
  // the changes since the last save (Redis's server.dirty): keys this write touched
  const v = ctx.db.version;
  const aof = shard.aof.on ? shard.aof.prop : null; // the propagation point (src/persist)
  if (aof !== null) aof.before(c, w, cmd, d);
  run(shard, ctx, cmd, argv, argc);
  if (aof !== null) aof.after(cmd, argv, argc, ctx.db, d, w);
  if (ctx.db.version !== v) shard.persistence.changed(ctx.db.version - v);
  if (cmd.name === "flushall") shard.persistence.flushedAll();
}

/**
 * Run `cmd` on scratch databases of shipped copies: `copies(n)` stands for database n, and
 * `copies(dbIndex)` is the client's.
 */
export function executeOnCopies(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
  w: ReplyWriter,
  dbIndex: number,
  copies: (n: number) => Db,
): void {
  const ctx = shard.ctx;
  ctx.db = copies(dbIndex);
  ctx.dbIndex = dbIndex;
  ctx.copies = copies;
  ctx.w = w;
  ctx.now = now;
  ctx.client = c;
  ctx.clientId = c.id;
  run(shard, ctx, cmd, argv, argc);
  // its keys go home through the store (ship.ts), where a background save sees them first
  if (cmd.write) shard.persistence.changed(1);
}
