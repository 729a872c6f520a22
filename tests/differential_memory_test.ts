/**
 * OBJECT FREQ / IDLETIME / ENCODING under the maxmemory policies, the MEMORY command family and
 * proto-max-bulk-len, compared with redis-server (RESP2, RESP3, pipelined) against Skua with 1
 * and 3 shards.
 * Normalized, and only there: OBJECT IDLETIME (a clock: within a second of 0, or "at least 1"
 * after a sleep), MEMORY USAGE's byte count (each server's own accounting: it must be an integer
 * in a sane range for the key and value), MEMORY DOCTOR's text and MEMORY MALLOC-STATS's report
 * (allocator-specific: only the reply type is compared).
 * OBJECT FREQ is compared exactly: with lfu-log-factor 0 every access adds one to the counter
 * (the increment probability is 1/(0*n+1)), and lfu-decay-time 0 turns off the per-minute decay,
 * so the counters are deterministic. maxmemory is set (to 1gb) while they are read: without a
 * limit Redis shares the objects of small integers between keys, and their counter with them.
 */

import assert from "node:assert/strict";
import {
  assertSame,
  type Cmd,
  mapEntries,
  near,
  type Normalizer,
  type Target,
  withDiffTargets,
} from "./helpers/diff.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { parse, type Reply, RespConn, show, toLatin1, withConn } from "./helpers/resp.ts";

const idle0 = near(0, 1);
const [A, B, C] = spreadKeys("mem:", 3);

/** Restores the config every group may change (the servers outlive a group). */
const RESET: Cmd[] = [
  ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
  ["CONFIG", "SET", "lfu-log-factor", "10"],
  ["CONFIG", "SET", "lfu-decay-time", "1"],
  ["CONFIG", "SET", "maxmemory", "0"],
];

/** Deterministic LFU counters: a limit (no shared integers), factor 0, no decay. */
function lfu(policy: string): Cmd[] {
  return [
    ["CONFIG", "SET", "maxmemory", "1gb"],
    ["CONFIG", "SET", "maxmemory-policy", policy],
    ["CONFIG", "SET", "lfu-log-factor", "0"],
    ["CONFIG", "SET", "lfu-decay-time", "0"],
  ];
}

/** `n` copies of a command (each one an access of the key). */
function times(n: number, cmd: string[]): Cmd[] {
  return Array.from({ length: n }, () => cmd);
}

/**
 * An integer reply (MEMORY USAGE) in [lo, hi] becomes `:<in [lo, hi]>`; anything else stays as
 * it is, so a wrong type, a nil or an out-of-range count shows in the diff.
 */
function inRange(lo: number, hi: number): Normalizer {
  return (raw) => {
    const m = /^:(\d+)\r\n$/.exec(toLatin1(raw));
    return m && Number(m[1]) >= lo && Number(m[1]) <= hi ? `:<in [${lo}, ${hi}]>` : toLatin1(raw);
  };
}

/** MEMORY USAGE of a key whose key and value (or elements) take `bytes` bytes. */
function usage(key: string, bytes: number, ...opts: string[]): Cmd {
  return { args: ["MEMORY", "USAGE", key, ...opts], norm: inRange(bytes, 10 * bytes + 512) };
}

/**
 * MEMORY MALLOC-STATS: any text. Redis with jemalloc answers its report (verbatim in RESP3);
 * built without it, and Skua, a bulk "Stats not supported for the current allocator".
 */
const anyText: Normalizer = (raw) => {
  const r = parse(raw);
  const verbatim = r !== null && typeof r === "object" && "verbatim" in r;
  return r instanceof Uint8Array || verbatim ? "<text>" : toLatin1(raw);
};

/** A text reply (bulk, or verbatim in RESP3) keeps only its type: MEMORY DOCTOR. */
const textType: Normalizer = (raw) => {
  const r = parse(raw);
  if (r instanceof Uint8Array) return "$<text>";
  if (r !== null && typeof r === "object" && "verbatim" in r) {
    return `=<${toLatin1(raw).split("\r\n")[1].slice(0, 4)}text>`;
  }
  return toLatin1(raw);
};

