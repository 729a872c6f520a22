/**
 * Small hashes held as listpack blobs, compared byte for byte with redis-server (RESP2, RESP3,
 * pipelined) against Skua with 1 and 3 shards:
 * - edits of every listpack entry shape (integers of each width, strings with 6-, 12- and
 *   32-bit lengths), replaced by values of other sizes, in Redis's order;
 * - the conversions to hashtable at both thresholds, set by CONFIG SET, crossed upward by each
 *   writing command, then deletes back below them: Redis never converts back;
 * - seeded random sequences that move the thresholds and cross them both ways; a model of
 *   Redis's rules says which hashes are still listpacks (exact order) or hashtables (sorted);
 * - SORT BY/GET hash fields, RENAME, COPY, MOVE and expiry of blob hashes;
 * - MEMORY USAGE of a 10-field hash within 1.2x Redis's.
 */

import assert from "node:assert/strict";
import { assertSame, type Cmd, sorted, sortedPairs, withDiffTargets } from "./helpers/diff.ts";
import { type Arg, parse, withConn } from "./helpers/resp.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { rng } from "./helpers/rng.ts";

const [A, B, C, D] = spreadKeys("hlp:", 4);

/** Puts the thresholds back (the servers outlive a group). */
const RESET: Cmd[] = [
  ["CONFIG", "SET", "hash-max-listpack-entries", "128"],
  ["CONFIG", "SET", "hash-max-listpack-value", "64"],
];

const INTS = [
  "0",
  "127",
  "128",
  "-1",
  "4095",
  "-4096",
  "4096",
  "32767",
  "-32768",
  "8388607",
  "-8388608",
  "2147483647",
  "-2147483648",
  "2147483648",
  "9007199254740993",
  "9223372036854775807",
  "-9223372036854775808",
];
const NOT_INTS = ["007", "-0", "+1", "1.0", " 1", "9223372036854775808", ""];

function pairs(key: string, vals: string[], prefix: string): string[] {
  const args = ["HSET", key];
  vals.forEach((v, i) => args.push(`${prefix}${i}`, v));
  return args;
}

