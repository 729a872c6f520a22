/**
 * Small collections of every family (held in their compact encodings: a blob in the arena)
 * and large ones (objects) under the generic keyspace commands and the commands that ship
 * keys between shards, compared byte for byte with redis-server (RESP2, RESP3, pipelined)
 * against Skua with 1 and 3 shards: TYPE, SCAN TYPE, RANDOMKEY, EXPIRE/PERSIST, SWAPDB, MOVE,
 * COPY, RENAME, DEL/UNLINK, FLUSHDB/FLUSHALL, and cross-shard SMOVE, LMOVE, SUNIONSTORE,
 * ZUNIONSTORE, SORT STORE, MULTI/EXEC. Each moved key is read back whole and its OBJECT
 * ENCODING checked: a shipped blob must arrive as the same bytes, in the same encoding.
 * Also MEMORY USAGE of small keys (not differential: it counts the key's blocks exactly).
 */
import assert from "node:assert/strict";
import {
  assertSame,
  type Cmd,
  sorted,
  sortedPairs,
  type Target,
  withDiffTargets,
} from "./helpers/diff.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { type Reply, type RespConn, str, toLatin1, withConn } from "./helpers/resp.ts";
import { startUnderTest, withServers } from "./helpers/server.ts";
import { onAll, withTargets } from "./helpers/targets.ts";

// keys cycle through the three shards' slot ranges: H, Z, L on three different shards, etc.
const [H, Z, L, S, T, HB, X, Y, W, ZB, SB, LB] = spreadKeys("blob:", 12);