const BIG_LIST = Array.from({ length: 300 }, (_, i) => `element-${i}`);

const GROUPS: Record<string, Cmd[]> = {
  "OBJECT FREQ counts accesses under allkeys-lfu (lfu-log-factor 0)": [
    ...lfu("allkeys-lfu"),
    ["SET", A, "hello"],
    // a new key starts at LFU_INIT_VAL
    ["OBJECT", "FREQ", A],
    // OBJECT itself is no access
    ["OBJECT", "FREQ", A],
    ["GET", A],
    ["OBJECT", "FREQ", A],
    ["GET", A],
    ["GET", A],
    ["OBJECT", "FREQ", A],
    ["MGET", A, B],
    ["OBJECT", "FREQ", A],
    ["STRLEN", A],
    ["GETRANGE", A, "0", "1"],
    ["OBJECT", "FREQ", A],
    ["EXISTS", A],
    ["TYPE", A],
    ["TTL", A],
    ["OBJECT", "FREQ", A],
    ["TOUCH", A],
    ["OBJECT", "FREQ", A],
    // an overwrite is an access of the old value, whose counter the new value keeps
    ["SET", A, "world"],
    ["OBJECT", "FREQ", A],
    ["SET", A, "again", "GET"],
    ["OBJECT", "FREQ", A],
    ["APPEND", A, "!"],
    ["OBJECT", "FREQ", A],
    ["OBJECT", "ENCODING", A],
    ["OBJECT", "FREQ", A],
    ["GETEX", A, "EX", "1000"],
    ["OBJECT", "FREQ", A],
    ["DEL", A],
    ["SET", A, "fresh"],
    ["OBJECT", "FREQ", A],
    // integers, on another shard (INCR and the like: their own group)
    ["SET", B, "100"],
    ["OBJECT", "FREQ", B],
    ["GET", B],
    ["OBJECT", "FREQ", B],
    ["SETEX", C, "1000", "v"],
    ["OBJECT", "FREQ", C],
    ["SETNX", C, "w"],
    ["OBJECT", "FREQ", C],
    // the counter saturates at 255
    ...times(260, ["GET", C]),
    ["OBJECT", "FREQ", C],
    ["GET", C],
    ["OBJECT", "FREQ", C],
    ["OBJECT", "FREQ", "mem:none"],
    ["OBJECT", "IDLETIME", A],
    ["OBJECT", "IDLETIME", "mem:none"],
    ["OBJECT", "FREQ"],
    ["OBJECT", "FREQ", A, B],
    ["GETDEL", A],
    ["OBJECT", "FREQ", A],
    ...RESET,
  ],
  "OBJECT FREQ under volatile-lfu, and after RENAME, COPY, MOVE": [
    ...lfu("volatile-lfu"),
    ["SET", "{o}a", "x"],
    ["OBJECT", "FREQ", "{o}a"],
    ["GET", "{o}a"],
    ["GET", "{o}a"],
    ["OBJECT", "FREQ", "{o}a"],
    ["RENAME", "{o}a", "{o}b"],
    ["OBJECT", "FREQ", "{o}b"],
    ["COPY", "{o}b", "{o}c"],
    ["OBJECT", "FREQ", "{o}c"],
    ["OBJECT", "FREQ", "{o}b"],
    ["MOVE", "{o}b", "1"],
    ["SELECT", "1"],
    ["OBJECT", "FREQ", "{o}b"],
    ["GET", "{o}b"],
    ["OBJECT", "FREQ", "{o}b"],
    ["SELECT", "0"],
    ["OBJECT", "IDLETIME", "{o}c"],
    ...RESET,
  ],
  "OBJECT FREQ and IDLETIME: which policy tracks which": [
    ["SET", A, "v"],
    ["OBJECT", "FREQ", A],
    ["OBJECT", "FREQ", "mem:none"],
    { args: ["OBJECT", "IDLETIME", A], norm: idle0 },
    ...[
      "allkeys-lru",
      "volatile-lru",
      "allkeys-random",
      "volatile-random",
      "volatile-ttl",
      "noeviction",
    ].flatMap((policy): Cmd[] => [
      ["CONFIG", "SET", "maxmemory-policy", policy],
      ["DEL", A],
      ["SET", A, "v"],
      ["OBJECT", "FREQ", A],
      { args: ["OBJECT", "IDLETIME", A], norm: idle0 },
      ["GET", A],
      { args: ["OBJECT", "IDLETIME", A], norm: idle0 },
    ]),
    ...["allkeys-lfu", "volatile-lfu"].flatMap((policy): Cmd[] => [
      ...lfu(policy),
      ["DEL", A],
      ["SET", A, "v"],
      ["OBJECT", "FREQ", A],
      ["OBJECT", "IDLETIME", A],
      ["OBJECT", "IDLETIME", "mem:none"],
    ]),
    ...RESET,
  ],
  "OBJECT ENCODING of strings: int, embstr (up to 44 bytes), raw": [
    ["SET", A, "1"],
    ["OBJECT", "ENCODING", A],
    ["SET", A, "12345678901234567890"],
    ["OBJECT", "ENCODING", A],
    ["SET", A, "-9223372036854775809"],
    ["OBJECT", "ENCODING", A],
    ["SET", A, "1e3"],
    ["OBJECT", "ENCODING", A],
    ["SET", A, " 1"],
    ["OBJECT", "ENCODING", A],
    ["SET", A, "x".repeat(43)],
    ["OBJECT", "ENCODING", A],
    ["SET", A, "x".repeat(44)],
    ["OBJECT", "ENCODING", A],
    ["SET", A, "x".repeat(45)],
    ["OBJECT", "ENCODING", A],
    ["SET", A, "x".repeat(46)],
    ["OBJECT", "ENCODING", A],
    ["SET", A, "\x00".repeat(44)],
    ["OBJECT", "ENCODING", A],
    ["SET", A, "\xff".repeat(45)],
    ["OBJECT", "ENCODING", A],
    ["SET", A, "9".repeat(44)],
    ["OBJECT", "ENCODING", A],
    // the other ways to write a whole value
    ["SETEX", B, "1000", "y".repeat(44)],
    ["OBJECT", "ENCODING", B],
    ["PSETEX", B, "1000000", "y".repeat(45)],
    ["OBJECT", "ENCODING", B],
    ["SETEX", B, "1000", "-42"],
    ["OBJECT", "ENCODING", B],
    ["MSET", "{e}a", "z".repeat(44), "{e}b", "z".repeat(45), "{e}c", "77"],
    ["OBJECT", "ENCODING", "{e}a"],
    ["OBJECT", "ENCODING", "{e}b"],
    ["OBJECT", "ENCODING", "{e}c"],
    ["MSETNX", "{e}d", "w".repeat(45), "{e}e", "123"],
    ["OBJECT", "ENCODING", "{e}d"],
    ["OBJECT", "ENCODING", "{e}e"],
    ["SETNX", C, "q".repeat(44)],
    ["OBJECT", "ENCODING", C],
    ["GETSET", C, "q".repeat(45)],
    ["OBJECT", "ENCODING", C],
    ["SET", C, "31337", "GET"],
    ["OBJECT", "ENCODING", C],
    ["SET", C, "r".repeat(44), "KEEPTTL"],
    ["OBJECT", "ENCODING", C],
    // a key name's length does not matter, only the value's
    ["SET", "k".repeat(45), "short"],
    ["OBJECT", "ENCODING", "k".repeat(45)],
    ["INCRBY", "{e}n", "9223372036854775807"],
    ["OBJECT", "ENCODING", "{e}n"],
    ["DECRBY", "{e}n", "9223372036854775807"],
    ["OBJECT", "ENCODING", "{e}n"],
    ["SET", "{e}s", "a".repeat(40)],
    ["APPEND", "{e}s", "bbbb"],
    ["OBJECT", "ENCODING", "{e}s"],
    ["OBJECT", "ENCODING", "mem:none"],
    ["OBJECT", "ENCODING"],
  ],
  "MEMORY USAGE: reply types, options and errors": [
    ["MEMORY", "USAGE", "mem:none"],
    ["SET", A, "hello"],
    usage(A, A.length + 5),
    ["SET", B, "12345"],
    usage(B, B.length + 5),
    ["SET", C, "v".repeat(10_000), "EX", "1000"],
    usage(C, C.length + 10_000),
    ["SET", "{u}bin", "\x00\xff".repeat(500)],
    usage("{u}bin", 1006),
    usage(A, A.length + 5, "SAMPLES", "0"),
    usage(A, A.length + 5, "samples", "3"),
    usage(A, A.length + 5, "SAMPLES", "9223372036854775807"),
    ["MEMORY", "USAGE", A, "SAMPLES", "-1"],
    ["MEMORY", "USAGE", A, "SAMPLES", "x"],
    ["MEMORY", "USAGE", A, "SAMPLES", "1.5"],
    ["MEMORY", "USAGE", A, "SAMPLES", "99999999999999999999"],
    ["MEMORY", "USAGE", A, "SAMPLES"],
    ["MEMORY", "USAGE", A, "FOO", "1"],
    ["MEMORY", "USAGE", A, "SAMPLES", "5", "extra"],
    ["MEMORY", "USAGE", A, "extra"],
    ["MEMORY", "USAGE", "mem:none", "SAMPLES", "x"],
    ["MEMORY", "USAGE", "mem:none", "SAMPLES", "5"],
    ["MEMORY", "USAGE"],
    ["memory", "usage", A, "samples"],
    // collections: the elements' bytes up to ten times that (plus a fixed part)
    ["RPUSH", "{u}l", "a", "b", "c"],
    usage("{u}l", 4 + 3),
    ["RPUSH", "{u}big", ...BIG_LIST],
    usage("{u}big", 6 + BIG_LIST.join("").length),
    usage("{u}big", 6 + BIG_LIST.join("").length, "SAMPLES", "0"),
    usage("{u}big", 6 + BIG_LIST.join("").length, "SAMPLES", "1"),
    ["HSET", "{u}h", "f1", "v1", "f2", "v2"],
    usage("{u}h", 4 + 8),
    ["SADD", "{u}s", "a", "b", "c"],
    usage("{u}s", 4 + 3),
    ["SADD", "{u}i", "1", "2", "3"],
    usage("{u}i", 4 + 3),
    ["ZADD", "{u}z", "1", "a", "2", "b"],
    usage("{u}z", 4 + 2),
    ["DEL", A],
    ["MEMORY", "USAGE", A],
  ],
  "MEMORY DOCTOR, PURGE, MALLOC-STATS, HELP and errors": [
    { args: ["MEMORY", "DOCTOR"], norm: textType },
    ["MEMORY", "PURGE"],
    ["memory", "purge"],
    { args: ["MEMORY", "MALLOC-STATS"], norm: anyText },
    ["MEMORY", "HELP"],
    ["memory", "help"],
    ["MEMORY", "HELP", "x"],
    ["MEMORY"],
    ["MEMORY", "FOO"],
    ["MEMORY", "foo", "bar"],
    ["MEMORY", "STATS", "x"],
    ["MEMORY", "DOCTOR", "x"],
    ["MEMORY", "PURGE", "x"],
    ["MEMORY", "MALLOC-STATS", "x"],
    ["SET", A, "v"],
    { args: ["MEMORY", "DOCTOR"], norm: textType },
    ["MEMORY", "PURGE"],
    ["GET", A],
  ],
  // Redis's memoryCommand loop: SAMPLES any number of times (the last one counts), each count
  // checked as it comes (an integer error, then a syntax error for a negative one)
  "MEMORY USAGE with SAMPLES more than once": [
    ["SET", A, "hello"],
    usage(A, A.length + 5, "SAMPLES", "1", "SAMPLES", "2"),
    usage(A, A.length + 5, "samples", "3", "SAMPLES", "0"),
    ["MEMORY", "USAGE", A, "SAMPLES", "1", "SAMPLES", "x"],
    ["MEMORY", "USAGE", A, "SAMPLES", "1", "SAMPLES", "-1"],
    ["MEMORY", "USAGE", A, "SAMPLES", "-1", "SAMPLES", "x"],
    ["MEMORY", "USAGE", A, "SAMPLES", "x", "SAMPLES", "-1"],
    ["MEMORY", "USAGE", A, "SAMPLES", "1", "SAMPLES"],
    ["MEMORY", "USAGE", A, "SAMPLES", "1", "FOO", "1"],
    ["MEMORY", "USAGE", "mem:none", "SAMPLES", "1", "SAMPLES", "2"],
    ["MEMORY", "USAGE", "mem:none", "SAMPLES", "1", "SAMPLES", "x"],
  ],
  // the whole text (Redis's ends with "\n"), bulk in RESP2 and verbatim in RESP3
  "MEMORY DOCTOR on an empty instance: Redis's text": [["MEMORY", "DOCTOR"]],
  // the INCR family counts one access, as Redis's dbOverwrite keeps the lookup's counter
  "OBJECT FREQ after INCR and the like": [
    ...lfu("allkeys-lfu"),
    ["SET", B, "100"],
    ["INCR", B],
    ["OBJECT", "FREQ", B],
    ["INCRBY", B, "5"],
    ["OBJECT", "FREQ", B],
    ["DECR", B],
    ["DECRBY", B, "2"],
    ["OBJECT", "FREQ", B],
    ["INCRBYFLOAT", B, "1"],
    ["OBJECT", "FREQ", B],
    ...RESET,
  ],
};