const GROUPS: Record<string, Cmd[]> = {
  "every entry shape, replaced by other sizes": [
    ["CONFIG", "SET", "hash-max-listpack-value", "5000"],
    pairs(A, INTS, "i"),
    pairs(A, NOT_INTS, "s"),
    ["HSET", A, "x63", "x".repeat(63), "x64", "x".repeat(64), "x4095", "y".repeat(4095)],
    ["HSET", A, "x4096", "z".repeat(4096), "5", "five", "-7", "minus"],
    ["OBJECT", "ENCODING", A],
    ["HGETALL", A],
    ["HSTRLEN", A, "i0"],
    ["HSTRLEN", A, "i8"],
    ["HSTRLEN", A, "i16"],
    ["HSTRLEN", A, "i15"],
    ["HSTRLEN", A, "x4096"],
    ["HSTRLEN", A, "s1"],
    ["HGET", A, "5"],
    ["HGET", A, "-7"],
    ["HGET", A, "i14"],
    ["HMGET", A, "i1", "nope", "x64", "s0", "-7"],
    ["HEXISTS", A, "5"],
    ["HEXISTS", A, "05"],
    ["HSET", A, "i0", "x".repeat(200), "x4096", "1", "i16", "short", "x63", "-9"],
    ["HSET", A, "s0", "12345678901", "5", "y".repeat(5000), "x64", ""],
    ["HGETALL", A],
    ["HDEL", A, "i3", "x4095", "s6", "-7", "nope"],
    ["HKEYS", A],
    ["HVALS", A],
    ["HINCRBY", A, "i5", "1"],
    ["HINCRBY", A, "i12", "-1"],
    ["HINCRBY", A, "i11", "1"],
    ["HINCRBY", A, "i14", "1"],
    ["HINCRBY", A, "s0", "1"],
    ["HINCRBYFLOAT", A, "i2", "0.5"],
    ["HINCRBYFLOAT", A, "new", "1e3"],
    ["HGETALL", A],
    ["HSCAN", A, "0"],
    ["HSCAN", A, "0", "MATCH", "i*"],
    ["HRANDFIELD", A, "1000"],
    ["HRANDFIELD", A, "1000", "WITHVALUES"],
    ["OBJECT", "ENCODING", A],
    ["HLEN", A],
    ...RESET,
  ],
  "entries threshold: crossed by each command, never back": [
    ["CONFIG", "SET", "hash-max-listpack-entries", "4"],
    ["HSET", A, "a", "1", "b", "2", "c", "3", "d", "4"],
    ["OBJECT", "ENCODING", A],
    ["HSET", A, "d", "changed"],
    ["OBJECT", "ENCODING", A],
    ["HSET", A, "e", "5"],
    ["OBJECT", "ENCODING", A],
    ["HDEL", A, "a", "b", "c", "d"],
    ["OBJECT", "ENCODING", A],
    ["HGETALL", A],
    ["HSET", A, "a", "1"],
    ["OBJECT", "ENCODING", A],
    // more fields than the threshold in one HSET
    ["HSET", B, "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"],
    ["OBJECT", "ENCODING", B],
    { args: ["HGETALL", B], norm: sortedPairs },
    ["HMSET", C, "a", "1", "b", "2", "c", "3", "d", "4"],
    ["HSETNX", C, "a", "x"],
    ["OBJECT", "ENCODING", C],
    ["HSETNX", C, "e", "5"],
    ["OBJECT", "ENCODING", C],
    ["DEL", C],
    ["HSET", C, "a", "1", "b", "2", "c", "3", "d", "4"],
    ["HINCRBY", C, "a", "1"],
    ["OBJECT", "ENCODING", C],
    ["HINCRBY", C, "n", "1"],
    ["OBJECT", "ENCODING", C],
    ["HDEL", C, "a", "b", "c", "d"],
    ["OBJECT", "ENCODING", C],
    ["HGETALL", C],
    ["HSET", D, "a", "1", "b", "2", "c", "3", "d", "4"],
    ["HINCRBYFLOAT", D, "x", "1.5"],
    ["OBJECT", "ENCODING", D],
    ["HDEL", D, "x"],
    ["OBJECT", "ENCODING", D],
    // a larger threshold later does not bring a hashtable back
    ["CONFIG", "SET", "hash-max-listpack-entries", "100"],
    ["HSET", D, "z", "1"],
    ["OBJECT", "ENCODING", D],
    // a smaller one applies at the next write
    ["HSET", "{x}1", "a", "1", "b", "2", "c", "3"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "2"],
    ["OBJECT", "ENCODING", "{x}1"],
    ["HGET", "{x}1", "a"],
    ["HDEL", "{x}1", "a"],
    ["OBJECT", "ENCODING", "{x}1"],
    ["HSET", "{x}1", "b", "again"],
    ["OBJECT", "ENCODING", "{x}1"],
    ["HSET", "{x}1", "q", "1"],
    ["OBJECT", "ENCODING", "{x}1"],
    ...RESET,
  ],
  "value threshold: fields and values, crossed by each command, never back": [
    ["CONFIG", "SET", "hash-max-listpack-value", "10"],
    ["HSET", A, "f", "0123456789", "0123456789", "v"],
    ["OBJECT", "ENCODING", A],
    ["HSET", A, "f", "01234567890"],
    ["OBJECT", "ENCODING", A],
    ["HSET", A, "f", "short"],
    ["OBJECT", "ENCODING", A],
    ["HSET", B, "a", "1"],
    ["HSET", B, "01234567890", "1"],
    ["OBJECT", "ENCODING", B],
    ["HDEL", B, "01234567890"],
    ["OBJECT", "ENCODING", B],
    ["HSET", C, "a", "1"],
    ["HSETNX", C, "a", "01234567890"],
    ["OBJECT", "ENCODING", C],
    ["HSETNX", C, "b", "01234567890"],
    ["OBJECT", "ENCODING", C],
    ["HSET", D, "a", "99999"],
    ["HINCRBY", D, "a", "9999999999"],
    ["OBJECT", "ENCODING", D],
    ["HINCRBY", D, "a", "1"],
    ["OBJECT", "ENCODING", D],
    ["HGET", D, "a"],
    ["DEL", D],
    ["HSET", D, "a", "1"],
    ["HINCRBYFLOAT", D, "a", "0.123456789"],
    ["OBJECT", "ENCODING", D],
    ["HSET", "{y}1", "a", "1"],
    ["HINCRBY", "{y}1", "a", "x"],
    ["HINCRBY", "{y}1", "0123456789a", "1"],
    ["OBJECT", "ENCODING", "{y}1"],
    // integers are stored as integers but converted on their text's length, as Redis does
    ["HSET", "{y}2", "a", "12345678901"],
    ["OBJECT", "ENCODING", "{y}2"],
    ...RESET,
  ],
  "SORT BY and GET hash fields, small hashes": [
    ["RPUSH", "{s}l", "1", "2", "3"],
    ["HSET", "{s}h_1", "w", "30", "n", "one"],
    ["HSET", "{s}h_2", "w", "10", "n", "two"],
    ["HSET", "{s}h_3", "w", "20", "n", "-3"],
    ["SORT", "{s}l", "BY", "{s}h_*->w", "GET", "#", "GET", "{s}h_*->n"],
    ["SORT", "{s}l", "BY", "{s}h_*->n", "ALPHA", "GET", "{s}h_*->w"],
    ["SORT", "{s}l", "BY", "{s}h_*->nope", "GET", "{s}h_*->nope"],
    ["SORT", "{s}l", "BY", "{s}h_*->w", "STORE", "{s}out"],
    ["LRANGE", "{s}out", "0", "-1"],
  ],
  "RENAME, COPY, MOVE, expiry of small hashes": [
    ["HSET", "{r}a", "f", "1", "g", "two"],
    ["RENAME", "{r}a", "{r}b"],
    ["HGETALL", "{r}b"],
    ["OBJECT", "ENCODING", "{r}b"],
    ["COPY", "{r}b", "{r}c"],
    ["HSET", "{r}b", "h", "3"],
    ["HGETALL", "{r}c"],
    ["HGETALL", "{r}b"],
    ["COPY", "{r}b", "{r}c", "REPLACE"],
    ["HGETALL", "{r}c"],
    ["MOVE", "{r}c", "1"],
    ["EXISTS", "{r}c"],
    ["SELECT", "1"],
    ["HGETALL", "{r}c"],
    ["HSET", "{r}c", "x", "y"],
    ["HGETALL", "{r}c"],
    ["FLUSHDB"],
    ["SELECT", "0"],
    ["SET", "{r}b", "now a string"],
    ["GET", "{r}b"],
    ["HSET", "{r}d", "f", "v"],
    ["PEXPIREAT", "{r}d", "1"],
    ["HGET", "{r}d", "f"],
    ["HSET", "{r}d", "f", "again"],
    ["HGETALL", "{r}d"],
    ["TTL", "{r}d"],
    ["MULTI"],
    ["HSET", "{r}e", "a", "1"],
    ["HINCRBY", "{r}e", "a", "5"],
    ["HDEL", "{r}e", "a"],
    ["HSET", "{r}e", "b", "2"],
    ["EXEC"],
    ["HGETALL", "{r}e"],
    // keys on different shards (3 shards): the blob's bytes travel
    ["COPY", "{r}e", A],
    ["RENAME", A, B],
    ["HSET", B, "c", "3"],
    ["HGETALL", B],
    ["OBJECT", "ENCODING", B],
    ["RENAME", B, "{r}f"],
    ["HGETALL", "{r}f"],
  ],
};

