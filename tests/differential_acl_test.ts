/**
 * AUTH and ACL compared with redis-server 7.0.15 (RESP2, RESP3, pipelined; Skua with 1 and 3
 * shards): ACL CAT, SETUSER's error texts, GETUSER and LIST output, DRYRUN, AUTH errors, the
 * -NOPERM texts, MULTI with a refused command, CLIENT KILL USER, and -NOAUTH before AUTH on
 * servers started with requirepass. Normalized, and only there: ACL CAT with a category (Redis
 * lists them in dict order), DELUSER counts at the start of a group (users of an earlier run
 * may remain), ACL GENPASS's random value. Rules whose description needs several single
 * commands are avoided: Redis emits those in dict order.
 */
import assert from "node:assert/strict";
import {
  anyInt,
  assertSame,
  type Cmd,
  type Normalizer,
  sorted,
  withDiffTargets,
} from "./helpers/diff.ts";
import { RespConn, toLatin1 } from "./helpers/resp.ts";
import { CATEGORIES } from "../src/acl/catalog.ts";
import { startRedis, startUnderTest, withServers } from "./helpers/server.ts";

// ACL CAT itself is compared below, so Skua's list of categories may drive the per-category calls
const CATS = CATEGORIES;

const USERS = ["u1", "u2", "u3", "u4", "u5", "u6", "u7"];
const cleanup: Cmd = { args: ["ACL", "DELUSER", ...USERS], norm: anyInt };

/** A bulk string of `n` hex characters (ACL GENPASS). */
function hexOf(n: number): Normalizer {
  return (raw) => {
    const m = /^\$(\d+)\r\n([0-9a-f]*)\r\n$/.exec(toLatin1(raw));
    return m && m[2].length === n && Number(m[1]) === n ? `<hex ${n}>` : toLatin1(raw);
  };
}