// ---- OBJECT IDLETIME over time ---------------------------------------------------------------

/** OBJECT IDLETIME of `key` as a number (fails on any other reply). */
async function idle(c: RespConn, key: string): Promise<number> {
  const r = await c.call("OBJECT", "IDLETIME", key);
  assert.equal(typeof r, "number", `OBJECT IDLETIME ${key}: ${JSON.stringify(r)}`);
  return r as number;
}

/** What one server says about idle times before and after a sleep. */
async function idleStory(t: Target, sleep: Promise<void>): Promise<string[]> {
  return await withConn(t.port, async (c) => {
    await c.send("FLUSHALL");
    const out: string[] = [];
    await c.send("SET", A, "a");
    await c.send("SET", B, "b");
    await c.send("SET", C, "c");
    out.push(`fresh A <= 1: ${(await idle(c, A)) <= 1}`);
    await sleep;
    const [a, b] = [await idle(c, A), await idle(c, B)];
    out.push(`after the sleep A >= 1: ${a >= 1}, B >= 1: ${b >= 1}, A < 10: ${a < 10}`);
    // OBJECT IDLETIME is no access
    out.push(`A still >= 1: ${(await idle(c, A)) >= 1}`);
    await c.send("GET", A);
    await c.send("EXISTS", B);
    await c.send("SET", C, "overwritten");
    const [a2, b2, c2] = [await idle(c, A), await idle(c, B), await idle(c, C)];
    out.push(`after GET A <= 1: ${a2 <= 1}`);
    out.push(`after EXISTS B <= 1: ${b2 <= 1}`);
    out.push(`after SET C <= 1: ${c2 <= 1}`);
    return out;
  });
}

