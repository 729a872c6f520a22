/** The size limit every command that builds a string checks. */
import type { Ctx } from "../context.ts";

/** proto-max-bulk-len: the largest string a command may build. */
export function maxStringLen(ctx: Ctx): number {
  return Number(ctx.shard.config.value("proto-max-bulk-len"));
}
