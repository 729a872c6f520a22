/**
 * SAVE, BGSAVE [SCHEDULE] and LASTSAVE with Redis's replies. Each shard's part answers for
 * its own keys (src/persist/persistence.ts); shard 0's part decides whether a snapshot starts.
 */
import type { Ctx } from "../context.ts";
import { latin1 } from "../../util/bytes.ts";
import { ANOTHER_CHILD, IN_PROGRESS } from "../../persist/persistence.ts";
import { JOB_AOFRW, JOB_BGSAVE } from "../../persist/state.ts";

/** SAVE: this shard's part of a blocking snapshot. */
export function save(ctx: Ctx): void {
  const err = ctx.shard.persistence.savePart(ctx.now);
  if (err !== null) return ctx.w.error(err);
  ctx.w.ok();
}

/** BGSAVE [SCHEDULE]: this shard's snapshot point; its keys follow in the background. */
export function bgsave(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const p = ctx.shard.persistence;
  if (argc > 2 || (argc === 2 && latin1(argv[1]).toLowerCase() !== "schedule")) {
    return ctx.w.error("ERR syntax error");
  }
  // an AOF rewrite runs (Redis: another child): scheduled with SCHEDULE, else refused
  if (p.state.job === JOB_AOFRW) {
    if (argc !== 2 && !(ctx.client !== null && ctx.client.inExec)) {
      return ctx.w.error(ANOTHER_CHILD);
    }
    p.state.scheduled = true;
    return ctx.w.simple("Background saving scheduled");
  }
  // inside EXEC (Redis's server.in_exec): scheduled for the server cron, unless one runs
  if (ctx.client !== null && ctx.client.inExec) {
    if (p.state.job === JOB_BGSAVE) return ctx.w.error(IN_PROGRESS);
    p.state.scheduled = true;
    return ctx.w.simple("Background saving scheduled");
  }
  const err = p.bgsavePart(ctx.now);
  if (err !== null) return ctx.w.error(err);
  ctx.w.simple("Background saving started");
}

/** LASTSAVE: unix time of the last successful save. */
export function lastsave(ctx: Ctx): void {
  ctx.w.integer(ctx.shard.persistence.state.lastSave);
}