// ---- MEMORY STATS ----------------------------------------------------------------------------

/** The (name, value) pairs of a RESP2 flat array or a RESP3 map. */
function pairsOf(r: Reply): [Reply, Reply][] {
  if (!Array.isArray(r)) return mapEntries(r) ?? [];
  const pairs: [Reply, Reply][] = [];
  for (let i = 0; i + 1 < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
  return pairs;
}

/** The field names of a MEMORY STATS reply and the kind of each value, nested maps indented. */
function statsFields(r: Reply, indent = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of pairsOf(r)) {
    const name = indent + (k instanceof Uint8Array ? toLatin1(k) : String(k));
    const nested = Array.isArray(v) || mapEntries(v) !== null;
    out.push(nested ? `${name}: {` : `${name}: ${valueKind(v)}`);
    if (nested) out.push(...statsFields(v, `${indent}  `), `${indent}}`);
  }
  return out;
}

function valueKind(v: Reply): string {
  if (typeof v === "number" || typeof v === "bigint") return "integer";
  if (v instanceof Uint8Array) {
    return /^-?\d+(\.\d+)?(e[-+]?\d+)?$/.test(toLatin1(v)) ? "number" : "?";
  }
  if (v !== null && typeof v === "object" && "double" in v) return "number";
  return JSON.stringify(v);
}

