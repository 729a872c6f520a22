/**
 * DEBUG, as Redis 7.0's debugCommand, for the subcommands Skua can honour: SLEEP,
 * SET-ACTIVE-EXPIRE, OBJECT, PROTOCOL, RELOAD (debug_reload.ts), LOG, ERROR, PANIC, ASSERT, OOM
 * and HELP. It is behind
 * `enable-debug-command` (no | yes | local), checked in dispatch before anything else, as
 * Redis's processCommand does.
 *
 * DEBUG has no keys in Redis's metadata, so it runs on the connection's own shard, except
 * DEBUG OBJECT, which runs on the shard owning its key (`debugTarget`). PANIC and ASSERT crash
 * the shard they run on: the handler's catch lets ShardPanic through, so the failure model
 * (src/shard/worker.ts, src/server/failure.ts) is what ends the process.
 */
import type { Command } from "../table.ts";
import type { Ctx } from "../context.ts";
import type { ConfigStore } from "../../config/mod.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { log } from "../../util/log.ts";
import { ShardPanic } from "../errors.ts";
import { isLocalAddr } from "../acl/protected.ts";
import { objectEncodingOf, objectRefcountOf } from "../keys/object.ts";
import { idleSeconds } from "../../store/access.ts";
import { quicklistFacts, serializedLength } from "./serialized.ts";
import type { ListValue } from "../../store/list.ts";
import { debugReload, isReload } from "./debug_reload.ts";

/** Redis's refusal of a protected command (DEBUG) that the configuration does not allow. */
export function protectedRefusal(cmd: Command): string {
  return `ERR ${cmd.name.toUpperCase()} command not allowed. If the ${cmd.protectedBy} option ` +
    `is set to "local", you can run it from a local connection, otherwise you need to set ` +
    `this option in the configuration file, and then restart the server.`;
}

/** Redis's allowProtectedAction: `yes`, or `local` for a client on 127.0.0.1 / ::1. */
export function protectedAllowed(config: ConfigStore, cmd: Command, addr: string): boolean {
  const mode = config.value(cmd.protectedBy!);
  return mode === "yes" || (mode === "local" && isLocalAddr(addr));
}

/** DEBUG OBJECT runs on the shard owning its key; every other subcommand where it is. */
export function debugTarget(
  argv: Uint8Array[],
  argc: number,
  _shards: number,
  ownerOf: (key: Uint8Array) => number,
): number {
  return argc === 3 && eqi(argv[1], "object") ? ownerOf(argv[2]) : -1;
}

const HELP = [
  "ASSERT",
  "    Crash by assertion failed.",
  "ERROR <string>",
  "    Return a Redis protocol error with <string> as message. Useful for clients",
  "    unit tests to simulate Redis errors.",
  "LOG <message>",
  "    Write <message> to the server log.",
  "OBJECT <key>",
  "    Show low level info about `key` and associated value.",
  "OOM",
  "    Fail the command with a real allocation error (the shard serves on).",
  "PANIC",
  "    Crash the server simulating a panic.",
  "PROTOCOL <type>",
  "    Reply with a test value of the specified type. <type> can be: string,",
  "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
  "    true, false.",
  "RELOAD [option ...]",
  "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
  "    * MERGE: conflicting keys will be loaded from RDB.",
  "    * NOFLUSH: the existing database will not be removed before load, but",
  "      conflicting keys will generate an exception and kill the server.",
  "    * NOSAVE: the database will be loaded from an existing RDB file.",
  "    Examples:",
  "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
  "      the database.",
  "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
  "      existing RDB file.",
  "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
  "      file to the database.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not",
  "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
  "    default.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
];

/** What DEBUG SLEEP blocks on: nothing ever notifies it, so the wait runs to its timeout. */
const sleepWord = new Int32Array(new SharedArrayBuffer(4));

/** C's atoi: the leading integer of the text, 0 when there is none. */
function atoi(b: Uint8Array): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(latin1(b));
  return m === null ? 0 : Number(BigInt.asIntN(32, BigInt(m[1])));
}

/** C's strtod without the end pointer: the leading number of the text, 0 when there is none. */
function strtod(b: Uint8Array): number {
  const m = /^[ \t\n\v\f\r]*([+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))/i
    .exec(latin1(b));
  if (m === null) return 0;
  const t = m[1].toLowerCase().replace(/^([+-]?)inf(inity)?$/, "$1Infinity");
  return t.endsWith("nan") ? NaN : Number(t);
}