const GROUPS: Record<string, Cmd[]> = {
  "ACL CAT": [
    ["ACL", "CAT"],
    ...CATS.map((c): Cmd => ({ args: ["ACL", "CAT", c], norm: sorted })),
    { args: ["ACL", "CAT", "READ"], norm: sorted },
    ["ACL", "CAT", "nosuch"],
    ["ACL", "CAT", "all"],
  ],
  "SETUSER, GETUSER, LIST, USERS": [
    cleanup,
    ["ACL", "SETUSER", "u1"],
    ["ACL", "SETUSER", "u2", "on", ">pw", "~app:*", "+@read"],
    ["ACL", "SETUSER", "u3", "%R~r:*", "%W~w:*", "&ch", "+get", "-@all", "+set", "(+get ~x)"],
    ["ACL", "SETUSER", "u3", "(%RW~y*", "&c2", "+@list)"],
    ["ACL", "SETUSER", "u4", "+@all", "-@dangerous", "-@admin", "~*", "&*"],
    ["ACL", "SETUSER", "u5", "reset", "on", "nopass", "allkeys", "allchannels", "allcommands"],
    ["ACL", "SETUSER", "u5", "-flushall"],
    ["ACL", "SETUSER", "u6", ">p1", ">p2", "<p1", "sanitize-payload", "+select|0"],
    ["ACL", "SETUSER", "u7", "#2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"],
    ["ACL", "SETUSER", "u7", "skip-sanitize-payload", "%R~a", "%W~a", "%R~b", "~c", "~c"],
    ["ACL", "LIST"],
    ["ACL", "USERS"],
    ...["u1", "u2", "u3", "u4", "u5", "u6", "u7", "default"].map((u): Cmd => [
      "ACL",
      "GETUSER",
      u,
    ]),
    ["ACL", "GETUSER", "nosuch"],
    ["ACL", "SETUSER", "u3", "clearselectors", "resetkeys", "resetchannels", "nocommands"],
    ["ACL", "GETUSER", "u3"],
    ["ACL", "SETUSER", "u6", "nopass"],
    ["ACL", "GETUSER", "u6"],
    ["ACL", "SETUSER", "u6", "reset"],
    ["ACL", "GETUSER", "u6"],
    ["ACL", "DELUSER", "u1", "u2", "nosuch"],
    ["ACL", "USERS"],
    ["ACL", "WHOAMI"],
    cleanup,
    ["ACL", "LIST"],
    // acl-pubsub-default: what new users (and reset) get
    ["CONFIG", "SET", "acl-pubsub-default", "allchannels"],
    ["ACL", "SETUSER", "u1"],
    ["ACL", "GETUSER", "u1"],
    ["ACL", "SETUSER", "u1", "resetchannels", "&a", "(+get)"],
    ["ACL", "LIST"],
    ["ACL", "SETUSER", "u1", "reset"],
    ["ACL", "LIST"],
    ["CONFIG", "SET", "acl-pubsub-default", "resetchannels"],
    ["ACL", "SETUSER", "u2", "(+get)"],
    ["ACL", "LIST"],
    // the value at the time of the reset counts, not the one the user was created under
    ["CONFIG", "SET", "acl-pubsub-default", "allchannels"],
    ["ACL", "SETUSER", "u2", "reset", "(+set)"],
    ["ACL", "GETUSER", "u2"],
    ["CONFIG", "SET", "acl-pubsub-default", "resetchannels"],
    cleanup,
  ],
  "SETUSER errors": [
    cleanup,
    ["ACL", "SETUSER", "u1", "foo"],
    ["ACL", "SETUSER", "u1", "(+get"],
    ["ACL", "SETUSER", "u1", "on", "(~a", "+get"],
    ["ACL", "SETUSER", "u1", "+nosuch"],
    ["ACL", "SETUSER", "u1", "+get|x|y"],
    ["ACL", "SETUSER", "u1", "+config|get|x"],
    ["ACL", "SETUSER", "u1", "+select|"],
    ["ACL", "SETUSER", "u1", "~*", "~a"],
    ["ACL", "SETUSER", "u1", "&*", "&a"],
    ["ACL", "SETUSER", "u1", "#abc"],
    ["ACL", "SETUSER", "u1", "<nothere"],
    ["ACL", "SETUSER", "u1", "!" + "0".repeat(64)],
    ["ACL", "SETUSER", "u1", "-@nosuch"],
    ["ACL", "SETUSER", "u1", "%X~a"],
    ["ACL", "SETUSER", "u1", "~a b"],
    ["ACL", "SETUSER", "u1", "(+get foo)"],
    ["ACL", "SETUSER", "a b"],
    ["ACL", "SETUSER", "u1", "on", "bogus"],
    // nothing of a refused SETUSER is applied: u1 does not exist
    ["ACL", "GETUSER", "u1"],
    ["ACL", "DELUSER", "default"],
    ["ACL", "DELUSER", "u1", "default"],
    ["ACL", "GENPASS", "0"],
    ["ACL", "GENPASS", "4097"],
    ["ACL", "GENPASS", "abc"],
    { args: ["ACL", "GENPASS"], norm: hexOf(64) },
    { args: ["ACL", "GENPASS", "5"], norm: hexOf(2) },
    ["ACL", "LOG", "abc"],
    ["ACL", "LOAD"],
    ["ACL", "SAVE"],
    ["ACL", "HELP"],
    ["ACL", "NOSUCH"],
  ],
  "DRYRUN": [
    cleanup,
    ["ACL", "SETUSER", "u2", "on", ">pw", "~app:*", "+@read"],
    ["ACL", "SETUSER", "u3", "%R~r:*", "%W~w:*", "+get", "+set", "+copy", "(+get ~x)"],
    ["ACL", "SETUSER", "u4", "+@all", "-@dangerous", "~*"],
    ["ACL", "SETUSER", "u5", "-@all", "+select|0", "+client|id"],
    ["ACL", "DRYRUN", "u2", "set", "a", "b"],
    ["ACL", "DRYRUN", "u2", "get", "b"],
    ["ACL", "DRYRUN", "u2", "get", "app:1"],
    ["ACL", "DRYRUN", "u2", "mget", "app:1", "b", "c"],
    ["ACL", "DRYRUN", "nosuch", "get", "a"],
    ["ACL", "DRYRUN", "u2", "nosuchcmd", "a"],
    ["ACL", "DRYRUN", "u2", "get"],
    ["ACL", "DRYRUN", "u3", "set", "w:1", "v"],
    ["ACL", "DRYRUN", "u3", "set", "w:1", "v", "GET"],
    ["ACL", "DRYRUN", "u3", "get", "w:1"],
    ["ACL", "DRYRUN", "u3", "get", "r:1"],
    ["ACL", "DRYRUN", "u3", "set", "r:1", "v"],
    ["ACL", "DRYRUN", "u3", "get", "x"],
    ["ACL", "DRYRUN", "u3", "copy", "r:1", "w:1"],
    ["ACL", "DRYRUN", "u3", "copy", "w:1", "r:1"],
    ["ACL", "DRYRUN", "u4", "flushall"],
    ["ACL", "DRYRUN", "u4", "config", "get", "x"],
    ["ACL", "DRYRUN", "u4", "keys", "*"],
    ["ACL", "DRYRUN", "u5", "select", "0"],
    ["ACL", "DRYRUN", "u5", "select", "1"],
    ["ACL", "DRYRUN", "u5", "client", "id"],
    ["ACL", "DRYRUN", "u5", "client", "list"],
    ["ACL", "DRYRUN", "u5", "auth", "a"],
    cleanup,
  ],
  "AUTH, NOPERM, MULTI, CLIENT KILL USER": [
    cleanup,
    ["AUTH", "foo"],
    ["AUTH", "a", "b", "c"],
    ["AUTH", "nosuch", "pw"],
    ["ACL", "SETUSER", "u2", "on", ">pw", "~app:*", "+@read", "+multi", "+exec", "+auth"],
    ["ACL", "SETUSER", "u3", ">pw"],
    ["AUTH", "u2", "wrong"],
    ["AUTH", "u3", "pw"],
    ["HELLO", "2", "AUTH", "u2", "wrong"],
    ["AUTH", "u2", "pw"],
    ["ACL", "WHOAMI"],
    ["GET", "app:1"],
    ["GET", "other"],
    ["SET", "app:1", "x"],
    ["MGET", "app:1", "app:2", "app:3", "app:4", "app:5"],
    ["MGET", "app:1", "app:2", "other", "app:4"],
    ["EXISTS", "app:1", "zzz"],
    ["KEYS", "nomatch*"],
    ["MULTI"],
    ["GET", "app:1"],
    ["GET", "other"],
    ["SET", "app:1", "v"],
    ["EXEC"],
    ["MULTI"],
    ["GET", "app:1"],
    ["MGET", "app:1", "app:2"],
    ["EXEC"],
    ["CLIENT", "KILL", "USER", "u2"],
    ["AUTH", "default", "anything"],
    ["ACL", "WHOAMI"],
    ["CLIENT", "KILL", "USER", "nosuch"],
    ["CLIENT", "KILL", "USER", "u3"],
    ["CLIENT", "KILL", "USER", "default", "SKIPME", "yes"],
    cleanup,
  ],
};

