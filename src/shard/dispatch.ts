/**
 * From a parsed request to its route, in one place and in Redis's order (processCommand):
 * lookup, subcommand, arity, MULTI queueing, the transaction commands, a wait when a
 * transaction holds the command's keys here, then the route.
 */
import { arityOk, type Command, commandTable, ROUTE_ALL, ROUTE_KEYS } from "../commands/table.ts";
import { copyArgs, latin1 } from "../util/bytes.ts";
import type { Shard } from "./shard.ts";
import type { Client } from "./client.ts";
import { nextDispatch, Plan, plan, planCommand } from "./plan.ts";
import { deferLocal, unwatchAll } from "./tx.ts";
import { held, mayChain, route } from "./route.ts";
import { flushSquash, squashable } from "./squash.ts";
import { control, RUN_IN_MULTI } from "./exec.ts";
import { EVICT_FAIL } from "../store/eviction.ts";
import { OOM } from "../commands/errors.ts";
import { protectedAllowed, protectedRefusal } from "../commands/server/debug.ts";
import { ACL_OK, aclCheck } from "../commands/acl/check.ts";
import { logDenied, NOAUTH, nopermText } from "../commands/acl/deny.ts";
import { MISCONF } from "../persist/persistence.ts";

const QUEUED = new TextEncoder().encode("+QUEUED\r\n");
/** Redis's shared.loadingerr */
export const LOADING = "LOADING Redis is loading the dataset in memory";

/** Scratch for the lock check (one per Worker). */
const waitPlan = new Plan();

/** An argument as C's %s prints it: up to the first NUL byte, at most `max` bytes. */
function cstr(b: Uint8Array, max: number): string {
  let n = b.indexOf(0);
  if (n < 0) n = b.length;
  return latin1(b.subarray(0, Math.min(n, max)));
}

function unknownCommand(c: Client, argv: Uint8Array[], argc: number): void {
  if (c.multi !== null) c.multi.error = true;
  // Redis quotes arguments until 128 bytes are used, cutting the last one to fit
  let args = "";
  for (let i = 1; i < argc && args.length < 128; i++) {
    args += `'${cstr(argv[i], 128 - args.length)}' `;
  }
  c.replyError(`ERR unknown command '${cstr(argv[0], 128)}', with args beginning with: ${args}`);
}

/** Run one command a client sent. */
export function dispatch(
  shard: Shard,
  c: Client,
  argv: Uint8Array[],
  argc: number,
  now: number,
): void {
  c.totalCommands++;
  shard.stats.commands++;
  nextDispatch();
  const table = commandTable();
  let cmd = table.lookup(argv[0]);
  if (cmd === undefined) return unknownCommand(c, argv, argc);
  if (cmd.sub !== null && argc >= 2) {
    const sub = table.lookupSub(cmd, argv[1]);
    if (sub === undefined) {
      if (c.multi !== null) c.multi.error = true;
      return c.replyError(
        `ERR unknown subcommand '${cstr(argv[1], 128)}'. Try ${cmd.name.toUpperCase()} HELP.`,
      );
    }
    cmd = sub;
  }
  // DEBUG RELOAD: the same command, run on every shard under one lock
  if (cmd.every !== null && cmd.every.test(argv, argc)) cmd = cmd.every.cmd;
  // the split commands squashed so far start before anything else of this client runs
  if (c.squash !== null && !squashable(c, cmd)) flushSquash(c);
  c.lastCommand = cmd.fullName;
  if (!arityOk(cmd, argc)) {
    if (c.multi !== null) c.multi.error = true;
    return c.replyError(`ERR wrong number of arguments for '${cmd.fullName}' command`);
  }
  // DEBUG: refused unless enable-debug-command allows this connection (before AUTH, as Redis)
  if (cmd.protectedBy !== null && !protectedAllowed(shard.config, cmd, c.addr)) {
    if (c.multi !== null) c.multi.error = true;
    return c.replyError(protectedRefusal(cmd));
  }
  // AUTH owed or a restricted user (a client with every permission pays only this test)
  if (!c.unrestricted && !permitted(shard, c, cmd, argv, argc)) return;
  if (cmd.denyoom && shard.memLimit > 0 && outOfMemory(shard, c, cmd, argv, argc, now)) {
    if (c.multi !== null) c.multi.error = true;
    return c.replyError(OOM);
  }
  // Redis's writeCommandsDeniedByDiskError: after a failed background save, writes (and PING)
  if ((cmd.write || cmd.name === "ping") && shard.persistence.writesRefused) {
    if (c.multi !== null) c.multi.error = true;
    return c.replyError(MISCONF);
  }
  // Redis's CMD_NO_MULTI (SAVE, SHUTDOWN): refused while queuing
  if (c.multi !== null && !cmd.control && cmd.flags.includes("no_multi")) {
    c.multi.error = true;
    return c.replyError("ERR Command not allowed inside a transaction");
  }
  // Redis's processCommand: while loading, only commands flagged `loading` run (an EXEC only
  // when every queued command is one)
  if (shard.persistence.state.loading && !loadingAllowed(cmd, c)) {
    return reject(shard, c, cmd, LOADING);
  }
  if (c.multi !== null && !RUN_IN_MULTI.has(cmd.name)) return queueInMulti(c, argv, argc);
  if (cmd.control) {
    if (held(shard, c, argv, argc)) return;
    return control(shard, c, cmd, argv, argc, now);
  }
  // a transaction holds locks here: a command touching them waits (and its client with it)
  if (c.txid === 0 && shard.locks.active && mustWait(shard, c, cmd, argv, argc)) {
    flushSquash(c);
    return deferLocal(shard, c, argv, argc);
  }
  route(shard, c, cmd, argv, argc, now);
}

