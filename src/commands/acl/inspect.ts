/**
 * ACL subcommands that change no user: CAT, GENPASS, DRYRUN, LOG (each shard logs its own
 * clients; the parts are merged newest first), HELP.
 */
import type { Ctx } from "../context.ts";
import type { ReplyWriter } from "../../resp/writer.ts";
import { arityOk, commandTable, type SplitPlan } from "../table.ts";
import { CATEGORIES, categoryBit } from "../../acl/catalog.ts";
import {
  type AclLogEntry,
  CONTEXT_NAMES,
  DENIED_CMD,
  DENIED_KEY,
  REASON_NAMES,
} from "../../acl/log.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { intArg } from "../args.ts";
import { readReply } from "../../resp/reply_reader.ts";
import { aclCatalog } from "./catalog.ts";
import { aclUsers } from "./state.ts";
import { ACL_OK, aclCheck, denied } from "./check.ts";

/** ACL CAT [category] */
export function aclCat(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  if (argc === 2) {
    w.arrayHeader(CATEGORIES.length);
    for (const c of CATEGORIES) w.bulkStr(c);
    return;
  }
  const name = latin1(argv[2]);
  const mask = categoryBit(name);
  if (mask === 0) return w.error(`ERR Unknown category '${name.slice(0, 128)}'`);
  const cat = aclCatalog();
  const out: string[] = [];
  for (const id of cat.order) if (cat.categories[id] & mask) out.push(cat.names[id]);
  w.arrayHeader(out.length);
  for (const n of out) w.bulkStr(n);
}

const GENPASS_MAX_BITS = 4096;

/** ACL GENPASS [bits]: random hex from the system's secure generator. */
export function aclGenpass(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let bits = 256;
  if (argc === 3) {
    const v = intArg(ctx, argv[2]);
    if (v === null) return;
    bits = v;
  }
  if (bits <= 0 || bits > GENPASS_MAX_BITS) {
    return ctx.w.error(
      "ERR ACL GENPASS argument must be the number of bits for the output password, a " +
        `positive number up to ${GENPASS_MAX_BITS}`,
    );
  }
  const chars = Math.floor((bits + 3) / 4);
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(chars / 2)));
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  ctx.w.bulkStr(hex.slice(0, chars));
}

/** ACL DRYRUN username command [arg ...] */
export function aclDryrun(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const name = latin1(argv[2]);
  const u = aclUsers().get(name);
  if (u === undefined) return ctx.w.error(`ERR User '${name}' not found`);
  const av = argv.slice(3, argc);
  const ac = argc - 3;
  const table = commandTable();
  let cmd = table.lookup(av[0]);
  if (cmd !== undefined && cmd.sub !== null && ac >= 2) cmd = table.lookupSub(cmd, av[1]);
  if (cmd === undefined) return ctx.w.error(`ERR Command '${latin1(av[0])}' not found`);
  if (!arityOk(cmd, ac)) {
    return ctx.w.error(`ERR wrong number of arguments for '${cmd.fullName}' command`);
  }
  const r = aclCheck(u, cmd, av, ac);
  if (r === ACL_OK) return ctx.w.ok();
  if (r === DENIED_CMD) {
    return ctx.w.bulkStr(`This user has no permissions to run the '${cmd.fullName}' command`);
  }
  const what = r === DENIED_KEY ? "key" : "channel";
  ctx.w.bulkStr(`This user has no permissions to access the '${latin1(av[denied.pos])}' ${what}`);
}

/**
 * ACL LOG [count | RESET]: this shard's part. RESET empties its log; otherwise its newest
 * `count` entries, each as one bulk string of JSON after the count asked for, for the fold.
 */
export function aclLogPart(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const log = aclUsers().log;
  let count = 10;
  if (argc === 3) {
    if (eqi(argv[2], "reset")) {
      log.reset();
      return ctx.w.ok();
    }
    const v = intArg(ctx, argv[2]);
    if (v === null) return;
    count = Math.max(0, v);
  }
  // no more than acllog-max-len in all: the shards' logs together stand for Redis's one
  count = Math.min(count, log.maxLen);
  const entries = log.entries.slice(0, count);
  ctx.w.arrayHeader(entries.length + 1);
  ctx.w.integer(count);
  for (const e of entries) ctx.w.bulkStr(JSON.stringify(e));
}

/** ACL LOG's fold: every shard's entries, newest first, as Redis's maps. */
export function foldAclLog(parts: Uint8Array[], w: ReplyWriter, _plan: SplitPlan): void {
  for (const p of parts) if (p[0] !== 42) return w.raw(p);
  let count = Infinity;
  const all: AclLogEntry[] = [];
  for (const p of parts) {
    const r = readReply(p, 0)![0] as unknown[];
    count = Math.min(count, Number(r[0]));
    for (let i = 1; i < r.length; i++) all.push(JSON.parse(latin1(r[i] as Uint8Array)));
  }
  all.sort((a, b) => b.seq - a.seq);
  if (all.length > count) all.length = count;
  const now = Date.now();
  w.arrayHeader(all.length);
  for (const e of all) {
    w.mapHeader(7);
    w.bulkStr("count");
    w.integer(e.count);
    w.bulkStr("reason");
    w.bulkStr(REASON_NAMES[e.reason] ?? "unknown");
    w.bulkStr("context");
    w.bulkStr(CONTEXT_NAMES[e.context] ?? "unknown");
    w.bulkStr("object");
    w.bulkStr(e.object);
    w.bulkStr("username");
    w.bulkStr(e.username);
    w.bulkStr("age-seconds");
    w.double((now - e.ctime) / 1000);
    w.bulkStr("client-info");
    w.bulkStr(e.cinfo);
  }
}

const HELP = [
  "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CAT [<category>]",
  "    List all commands that belong to <category>, or all command categories",
  "    when no category is specified.",
  "DELUSER <username> [<username> ...]",
  "    Delete a list of users.",
  "DRYRUN <username> <command> [<arg> ...]",
  "    Returns whether the user can execute the given command without executing the command.",
  "GETUSER <username>",
  "    Get the user's details.",
  "GENPASS [<bits>]",
  "    Generate a secure 256-bit user password. The optional `bits` argument can",
  "    be used to specify a different size.",
  "LIST",
  "    Show users details in config file format.",
  "LOAD",
  "    Reload users from the ACL file.",
  "LOG [<count> | RESET]",
  "    Show the ACL log entries.",
  "SAVE",
  "    Save the current config to the ACL file.",
  "SETUSER <username> <attribute> [<attribute> ...]",
  "    Create or modify a user with the specified attributes.",
  "USERS",
  "    List all the registered usernames.",
  "WHOAMI",
  "    Return the current connection username.",
  "HELP",
  "    Prints this help.",
];

/** ACL HELP */
export function aclHelp(ctx: Ctx): void {
  ctx.w.arrayHeader(HELP.length);
  for (const l of HELP) ctx.w.simple(l);
}
