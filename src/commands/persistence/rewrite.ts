/**
 * BGREWRITEAOF with Redis 7.0's replies. Each shard's part takes its snapshot point and moves its
 * appends to the new incr file (src/persist/aof_rewrite.ts); shard 0's part decides whether a
 * rewrite starts, is scheduled (a BGSAVE runs) or is refused (one already runs).
 */
import type { Ctx } from "../context.ts";
import { REWRITE_IN_PROGRESS, REWRITE_SCHEDULED } from "../../persist/aof_rewrite.ts";
import { JOB_AOFRW } from "../../persist/state.ts";

export function bgrewriteaof(ctx: Ctx): void {
  const p = ctx.shard.persistence;
  // inside EXEC (Redis's server.in_exec): scheduled for the server cron, unless one runs
  if (ctx.client !== null && ctx.client.inExec) {
    if (p.state.job === JOB_AOFRW) return ctx.w.error(REWRITE_IN_PROGRESS);
    p.state.rewriteScheduled = true;
    p.state.rewriteFailures = 0;
    return ctx.w.simple(REWRITE_SCHEDULED);
  }
  const reply = p.rewritePart(ctx.now);
  if (reply.startsWith("ERR")) return ctx.w.error(reply);
  ctx.w.simple(reply);
}
