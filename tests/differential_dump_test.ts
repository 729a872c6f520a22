/**
 * DUMP and RESTORE against redis-server (RESP2, RESP3, pipelined; Skua with 1 and 3 shards):
 * - DUMP payloads compared byte for byte for every value whose RDB form is deterministic in
 *   Redis: strings (int, embstr, raw, LZF-compressed or not, rdbcompression off), lists
 *   (quicklists of one and many nodes, built at both ends, edited in the middle, other node
 *   sizes), intsets of every width, listpack hashes and sorted sets (odd scores), skiplist
 *   sorted sets (saved from the tail). Hashtable sets and hashes are saved in each server's
 *   own hash order, so they are compared through RESTORE instead;
 * - RESTORE of redis-server's payloads into Skua, and of Skua's (1 and 3 shards) into
 *   redis-server, of every type and encoding, with every value and encoding then equal, and
 *   the restored key's DUMP equal again where deterministic;
 * - RESTORE's errors (version, checksum, short payloads, Bad data format, BUSYKEY, TTL,
 *   IDLETIME, FREQ, syntax) and options (REPLACE, ABSTTL past and future, relative TTLs,
 *   IDLETIME under LRU, FREQ under LFU).
 */
import assert from "node:assert/strict";
import {
  assertSame,
  type Cmd,
  near,
  sorted,
  sortedPairs,
  type Target,
  withDiffTargets,
} from "./helpers/diff.ts";
import { type Arg, parse, toLatin1, withConn } from "./helpers/resp.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { rng } from "./helpers/rng.ts";
import { startRedis, startUnderTest, withServers } from "./helpers/server.ts";
import { crc64Bytes, crc64Of } from "../src/persist/rdb/crc64.ts";

const [A, B, C, D] = spreadKeys("dump:", 4);
const FUTURE_MS = "4102444800123";

const r = rng(11);
/** Bytes that do not compress (seeded). */
const NOISE = String.fromCharCode(...Array.from({ length: 300 }, () => Math.floor(r() * 256)));
const BIN = "b\x00in\r\n\xff";
const range = (n: number, f: (i: number) => string[]) =>
  Array.from({ length: n }, (_, i) => f(i)).flat();