/**
 * processCommand's auth and ACL checks, on the client's own shard before anything is routed,
 * so local, forwarded, split, shipped and fan-out commands are all checked, and a MULTI block
 * at queue time. A refusal flags the transaction (EXEC then aborts).
 */
function permitted(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
): boolean {
  if (c.parser.authRequired && !cmd.noAuth) {
    reject(shard, c, cmd, NOAUTH);
    return false;
  }
  const r = aclCheck(c.user, cmd, argv, argc);
  if (r === ACL_OK) return true;
  logDenied(c, r, cmd, argv, c.multi !== null);
  reject(shard, c, cmd, nopermText(r, cmd));
  return false;
}

/** Redis's rejectCommand: the transaction is flagged; a refused EXEC discards it. */
function reject(shard: Shard, c: Client, cmd: Command, err: string): void {
  if (cmd.fullName === "exec") {
    c.multi = null;
    unwatchAll(shard, c);
    return c.replyError(`EXECABORT Transaction discarded because of: ${err}`);
  }
  if (c.multi !== null) c.multi.error = true;
  c.replyError(err);
}

function loadingAllowed(cmd: Command, c: Client): boolean {
  if (!cmd.loading) return false;
  if (cmd.fullName !== "exec" || c.multi === null) return true;
  const table = commandTable();
  return c.multi.queued.every((q) => table.resolve(q.argv, q.argc)?.loading ?? true);
}

function queueInMulti(c: Client, argv: Uint8Array[], argc: number): void {
  c.multi!.queued.push({ argv: copyArgs(argv, argc), argc });
  c.replyRaw(QUEUED);
}

/**
 * Whether a shard that would run this denyoom command is over its maxmemory share with nothing
 * to evict (this shard checks and evicts now; the others' published states are read), so the
 * whole command is refused, as one server refuses it, never a part of it.
 */
function outOfMemory(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  now: number,
): boolean {
  const p = plan(shard.id, shard.slots, cmd, argv, argc, c.db, shard.dbs.length, waitPlan);
  if (p.every) {
    for (let s = 0; s < shard.n; s++) if (s !== shard.id && shard.mesh.oomAt(s)) return true;
  }
  for (const o of p.owner) if (o !== shard.id && shard.mesh.oomAt(o)) return true;
  if (p.target >= 0 && p.target !== shard.id && shard.mesh.oomAt(p.target)) return true;
  return shard.memoryState(now) === EVICT_FAIL &&
    (p.every || p.keys === 0 || p.owner.includes(shard.id));
}

/** Do this command's keys on this shard (or, for fan-out commands, any key) hold locks? */
function mustWait(
  shard: Shard,
  c: Client,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
): boolean {
  if (cmd.route === ROUTE_ALL) return true;
  if (cmd.route !== ROUTE_KEYS) return false;
  const p = planCommand(shard.id, shard.slots, cmd, argv, argc, c.db, shard.dbs.length);
  // a split of its own takes its locks, waiting in line for them (route.ts's chain)
  if (mayChain(c, cmd) && p.keys > 1 && p.singleOwner() < 0) return false;
  const keys = p.lockKeys(argv, shard.id);
  return keys.length === 0 ? p.targeted : shard.locks.blocks(keys, cmd.write);
}
