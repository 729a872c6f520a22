/**
 * Connection and server commands (PING, ECHO, QUIT, HELLO, TIME, COMMAND, CLIENT, CONFIG,
 * INFO keyspace, unknown commands), compared with redis-server in RESP2 and RESP3 against Skua
 * with 1 and 3 shards. Normalized, and only there: HELLO's version and id, CLIENT ID values,
 * the volatile fields of CLIENT INFO/LIST (ids, addresses, fds, ages, buffer sizes), TIME's
 * values, COMMAND COUNT (Skua implements fewer commands), CONFIG GET pair order (dict order),
 * INFO keyspace's avg_ttl (an estimate). Everything else must be byte-identical.
 */

import assert from "node:assert/strict";
import {
  anyInt,
  assertSame,
  type Cmd,
  mapEntries,
  type Normalizer,
  render,
  sorted,
  sortedPairs,
  type Target,
  withDiffTargets,
} from "./helpers/diff.ts";
import { IMPLEMENTED, IMPLEMENTED_SUB } from "./helpers/commands.ts";
import { parse, type Reply, RespConn, str, toLatin1, withConn } from "./helpers/resp.ts";

/** The text of a bulk string or RESP3 verbatim string reply (INFO, CLIENT INFO), else null. */
function textOf(r: Reply): string | null {
  if (r instanceof Uint8Array) return toLatin1(r);
  return r !== null && typeof r === "object" && "verbatim" in r ? r.verbatim : null;
}

/** HELLO's reply with the version and id values hidden. */
const hello: Normalizer = (raw) => {
  const r = parse(raw);
  const flat: Reply[] = Array.isArray(r) ? r : (mapEntries(r)?.flat() ?? []);
  if (flat.length === 0) return toLatin1(raw);
  const out = flat.map((v, i) => {
    const key = i % 2 === 1 ? String(render(flat[i - 1])) : "";
    return /"(version|id)"$/.test(key) ? "<hidden>" : render(v);
  });
  return `${toLatin1(raw)[0]}${out.join(",")}`;
};

const VOLATILE_CLIENT_FIELDS = new Set([
  "id",
  "addr",
  "laddr",
  "fd",
  "age",
  "idle",
  "qbuf",
  "qbuf-free",
  "argv-mem",
  "multi-mem",
  "rbs",
  "rbp",
  "obl",
  "oll",
  "omem",
  "tot-mem",
]);

/** One CLIENT INFO line with the volatile values replaced by `*`. */
function clientLine(line: string): string {
  return line.split(" ").map((kv) => {
    const eq = kv.indexOf("=");
    const k = eq < 0 ? kv : kv.slice(0, eq);
    return VOLATILE_CLIENT_FIELDS.has(k) ? `${k}=*` : kv;
  }).join(" ");
}

/** CLIENT INFO, and CLIENT LIST reduced to the calling connection's line. */
const clientInfo: Normalizer = (raw) => {
  const r = parse(raw);
  const text = textOf(r);
  if (text === null) return toLatin1(raw);
  const lines = text.split("\n").filter((l) => l !== "");
  const own = lines.filter((l) => / cmd=client\|(list|info) /.test(l));
  return `${toLatin1(raw)[0]}${own.map(clientLine).join("\\n")}${text.endsWith("\n") ? "\\n" : ""}`;
};

/** TIME: an array of two bulk strings of digits, seconds within 5 s of the local clock. */
const time: Normalizer = (raw) => {
  const r = parse(raw);
  if (!Array.isArray(r) || r.length !== 2) return toLatin1(raw);
  const [s, us] = r.map((x) => x instanceof Uint8Array ? toLatin1(x) : "");
  const ok = /^\d+$/.test(s) && /^\d{1,6}$/.test(us) &&
    Math.abs(Number(s) - Date.now() / 1000) < 5;
  return ok ? `${toLatin1(raw)[0]}time` : toLatin1(raw);
};