/** Builders of one value each (at key k), whose DUMP is deterministic in Redis. */
const DETERMINISTIC: Record<string, (k: string) => Cmd[]> = {
  "string ints": (k) => [["SET", k, "-2147483648"]],
  "string int8": (k) => [["SET", k, "-128"]],
  "string int64": (k) => [["SET", k, "9223372036854775807"]],
  "string leading zero": (k) => [["SET", k, "007"]],
  "string -0": (k) => [["SET", k, "-0"]],
  "string empty": (k) => [["SET", k, ""]],
  "string embstr binary": (k) => [["SET", k, BIN]],
  "string 20 bytes": (k) => [["SET", k, "a".repeat(20)]],
  "string 21 bytes": (k) => [["SET", k, "a".repeat(21)]],
  "string compressible": (k) => [["SET", k, "abcdefghij".repeat(50) + "xyz"]],
  "string incompressible": (k) => [["SET", k, NOISE]],
  "string big": (k) => [["SET", k, "0123456789abcdef".repeat(8192)]],
  "string appended": (k) => [["SET", k, "12"], ["APPEND", k, "34"]],
  "string incr": (k) => [["SET", k, "41"], ["INCR", k]],
  "string setrange": (k) => [["SETRANGE", k, 30, "hello hello hello hello"]],
  "list small": (k) => [["RPUSH", k, "a", "1", "-1", "300", "70000", "5000000000", BIN, ""]],
  "list ints of every width": (k) => [
    ["RPUSH", k, "0", "127", "128", "-4096", "4095", "-32768", "32767", "-8388608", "8388607"],
    ["RPUSH", k, "-2147483648", "2147483647", "-9223372036854775808", "9223372036854775807"],
  ],
  "list many nodes rpush": (k) => [["RPUSH", k, ...range(2000, (i) => [`element-${i}`])]],
  "list many nodes lpush": (k) => [["LPUSH", k, ...range(2000, (i) => [String(i * 7)])]],
  "list both ends": (k) => [
    ["RPUSH", k, ...range(500, (i) => [`r${i}`])],
    ["LPUSH", k, ...range(500, (i) => [`l${i}`])],
  ],
  "list edited": (k) => [
    ["RPUSH", k, ...range(1500, (i) => [`v${i % 97}`])],
    ["LINSERT", k, "BEFORE", "v50", "inserted".repeat(10)],
    ["LREM", k, 3, "v7"],
    ["LSET", k, 700, "set-in-place"],
    ["LTRIM", k, 5, -5],
  ],
  "list big elements": (k) => [["RPUSH", k, "x".repeat(10000), "y", "z".repeat(9000)]],
  "set intset16": (k) => [["SADD", k, "3", "1", "-2", "32767"]],
  "set intset32": (k) => [["SADD", k, "1", "70000", "-70000"]],
  "set intset64": (k) => [["SADD", k, "1", "5000000000"], ["SREM", k, "5000000000"]],
  "set intset big": (k) => [["SADD", k, ...range(400, (i) => [String(i * 13 - 2000)])]],
  "hash listpack": (k) => [["HSET", k, "f", "v", "n", "12", "neg", "-5", BIN, BIN, "e", ""]],
  "hash listpack edited": (k) => [
    ["HSET", k, ...range(40, (i) => [`f${i}`, `value-${i}`])],
    ["HDEL", k, "f3", "f17"],
    ["HSET", k, "f5", "x".repeat(60)],
    ["HINCRBY", k, "counter", 7],
  ],
  "zset listpack odd scores": (k) => [
    ["ZADD", k, "-0", "negzero", "0", "zero", "inf", "pinf", "-inf", "ninf", "1e300", "big"],
    ["ZADD", k, "0.1", "tenth", "9007199254740993", "p53", "4611686018427387904", "p62"],
    ["ZADD", k, "1.5", BIN, "100000", "int", "-3", "neg"],
  ],
  "zset listpack incr": (k) => [["ZADD", k, 1, "a", 2, "b"], ["ZINCRBY", k, 2.5, "a"]],
  "zset skiplist": (k) => [
    ["ZADD", k, ...range(300, (i) => [String((i % 37) * 1.25), `member:${i}`])],
    ["ZREM", k, "member:5", "member:77"],
  ],
  "zset skiplist by value size": (k) => [["ZADD", k, 1, "a", 2, "b".repeat(65), "-inf", "c"]],
};

/** Builders of values whose DUMP follows each server's own hash order. */
const HASH_ORDERED: Record<string, (k: string) => Cmd[]> = {
  "set hashtable small": (k) => [["SADD", k, "a", "b", "1", BIN]],
  "set hashtable big": (k) => [["SADD", k, ...range(300, (i) => [`m${i}`])]],
  "set hashtable from intset": (k) => [["SADD", k, ...range(600, (i) => [String(i)])]],
  "hash hashtable by count": (k) => [["HSET", k, ...range(600, (i) => [`f${i}`, `v${i}`])]],
  "hash hashtable by value": (k) => [["HSET", k, "f", "x".repeat(65), "g", "1"]],
};

/** Reads that show a value whole (order-free for hashtables) and its encoding. */
function readBack(k: string): Cmd[] {
  return [
    ["TYPE", k],
    ["OBJECT", "ENCODING", k],
    ["GET", k],
    ["LRANGE", k, 0, -1],
    { args: ["SMEMBERS", k], norm: sorted },
    { args: ["HGETALL", k], norm: sortedPairs },
    ["ZRANGE", k, 0, -1, "WITHSCORES"],
    ["TTL", k],
  ];
}

function bulkOf(raw: Uint8Array): Uint8Array {
  const v = parse(raw);
  if (!(v instanceof Uint8Array)) throw new Error(`not a bulk: ${toLatin1(raw)}`);
  return v;
}

/** The DUMP payload of the value `build` makes, on target t (a fresh database). */
async function dumpOn(
  t: Target,
  build: (k: string) => Cmd[],
  config: Arg[][] = [],
): Promise<Uint8Array> {
  return await withConn(t.port, async (c) => {
    await c.send("FLUSHALL");
    for (const cfg of config) await c.send(...cfg);
    for (const cmd of build(A)) await c.send(...(Array.isArray(cmd) ? cmd : cmd.args));
    return bulkOf(await c.send("DUMP", A));
  });
}

