/**
 * ACL subcommands that read or change users: SETUSER, DELUSER, GETUSER, LIST, USERS, WHOAMI,
 * LOAD, SAVE. Those that change users run on every shard (each holds a copy and has its own
 * clients to refresh or disconnect); the others on the client's shard.
 */
import type { ClientContext, Ctx } from "../context.ts";
import type { User } from "../../acl/user.ts";
import type { Selector } from "../../acl/selector.ts";
import { hasSpaces, SEL_ALLCHANNELS } from "../../acl/selector.ts";
import { latin1 } from "../../util/bytes.ts";
import { log } from "../../util/log.ts";
import { aclUsers } from "./state.ts";

const NO_ACLFILE = "ERR This Redis instance is not configured to use an ACL file. You may " +
  "want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE " +
  "(assuming you have a Redis configuration file set) in order to store users in the Redis " +
  "configuration.";

/** Every client of this shard sees the users' new state. */
function refreshAll(ctx: Ctx): void {
  for (const c of ctx.shard.clients()) c.refreshAcl();
}

/**
 * Disconnect this shard's clients authenticated as one of `gone` (ACLFreeUserAndKillClients):
 * back to the default user, unauthenticated, closed (the caller after its reply).
 */
function dropClients(ctx: Ctx, gone: readonly User[]): void {
  if (gone.length === 0) return;
  const users = aclUsers();
  for (const c of [...ctx.shard.clients()] as ClientContext[]) {
    if (!gone.includes(c.user)) continue;
    c.user = users.defaultUser;
    c.authenticated = false;
    c.refreshAcl();
    if (c === ctx.client) c.closing = true;
    else if (!c.killed) c.kill();
  }
}

/** ACL SETUSER username [rule ...] */
export function aclSetuser(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const name = latin1(argv[2]);
  if (hasSpaces(name)) return ctx.w.error("ERR Usernames can't contain spaces or null characters");
  const rules: string[] = [];
  for (let i = 3; i < argc; i++) rules.push(latin1(argv[i]));
  const err = aclUsers().setUser(name, rules);
  if (err !== null) return ctx.w.error("ERR " + err);
  refreshAll(ctx);
  ctx.w.ok();
}

/** ACL DELUSER username [username ...] */
export function aclDeluser(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const names: string[] = [];
  for (let i = 2; i < argc; i++) names.push(latin1(argv[i]));
  if (names.includes("default")) return ctx.w.error("ERR The 'default' user cannot be removed");
  const gone = aclUsers().deleteUsers(names);
  dropClients(ctx, gone);
  ctx.w.integer(gone.length);
}

function describeSelector(ctx: Ctx, s: Selector): void {
  const w = ctx.w;
  w.bulkStr("commands");
  w.bulkStr(s.describeCommands());
  w.bulkStr("keys");
  w.bulkStr(s.describeKeys().join(" "));
  w.bulkStr("channels");
  if ((s.flags & SEL_ALLCHANNELS) !== 0) w.bulkStr("&*");
  else w.bulkStr(s.channels.map((c) => "&" + c).join(" "));
}

/** ACL GETUSER username */
export function aclGetuser(ctx: Ctx, argv: Uint8Array[]): void {
  const u = aclUsers().get(latin1(argv[2]));
  const w = ctx.w;
  if (u === undefined) return w.nullBulk();
  w.mapHeader(6);
  w.bulkStr("flags");
  const flags = u.flagNames();
  w.setHeader(flags.length);
  for (const f of flags) w.bulkStr(f);
  w.bulkStr("passwords");
  w.arrayHeader(u.passwords.length);
  for (const p of u.passwords) w.bulkStr(p);
  describeSelector(ctx, u.root);
  w.bulkStr("selectors");
  w.arrayHeader(u.selectors.length - 1);
  for (let i = 1; i < u.selectors.length; i++) {
    w.mapHeader(3);
    describeSelector(ctx, u.selectors[i]);
  }
}

/** ACL LIST */
export function aclList(ctx: Ctx): void {
  const lines = aclUsers().listLines();
  ctx.w.arrayHeader(lines.length);
  for (const l of lines) ctx.w.bulkStr(l);
}

/** ACL USERS */
export function aclUsersList(ctx: Ctx): void {
  const users = aclUsers().sorted();
  ctx.w.arrayHeader(users.length);
  for (const u of users) ctx.w.bulkStr(u.name);
}

/** ACL WHOAMI */
export function aclWhoami(ctx: Ctx): void {
  ctx.w.bulkStr(ctx.client!.user.name);
}

function aclFile(ctx: Ctx): string {
  return ctx.shard.config.value("aclfile") ?? "";
}

/** ACL LOAD: the ACL file replaces every user, on every shard; their clients are dropped. */
export function aclLoad(ctx: Ctx): void {
  const file = aclFile(ctx);
  if (file === "") return ctx.w.error(NO_ACLFILE);
  const r = loadAclFile(file);
  if ("error" in r) return ctx.w.error("ERR " + r.error);
  dropClients(ctx, r.replaced);
  refreshAll(ctx);
  ctx.w.ok();
}

/** Read and apply the ACL file (ACL LOAD, startup). */
export function loadAclFile(file: string): { error: string } | { replaced: User[] } {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    return { error: `Error loading ACLs, opening file '${file}': ${errnoText(e)}` };
  }
  return aclUsers().loadFile(text, file);
}

function errnoText(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "Is a directory";
  return (e as Error).message;
}

/** ACL SAVE: the users in the ACL file's format, written to a temporary file then renamed. */
export function aclSave(ctx: Ctx): void {
  const file = aclFile(ctx);
  if (file === "") return ctx.w.error(NO_ACLFILE);
  const text = aclUsers().listLines().map((l) => l + "\n").join("");
  const tmp = `${file}.tmp-${Deno.pid}-${Date.now()}`;
  try {
    Deno.writeTextFileSync(tmp, text, { mode: 0o644 });
    Deno.renameSync(tmp, file);
  } catch (e) {
    log("warning", `Writing ACL file for ACL SAVE: ${(e as Error).message}`);
    try {
      Deno.removeSync(tmp);
    } catch { /* it may not exist */ }
    return ctx.w.error(
      "ERR There was an error trying to save the ACLs. Please check the server logs for more " +
        "information",
    );
  }
  ctx.w.ok();
}