// ---- randomized: thresholds crossed both ways, with a model of Redis's conversion rules ----

const RKEYS = spreadKeys("hlr:", 3);
const RFIELDS = [
  "a",
  "b",
  "c",
  "d",
  "e",
  "f",
  "g",
  "1",
  "-2",
  "300",
  "fieldname12",
  "long-field-x",
];
const RVALUES = [
  "",
  "v",
  "7",
  "-70000",
  "2147483648",
  "value12345",
];
/** values that cross the usual value thresholds: picked rarely, so most hashes stay small */
const RLONG = ["value-1234567", "x".repeat(20)];

interface Model {
  fields: Map<string, string>;
  hashtable: boolean;
}

function program(seed: number): Cmd[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const value = () => r() < 0.04 ? pick(RLONG) : pick(RVALUES);
  let maxEntries = 10;
  let maxValue = 12;
  const cmds: Cmd[] = [
    ["CONFIG", "SET", "hash-max-listpack-entries", String(maxEntries)],
    ["CONFIG", "SET", "hash-max-listpack-value", String(maxValue)],
  ];
  const models = new Map<string, Model>();
  const modelOf = (k: string): Model => {
    let m = models.get(k);
    if (m === undefined) models.set(k, m = { fields: new Map(), hashtable: false });
    return m;
  };
  const tooLong = (args: string[]) => args.some((a) => a.length > maxValue);
  const afterWrite = (k: string, m: Model) => {
    if (m.fields.size > maxEntries) m.hashtable = true;
    if (m.fields.size === 0) models.delete(k);
  };
  for (let i = 0; i < 400; i++) {
    const k = pick(RKEYS);
    const x = r();
    const m = models.get(k);
    const ordered = m === undefined || !m.hashtable;
    if (x < 0.3) {
      const args: string[] = [];
      for (let n = 1 + Math.floor(r() * 3); n > 0; n--) args.push(pick(RFIELDS), value());
      cmds.push(["HSET", k, ...args]);
      const mm = modelOf(k);
      if (tooLong(args)) mm.hashtable = true;
      for (let j = 0; j < args.length; j += 2) {
        mm.fields.set(args[j], args[j + 1]);
        afterWrite(k, mm);
      }
    } else if (x < 0.36) {
      const f = pick(RFIELDS), v = value();
      cmds.push(["HSETNX", k, f, v]);
      const mm = modelOf(k);
      if (!mm.fields.has(f)) {
        if (tooLong([f, v])) mm.hashtable = true;
        mm.fields.set(f, v);
      }
      afterWrite(k, mm);
    } else if (x < 0.42) {
      // counters live in fields of their own, so they always hold integers
      const f = pick(["n", "counter12345"]);
      const by = pick(["1", "-5", "100000"]);
      cmds.push(["HINCRBY", k, f, by]);
      const mm = modelOf(k);
      const v = String(BigInt(mm.fields.get(f) ?? "0") + BigInt(by));
      if (tooLong([f, v])) mm.hashtable = true;
      mm.fields.set(f, v);
      afterWrite(k, mm);
    } else if (x < 0.62) {
      const args: string[] = [];
      for (let n = 1 + Math.floor(r() * 4); n > 0; n--) args.push(pick([...RFIELDS, "n"]));
      cmds.push(["HDEL", k, ...args]);
      if (m !== undefined) {
        for (const f of args) m.fields.delete(f);
        if (m.fields.size === 0) models.delete(k);
      }
    } else if (x < 0.65) {
      cmds.push(["DEL", k]);
      models.delete(k);
    } else if (x < 0.665) {
      maxEntries = 6 + Math.floor(r() * 10);
      cmds.push(["CONFIG", "SET", "hash-max-listpack-entries", String(maxEntries)]);
    } else if (x < 0.69) {
      maxValue = 8 + Math.floor(r() * 12);
      cmds.push(["CONFIG", "SET", "hash-max-listpack-value", String(maxValue)]);
    } else if (x < 0.75) cmds.push(["OBJECT", "ENCODING", k]);
    else if (x < 0.8) cmds.push({ args: ["HGETALL", k], norm: ordered ? undefined : sortedPairs });
    else if (x < 0.83) cmds.push({ args: ["HKEYS", k], norm: ordered ? undefined : sorted });
    else if (x < 0.85) cmds.push({ args: ["HVALS", k], norm: ordered ? undefined : sorted });
    else if (x < 0.88) cmds.push(["HGET", k, pick(RFIELDS)]);
    else if (x < 0.9) cmds.push(["HSTRLEN", k, pick([...RFIELDS, "n"])]);
    else if (x < 0.92) cmds.push(["HEXISTS", k, pick(RFIELDS)]);
    else if (x < 0.94) cmds.push(["HMGET", k, pick(RFIELDS), pick(RFIELDS), "n"]);
    else if (x < 0.96) cmds.push(["HLEN", k]);
    else if (ordered) {
      cmds.push(pick<Arg[]>([
        ["HSCAN", k, "0"],
        ["HRANDFIELD", k, "50", "WITHVALUES"],
        ["HSCAN", k, "0", "MATCH", "*e*"],
      ]));
    }
  }
  for (const k of RKEYS) {
    cmds.push(["OBJECT", "ENCODING", k], { args: ["HGETALL", k], norm: sortedPairs });
  }
  return [...cmds, ...RESET];
}

