/**
 * Persistence commands: SAVE, BGSAVE, LASTSAVE (snapshots: save.ts), BGREWRITEAOF (rewrite.ts),
 * SHUTDOWN (shutdown.ts);
 * the work itself is src/persist/. SAVE and BGSAVE run on every shard under an exclusive lock, so their parts
 * are one point in time; the first error of a part is the reply.
 */
import { cmd, type CommandSpec } from "../table.ts";
import { foldAllOk } from "../folds.ts";
import { bgsave, lastsave, save } from "./save.ts";
import { foldShutdown, shutdown } from "./shutdown.ts";
import { bgrewriteaof } from "./rewrite.ts";

export const persistence: CommandSpec[] = [
  cmd("save", save, { fanout: foldAllOk, exclusive: true }),
  cmd("bgsave", bgsave, { fanout: foldAllOk, exclusive: true }),
  cmd("bgrewriteaof", bgrewriteaof, { fanout: foldAllOk, exclusive: true }),
  cmd("lastsave", lastsave),
  cmd("shutdown", shutdown, { fanout: foldShutdown, exclusive: true }),
];
