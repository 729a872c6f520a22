/**
 * DEBUG RELOAD and FLUSHALL/FLUSHDB [ASYNC|SYNC] against redis-server 7.0.15 (Skua with 1 and
 * 2 shards, each server in its own temporary `dir`): after a reload every value, encoding and
 * TTL is what it was, in every database; RELOAD's options and error texts; the flush options'
 * syntax errors; lazyfree-lazy-user-flush. Then, on Skua alone, what INFO memory's
 * lazyfree_pending_objects / lazyfreed_objects count (src/store/lazyfree.ts).
 */
import assert from "node:assert/strict";
import { assertSame, type Cmd, near, sorted, sortedPairs, type Target } from "./helpers/diff.ts";
import { RespConn, toLatin1 } from "./helpers/resp.ts";
import { startRedis, startUnderTest, withServers } from "./helpers/server.ts";

function args(dir: string): string[] {
  return ["--dir", dir, "--save", "", "--enable-debug-command", "yes"]
    .concat(["--enable-protected-configs", "yes"]);
}

async function withTargets(fn: (targets: Target[]) => Promise<void>): Promise<void> {
  const dirs = [0, 1, 2].map(() => Deno.makeTempDirSync({ prefix: "skua-reload-" }));
  try {
    await withServers(
      [
        () => startRedis(args(dirs[0])),
        () => startUnderTest({ shards: 1, args: args(dirs[1]) }),
        () => startUnderTest({ shards: 2, args: args(dirs[2]) }),
      ],
      async (s) => {
        await fn([
          { name: "redis", port: s[0].port },
          { name: "skua1", port: s[1].port },
          { name: "skua2", port: s[2].port },
        ]);
      },
    );
  } finally {
    for (const d of dirs) Deno.removeSync(d, { recursive: true });
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Keys of every type, both encodings of each, some with TTLs, in databases 0 and 3. */
const FILL: Cmd[] = [
  ["SET", "s:int", "12345"],
  ["SET", "s:emb", "hello"],
  ["SET", "s:raw", "x".repeat(100)],
  ["SET", "s:ttl", "v", "PX", "100000"],
  ["RPUSH", "l:small", "a", "b", "c"],
  ["RPUSH", "l:big", ...range(300).map((i) => `element-${i}-${"y".repeat(40)}`)],
  ["HSET", "h:small", "f1", "v1", "f2", "v2"],
  ["HSET", "h:big", ...range(200).flatMap((i) => [`field${i}`, `value${i}`])],
  ["SADD", "set:int", "1", "2", "3"],
  ["SADD", "set:str", "a", "b", "c"],
  ["SADD", "set:big", ...range(600).map(String)],
  ["ZADD", "z:small", "1", "a", "2.5", "b"],
  ["ZADD", "z:big", ...range(200).flatMap((i) => [String(i / 3), `m${i}`])],
  ["PEXPIRE", "h:big", "200000"],
  ["SELECT", "3"],
  ["SET", "db3:key", "in three"],
  ["RPUSH", "db3:list", "1", "2"],
  ["SELECT", "0"],
];

/** Every key's type, encoding, value and TTL, and the databases' sizes. */
const CHECK: Cmd[] = [
  ["DBSIZE"],
  ...["s:int", "s:emb", "s:raw", "s:ttl"].flatMap((k) => [
    ["OBJECT", "ENCODING", k],
    ["GET", k],
  ]),
  { args: ["PTTL", "s:ttl"], norm: near(100000, 10000) },
  { args: ["PTTL", "h:big"], norm: near(200000, 10000) },
  ["PTTL", "s:int"],
  ...["l:small", "l:big"].flatMap((k) => [["OBJECT", "ENCODING", k], ["LRANGE", k, "0", "-1"]]),
  ...["h:small", "h:big"].flatMap((k): Cmd[] => [
    ["OBJECT", "ENCODING", k],
    { args: ["HGETALL", k], norm: sortedPairs },
  ]),
  ...["set:int", "set:str", "set:big"].flatMap((k): Cmd[] => [
    ["OBJECT", "ENCODING", k],
    { args: ["SMEMBERS", k], norm: sorted },
  ]),
  ...["z:small", "z:big"].flatMap((k) => [
    ["OBJECT", "ENCODING", k],
    ["ZRANGE", k, "0", "-1", "WITHSCORES"],
  ]),
  ["SELECT", "3"],
  ["DBSIZE"],
  ["GET", "db3:key"],
  ["LRANGE", "db3:list", "0", "-1"],
  ["SELECT", "0"],
];

Deno.test("differential DEBUG RELOAD: values, encodings and TTLs survive, options, errors", async () => {
  await withTargets(async (targets) => {
    await assertSame(targets, [
      ["CONFIG", "SET", "dbfilename", "dump.rdb"],
      ...FILL,
      ["DEBUG", "RELOAD"],
      ...CHECK,
      ["DEBUG", "reload", "nosave"],
      ...CHECK,
      ["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"],
      ...CHECK,
      ["DEBUG", "RELOAD", "MERGE", "NOFLUSH"],
      ...CHECK,
      ["DEBUG", "RELOAD", "BOGUS"],
      ["DEBUG", "RELOAD", "NOSAVE", "x"],
      { args: ["INFO", "persistence"], norm: lastLoad },
      // a file that is not there: emptied, then the load fails
      ["CONFIG", "SET", "dbfilename", "missing.rdb"],
      ["DEBUG", "RELOAD", "NOSAVE"],
      ["DBSIZE"],
      ["CONFIG", "SET", "dbfilename", "dump.rdb"],
      // an empty dataset saves and loads as one
      ["DEBUG", "RELOAD"],
      ["DBSIZE"],
    ]);
  });
});

/** INFO persistence reduced to the keys the last load kept and skipped. */
function lastLoad(raw: Uint8Array): string {
  return toLatin1(raw).split("\r\n").filter((l) => l.startsWith("rdb_last_load_keys")).join(",");
}

Deno.test("differential FLUSHALL/FLUSHDB: ASYNC, SYNC, syntax errors, lazyfree-lazy-user-flush", async () => {
  await withTargets(async (targets) => {
    const some: Cmd[] = [["MSET", "a", "1", "b", "2", "c", "3"], ["SELECT", "1"], [
      "SET",
      "d",
      "4",
    ], ["SELECT", "0"]];
    await assertSame(targets, [
      ...some,
      ["FLUSHDB", "ASYNC"],
      ["DBSIZE"],
      ["SELECT", "1"],
      ["DBSIZE"],
      ["FLUSHDB", "sync"],
      ["DBSIZE"],
      ["SELECT", "0"],
      ...some,
      ["FLUSHALL", "async"],
      ["DBSIZE"],
      ...some,
      ["FLUSHALL", "SYNC"],
      ["DBSIZE"],
      ...some,
      ["FLUSHALL", "ASYNC", "SYNC"],
      ["FLUSHALL", "FOO"],
      ["FLUSHDB", "ASYNC", "ASYNC"],
      ["FLUSHDB", "NOW"],
      ["DBSIZE"],
      ["MULTI"],
      ["FLUSHDB", "BAD"],
      ["FLUSHALL", "ASYNC"],
      ["EXEC"],
      ["DBSIZE"],
      ["CONFIG", "GET", "lazyfree-lazy-user-flush"],
      ["CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"],
      ...some,
      ["FLUSHDB"],
      ["DBSIZE"],
      ["FLUSHALL"],
      ["DBSIZE"],
      ["CONFIG", "SET", "lazyfree-lazy-user-flush", "no"],
      ["CONFIG", "SET", "lazyfree-lazy-server-del", "yes"],
      ["CONFIG", "GET", "lazyfree-lazy-server-del"],
      ["CONFIG", "SET", "lazyfree-lazy-server-del", "no"],
      ["CONFIG", "SET", "lazyfree-lazy-user-flush", "maybe"],
    ]);
  });
});

function memField(info: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)\\r$`, "m").exec(info);
  assert.ok(m !== null, `${name} in ${info}`);
  return Number(m[1]);
}

async function lazyfreed(c: RespConn): Promise<number> {
  // the lazy freer works a batch per turn: wait for it to be done
  for (let i = 0; i < 200; i++) {
    const info = toLatin1(await c.send("INFO", "memory"));
    if (memField(info, "lazyfree_pending_objects") === 0) {
      return memField(info, "lazyfreed_objects");
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("lazyfree_pending_objects never reached 0");
}

Deno.test("lazyfree: FLUSHDB ASYNC frees lazily and counts what it freed, over 2 shards", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "skua-lazyfree-" });
  try {
    await withServers([() => startUnderTest({ shards: 2, args: args(dir) })], async ([s]) => {
      const c = await RespConn.connect(s.port);
      try {
        const fill = async (n: number) => {
          const cmds = range(n).map((i) => ["SET", `k${i}`, `v${i}`]);
          await c.pipeline(cmds);
        };
        // keys in another database on every shard: the flushed one is not the only one holding
        // keys (a shard where it is drops its whole arena at once, freeing nothing lazily)
        await c.send("SELECT", "1");
        await c.pipeline(range(50).map((i) => ["SET", `keep${i}`, "1"]));
        await c.send("SELECT", "0");
        await fill(20000);
        assert.equal(toLatin1(await c.send("FLUSHDB", "ASYNC")), "+OK\r\n");
        assert.equal(toLatin1(await c.send("DBSIZE")), ":0\r\n");
        assert.equal(await lazyfreed(c), 20000);
        // SYNC frees at once: nothing more is counted
        await fill(1000);
        await c.send("FLUSHDB", "SYNC");
        assert.equal(await lazyfreed(c), 20000);
        // lazyfree-lazy-user-flush yes: FLUSHDB without an argument is ASYNC
        await c.send("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes");
        await fill(3000);
        await c.send("FLUSHDB");
        assert.equal(toLatin1(await c.send("DBSIZE")), ":0\r\n");
        assert.equal(await lazyfreed(c), 23000);
        // CONFIG RESETSTAT starts the count again, as Redis's lazyfreeResetStats
        await c.send("CONFIG", "RESETSTAT");
        assert.equal(await lazyfreed(c), 0);
        // FLUSHALL drops whole arenas at once: nothing is freed lazily
        await fill(1000);
        await c.send("FLUSHALL", "ASYNC");
        assert.equal(await lazyfreed(c), 0);
        await c.send("SELECT", "1");
        assert.equal(toLatin1(await c.send("DBSIZE")), ":0\r\n");
      } finally {
        c.close();
      }
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