// ---- memory -------------------------------------------------------------------------------

async function usageOfTenFields(port: number): Promise<number> {
  return await withConn(port, async (c) => {
    await c.call("FLUSHALL");
    const args = ["HSET", "mem:h"];
    for (let i = 0; i < 10; i++) args.push(`f${String(i).padStart(7, "0")}`, `value-${i}-abcdefgh`);
    await c.call(...args);
    const enc = new TextDecoder().decode(
      parse(await c.send("OBJECT", "ENCODING", "mem:h")) as Uint8Array,
    );
    assert.equal(enc, "listpack");
    return Number(await c.call("MEMORY", "USAGE", "mem:h"));
  });
}

Deno.test("differential: small hashes as listpacks match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, cmds));
    }
    for (const seed of [1, 2, 3, 4]) {
      await t.step(
        `random thresholds crossed both ways, seed ${seed}`,
        () => assertSame(targets, program(seed)),
      );
    }
    await t.step("MEMORY USAGE of a 10-field hash is within 1.2x Redis's", async () => {
      const redis = await usageOfTenFields(targets[0].port);
      for (const s of targets.slice(1)) {
        const skua = await usageOfTenFields(s.port);
        assert.ok(skua <= redis * 1.2, `${s.name}: ${skua} bytes, redis ${redis}`);
      }
    });
  });
});