/** A payload with its footer: the body, RDB version `version` and a right CRC. */
function withFooter(body: number[], version = 10): Uint8Array {
  const p = new Uint8Array(body.length + 10);
  p.set(body);
  p[body.length] = version & 255;
  p[body.length + 1] = version >> 8;
  p.set(crc64Bytes(crc64Of(p, 0, body.length + 2)), body.length + 2);
  return p;
}

const STRING_PAYLOAD = withFooter([0, 5, ...Array.from("hello", (c) => c.charCodeAt(0))]);

function dumpGroups(): Record<string, Cmd[]> {
  const groups: Record<string, Cmd[]> = {};
  for (const [name, build] of Object.entries(DETERMINISTIC)) {
    groups[`DUMP ${name}`] = [...build(A), ["DUMP", A], ["DUMP", B]];
  }
  groups["DUMP with rdbcompression no"] = [
    ["CONFIG", "SET", "rdbcompression", "no"],
    ["SET", A, "abcdefghij".repeat(50)],
    ["RPUSH", B, ...range(2000, (i) => [`element-${i}`])],
    ["HSET", C, ...range(30, (i) => [`field-${i}`, "same value"])],
    ["DUMP", A],
    ["DUMP", B],
    ["DUMP", C],
    ["CONFIG", "SET", "rdbcompression", "yes"],
  ];
  groups["DUMP of compressed quicklist nodes (list-compress-depth)"] = [
    ["CONFIG", "SET", "list-compress-depth", "1"],
    ["RPUSH", A, ...range(3000, (i) => [`element-${i % 50}`])],
    ["LPUSH", B, ...range(3000, (i) => [`e${i}`])],
    ["DUMP", A],
    ["CONFIG", "SET", "rdbcompression", "no"],
    ["DUMP", A],
    ["DUMP", B],
    ["CONFIG", "SET", "list-compress-depth", "2"],
    ["RPUSH", C, ...range(3000, (i) => [`element-${i % 50}`])],
    ["DUMP", C],
    ["CONFIG", "SET", "rdbcompression", "yes"],
    ["CONFIG", "SET", "list-compress-depth", "0"],
  ];
  groups["DUMP with other list node sizes"] = [
    ["CONFIG", "SET", "list-max-listpack-size", "5"],
    ["RPUSH", A, ...range(23, (i) => [`e${i}`])],
    ["LPUSH", B, ...range(23, (i) => [`e${i}`])],
    ["CONFIG", "SET", "list-max-listpack-size", "-1"],
    ["RPUSH", C, ...range(900, (i) => [`element-${i}`])],
    ["DUMP", A],
    ["DUMP", B],
    ["DUMP", C],
    ["CONFIG", "SET", "list-max-listpack-size", "-2"],
  ];
  groups["DUMP of a missing and an expired key"] = [
    ["DUMP", A],
    ["SET", A, "v"],
    ["PEXPIREAT", A, 1],
    ["DUMP", A],
  ];
  return groups;
}

/** Restores `payload` at B on every target and compares what it holds. */
function restoreGroup(payload: Uint8Array, deterministic: boolean): Cmd[] {
  return [
    ["RESTORE", B, 0, payload],
    ...readBack(B),
    ...(deterministic ? [["DUMP", B] as Cmd] : []),
    ["RESTORE", B, 0, payload],
    ["RESTORE", B, 0, payload, "REPLACE"],
    ["OBJECT", "ENCODING", B],
  ];
}

