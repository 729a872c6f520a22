/**
 * Hash commands, replies compared byte for byte with redis-server (RESP2, RESP3, pipelined),
 * against Skua with 1 and 3 shards. Small (listpack) hashes reply in Redis's exact order; the
 * order of hashtable-encoded hashes is the table's, so those replies are compared as sorted
 * lists, and HRANDFIELD replies are checked for their shape and membership. OBJECT ENCODING
 * checks that conversions happen exactly where Redis makes them.
 */

import {
  assertSame,
  type Cmd,
  near,
  type Normalizer,
  sorted,
  sortedPairs,
  withDiffTargets,
} from "./helpers/diff.ts";
import { parse, type Reply, toLatin1 } from "./helpers/resp.ts";
import { spreadKeys } from "./helpers/keys.ts";

const [A, B, C, D] = spreadKeys("hash:", 4);
const BINARY = "bin\x00ary\r\n\xff\xfe\x80 \"'";
const I64_MAX = "9223372036854775807";
const I64_MIN = "-9223372036854775808";
const LONG64 = "x".repeat(64);
const LONG65 = "x".repeat(65);

/** HSET key f0 v0 ... f(n-1) v(n-1) */
function hsetMany(key: string, n: number, from = 0): string[] {
  const args = ["HSET", key];
  for (let i = from; i < from + n; i++) args.push(`f${i}`, `v${i}`);
  return args;
}

function str(r: Reply): string | null {
  return r instanceof Uint8Array ? toLatin1(r) : null;
}

/**
 * HRANDFIELD replies: every returned field (and value) must belong to `hash`, and be distinct
 * when `unique`; the result is the reply's shape, not its random content.
 */
function randOf(hash: Record<string, string>, unique: boolean, withValues = false): Normalizer {
  return (raw) => {
    const text = toLatin1(raw);
    const r = parse(raw);
    if (!Array.isArray(r)) return text;
    const seen = new Set<string>();
    let nested = false;
    const check = (f: Reply, v: Reply | undefined): boolean => {
      const fs = str(f);
      if (fs === null || !(fs in hash)) return false;
      if (v !== undefined && str(v) !== hash[fs]) return false;
      if (unique && seen.has(fs)) return false;
      seen.add(fs);
      return true;
    };
    const flat = withValues && r.length > 0 && !Array.isArray(r[0]);
    for (let i = 0; i < r.length; i += flat ? 2 : 1) {
      const item = r[i];
      if (Array.isArray(item)) {
        nested = true;
        if (item.length !== 2 || !check(item[0], item[1])) return `BAD ${text}`;
      } else if (!check(item, flat ? r[i + 1] : undefined)) return `BAD ${text}`;
    }
    return `${text[0]} n=${r.length} nested=${nested}`;
  };
}

/** A reply that is a field of `hash` (HRANDFIELD without count). */
function oneOf(hash: Record<string, string>): Normalizer {
  return (raw) => {
    const r = parse(raw);
    const f = str(r);
    return f !== null && f in hash ? "member" : toLatin1(raw);
  };
}

const SMALL: Record<string, string> = { f1: "v1", f2: "v2", f3: "v3" };

