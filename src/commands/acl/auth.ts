/**
 * AUTH, and the authentication HELLO AUTH shares with it (acl.c's authCommand and
 * ACLAuthenticateUser): the client becomes the user on success; a failure is logged.
 */
import type { ClientContext, Ctx } from "../context.ts";
import { SYNTAX } from "../errors.ts";
import { latin1 } from "../../util/bytes.ts";
import { aclUsers } from "./state.ts";
import { logAuthFailure, WRONGPASS } from "./deny.ts";

/**
 * Authenticate `c` as `username` with `password` (ACLAuthenticateUser). True on success;
 * on failure the attempt is logged and false returned (the caller replies WRONGPASS).
 */
export function authenticate(
  c: ClientContext,
  argv0: Uint8Array,
  username: Uint8Array,
  password: Uint8Array,
): boolean {
  const name = latin1(username);
  const u = aclUsers().authenticate(name, password);
  if (u === null) {
    logAuthFailure(c, argv0, name);
    return false;
  }
  c.authenticated = true;
  c.user = u;
  c.refreshAcl();
  return true;
}

/** AUTH [username] password */
export function auth(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc > 3) return ctx.w.error(SYNTAX);
  const c = ctx.client!;
  let username: Uint8Array, password: Uint8Array;
  if (argc === 2) {
    if (aclUsers().defaultUser.nopass) {
      return ctx.w.error(
        "ERR AUTH <password> called without any password configured for the default user. " +
          "Are you sure your configuration is correct?",
      );
    }
    username = DEFAULT_NAME;
    password = argv[1];
  } else {
    username = argv[1];
    password = argv[2];
  }
  if (authenticate(c, argv[0], username, password)) ctx.w.ok();
  else ctx.w.error(WRONGPASS);
}

const DEFAULT_NAME = new TextEncoder().encode("default");