/** MEMORY STATS's fields (RESP2 and RESP3), then a PING: the reply must end where it says. */
async function statsShape(t: Target): Promise<string[]> {
  return await withConn(t.port, async (c) => {
    await c.send("FLUSHALL");
    await c.send("SET", A, "v");
    await c.send("SET", B, "v", "EX", "1000");
    await c.send("SELECT", "3");
    await c.send("SET", C, "v");
    const out = statsFields(await c.call("MEMORY", "STATS"));
    out.push(`then PING: ${show(await c.send("PING"))}`);
    await c.hello3();
    out.push("-- resp3", ...statsFields(await c.call("MEMORY", "STATS")));
    out.push(`then PING: ${show(await c.send("PING"))}`);
    return out;
  });
}

// ---- proto-max-bulk-len ----------------------------------------------------------------------

const MB = 1024 * 1024;

/** Sends `head` (a request cut after an over-long bulk length) and reports the reply and close. */
async function overLimit(port: number, head: string, tail = ""): Promise<string> {
  const c = await RespConn.connect(port);
  try {
    await c.writeRaw(head);
    // the server may close before it has read the rest: a failed write is expected then
    if (tail !== "") await c.writeRaw(tail).catch(() => {});
    const { data, closed } = await c.readUntilClosed(5000);
    return `${show(data)} closed=${closed}`;
  } finally {
    c.close();
  }
}

