/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH. They change the connection's transaction state, which
 * the coordinator owns (src/shard/exec.ts runs them, under the cross-shard protocol when the
 * block spans shards). The only part that runs here is WATCH's on the shard owning each key.
 */
import { cmd, type CommandSpec } from "../table.ts";
import type { Ctx } from "../context.ts";
import { foldAllOk } from "../folds.ts";
import { latin1 } from "../../util/bytes.ts";

/** WATCH's part on the shard owning the keys: register them for the client. */
function watchPart(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  for (let i = 1; i < argc; i++) {
    ctx.shard.watchKey(ctx.clientId, ctx.dbIndex, latin1(argv[i]), ctx.now);
  }
  ctx.w.ok();
}

export const transactions: CommandSpec[] = [
  cmd("multi", null, { control: true }),
  cmd("exec", null, { control: true }),
  cmd("discard", null, { control: true }),
  cmd("unwatch", null, { control: true }),
  cmd("watch", watchPart, { control: true, fold: foldAllOk, atomic: false }),
];
