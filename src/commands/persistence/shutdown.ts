/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as Redis 7.0 parses and answers it. Every
 * shard takes part (a save is SAVE's parts); the last one tells the supervisor to stop the
 * process, which closes the connection without a reply, as Redis does. A failed save without
 * FORCE answers "-ERR Errors trying to SHUTDOWN. Check logs." and the server goes on.
 */
import type { Ctx } from "../context.ts";
import type { ReplyWriter } from "../../resp/writer.ts";
import { latin1 } from "../../util/bytes.ts";
import {
  SHUTDOWN_FORCE,
  SHUTDOWN_NOSAVE,
  SHUTDOWN_NOW,
  SHUTDOWN_SAVE,
} from "../../persist/persistence.ts";

export function shutdown(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let flags = 0;
  let abort = false;
  for (let i = 1; i < argc; i++) {
    const a = latin1(argv[i]).toLowerCase();
    if (a === "nosave") flags |= SHUTDOWN_NOSAVE;
    else if (a === "save") flags |= SHUTDOWN_SAVE;
    else if (a === "now") flags |= SHUTDOWN_NOW;
    else if (a === "force") flags |= SHUTDOWN_FORCE;
    else if (a === "abort") abort = true;
    else return ctx.w.error("ERR syntax error");
  }
  if ((abort && flags !== 0) || ((flags & SHUTDOWN_NOSAVE) && (flags & SHUTDOWN_SAVE))) {
    return ctx.w.error("ERR syntax error");
  }
  // Skua never waits for replicas before exiting: there is never a shutdown to abort
  if (abort) return ctx.w.error("ERR No shutdown in progress.");
  // while loading, a save would overwrite the file with half of it (Redis's prepareForShutdown)
  if (ctx.shard.persistence.state.loading) flags = (flags & ~SHUTDOWN_SAVE) | SHUTDOWN_NOSAVE;
  const err = ctx.shard.persistence.shutdownPart(ctx.now, flags);
  if (err !== null) return ctx.w.error(err);
  ctx.w.ok();
}

/** The first error, else no reply at all: the connection closes as the process exits. */
export function foldShutdown(parts: Uint8Array[], w: ReplyWriter): void {
  for (const p of parts) if (p[0] === 45) return w.raw(p);
}