Deno.test("differential: AUTH and ACL match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, cmds));
    }
  });
});

/** The replies to `cmds` on a fresh connection, one at a time. */
async function repliesOf(port: number, cmds: string[][]): Promise<string[]> {
  const c = await RespConn.connect(port);
  try {
    const out: string[] = [];
    for (const cmd of cmds) out.push(toLatin1(await c.send(...cmd)));
    return out;
  } finally {
    c.close();
  }
}

Deno.test("differential: with requirepass every command before AUTH gets -NOAUTH", async () => {
  await withServers(
    [() => startRedis(), () => startUnderTest({ shards: 1 }), () => startUnderTest({ shards: 3 })],
    async (servers) => {
      // set live: connections made from now on owe an AUTH (the one setting it does not)
      for (const s of servers) {
        assert.deepEqual(
          await repliesOf(s.port, [["CONFIG", "SET", "requirepass", "s3cret"], ["PING"]]),
          ["+OK\r\n", "+PONG\r\n"],
        );
      }
      const cmds = [
        ["PING"],
        ["GET", "a"],
        ["SET", "a", "b"],
        ["MGET", "a", "b", "c"],
        ["KEYS", "*"],
        ["SCAN", "0"],
        ["FLUSHALL"],
        ["CONFIG", "GET", "requirepass"],
        ["ACL", "WHOAMI"],
        ["CLIENT", "ID"],
        ["MULTI"],
        ["EXEC"],
        ["NOSUCH", "x"],
        ["GET"],
        ["HELLO", "3"],
        ["HELLO", "2", "AUTH", "default", "wrong"],
        ["AUTH", "wrong"],
        ["AUTH", "default", "wrong"],
        ["PING"],
        ["AUTH", "s3cret"],
        ["PING"],
        ["CONFIG", "GET", "requirepass"],
        ["ACL", "LIST"],
        ["SET", "a", "b"],
        ["DEL", "a"],
      ];
      const want = await repliesOf(servers[0].port, cmds);
      for (const s of servers.slice(1)) {
        assert.deepEqual(await repliesOf(s.port, cmds), want);
      }
      // HELLO AUTH authenticates and switches protocol at once
      const hello = [["HELLO", "2", "AUTH", "default", "s3cret"], ["PING"]];
      const helloWant = await repliesOf(servers[0].port, hello);
      for (const s of servers.slice(1)) {
        const got = await repliesOf(s.port, hello);
        assert.equal(got[1], helloWant[1]);
        assert.match(got[0], /^\*14\r\n\$6\r\nserver\r\n/);
      }
      // the parser's limits for unauthenticated clients (networking.c)
      for (const s of servers) {
        const c = await RespConn.connect(s.port);
        try {
          await c.writeRaw(new TextEncoder().encode("*11\r\n"));
          assert.equal(
            toLatin1(await c.readRaw()),
            "-ERR Protocol error: unauthenticated multibulk length\r\n",
          );
        } finally {
          c.close();
        }
      }
    },
  );
});
