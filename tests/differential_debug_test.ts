/**
 * DEBUG against redis-server 7.0.15 (both started with `enable-debug-command yes`, Skua with 1
 * and 3 shards): PROTOCOL in RESP2 and RESP3, SLEEP, SET-ACTIVE-EXPIRE, OBJECT's fields, ERROR,
 * LOG, the error texts, HELP (Skua lists the subcommands it has, each worded as Redis's), and
 * the refusal when the command is not enabled (Redis's default).
 */
import assert from "node:assert/strict";
import { assertSame, type Normalizer, type Target } from "./helpers/diff.ts";
import { parse, RespConn, show, toLatin1 } from "./helpers/resp.ts";
import { startRedis, startUnderTest, withServers } from "./helpers/server.ts";

const ENABLE = ["--enable-debug-command", "yes"];

async function withDebugTargets(
  args: string[],
  fn: (targets: Target[]) => Promise<void>,
): Promise<void> {
  await withServers(
    [
      () => startRedis(args),
      () => startUnderTest({ shards: 1, args }),
      () => startUnderTest({ shards: 3, args }),
    ],
    async (s) => {
      await fn([
        { name: "redis", port: s[0].port },
        { name: "skua1", port: s[1].port },
        { name: "skua3", port: s[2].port },
      ]);
    },
  );
}

/**
 * DEBUG OBJECT's line with what differs between any two servers hidden: the value's address,
 * the LRU clock (seconds since the epoch, 24 bits: equal only within the same second) and the
 * idle seconds (clock seconds crossed; for a shared integer Redis reports the shared object's).
 */
const objectLine: Normalizer = (raw) =>
  toLatin1(raw)
    .replace(/Value at:0x[0-9a-f]+/, "Value at:<addr>")
    .replace(/ lru:\d+ lru_seconds_idle:\d+/, " lru:<clock> lru_seconds_idle:<secs>");

/** 60 distinct bytes: LZF finds nothing to compress, so Redis saves it as it is. */
const INCOMPRESSIBLE = Array.from({ length: 60 }, (_, i) => String.fromCharCode(48 + i)).join("");

Deno.test("differential DEBUG: PROTOCOL, SLEEP, OBJECT, ERROR, LOG and error texts", async () => {
  await withDebugTargets(ENABLE, async (targets) => {
    const types = ["string", "integer", "double", "bignum", "null", "array", "set", "map"];
    types.push("attrib", "true", "false", "verbatim", "nosuch", "STRING");
    await assertSame(targets, [
      ...types.map((t) => ["DEBUG", "PROTOCOL", t]),
      ["DEBUG", "SLEEP", "0"],
      ["DEBUG", "SLEEP", "0.05"],
      ["DEBUG", "SLEEP", "abc"],
      ["DEBUG", "SLEEP", "-1"],
      ["debug", "sleep", "0"],
      ["SET", "small", "hello"],
      ["SET", "int", "12345"],
      ["SET", "neg", "-5"],
      ["SET", "bigint", "12345678901"],
      ["SET", "int32", "2147483647"],
      ["SET", "distinct", INCOMPRESSIBLE.slice(0, 36)],
      ["SET", "raw", INCOMPRESSIBLE],
      ["SET", "k{a}", "shared 0..9999"],
      ["SET", "k{b}", "9999"],
      ["SET", "k{c}", "10000"],
      ["APPEND", "app", "x"],
      // compressible strings and blobs: Redis saves them LZF-compressed (rdbcompression)
      ["SET", "aaa", "a".repeat(100)],
      ["SET", "words", "hello world hello world hello world"],
      ["SADD", "intset100", ...Array.from({ length: 100 }, (_, i) => String(i + 1))],
      [
        "HSET",
        "hash50",
        ...Array.from({ length: 50 }, (_, i) => [`field${i}`, `value${i}`]).flat(),
      ],
      ["ZADD", "zset60", ...Array.from({ length: 60 }, (_, i) => [String(i), `member${i}`]).flat()],
      ["ZADD", "zscores", "1.5", "a", "0.1", "b", "100000", "c", "-3", "d"],
      ["ZADD", "skiplist", ...Array.from({ length: 200 }, (_, i) => [String(i), `m${i}`]).flat()],
      ["RPUSH", "items", ...Array.from({ length: 3000 }, (_, i) => `item${i}`)],
      ...["aaa", "words", "intset100", "hash50", "zset60", "zscores", "skiplist", "items"]
        .map((k) => ({ args: ["DEBUG", "OBJECT", k], norm: objectLine })),
      // collections in each encoding
      ["SADD", "set", "a", "b", "c", "1000"],
      ["SADD", "intset", "1", "2", "3"],
      ["SADD", "intset32", "1", "70000"],
      ["SADD", "bigset", ...Array.from({ length: 600 }, (_, i) => `m${i}`)],
      ["HSET", "hash", "f", "v", "f2", "v2"],
      ["HSET", "hashints", "1", "100000", "abc", "123456789012"],
      ["ZADD", "zset", "1", "a", "2", "b"],
      ["RPUSH", "list", "a", "b", "c"],
      ["RPUSH", "longlist", ...Array.from({ length: 3000 }, (_, i) => String(i + 1))],
      ...["set", "intset", "intset32", "bigset", "hash", "hashints", "zset", "list", "longlist"]
        .map((k) => ({ args: ["DEBUG", "OBJECT", k], norm: objectLine })),
      ...[
        "small",
        "int",
        "neg",
        "bigint",
        "int32",
        "distinct",
        "raw",
        "k{a}",
        "k{b}",
        "k{c}",
        "app",
      ]
        .map((k) => ({ args: ["DEBUG", "OBJECT", k], norm: objectLine })),
      ["DEBUG", "OBJECT", "nokey"],
      ["DEBUG", "ERROR", "FOO something went wrong"],
      ["DEBUG", "ERROR", "no\r\nnewlines"],
      ["DEBUG", "LOG", "written by differential_debug_test"],
      ["DEBUG"],
      ["DEBUG", "nosuch"],
      ["DEBUG", "object"],
      ["DEBUG", "object", "a", "b"],
      ["DEBUG", "sleep"],
      ["DEBUG", "protocol"],
      ["DEBUG", "HELP", "extra"],
      ["DEBUG", "set-active-expire", "1"],
      ["PING"],
    ]);
  });
});