const ERRORS: Cmd[] = [
  ["SET", A, "exists"],
  ["RESTORE", B, 0, "garbage"],
  ["RESTORE", B, 0, ""],
  ["RESTORE", B, 0, "0123456789"],
  ["RESTORE", B, 0, withFooter([0, 1, 97], 11)],
  ["RESTORE", B, 0, withFooter([0, 1, 97], 9)],
  ["GET", B],
  ["RESTORE", C, 0, withFooter([0x63])],
  ["RESTORE", C, 0, withFooter([8, 0])],
  ["RESTORE", C, 0, withFooter([0, 0x80, 0, 0x10, 0, 0])],
  ["RESTORE", C, 0, withFooter([0, 3, 97])], // reads into the footer, as Redis does
  ["GET", C],
  ["DEL", C],
  ["RESTORE", C, 0, withFooter([2, 0])], // an empty set
  ["RESTORE", C, 0, withFooter([2, 2, 0xc0, 1, 0xc0, 1])], // duplicate members
  ["RESTORE", C, 0, withFooter([0, 0xc3, 2, 10, 0x20, 0x05])], // corrupt LZF
  ["RESTORE", C, 0, withFooter([11, 8, 3, 0, 0, 0, 1, 0, 0, 0])], // bad intset encoding
  ["RESTORE", C, 0, withFooter([20, 5, 9, 0, 0, 0, 1, 0, 0x81, 1, 0xff])], // 7.2's SET_LISTPACK
  ["EXISTS", C],
  ["RESTORE", A, 0, STRING_PAYLOAD],
  ["RESTORE", A, -1, STRING_PAYLOAD],
  ["RESTORE", A, "x", STRING_PAYLOAD],
  ["RESTORE", D, -1, STRING_PAYLOAD],
  ["RESTORE", D, "x", STRING_PAYLOAD],
  ["RESTORE", D, "1.5", STRING_PAYLOAD],
  ["RESTORE", D, 0, STRING_PAYLOAD, "IDLETIME", -1],
  ["RESTORE", D, 0, STRING_PAYLOAD, "IDLETIME", "x"],
  ["RESTORE", D, 0, STRING_PAYLOAD, "IDLETIME"],
  ["RESTORE", D, 0, STRING_PAYLOAD, "FREQ", 256],
  ["RESTORE", D, 0, STRING_PAYLOAD, "FREQ", -1],
  ["RESTORE", D, 0, STRING_PAYLOAD, "FREQ", "x"],
  ["RESTORE", D, 0, STRING_PAYLOAD, "IDLETIME", 1, "FREQ", 1],
  ["RESTORE", D, 0, STRING_PAYLOAD, "FREQ", 1, "IDLETIME", 1],
  ["RESTORE", D, 0, STRING_PAYLOAD, "NOPE"],
  ["RESTORE", A, 0, STRING_PAYLOAD, "NOPE"],
  ["RESTORE", D, 0, "bad", "NOPE"],
  ["RESTORE", D, 0],
  ["DUMP"],
  ["DUMP", A, B],
  ["EXISTS", D],
];

/** A hand-built ziplist (the list encoding of RDB before Redis 7): strings and 0..12. */
function ziplist(entries: (string | number)[]): number[] {
  const body: number[] = [];
  let prev = 0, tail = 10;
  for (const e of entries) {
    const start = 10 + body.length;
    const entry = typeof e === "number"
      ? [prev, 0xf1 + e]
      : [prev, e.length, ...Array.from(e, (c) => c.charCodeAt(0))];
    body.push(...entry);
    prev = entry.length;
    tail = start;
  }
  const total = 10 + body.length + 1;
  const le = (v: number, n: number) => Array.from({ length: n }, (_, i) => (v >> (8 * i)) & 255);
  return [...le(total, 4), ...le(tail, 4), ...le(entries.length, 2), ...body, 0xff];
}

/** A hand-built zipmap (hashes of Redis 2.4). */
function zipmap(pairs: [string, string][]): number[] {
  const b: number[] = [pairs.length];
  const bytes = (t: string) => Array.from(t, (c) => c.charCodeAt(0));
  for (const [k, v] of pairs) b.push(k.length, ...bytes(k), v.length, 0, ...bytes(v));
  b.push(0xff);
  return b;
}

/** An RDB string of raw bytes (length-prefixed, under 64 bytes). */
const rawStr = (b: number[]) => [b.length, ...b];
const txt = (t: string) => rawStr(Array.from(t, (c) => c.charCodeAt(0)));