function help(ctx: Ctx): void {
  const w = ctx.w;
  w.arrayHeader(HELP.length + 3);
  w.simple("DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const line of HELP) w.simple(line);
  w.simple("HELP");
  w.simple("    Prints this help.");
}

/** DEBUG SLEEP <seconds>: the shard stops, as Redis's whole server does. */
function sleep(ctx: Ctx, arg: Uint8Array): void {
  // Redis converts to a long long: inf and nan do not sleep
  const us = Math.trunc(strtod(arg) * 1e6);
  if (us > 0 && Number.isFinite(us)) Atomics.wait(sleepWord, 0, 0, us / 1000);
  ctx.w.ok();
}

/** DEBUG OBJECT <key>: Redis's line of facts about the value (its dictFind: no expiry check). */
function object(ctx: Ctx, key: Uint8Array): void {
  const db = ctx.db;
  const r = db.find(key);
  if (r === 0) return ctx.w.error("ERR no such key");
  const encoding = objectEncodingOf(ctx, r);
  const config = ctx.shard.config;
  const serialized = serializedLength(db, r, encoding === "int", config);
  let extra = "";
  if (encoding === "quicklist") {
    const q = quicklistFacts(db.object<ListValue>(r), config);
    extra = ` ql_nodes:${q.nodes} ql_avg_node:${(q.count / q.nodes).toFixed(2)} ` +
      `ql_listpack_max:${q.fill} ql_compressed:${q.compressed ? 1 : 0} ` +
      `ql_uncompressed_size:${q.uncompressed}`;
  }
  const lru = db.lruOf(r);
  // a stable pseudo-address: the record's number in this shard's arena
  const at = "0x" + (0x7f0000000000 + r * 16).toString(16);
  ctx.w.simple(
    `Value at:${at} refcount:${objectRefcountOf(ctx, r)} encoding:${encoding} ` +
      `serializedlength:${serialized} lru:${lru} lru_seconds_idle:${idleSeconds(lru, ctx.now)}` +
      extra,
  );
}

/** DEBUG PROTOCOL <type>: a test value of each RESP type, as Redis writes it. */
function protocol(ctx: Ctx, name: Uint8Array): void {
  const w = ctx.w;
  const t = latin1(name).toLowerCase();
  switch (t) {
    case "string":
      return w.bulkStr("Hello World");
    case "integer":
      return w.integer(12345);
    case "double":
      return w.double(3.141);
    case "bignum": {
      const n = "1234567999999999999999999999999999999";
      return w.proto === 3 ? w.rawStr(`(${n}\r\n`) : w.bulkStr(n);
    }
    case "null":
      return w.nullBulk();
    case "array":
      w.arrayHeader(3);
      for (let j = 0; j < 3; j++) w.integer(j);
      return;
    case "set":
      w.setHeader(3);
      for (let j = 0; j < 3; j++) w.integer(j);
      return;
    case "map":
      w.mapHeader(3);
      for (let j = 0; j < 3; j++) {
        w.integer(j);
        w.bool(j === 1);
      }
      return;
    case "attrib":
      if (w.proto === 3) {
        w.rawStr("|1\r\n");
        w.bulkStr("key-popularity");
        w.arrayHeader(2);
        w.bulkStr("key:123");
        w.integer(90);
      }
      return w.bulkStr("Some real reply following the attribute");
    case "push":
      if (w.proto !== 3) return w.error("ERR RESP2 is not supported by this command");
      w.pushHeader(2);
      w.bulkStr("server-cpu-usage");
      w.integer(42);
      return w.bulkStr("Some real reply following the push reply");
    case "true":
      return w.bool(true);
    case "false":
      return w.bool(false);
    case "verbatim":
      return w.verbatim("This is a verbatim\nstring", "txt");
  }
  w.error(
    "ERR Wrong protocol type name. Please use one of the following: " +
      "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
  );
}

/** DEBUG <subcommand> [arg ...] */
export function debug(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const sub = argv[1];
  if (argc === 2 && eqi(sub, "help")) return help(ctx);
  if (eqi(sub, "panic")) {
    throw new ShardPanic(`DEBUG PANIC called at Unix time ${Math.floor(ctx.now / 1000)}`);
  }
  if (eqi(sub, "assert")) throw new ShardPanic("DEBUG ASSERT: '1 == 2' is not true");
  if (isReload(argv, argc)) return debugReload(ctx, argv, argc);
  if (argc === 2 && eqi(sub, "oom")) {
    // Redis crashes here; in Skua a handler's error fails its command only, and this one is
    // real: V8 refuses the allocation (SIZE_MAX/2 bytes, as Redis asks zmalloc for)
    new Uint8Array(2 ** 63);
    return ctx.w.ok();
  }
  if (argc === 3) {
    if (eqi(sub, "sleep")) return sleep(ctx, argv[2]);
    if (eqi(sub, "set-active-expire")) {
      ctx.shard.setActiveExpire(atoi(argv[2]) !== 0);
      return ctx.w.ok();
    }
    if (eqi(sub, "object")) return object(ctx, argv[2]);
    if (eqi(sub, "protocol")) return protocol(ctx, argv[2]);
    if (eqi(sub, "log")) {
      log("warning", `DEBUG LOG: ${latin1(argv[2])}`);
      return ctx.w.ok();
    }
    if (eqi(sub, "error")) return ctx.w.error(latin1(argv[2]).replace(/[\r\n]/g, " "));
  }
  ctx.w.error(
    `ERR unknown subcommand or wrong number of arguments for '${latin1(sub).slice(0, 128)}'. Try ${
      latin1(argv[0]).toUpperCase()
    } HELP.`,
  );
}