Deno.test("differential DEBUG PROTOCOL push: RESP2 refuses, RESP3 sends a push then a reply", async () => {
  await withDebugTargets(ENABLE, async (targets) => {
    const seen: string[] = [];
    for (const t of targets) {
      const c = await RespConn.connect(t.port);
      try {
        const resp2 = toLatin1(await c.send("DEBUG", "PROTOCOL", "push"));
        await c.hello3();
        const push = toLatin1(await c.send("DEBUG", "PROTOCOL", "push"));
        const after = toLatin1(await c.readRaw());
        const ping = toLatin1(await c.send("PING"));
        seen.push([resp2, push, after, ping].map((s) => show(s)).join(" | "));
      } finally {
        c.close();
      }
    }
    assert.equal(seen[1], seen[0], "skua1");
    assert.equal(seen[2], seen[0], "skua3");
    assert.match(seen[0], /^-ERR RESP2 is not supported by this command/);
  });
});

/** What each target's keys look like while active expiry is off, then back on. */
async function activeExpiry(port: number): Promise<string[]> {
  const c = await RespConn.connect(port);
  const out: string[] = [];
  const say = async (...args: string[]) => out.push(toLatin1(await c.send(...args)));
  try {
    await say("FLUSHALL");
    await say("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    // keys over every shard of a 3-shard Skua, never read again (only active expiry removes them)
    for (let i = 0; i < 12; i++) await say("SET", `volatile:${i}`, "v", "PX", "50");
    await say("SET", "stays", "v");
    await new Promise((r) => setTimeout(r, 600));
    await say("DBSIZE"); // 13: nothing expired actively
    await say("DEBUG", "SET-ACTIVE-EXPIRE", "1abc"); // atoi: 1
    await new Promise((r) => setTimeout(r, 1000));
    await say("DBSIZE"); // 1: the sampler removed them
    await say("GET", "stays");
  } finally {
    c.close();
  }
  return out;
}

Deno.test("differential DEBUG SET-ACTIVE-EXPIRE stops and restarts active expiry", async () => {
  await withDebugTargets(ENABLE, async (targets) => {
    const want = await activeExpiry(targets[0].port);
    assert.equal(want[want.length - 4], ":13\r\n", "redis-server kept the expired keys");
    assert.equal(want[want.length - 2], ":1\r\n", "redis-server expired them");
    for (const t of targets.slice(1)) assert.deepEqual(await activeExpiry(t.port), want, t.name);
  });
});

/** DEBUG HELP: header and footer as Redis; every entry Skua lists is worded as Redis's. */
async function helpEntries(port: number): Promise<[string, string, Map<string, string>]> {
  const c = await RespConn.connect(port);
  try {
    const lines = (parse(await c.send("DEBUG", "HELP")) as string[]).map(String);
    const entries = new Map<string, string>();
    let name = "";
    for (const line of lines.slice(1, -2)) {
      if (line.startsWith("    ")) entries.set(name, (entries.get(name) ?? "") + line + "\n");
      else entries.set(name = line, "");
    }
    return [lines[0], lines.slice(-2).join("\n"), entries];
  } finally {
    c.close();
  }
}

Deno.test("differential DEBUG HELP: Redis's format and wording for the subcommands Skua has", async () => {
  await withDebugTargets(ENABLE, async (targets) => {
    const [head, foot, redis] = await helpEntries(targets[0].port);
    for (const t of targets.slice(1)) {
      const [h, f, skua] = await helpEntries(t.port);
      assert.equal(h, head);
      assert.equal(f, foot);
      const names = [...skua.keys()];
      for (const must of ["OBJECT <key>", "PANIC", "PROTOCOL <type>", "SLEEP <seconds>"]) {
        assert.ok(names.includes(must), `${t.name} lists ${must}`);
      }
      assert.ok(names.includes("SET-ACTIVE-EXPIRE <0|1>"), t.name);
      for (const [name, text] of skua) {
        // OOM: Redis crashes; in Skua a handler's error fails only its command
        if (name === "OOM") continue;
        assert.equal(text, redis.get(name), `${t.name}: ${name}`);
      }
    }
  });
});

Deno.test("differential DEBUG: refused unless enable-debug-command allows it", async () => {
  await withDebugTargets([], async (targets) => {
    await assertSame(targets, [
      ["DEBUG", "SLEEP", "0"],
      ["DEBUG", "HELP"],
      ["DEBUG", "nosuch"],
      ["DEBUG"],
      ["MULTI"],
      ["DEBUG", "PANIC"],
      ["EXEC"],
      ["CONFIG", "SET", "enable-debug-command", "yes"],
      ["PING"],
    ]);
  });
  // `local`: a loopback client may (the non-loopback case is in failure_test.ts)
  await withDebugTargets(["--enable-debug-command", "local"], async (targets) => {
    await assertSame(targets, [["DEBUG", "SLEEP", "0"], ["DEBUG", "PROTOCOL", "integer"]]);
  });
});

/**
 * serializedlength of small collections in their compact encodings, after creation and after
 * edits (each family's write paths): RDB saves a listpack or intset as its bytes, so the
 * length (LZF-compressed with rdbcompression yes; raw with no) is exact only if the stored
 * bytes are Redis's byte for byte: integer entries of every width, scores stored as integers
 * by double2ll (1e18, -0) or as d2string text, intsets widened by a member, never narrowed.
 */
Deno.test("differential DEBUG OBJECT: serializedlength of listpacks and intsets after edits", async () => {
  const ints = ["0", "127", "128", "-4096", "4096", "32768", "-8388609", "2147483648", "-1", "01"];
  const cmds = (compress: boolean) => [
    ["CONFIG", "SET", "rdbcompression", compress ? "yes" : "no"],
    ["HSET", "h", ...ints.flatMap((v, i) => [`field:${i}`, v])],
    ["HSET", "h2", ...ints.flatMap((v) => [v, "x".repeat(30)])],
    ["ZADD", "z", "1e18", "a", "-0", "b", "0.1", "c", "4611686018427387904", "d", "1e19", "e"],
    ["ZADD", "z2", ...ints.flatMap((v, i) => [v, `m${i}`])],
    ["SADD", "s16", "1", "-5", "300"],
    ["SADD", "s32", "1", "70000"],
    ["SADD", "s64", "-1", "9223372036854775807"],
    ["RPUSH", "l", ...ints, "abc", "y".repeat(70)],
    ...["h", "h2", "z", "z2", "s16", "s32", "s64", "l"]
      .map((k) => ({ args: ["DEBUG", "OBJECT", k], norm: objectLine })),
    // edits: overwrite with other widths, delete, increment, widen, trim
    ["HSET", "h", "field:0", "2147483648", "field:3", "text", "new", "-1"],
    ["HDEL", "h", "field:5", "field:9"],
    ["HINCRBY", "h", "field:1", "100000"],
    ["ZINCRBY", "z", "0.5", "b"],
    ["ZINCRBY", "z2", "-1e18", "m3"],
    ["ZREM", "z", "c"],
    ["SADD", "s16", "5000000000"],
    ["SREM", "s16", "5000000000", "300"],
    ["SREM", "s32", "70000"],
    ["LSET", "l", "2", "-9223372036854775808"],
    ["LREM", "l", "0", "abc"],
    ["LPUSH", "l", "head"],
    ["RPOP", "l"],
    ...["h", "z", "z2", "s16", "s32", "l"]
      .map((k) => ({ args: ["DEBUG", "OBJECT", k], norm: objectLine })),
    ["OBJECT", "ENCODING", "s16"],
  ];
  await withDebugTargets(ENABLE, async (targets) => {
    await assertSame(targets, cmds(true));
    await assertSame(targets, cmds(false));
  });
});
