/**
 * Refusals of the auth and ACL checks: Redis's error texts, and the ACL log entry each one
 * leaves (ACL LOG).
 */
import type { ClientContext } from "../context.ts";
import type { Command } from "../table.ts";
import { CTX_MULTI, CTX_TOPLEVEL, DENIED_AUTH, DENIED_CMD, DENIED_KEY } from "../../acl/log.ts";
import { latin1 } from "../../util/bytes.ts";
import { clientInfoLine } from "../server/client_info.ts";
import { aclUsers } from "./state.ts";
import { denied } from "./check.ts";

export const NOAUTH = "NOAUTH Authentication required.";
export const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

/** processCommand's -NOPERM text for a refusal. */
export function nopermText(reason: number, cmd: Command): string {
  if (reason === DENIED_CMD) {
    return `NOPERM this user has no permissions to run the '${cmd.fullName}' command`;
  }
  if (reason === DENIED_KEY) {
    return "NOPERM this user has no permissions to access one of the keys used as arguments";
  }
  return "NOPERM this user has no permissions to access one of the channels used as arguments";
}

/** EXEC's text for a queued command the user may no longer run. */
export function execNopermText(reason: number): string {
  const why = reason === DENIED_CMD
    ? "no permission to execute the command or subcommand"
    : reason === DENIED_KEY
    ? "no permission to touch the specified keys"
    : "no permission to access one of the channels used as arguments";
  return "NOPERM ACLs rules changed between the moment the transaction was accumulated and " +
    `the EXEC call. This command is no longer allowed for the following reason: ${why}`;
}

/** An ACL LOG entry for a refused command (the key or channel at `denied.pos`). */
export function logDenied(
  c: ClientContext,
  reason: number,
  cmd: Command,
  argv: Uint8Array[],
  inMulti: boolean,
): void {
  const object = reason === DENIED_CMD ? cmd.fullName : latin1(argv[denied.pos]);
  addEntry(c, reason, inMulti, object, c.user.name);
}

/** An ACL LOG entry for a failed AUTH or HELLO AUTH as `username`. */
export function logAuthFailure(c: ClientContext, argv0: Uint8Array, username: string): void {
  addEntry(c, DENIED_AUTH, false, latin1(argv0), username);
}

function addEntry(
  c: ClientContext,
  reason: number,
  inMulti: boolean,
  object: string,
  username: string,
): void {
  const now = Date.now();
  aclUsers().log.add({
    count: 1,
    reason,
    context: inMulti ? CTX_MULTI : CTX_TOPLEVEL,
    object,
    username,
    ctime: now,
    seq: 0,
    cinfo: clientInfoLine(c, now).slice(0, -1),
  });
}