/** One small key of each family and encoding, and a large one of each (objects). */
const CREATE: Cmd[] = [
  ["HSET", H, "f1", "v1", "f2", "2", "f3", "-300", "f4", "x".repeat(60)],
  ["ZADD", Z, "1", "a", "2.5", "b", "-0", "c", "1e18", "d", "0.1", "e", "-inf", "f"],
  ["RPUSH", L, "a", "b", "1", "2", "-3", "c".repeat(50)],
  ["SADD", S, "1", "5", "-7", "70000"],
  ["SADD", T, "a", "b", "c", "10"],
  ["HSET", HB, ...Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`]).flat()],
  ["ZADD", ZB, ...Array.from({ length: 200 }, (_, i) => [String(i / 2), `m${i}`]).flat()],
  ["SADD", SB, ...Array.from({ length: 600 }, (_, i) => String(i * 3))],
  ["RPUSH", LB, ...Array.from({ length: 2000 }, (_, i) => `item${i}`)],
];

/** Reads every created key back whole, with its type and encoding. */
function readBack(keys: Record<string, string>): Cmd[] {
  const out: Cmd[] = [];
  for (const [k, kind] of Object.entries(keys)) {
    out.push(["TYPE", k], ["OBJECT", "ENCODING", k], ["EXISTS", k]);
    if (kind === "hash") out.push({ args: ["HGETALL", k], norm: sortedPairs });
    if (kind === "hash" && k !== HB) out.push(["HGETALL", k]); // a listpack keeps its order
    if (kind === "zset") out.push(["ZRANGE", k, "0", "-1", "WITHSCORES"], ["ZSCORE", k, "c"]);
    if (kind === "list") out.push(["LRANGE", k, "0", "-1"]);
    if (kind === "set") out.push({ args: ["SMEMBERS", k], norm: sorted }, ["SCARD", k]);
    if (kind === "intset") out.push(["SMEMBERS", k]); // an intset answers in numeric order
  }
  return out;
}

const ALL: Record<string, string> = {
  [H]: "hash",
  [Z]: "zset",
  [L]: "list",
  [S]: "intset",
  [T]: "set",
  [HB]: "hash",
  [ZB]: "zset",
  [SB]: "set",
  [LB]: "list",
};

const GROUPS: Record<string, Cmd[]> = {
  "TYPE, EXISTS, RANDOMKEY, KEYS of small and large collections": [
    ...CREATE,
    ...readBack(ALL),
    { args: ["KEYS", "blob:*"], norm: sorted },
    ["EXISTS", H, Z, L, S, T, X],
    ["DBSIZE"],
    ["SELECT", "5"],
    ["HSET", H, "only", "key"],
    ["RANDOMKEY"],
    ["DEL", H],
    ["ZADD", Z, "1", "only"],
    ["RANDOMKEY"],
    ["FLUSHDB"],
    ["SADD", S, "7"],
    ["RANDOMKEY"],
    ["SELECT", "0"],
  ],
  "EXPIRE, TTL, PERSIST keep the value": [
    ...CREATE,
    ["EXPIRE", H, "100"],
    ["PEXPIRE", Z, "100000"],
    ["EXPIREAT", L, "4102444800"],
    ["PEXPIREAT", S, "4102444800123"],
    ["EXPIRE", T, "100", "NX"],
    ["TTL", H],
    ["EXPIRETIME", L],
    ["PEXPIRETIME", S],
    ["PERSIST", H],
    ["PERSIST", H],
    ["TTL", H],
    ["PERSIST", S],
    ["TTL", S],
    ["EXPIRE", Z, "0"],
    ["EXISTS", Z],
    ["PEXPIRE", L, "-1"],
    ["EXISTS", L],
    ...readBack({ [H]: "hash", [S]: "intset", [T]: "set" }),
  ],
  "SWAPDB and MOVE carry every encoding": [
    ...CREATE,
    ["SWAPDB", "0", "1"],
    ["DBSIZE"],
    ["SELECT", "1"],
    ...readBack(ALL),
    ["SWAPDB", "1", "0"],
    ["SELECT", "0"],
    ["MOVE", H, "2"],
    ["MOVE", Z, "2"],
    ["MOVE", S, "2"],
    ["MOVE", T, "2"],
    ["MOVE", L, "2"],
    ["MOVE", HB, "2"],
    ["EXISTS", H, Z, S, T, L, HB],
    ["SELECT", "2"],
    ...readBack({ [H]: "hash", [Z]: "zset", [S]: "intset", [T]: "set", [L]: "list", [HB]: "hash" }),
    // a moved key is its own: writing it leaves nothing behind in the first database
    ["HSET", H, "f5", "v5"],
    ["SADD", S, "2"],
    ["MOVE", H, "0"],
    ["SELECT", "0"],
    ["HGETALL", H],
  ],
  "COPY within and across shards and databases": [
    ...CREATE,
    ["COPY", H, X],
    ["COPY", Z, Y, "DB", "3"],
    ["COPY", S, W],
    ["COPY", T, X],
    ["COPY", T, X, "REPLACE"],
    ["COPY", L, Y],
    ["COPY", HB, W, "REPLACE"],
    ...readBack({ [X]: "set", [Y]: "list", [W]: "hash" }),
    // the copies are independent of their sources
    ["SADD", X, "zz"],
    ["LPUSH", Y, "front"],
    ["HDEL", W, "f0"],
    ["HLEN", HB],
    ["SCARD", T],
    ["LLEN", L],
    ["SELECT", "3"],
    ...readBack({ [Y]: "zset" }),
    ["ZADD", Y, "9", "z"],
    ["SELECT", "0"],
    ["ZCARD", Z],
    ...readBack({ [H]: "hash", [Z]: "zset", [S]: "intset" }),
  ],
  "RENAME across shards, DEL and UNLINK": [
    ...CREATE,
    ["RENAME", H, X],
    ["RENAME", Z, Y],
    ["RENAMENX", S, W],
    ["RENAMENX", T, W],
    ...readBack({ [X]: "hash", [Y]: "zset", [W]: "intset" }),
    ["EXISTS", H, Z, S, T],
    ["RENAME", X, H],
    ["RENAME", HB, X],
    ["RENAME", L, Y],
    ...readBack({ [H]: "hash", [X]: "hash", [Y]: "list" }),
    ["DEL", H, X, Y, W],
    ["UNLINK", T, ZB, SB, LB, "nokey"],
    ["DBSIZE"],
    ...CREATE,
    ["FLUSHDB"],
    ["DBSIZE"],
    ...CREATE,
    ["FLUSHALL"],
    ["DBSIZE"],
    ...CREATE,
    ["FLUSHALL", "ASYNC"],
    ["DBSIZE"],
  ],
  "store commands across shards: SMOVE, LMOVE, set and sorted-set algebra, SORT STORE": [
    ...CREATE,
    ["SMOVE", S, X, "5"],
    ["SMOVE", S, X, "-7"],
    ["SMOVE", T, S, "a"],
    ...readBack({ [S]: "set", [X]: "intset", [T]: "set" }),
    ["LMOVE", L, Y, "LEFT", "RIGHT"],
    ["LMOVE", L, Y, "RIGHT", "LEFT"],
    ["RPOPLPUSH", L, W],
    ...readBack({ [L]: "list", [Y]: "list", [W]: "list" }),
    ["DEL", X, Y, W],
    ["SUNIONSTORE", X, S, T],
    ["SINTERSTORE", Y, S, SB],
    ["SDIFFSTORE", W, SB, S],
    ["SMISMEMBER", W, "0", "3", "5"],
    ...readBack({ [X]: "set", [Y]: "set" }),
    ["SCARD", W],
    ["OBJECT", "ENCODING", W],
    ["DEL", X, Y, W],
    ["ZUNIONSTORE", X, "2", Z, ZB],
    ["ZINTERSTORE", Y, "2", Z, T],
    ["ZUNIONSTORE", W, "2", Z, S, "WEIGHTS", "2", "3"],
    ["ZRANGESTORE", Y, Z, "0", "2"],
    ...readBack({ [Y]: "zset", [W]: "zset" }),
    ["ZCARD", X],
    ["OBJECT", "ENCODING", X],
    ["DEL", X, Y, W],
    ["SORT", S, "STORE", X],
    ["SORT", T, "ALPHA", "STORE", Y],
    ["SORT", L, "BY", "nosort", "STORE", W],
    ...readBack({ [X]: "list", [Y]: "list", [W]: "list" }),
    ["SORT", LB, "BY", "nosort", "LIMIT", "0", "5", "STORE", X],
    ["LRANGE", X, "0", "-1"],
  ],
  "MULTI/EXEC over small collections on every shard": [
    ...CREATE,
    ["MULTI"],
    ["HSET", H, "f9", "v9"],
    ["ZADD", Z, "3", "g"],
    ["RPUSH", L, "tail"],
    ["SADD", S, "8"],
    ["RENAME", H, X],
    ["SMOVE", T, S, "b"],
    ["COPY", Z, Y],
    ["LMOVE", L, W, "LEFT", "LEFT"],
    ["HGETALL", X],
    ["ZRANGE", Y, "0", "-1", "WITHSCORES"],
    ["EXEC"],
    ...readBack({ [X]: "hash", [Y]: "zset", [W]: "list", [S]: "set", [L]: "list" }),
    ["MULTI"],
    ["DEL", X, Y, W],
    ["SUNIONSTORE", X, S, T],
    ["ZUNIONSTORE", Y, "1", Z],
    ["EXEC"],
    ...readBack({ [X]: "set", [Y]: "zset" }),
  ],
};

/** Collects every key a full SCAN returns (with the given extra arguments). */
async function scanAll(port: number, extra: string[]): Promise<string[]> {
  return await withConn(port, async (c) => {
    const keys: string[] = [];
    let cursor = "0";
    for (let guard = 0; guard < 100_000; guard++) {
      const r = await c.call("SCAN", cursor, ...extra) as Reply[];
      cursor = str(r[0]);
      for (const k of r[1] as Reply[]) keys.push(str(k));
      if (cursor === "0") return keys.sort();
    }
    throw new Error("SCAN never returned cursor 0");
  });
}

/** SCAN ... TYPE finds each family's keys, small and large, as Redis does. */
async function scanTypes(targets: Target[]): Promise<void> {
  const variants = [
    ["TYPE", "hash"],
    ["TYPE", "zset"],
    ["TYPE", "list"],
    ["TYPE", "set"],
    [
      "TYPE",
      "string",
    ],
    ["TYPE", "set", "COUNT", "1"],
    ["MATCH", "blob:*", "TYPE", "HASH"],
  ];
  const want: string[][] = [];
  for (const [i, t] of targets.entries()) {
    await withConn(t.port, async (c) => {
      await c.send("FLUSHALL");
      await c.pipeline(CREATE.map((cmd) => cmd as string[]));
      await c.send("SET", "str", "v");
    });
    for (const [v, extra] of variants.entries()) {
      const got = await scanAll(t.port, extra);
      if (i === 0) want.push(got);
      else assert.deepEqual(got, want[v], `${t.name}: SCAN 0 ${extra.join(" ")}`);
    }
  }
  assert.deepEqual(want[0], [H, HB].sort());
}

Deno.test("differential: small and large collections under keyspace and cross-shard commands", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, cmds));
    }
    await t.step("SCAN TYPE", () => scanTypes(targets));
  });
});

/**
 * MEMORY USAGE of a small collection counts its blocks: it grows with the bytes of its
 * elements, a handful of bytes per element (not a JS object's hundreds), and a key shipped to
 * another shard and back costs what it cost before.
 */
Deno.test("MEMORY USAGE of small collections counts their encoded bytes", async () => {
  for (const shards of [1, 3]) {
    await withServers([() => startUnderTest({ shards })], async ([s]) => {
      await withConn(s.port, async (c) => {
        const usage = async (k: string) => Number(await c.call("MEMORY", "USAGE", k));
        await c.pipeline(CREATE.map((cmd) => cmd as string[]));
        const small = [H, Z, L, S, T];
        const before = new Map<string, number>();
        for (const k of small) {
          const n = await usage(k);
          before.set(k, n);
          // a record (~32-64 B) + a listpack of < 150 bytes, in their size classes
          assert.ok(n > 30 && n < 400, `${shards} shards: MEMORY USAGE ${k} = ${n}`);
        }
        // 100 fields of 8 + 16 bytes: a listpack of ~2.7 KB, counted to its size class
        const fields = Array.from(
          { length: 100 },
          (_, i) => [`fld${1000 + i}_`, `value-${"v".repeat(9)}${i}`.slice(0, 16)],
        );
        await c.call("HSET", X, ...fields.flat());
        const hx = await usage(X);
        assert.ok(
          hx > 100 * 27 && hx < 100 * 27 * 1.4 + 200,
          `${shards} shards: 100 fields: ${hx}`,
        );
        // cross-shard there and back: the same bytes, the same cost
        for (const k of small) {
          await c.call("RENAME", k, W);
          await c.call("RENAME", W, k);
          assert.equal(await usage(k), before.get(k), `${shards} shards: ${k} after two RENAMEs`);
        }
      });
    });
  }
});

/** INFO memory's field `name` as a number. */
async function infoField(c: RespConn, name: string): Promise<number> {
  const text = toLatin1(await c.call("INFO", "memory") as Uint8Array);
  const m = new RegExp(`^${name}:(\\d+)`, "m").exec(text);
  assert.ok(m !== null, `INFO has ${name}`);
  return Number(m[1]);
}

/**
 * Defragmentation on a live server (MEMORY PURGE runs a whole cycle): small collections of
 * every family are created, most deleted so their pages are sparse, the rest moved into fuller
 * pages (records and blobs) — every remaining key reads back exactly, and the arena shrinks.
 */
Deno.test("MEMORY PURGE defragments small collections and keeps them intact", async () => {
  const n = 6000;
  await withServers([() => startUnderTest({ shards: 2 })], async ([s]) => {
    await withConn(s.port, async (c) => {
      const make = (i: number): string[] => {
        const k = `frag:${i}`;
        switch (i % 4) {
          case 0:
            return ["HSET", k, "a", String(i), "b", "x".repeat(i % 40)];
          case 1:
            return ["ZADD", k, String(i / 7), "m", "1e18", `n${i}`];
          case 2:
            return ["SADD", k, String(i), String(-i), "7"];
          default:
            return ["RPUSH", k, `e${i}`, String(i), "y".repeat(i % 30)];
        }
      };
      const read = (i: number): string[] => {
        const k = `frag:${i}`;
        return [["HGETALL", k], ["ZRANGE", k, "0", "-1", "WITHSCORES"], ["SMEMBERS", k], [
          "LRANGE",
          k,
          "0",
          "-1",
        ]][i % 4];
      };
      await c.pipeline(Array.from({ length: n }, (_, i) => make(i)));
      const kept = Array.from({ length: n }, (_, i) => i).filter((i) => i % 10 === 3);
      const want = await c.pipeline(kept.map(read));
      await c.pipeline(
        Array.from({ length: n }, (_, i) => i).filter((i) => i % 10 !== 3).map((
          i,
        ) => ["DEL", `frag:${i}`]),
      );
      const before = await infoField(c, "allocator_active");
      assert.equal(toLatin1(await c.send("MEMORY", "PURGE")), "+OK\r\n");
      const after = await infoField(c, "allocator_active");
      assert.ok(after < before, `the arena shrank: ${before} -> ${after}`);
      const got = await c.pipeline(kept.map(read));
      for (let j = 0; j < kept.length; j++) {
        assert.equal(toLatin1(got[j]), toLatin1(want[j]), `frag:${kept[j]} after the purge`);
      }
      assert.equal(await c.call("DBSIZE"), kept.length);
    });
  });
});

/**
 * maxmemory with small collections (as a contract on redis-server and Skua with 1 and 3
 * shards): writing far more small hashes, sorted sets, sets and lists than fit keeps
 * used_memory at the limit by evicting whole keys, and every key left reads back whole.
 */
Deno.test("eviction: small collections are evicted whole and counted by their bytes", async () => {
  await withTargets(async (servers) => {
    await onAll(servers, async (c, s) => {
      await c.send("FLUSHALL");
      await c.send("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
      const base = await infoField(c, "used_memory");
      const limit = base + 2 * 1024 * 1024;
      await c.send("CONFIG", "SET", "maxmemory", String(limit));
      const n = 40_000;
      const make = (i: number): string[] => {
        const k = `ev:${i}`;
        switch (i % 4) {
          case 0:
            return ["HSET", k, "field-a", `value-${i}`, "field-b", String(i)];
          case 1:
            return ["ZADD", k, "1", `member-${i}`, "2.5", "other"];
          case 2:
            return ["SADD", k, String(i), "12", "-3"];
          default:
            return ["RPUSH", k, `item-${i}`, "second"];
        }
      };
      for (let i = 0; i < n; i += 500) {
        const replies = await c.pipeline(
          Array.from({ length: Math.min(500, n - i) }, (_, j) => make(i + j)),
        );
        for (const r of replies) assert.ok(r[0] === 0x3a, `${s.name}: ${toLatin1(r)}`);
      }
      const used = await infoField(c, "used_memory");
      assert.ok(used <= limit + 64 * 1024, `${s.name}: used_memory ${used} over ${limit}`);
      const dbsize = Number(await c.call("DBSIZE"));
      assert.ok(dbsize > 1000 && dbsize < n, `${s.name}: ${dbsize} keys left of ${n}`);
      // the survivors are whole
      let checked = 0;
      for (let i = n - 1; i >= 0 && checked < 200; i--) {
        const k = `ev:${i}`;
        if (Number(await c.call("EXISTS", k)) === 0) continue;
        checked++;
        const what = `${s.name}: ${k}`;
        if (i % 4 === 0) assert.equal(Number(await c.call("HLEN", k)), 2, what);
        if (i % 4 === 1) assert.equal(Number(await c.call("ZCARD", k)), 2, what);
        if (i % 4 === 2) assert.equal(Number(await c.call("SCARD", k)), 3, what);
        if (i % 4 === 3) assert.equal(Number(await c.call("LLEN", k)), 2, what);
      }
      assert.ok(checked > 0, s.name);
      await c.send("CONFIG", "SET", "maxmemory", "0");
    });
  });
});