const GROUPS: Record<string, Cmd[]> = {
  "HSET HGET HMGET HSETNX HMSET": [
    ["HSET", A, "f1", "v1"],
    ["HSET", A, "f1", "v1b", "f2", "v2", "f3", "v3"],
    ["HGET", A, "f1"],
    ["HGET", A, "nope"],
    ["HGET", B, "f1"],
    ["HMGET", A, "f1", "nope", "f3", "f1"],
    ["HMGET", B, "f1", "f2"],
    ["HSETNX", A, "f1", "x"],
    ["HSETNX", A, "f4", "v4"],
    ["HSETNX", B, "f", "v"],
    ["HGETALL", B],
    ["HMSET", A, "f5", "v5", "f1", "v1c"],
    ["HGETALL", A],
    ["HSET", C, BINARY, BINARY, "", "", "empty", ""],
    ["HGET", C, BINARY],
    ["HGET", C, ""],
    ["HGETALL", C],
    ["HSTRLEN", C, BINARY],
    ["HSTRLEN", C, "empty"],
    ["TYPE", A],
    ["OBJECT", "ENCODING", A],
    ["HSET", A, "f1"],
    ["HSET", A, "f1", "v", "f2"],
    ["HMSET", A, "f1"],
    ["HMSET", A, "f1", "v", "f2"],
    ["HSET", A],
    ["HSETNX", A, "f"],
    ["HGET", A],
    ["HMGET", A],
    ["hset", A, "lower", "case"],
    ["HgEt", A, "lower"],
  ],
  "HDEL HLEN HSTRLEN HEXISTS": [
    ["HSET", A, "a", "1", "b", "22", "c", "333"],
    ["HLEN", A],
    ["HSTRLEN", A, "c"],
    ["HSTRLEN", A, "nope"],
    ["HSTRLEN", B, "c"],
    ["HEXISTS", A, "a"],
    ["HEXISTS", A, "nope"],
    ["HEXISTS", B, "a"],
    ["HDEL", A, "a", "a", "nope"],
    ["HDEL", B, "a"],
    ["HLEN", A],
    ["HDEL", A, "b", "c", "b"],
    ["EXISTS", A],
    ["HLEN", A],
    ["HDEL", A],
    ["HLEN"],
    ["HSTRLEN", A],
    ["HEXISTS", A, "a", "b"],
  ],
  "HKEYS HVALS HGETALL in listpack order": [
    ["HGETALL", A],
    ["HKEYS", A],
    ["HVALS", A],
    ["HSET", A, "z", "1", "y", "2", "x", "3"],
    ["HSET", A, "y", "changed"],
    ["HDEL", A, "z"],
    ["HSET", A, "z", "again", "w", "4"],
    ["HKEYS", A],
    ["HVALS", A],
    ["HGETALL", A],
    ["HGETALL", A, "extra"],
    ["HKEYS"],
  ],
  "encoding conversions": [
    hsetMany(A, 512),
    ["OBJECT", "ENCODING", A],
    ["HSET", A, "f0", "updated"],
    ["OBJECT", "ENCODING", A],
    ["HSET", A, "one-more", "v"],
    ["OBJECT", "ENCODING", A],
    ["HDEL", A, "one-more", "f1", "f2", "f3"],
    ["OBJECT", "ENCODING", A],
    { args: ["HKEYS", A], norm: sorted },
    { args: ["HVALS", A], norm: sorted },
    { args: ["HGETALL", A], norm: sortedPairs },
    ["HLEN", A],
    ["HGET", A, "f0"],
    ["HSET", B, "f", LONG64],
    ["OBJECT", "ENCODING", B],
    ["HSET", B, "g", LONG65],
    ["OBJECT", "ENCODING", B],
    ["HSET", C, "f", "v"],
    ["HSET", C, LONG65, "v"],
    ["OBJECT", "ENCODING", C],
    ["HSET", D, "f", "v"],
    ["HSETNX", D, "f", LONG65],
    ["OBJECT", "ENCODING", D],
    ["HSETNX", D, "g", LONG65],
    ["OBJECT", "ENCODING", D],
    ["DEL", B, C, D],
    ["HSET", B, "a", "1"],
    ["HINCRBY", B, LONG65, "1"],
    ["OBJECT", "ENCODING", B],
    ["HSET", C, "a", "1"],
    ["HINCRBYFLOAT", C, "a", "1".repeat(70)],
    ["OBJECT", "ENCODING", C],
    ["HSET", D, "a", "1"],
    ["HINCRBYFLOAT", D, "a", "1".repeat(40)],
    ["OBJECT", "ENCODING", D],
    ["HMSET", "{h}x", "a", LONG65],
    ["OBJECT", "ENCODING", "{h}x"],
    ["HSETNX", "{h}y", LONG65, "v"],
    ["OBJECT", "ENCODING", "{h}y"],
  ],
  "encoding thresholds from CONFIG SET": [
    ["CONFIG", "SET", "hash-max-listpack-entries", "2"],
    ["CONFIG", "SET", "hash-max-listpack-value", "5"],
    ["HSET", A, "a", "1", "b", "2"],
    ["OBJECT", "ENCODING", A],
    ["HSET", A, "c", "3"],
    ["OBJECT", "ENCODING", A],
    ["HDEL", A, "a", "b"],
    ["OBJECT", "ENCODING", A],
    ["HSET", B, "abcde", "12345"],
    ["OBJECT", "ENCODING", B],
    ["HSET", B, "abcdef", "1"],
    ["OBJECT", "ENCODING", B],
    ["CONFIG", "SET", "hash-max-listpack-entries", "0"],
    ["HSET", C, "a", "1"],
    ["OBJECT", "ENCODING", C],
    ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
    ["CONFIG", "SET", "hash-max-listpack-value", "64"],
    ["HSET", D, "a", "1"],
    ["OBJECT", "ENCODING", D],
  ],
  "HINCRBY": [
    ["HINCRBY", A, "n", "5"],
    ["HINCRBY", A, "n", "-10"],
    ["HINCRBY", A, "n", "0"],
    ["HGET", A, "n"],
    ["HSET", A, "max", I64_MAX, "min", I64_MIN],
    ["HINCRBY", A, "max", "1"],
    ["HINCRBY", A, "max", "-1"],
    ["HINCRBY", A, "min", "-1"],
    ["HINCRBY", A, "min", "1"],
    ["HINCRBY", A, "min", I64_MAX],
    ["HINCRBY", A, "n", I64_MIN],
    ["HINCRBY", A, "n", I64_MIN],
    ["HSET", A, "big", "9007199254740993"],
    ["HINCRBY", A, "big", "1"],
    ["HINCRBY", A, "big", "-9007199254740994"],
    ["HSET", A, "s", "abc", "f", "1.5", "sp", " 1", "z", "01", "m0", "-0", "e", ""],
    ["HINCRBY", A, "s", "1"],
    ["HINCRBY", A, "f", "1"],
    ["HINCRBY", A, "sp", "1"],
    ["HINCRBY", A, "z", "1"],
    ["HINCRBY", A, "m0", "1"],
    ["HINCRBY", A, "e", "1"],
    ["HINCRBY", A, "n", "abc"],
    ["HINCRBY", A, "n", "1.0"],
    ["HINCRBY", A, "n", "9223372036854775808"],
    ["HINCRBY", B, "n", "x"],
    ["EXISTS", B],
    ["HINCRBY", A, "n"],
    ["HINCRBY", A, "n", "1", "2"],
  ],
  "HINCRBYFLOAT": [
    ["HINCRBYFLOAT", A, "x", "10.5"],
    ["HINCRBYFLOAT", A, "x", "0.1"],
    ["HINCRBYFLOAT", A, "x", "-5"],
    ["HINCRBYFLOAT", A, "x", "1.5e3"],
    ["HINCRBYFLOAT", A, "x", "-1505.6"],
    ["HSET", A, "i", "3"],
    ["HINCRBYFLOAT", A, "i", "1.1"],
    ["HINCRBYFLOAT", A, "i", "0.2"],
    ["HINCRBYFLOAT", A, "i", "1e-30"],
    ["HINCRBYFLOAT", A, "i", "123456789012345678"],
    ["HSET", A, "max", I64_MAX],
    ["HINCRBYFLOAT", A, "max", "1"],
    ["HINCRBYFLOAT", A, "big", "1e308"],
    ["HINCRBYFLOAT", A, "big", "1e308"],
    ["HINCRBYFLOAT", A, "y", "0x10"],
    ["HINCRBYFLOAT", A, "y", ".5"],
    ["HINCRBYFLOAT", A, "y", "5."],
    ["HINCRBYFLOAT", A, "y", "-0"],
    ["HINCRBYFLOAT", A, "y", "inf"],
    ["HINCRBYFLOAT", A, "y", "-inf"],
    ["HINCRBYFLOAT", A, "y", "nan"],
    ["HINCRBYFLOAT", A, "y", "abc"],
    ["HINCRBYFLOAT", A, "y", ""],
    ["HINCRBYFLOAT", A, "y", " 1"],
    ["HINCRBYFLOAT", A, "y", "1e5000"],
    ["HSET", A, "bad", "abc", "exp", "1e3", "sp", " 2"],
    ["HINCRBYFLOAT", A, "bad", "1"],
    ["HINCRBYFLOAT", A, "exp", "1"],
    ["HINCRBYFLOAT", A, "sp", "1"],
    ["OBJECT", "ENCODING", A],
    { args: ["HGETALL", A], norm: sortedPairs },
    ["HINCRBYFLOAT", B, "y", "abc"],
    ["HINCRBYFLOAT", B, "y", "inf"],
    ["EXISTS", B],
    ["HINCRBYFLOAT", A, "y"],
  ],
  "HRANDFIELD": [
    ["HRANDFIELD", A],
    ["HRANDFIELD", A, "3"],
    ["HRANDFIELD", A, "-3", "WITHVALUES"],
    ["HSET", A, "f1", "v1", "f2", "v2", "f3", "v3"],
    { args: ["HRANDFIELD", A], norm: oneOf(SMALL) },
    ["HRANDFIELD", A, "3"],
    ["HRANDFIELD", A, "5"],
    ["HRANDFIELD", A, "5", "WITHVALUES"],
    ["HRANDFIELD", A, "3", "withvalues"],
    ["HRANDFIELD", A, I64_MAX],
    ["HRANDFIELD", A, "0"],
    ["HRANDFIELD", A, "0", "WITHVALUES"],
    { args: ["HRANDFIELD", A, "1"], norm: randOf(SMALL, true) },
    { args: ["HRANDFIELD", A, "2"], norm: randOf(SMALL, true) },
    { args: ["HRANDFIELD", A, "2", "WITHVALUES"], norm: randOf(SMALL, true, true) },
    { args: ["HRANDFIELD", A, "-1"], norm: randOf(SMALL, false) },
    { args: ["HRANDFIELD", A, "-10"], norm: randOf(SMALL, false) },
    { args: ["HRANDFIELD", A, "-10", "WITHVALUES"], norm: randOf(SMALL, false, true) },
    { args: ["HRANDFIELD", A, "1", "WITHVALUES"], norm: randOf(SMALL, true, true) },
    ["HRANDFIELD", A, "abc"],
    ["HRANDFIELD", A, "1.5"],
    ["HRANDFIELD", A, I64_MIN],
    ["HRANDFIELD", A, "9223372036854775808"],
    ["HRANDFIELD", A, "4611686018427387904", "WITHVALUES"],
    ["HRANDFIELD", A, "-4611686018427387904", "WITHVALUES"],
    ["HRANDFIELD", A, "2", "FOO"],
    ["HRANDFIELD", A, "2", "WITHVALUES", "x"],
    ["HRANDFIELD", A, "abc", "FOO"],
    ["HRANDFIELD", B, "abc"],
    ["SET", B, "s"],
    ["HRANDFIELD", B],
    ["HRANDFIELD", B, "1"],
    ["HRANDFIELD", B, "abc"],
    ["HRANDFIELD"],
  ],
  "HRANDFIELD on a hashtable": [
    hsetMany(A, 600),
    { args: ["HRANDFIELD", A, "600"], norm: sorted },
    { args: ["HRANDFIELD", A, "1000"], norm: sorted },
    { args: ["HRANDFIELD", A, "700", "WITHVALUES"], norm: randOf(bigHash(600), true, true) },
    { args: ["HRANDFIELD", A, "10"], norm: randOf(bigHash(600), true) },
    { args: ["HRANDFIELD", A, "500"], norm: randOf(bigHash(600), true) },
    { args: ["HRANDFIELD", A, "300", "WITHVALUES"], norm: randOf(bigHash(600), true, true) },
    { args: ["HRANDFIELD", A, "-2000", "WITHVALUES"], norm: randOf(bigHash(600), false, true) },
    { args: ["HRANDFIELD", A], norm: oneOf(bigHash(600)) },
  ],
  "HSCAN of a listpack": [
    ["HSCAN", A, "0"],
    ["HSCAN", A, "abc"],
    ["HSCAN", A, "0", "COUNT", "0"],
    ["HSET", A, "f1", "v1", "g2", "v2", "f3", "v3"],
    ["HSCAN", A, "0"],
    ["HSCAN", A, "0", "COUNT", "1"],
    ["HSCAN", A, "0", "MATCH", "f*"],
    ["HSCAN", A, "0", "MATCH", "*", "COUNT", "100"],
    ["HSCAN", A, "0", "match", "nothing"],
    ["HSCAN", A, "12345"],
    ["HSCAN", A, "-1"],
    ["HSCAN", A, "18446744073709551615"],
    ["HSCAN", A, "18446744073709551616"],
    ["HSCAN", A, "abc"],
    ["HSCAN", A, "0", "COUNT", "0"],
    ["HSCAN", A, "0", "COUNT", "-1"],
    ["HSCAN", A, "0", "COUNT", "abc"],
    ["HSCAN", A, "0", "COUNT"],
    ["HSCAN", A, "0", "MATCH"],
    ["HSCAN", A, "0", "TYPE", "string"],
    ["HSCAN", A, "0", "FOO", "bar"],
    ["HSCAN", B, "0", "FOO", "bar"],
    ["SET", B, "s"],
    ["HSCAN", B, "0"],
    ["HSCAN", B, "x"],
    ["HSCAN", A],
  ],
  "wrong type both ways": [
    ["SET", A, "string"],
    ["HSET", A, "f", "v"],
    ["HMSET", A, "f", "v"],
    ["HSETNX", A, "f", "v"],
    ["HGET", A, "f"],
    ["HMGET", A, "f"],
    ["HDEL", A, "f"],
    ["HLEN", A],
    ["HSTRLEN", A, "f"],
    ["HEXISTS", A, "f"],
    ["HKEYS", A],
    ["HVALS", A],
    ["HGETALL", A],
    ["HINCRBY", A, "f", "1"],
    ["HINCRBYFLOAT", A, "f", "1"],
    ["HINCRBY", A, "f", "x"],
    ["HINCRBYFLOAT", A, "f", "x"],
    ["HSET", B, "f", "v"],
    ["GET", B],
    ["LPUSH", B, "x"],
    ["TYPE", B],
  ],
  "TTL, deletion, COPY": [
    ["HSET", A, "f", "v"],
    ["EXPIRE", A, "1000"],
    ["HSET", A, "g", "w"],
    ["HDEL", A, "f"],
    ["HINCRBY", A, "n", "1"],
    ["HINCRBYFLOAT", A, "n", "1.5"],
    ["HSETNX", A, "h", "x"],
    { args: ["TTL", A], norm: near(1000, 2) },
    ["HDEL", A, "g", "n", "h"],
    ["TTL", A],
    ["HSET", B, "f", "v"],
    ["PEXPIREAT", B, "1"],
    ["HGET", B, "f"],
    ["HSET", B, "g", "w"],
    ["HGETALL", B],
    ["HSET", "{c}1", "a", "1", "b", "2"],
    ["COPY", "{c}1", "{c}2"],
    ["HSET", "{c}1", "a", "changed"],
    ["HGETALL", "{c}2"],
    hsetMany("{c}3", 600),
    ["COPY", "{c}3", "{c}4"],
    ["HDEL", "{c}3", "f1"],
    ["HLEN", "{c}4"],
    ["OBJECT", "ENCODING", "{c}4"],
  ],
};

function bigHash(n: number): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i < n; i++) h[`f${i}`] = `v${i}`;
  return h;
}

Deno.test("differential: hash commands match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, cmds));
    }
  });
});