/** INFO text with the avg_ttl estimates hidden. */
const infoText: Normalizer = (raw) => {
  const r = parse(raw);
  const text = textOf(r);
  if (text === null) return toLatin1(raw);
  return `${toLatin1(raw)[0]}${text.replace(/avg_ttl=\d+/g, "avg_ttl=*")}`;
};

const GROUPS: Record<string, Cmd[]> = {
  "PING, ECHO, TIME, QUIT": [
    ["PING"],
    ["ping", "hello"],
    ["PING", ""],
    ["PING", "a", "b"],
    ["ECHO", "x"],
    ["ECHO", "bin\x00\r\n\xff"],
    ["ECHO", ""],
    ["ECHO"],
    ["ECHO", "a", "b"],
    { args: ["TIME"], norm: time },
    ["TIME", "x"],
    ["QUIT", "extra", "args"],
    ["PING"],
  ],
  "HELLO": [
    { args: ["HELLO"], norm: hello },
    { args: ["HELLO", "2"], norm: hello },
    ["PING"],
    { args: ["HELLO", "3"], norm: hello },
    ["PING"],
    ["ECHO", "in resp3"],
    ["GET", "nokey"],
    { args: ["HELLO", "3", "SETNAME", "conn-1"], norm: hello },
    ["CLIENT", "GETNAME"],
    { args: ["hello", "2", "setname", "conn-2", "auth", "default", "anything"], norm: hello },
    ["CLIENT", "GETNAME"],
    ["HELLO", "4"],
    ["HELLO", "1"],
    ["HELLO", "0"],
    ["HELLO", "-1"],
    ["HELLO", "abc"],
    ["HELLO", "3.0"],
    ["HELLO", "3", "foo"],
    ["HELLO", "3", "SETNAME"],
    ["HELLO", "3", "SETNAME", "a b"],
    ["HELLO", "3", "AUTH", "default"],
    ["HELLO", "3", "SETNAME", "x", "foo"],
    ["PING"],
  ],
  "COMMAND": [
    { args: ["COMMAND", "COUNT"], norm: anyInt },
    // an unknown name in COMMAND INFO is a null bulk ($-1) in RESP2
    ["COMMAND", "INFO", "get", "set", "nosuch", "MGET"],
    ["COMMAND", "INFO", "nosuch"],
    ["COMMAND", "INFO", ...IMPLEMENTED],
    ["COMMAND", "INFO", ...IMPLEMENTED_SUB],
    ["COMMAND", "DOCS", "get", "set"],
    ["COMMAND", "DOCS", "nosuch"],
    ["COMMAND", "DOCS", ...IMPLEMENTED],
    ["COMMAND", "DOCS", ...IMPLEMENTED_SUB],
    ["COMMAND", "GETKEYS", "set", "a", "b"],
    ["COMMAND", "GETKEYS", "SET", "a", "b", "EX", "10"],
    ["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"],
    ["COMMAND", "GETKEYS", "mget", "a", "b", "c"],
    ["COMMAND", "GETKEYS", "del", "a", "b", "c"],
    ["COMMAND", "GETKEYS", "expire", "k", "10"],
    ["COMMAND", "GETKEYS", "mset", "a", "1", "b"],
    ["COMMAND", "GETKEYS", "get", "a", "b"],
    ["COMMAND", "GETKEYS", "get"],
    ["COMMAND", "GETKEYS", "ping", "x"],
    ["COMMAND", "GETKEYS", "scan", "0"],
    ["COMMAND", "GETKEYS", "nosuch", "a"],
    ["COMMAND", "COUNT", "x"],
    { args: ["COMMAND", "LIST", "FILTERBY", "PATTERN", "incr*"], norm: sorted },
    { args: ["COMMAND", "LIST", "FILTERBY", "pattern", "*expire*"], norm: sorted },
    { args: ["COMMAND", "LIST", "FILTERBY", "PATTERN", "nosuch*"], norm: sorted },
    ["COMMAND", "LIST", "FILTERBY"],
    ["COMMAND", "LIST", "FILTERBY", "foo", "bar"],
    ["COMMAND", "LIST", "FILTERBY", "PATTERN"],
    ["COMMAND", "foo"],
  ],
  "CLIENT": [
    { args: ["CLIENT", "ID"], norm: anyInt },
    ["CLIENT", "GETNAME"],
    ["CLIENT", "SETNAME", "my-name"],
    ["CLIENT", "GETNAME"],
    { args: ["CLIENT", "INFO"], norm: clientInfo },
    { args: ["CLIENT", "LIST"], norm: clientInfo },
    { args: ["CLIENT", "LIST", "TYPE", "normal"], norm: clientInfo },
    ["CLIENT", "SETNAME", "a b"],
    ["CLIENT", "SETNAME", "a\nb"],
    ["CLIENT", "SETNAME", "\xff"],
    ["CLIENT", "GETNAME"],
    ["CLIENT", "SETNAME", ""],
    ["CLIENT", "GETNAME"],
    ["SELECT", "3"],
    { args: ["CLIENT", "INFO"], norm: clientInfo },
    ["CLIENT", "LIST", "TYPE", "master"],
    ["CLIENT", "LIST", "TYPE", "pubsub"],
    ["CLIENT", "LIST", "TYPE", "foo"],
    ["CLIENT", "LIST", "ID", "abc"],
    ["CLIENT", "LIST", "ID", "999999", "999998"],
    ["CLIENT", "LIST", "foo"],
    ["CLIENT", "KILL", "ID", "999999"],
    ["CLIENT", "KILL", "ID", "abc"],
    ["CLIENT", "KILL", "ID", "0"],
    ["CLIENT", "KILL", "ADDR", "1.2.3.4:5"],
    ["CLIENT", "KILL", "1.2.3.4:5"],
    ["CLIENT", "KILL", "foo", "bar"],
    ["CLIENT", "KILL", "ID"],
    ["CLIENT", "ID", "x"],
    ["CLIENT", "SETNAME"],
    ["CLIENT", "GETNAME", "x"],
    ["CLIENT", "INFO", "x"],
    ["CLIENT", "KILL"],
    ["CLIENT", "foo"],
    ["CLIENT"],
  ],
  "CONFIG": [
    ["CONFIG", "GET", "maxmemory"],
    { args: ["CONFIG", "GET", "maxmemory*"], norm: sortedPairs },
    { args: ["CONFIG", "GET", "maxmemory", "hz", "timeout"], norm: sortedPairs },
    { args: ["CONFIG", "GET", "MAXMEMORY-POLICY", "Hz"], norm: sortedPairs },
    { args: ["CONFIG", "GET", "*max-*-entries*"], norm: sortedPairs },
    { args: ["CONFIG", "GET", "proto-max-bulk-len", "databases", "maxclients"], norm: sortedPairs },
    ["CONFIG", "GET", "nonexistent"],
    ["CONFIG", "GET", "nonexistent*"],
    ["CONFIG", "SET", "maxmemory", "100mb"],
    ["CONFIG", "GET", "maxmemory"],
    ["CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "allkeys-lru"],
    { args: ["CONFIG", "GET", "maxmemory*"], norm: sortedPairs },
    ["CONFIG", "SET", "hz", "1000"],
    ["CONFIG", "GET", "hz"],
    ["CONFIG", "SET", "hz", "10", "maxmemory-policy", "noeviction"],
    ["CONFIG", "SET", "maxmemory", "abc"],
    ["CONFIG", "SET", "maxmemory", "-1"],
    ["CONFIG", "SET", "hz", "abc"],
    ["CONFIG", "SET", "timeout", "-1"],
    ["CONFIG", "SET", "maxmemory-policy", "foo"],
    ["CONFIG", "SET", "nonexistent", "1"],
    ["CONFIG", "SET", "daemonize", "yes"],
    ["CONFIG", "SET", "maxmemory", "1", "maxmemory", "2"],
    ["CONFIG", "SET", "maxmemory", "1", "hz"],
    ["CONFIG", "SET", "maxmemory", "1", "nonexistent", "2"],
    ["CONFIG", "GET", "maxmemory"],
    ["CONFIG", "SET", "maxmemory"],
    ["CONFIG", "GET"],
    ["CONFIG", "RESETSTAT"],
    ["CONFIG", "RESETSTAT", "x"],
    ["CONFIG", "foo"],
    ["CONFIG"],
  ],
  "INFO keyspace": [
    ["MSET", "a", "1", "b", "2", "c", "3", "d", "4"],
    ["SET", "e", "5", "EX", "1000"],
    ["SELECT", "5"],
    ["SET", "x", "1"],
    { args: ["INFO", "keyspace"], norm: infoText },
    { args: ["INFO", "KEYSPACE"], norm: infoText },
    ["INFO", "nosuchsection"],
    ["FLUSHALL"],
    { args: ["INFO", "keyspace"], norm: infoText },
  ],
  "unknown commands and subcommands": [
    ["FOO"],
    ["FOO", "a", "b"],
    ["foo", "a b", "c"],
    // Redis stops quoting arguments once the message reaches 128 characters, cutting the last
    // one short ('%.*s' with the room left), and formats names as C strings (up to a NUL byte).
    ["FOO", ...Array.from({ length: 30 }, (_, i) => `arg-${i}-${"y".repeat(20)}`)],
    ["FOO", "x".repeat(300)],
    ["x".repeat(300)],
    [""],
    ["", "a"],
    ["bin\x00ary\xff", "x"],
    ["FOO", "a\r\nb", "c\nd"],
    ["FO\r\nO", "x"],
    ["CONFIG", "HELP!"],
    ["PING"],
  ],
};

/** One connection kills another by id: it is closed, the killer and the server carry on. */
async function clientKillLive(targets: Target[]): Promise<void> {
  for (const t of targets) {
    const victim = await RespConn.connect(t.port);
    try {
      await withConn(t.port, async (killer) => {
        const id = await victim.call("CLIENT", "ID");
        assert.equal(typeof id, "number", `${t.name}: CLIENT ID`);
        assert.deepEqual(await killer.call("CLIENT", "KILL", "ID", String(id)), 1, t.name);
        const after = await victim.readUntilClosed(5000);
        assert.ok(after.closed, `${t.name}: killed client still connected`);
        assert.deepEqual(await killer.call("CLIENT", "KILL", "ID", String(id)), 0, t.name);
        assert.equal(str(await killer.call("PING")), "PONG");
      });
    } finally {
      victim.close();
    }
  }
}

/** COMMAND COUNT and COMMAND LIST agree, and every implemented (sub)command is listed. */
async function commandList(targets: Target[]): Promise<void> {
  for (const t of targets) {
    await withConn(t.port, async (c) => {
      const list = (await c.call("COMMAND", "LIST") as Reply[]).map(str);
      // COMMAND LIST names subcommands too (`client|id`); COMMAND COUNT counts commands only.
      const top = list.filter((n) => !n.includes("|"));
      assert.equal(await c.call("COMMAND", "COUNT"), top.length, t.name);
      for (const name of [...IMPLEMENTED, "client", "config", "command", ...IMPLEMENTED_SUB]) {
        assert.ok(list.includes(name), `${t.name}: COMMAND LIST lacks ${name}`);
      }
    });
  }
}

Deno.test("differential: server and connection commands match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, cmds));
    }
    await t.step("CLIENT KILL closes the other connection", () => clientKillLive(targets));
    await t.step("COMMAND LIST matches COMMAND COUNT", () => commandList(targets));
  });
});