/** The whole proto-max-bulk-len story on one server, as lines to compare with Redis's. */
async function bulkLimitStory(t: Target): Promise<string[]> {
  const out: string[] = [];
  const before = await RespConn.connect(t.port);
  const admin = await RespConn.connect(t.port);
  try {
    await admin.send("FLUSHALL");
    for (const v of ["1048575", "0", "-1", "1mb"]) {
      out.push(
        `CONFIG SET ${v}: ${show(await admin.send("CONFIG", "SET", "proto-max-bulk-len", v))}`,
      );
    }
    out.push(`CONFIG GET: ${show(await admin.send("CONFIG", "GET", "proto-max-bulk-len"))}`);
    const atLimit = "x".repeat(MB);
    const keyAtLimit = "k".repeat(MB);
    // a connection from before the change, and new ones (on a sharded server, on every shard)
    const conns = [before];
    for (let i = 0; i < 6; i++) conns.push(await RespConn.connect(t.port));
    try {
      for (const [i, c] of conns.entries()) {
        const key = `bulk:${i}`;
        out.push(`#${i} SET value at the limit: ${show(await c.send("SET", key, atLimit))}`);
        out.push(`#${i} STRLEN: ${show(await c.send("STRLEN", key))}`);
        out.push(`#${i} APPEND one more: ${show(await c.send("APPEND", key, "y"))}`);
        out.push(`#${i} SETRANGE past it: ${show(await c.send("SETRANGE", key, MB, "y"))}`);
        out.push(`#${i} SET key at the limit: ${show(await c.send("SET", keyAtLimit, String(i)))}`);
        out.push(`#${i} GET key at the limit: ${show(await c.send("GET", keyAtLimit))}`);
        out.push(`#${i} PING: ${show(await c.send("PING"))}`);
      }
      // the connection from before the change is held to the new limit too
      await before.writeRaw(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${MB + 1}\r\n`);
      const { data, closed } = await before.readUntilClosed(5000);
      out.push(`#0 one byte over: ${show(data)} closed=${closed}`);
    } finally {
      for (const c of conns) c.close();
    }
    const over = MB + 1;
    const cases: [string, string, string?][] = [
      ["value one byte over (header only)", `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${over}\r\n`],
      [
        "value one byte over (with its bytes)",
        `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${over}\r\n`,
        "y".repeat(over) + "\r\n",
      ],
      ["key one byte over", `*3\r\n$3\r\nSET\r\n$${over}\r\n`],
      ["command name one byte over", `*1\r\n$${over}\r\n`],
      ["far over", `*2\r\n$3\r\nGET\r\n$${100 * MB}\r\n`],
      [
        "at the limit, then over",
        `*3\r\n$3\r\nSET\r\n$${MB}\r\n`,
        `${"k".repeat(MB)}\r\n$${over}\r\n`,
      ],
    ];
    for (const [name, head, tail] of cases) {
      out.push(`${name}: ${await overLimit(t.port, head, tail)}`);
    }
    // the server serves on, and the keys at the limit are there
    out.push(`admin PING: ${show(await admin.send("PING"))}`);
    out.push(`EXISTS: ${show(await admin.send("EXISTS", keyAtLimit, "bulk:0", "bulk:6", "k"))}`);
  } finally {
    await admin.send("CONFIG", "SET", "proto-max-bulk-len", "512mb").catch(() => {});
    await admin.send("FLUSHALL").catch(() => {});
    admin.close();
    before.close();
  }
  return out;
}

/** Runs `story` on every target; each must tell it as redis-server (targets[0]) did. */
async function sameStory(
  targets: Target[],
  story: (t: Target) => Promise<string[]>,
  expect: string[] = [],
): Promise<void> {
  const [ref, ...rest] = await Promise.all(targets.map(story));
  // lines Redis must have told (so the story shows what it is meant to show)
  for (const line of expect) {
    assert.ok(ref.includes(line), `redis: no "${line}" in\n${ref.join("\n")}`);
  }
  rest.forEach((got, i) => assert.deepEqual(got, ref, `${targets[i + 1].name} vs redis`));
}

Deno.test("differential: OBJECT FREQ/IDLETIME/ENCODING and MEMORY match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    try {
      for (const [name, cmds] of Object.entries(GROUPS)) {
        await t.step(name, () => assertSame(targets, cmds));
      }
      await t.step("OBJECT IDLETIME grows while a key is idle, an access resets it", async () => {
        // one sleep for all three servers
        const sleep = new Promise<void>((r) => setTimeout(r, 2100));
        await sameStory(targets, (x) => idleStory(x, sleep), [
          "after the sleep A >= 1: true, B >= 1: true, A < 10: true",
          "after GET A <= 1: true",
        ]);
      });
      await t.step(
        "proto-max-bulk-len: at the limit works, one byte over is refused",
        () =>
          sameStory(targets, bulkLimitStory, [
            "#0 SET value at the limit: +OK\\r\\n",
            "#6 SET key at the limit: +OK\\r\\n",
            "#0 one byte over: -ERR Protocol error: invalid bulk length\\r\\n closed=true",
            "value one byte over (header only): -ERR Protocol error: invalid bulk length\\r\\n closed=true",
            "key one byte over: -ERR Protocol error: invalid bulk length\\r\\n closed=true",
          ]),
      );
      await t.step(
        "MEMORY STATS: Redis's fields in Redis's order, one complete reply",
        () => sameStory(targets, statsShape),
      );
    } finally {
      for (const x of targets) await withConn(x.port, (c) => c.pipeline(RESET as string[][]));
    }
  });
});