/** Payloads of the encodings older servers wrote (RDB version 9), which Redis 7.0 converts. */
const OLD_ENCODINGS: [string, number[]][] = [
  ["LIST", [1, 3, ...txt("a"), ...txt("12"), ...txt("c")]],
  ["LIST_ZIPLIST", [10, ...rawStr(ziplist(["a", 3, "bb"]))]],
  ["QUICKLIST", [14, 2, ...rawStr(ziplist(["a", 1])), ...rawStr(ziplist(["z", "y"]))]],
  ["SET", [2, 3, ...txt("b"), ...txt("a"), ...txt("7")]],
  ["SET of integers", [2, 3, ...txt("9"), ...txt("-1"), ...txt("70000")]],
  ["HASH", [4, 2, ...txt("f"), ...txt("v"), ...txt("g"), ...txt("12")]],
  ["HASH_ZIPMAP", [9, ...rawStr(zipmap([["f", "v"], ["n", "1"]]))]],
  ["HASH_ZIPLIST", [13, ...rawStr(ziplist(["f", "v", "n", 5]))]],
  ["ZSET", [3, 3, ...txt("b"), 3, ...txt("2.5").slice(1), ...txt("a"), 254, ...txt("c"), 255]],
  ["ZSET_ZIPLIST", [12, ...rawStr(ziplist(["a", 1, "b", "2.5"]))]],
];

const OLD: Cmd[] = OLD_ENCODINGS.flatMap(([name, body]) => {
  const p = withFooter(body, 9);
  // a hashtable set's DUMP is in each server's own hash order
  const dump: Cmd[] = name === "SET" ? [] : [["DUMP", A]];
  return [["RESTORE", A, 0, p, "REPLACE"], ...readBack(A), ...dump] as Cmd[];
});

const OPTIONS: Cmd[] = [
  ["RESTORE", A, 0, STRING_PAYLOAD],
  ["GET", A],
  ["TTL", A],
  ["RESTORE", B, 100000, STRING_PAYLOAD],
  { args: ["PTTL", B], norm: near(100000, 1000) },
  ["RESTORE", C, FUTURE_MS, STRING_PAYLOAD, "ABSTTL"],
  ["PEXPIRETIME", C],
  ["RESTORE", C, 1000, STRING_PAYLOAD, "ABSTTL", "REPLACE"],
  ["EXISTS", C],
  ["RESTORE", D, 1000, STRING_PAYLOAD, "ABSTTL"],
  ["EXISTS", D],
  ["RESTORE", D, "9223372036854775807", STRING_PAYLOAD],
  ["EXISTS", D],
  ["RPUSH", D, "a list"],
  ["RESTORE", D, 0, STRING_PAYLOAD, "replace", "absttl"],
  ["TYPE", D],
  ["RESTORE", A, 0, STRING_PAYLOAD, "REPLACE", "IDLETIME", 1000],
  { args: ["OBJECT", "IDLETIME", A], norm: near(1000, 2) },
  ["RESTORE", A, 0, STRING_PAYLOAD, "REPLACE", "FREQ", 100],
  { args: ["OBJECT", "IDLETIME", A], norm: near(0, 2) },
  ["OBJECT", "FREQ", A],
  ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
  ["RESTORE", A, 0, STRING_PAYLOAD, "REPLACE", "FREQ", 100],
  ["OBJECT", "FREQ", A],
  ["RESTORE", A, 0, STRING_PAYLOAD, "REPLACE", "IDLETIME", 1000],
  ["OBJECT", "FREQ", A],
  ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
];

Deno.test("differential: DUMP and RESTORE match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(dumpGroups())) {
      await t.step(name, () => assertSame(targets, cmds));
    }
    await t.step("RESTORE errors", () => assertSame(targets, ERRORS));
    await t.step("RESTORE options", () => assertSame(targets, OPTIONS));
    await t.step("RESTORE of older encodings (RDB 9)", () => assertSame(targets, OLD));
    await t.step("DUMP and RESTORE in MULTI across shards", () =>
      assertSame(targets, [
        ["RPUSH", C, "x", "y"],
        ["MULTI"],
        ["RESTORE", A, 0, STRING_PAYLOAD],
        ["RESTORE", B, 0, STRING_PAYLOAD, "REPLACE"],
        ["DUMP", C],
        ["RESTORE", C, 0, STRING_PAYLOAD],
        ["DUMP", A],
        ["EXEC"],
        ["MGET", A, B, C],
      ]));

    const all = { ...DETERMINISTIC, ...HASH_ORDERED };
    for (const [name, build] of Object.entries(all)) {
      const det = name in DETERMINISTIC;
      await t.step(`redis payload restored: ${name}`, async () => {
        await assertSame(targets, restoreGroup(await dumpOn(targets[0], build), det));
      });
      for (const from of targets.slice(1)) {
        await t.step(`${from.name} payload restored: ${name}`, async () => {
          const p = await dumpOn(from, build);
          if (det) assert.deepEqual(p, await dumpOn(targets[0], build), "payload differs");
          await assertSame(targets, restoreGroup(p, det));
        });
      }
    }

    await t.step("payloads under other thresholds restore to Redis's encodings", async () => {
      const hash = await dumpOn(targets[0], HASH_ORDERED["hash hashtable by count"]);
      const zset = await dumpOn(targets[0], DETERMINISTIC["zset skiplist"]);
      const set = await dumpOn(targets[0], DETERMINISTIC["set intset big"]);
      const small = await dumpOn(targets[0], DETERMINISTIC["hash listpack edited"]);
      await assertSame(targets, [
        ["CONFIG", "SET", "hash-max-listpack-entries", "1000"],
        ["CONFIG", "SET", "zset-max-listpack-entries", "1000"],
        ["CONFIG", "SET", "set-max-intset-entries", "10"],
        ["CONFIG", "SET", "hash-max-listpack-value", "10"],
        ["RESTORE", A, 0, hash],
        ["OBJECT", "ENCODING", A],
        ["RESTORE", B, 0, zset],
        ["OBJECT", "ENCODING", B],
        ["ZRANGE", B, 0, -1, "WITHSCORES"],
        ["DUMP", B],
        ["RESTORE", C, 0, set],
        ["OBJECT", "ENCODING", C],
        { args: ["SMEMBERS", C], norm: sorted },
        ["RESTORE", D, 0, small],
        ["OBJECT", "ENCODING", D],
        ["DUMP", D],
        ["CONFIG", "SET", "hash-max-listpack-entries", "128"],
        ["RESTORE", D, 0, small, "REPLACE"],
        ["OBJECT", "ENCODING", D],
        ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
        ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
        ["CONFIG", "SET", "set-max-intset-entries", "512"],
        ["CONFIG", "SET", "hash-max-listpack-value", "64"],
      ]);
    });
  });
});

/** DEBUG OBJECT's line without what differs between any two servers (address, clock). */
const objectLine = (raw: Uint8Array) =>
  toLatin1(raw)
    .replace(/Value at:0x[0-9a-f]+/, "Value at:<addr>")
    .replace(/ lru:\d+ lru_seconds_idle:\d+/, " lru:<clock> lru_seconds_idle:<secs>");

Deno.test("differential: DEBUG OBJECT measures values with the RDB codec", async () => {
  const debug = ["--enable-debug-command", "yes"];
  await withServers(
    [
      () => startRedis(debug),
      () => startUnderTest({ shards: 1, args: debug }),
      () => startUnderTest({ shards: 3, args: debug }),
    ],
    async (s) => {
      const targets = [
        { name: "redis", port: s[0].port },
        { name: "skua1", port: s[1].port },
        { name: "skua3", port: s[2].port },
      ];
      const builders = { ...DETERMINISTIC, ...HASH_ORDERED };
      const cmds: Cmd[] = [];
      for (const build of Object.values(builders)) {
        cmds.push(...build(A), { args: ["DEBUG", "OBJECT", A], norm: objectLine }, ["DEL", A]);
      }
      cmds.push(["CONFIG", "SET", "rdbcompression", "no"]);
      for (const name of ["list edited", "string compressible", "zset skiplist"]) {
        cmds.push(...DETERMINISTIC[name](A), { args: ["DEBUG", "OBJECT", A], norm: objectLine });
        cmds.push(["DEL", A]);
      }
      cmds.push(["CONFIG", "SET", "rdbcompression", "yes"]);
      await assertSame(targets, cmds);
    },
  );
});
