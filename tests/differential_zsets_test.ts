/**
 * Sorted-set commands compared byte for byte with redis-server (RESP2, RESP3, pipelined)
 * against Skua with 1 and 3 shards: ZADD and its options, scores and ranks, pops, random
 * members, ZSCAN, error texts, double formatting, both encodings (listpack and skiplist, and
 * the conversions between them), keys on several shards; ranges and set algebra are in
 * differential_zsets_range_test.ts. Multi-key commands use `{z}` keys. Normalized: random picks (ZRANDMEMBER) are checked for
 * size, distinctness and membership, and ZSCAN pages of a skiplist (dict order) are sorted.
 */

import {
  assertSame,
  type Cmd,
  type Normalizer,
  oneOf,
  render,
  withDiffTargets,
} from "./helpers/diff.ts";
import { parse, type Reply, toLatin1 } from "./helpers/resp.ts";
import { spreadKeys } from "./helpers/keys.ts";

const [A, B, C] = spreadKeys("zset:", 3);
const [Z1, Z2, Z3, D] = ["{z}1", "{z}2", "{z}3", "{z}d"];
const STR = "{z}str";
const NONE = "{z}none";
const LONG = "m".repeat(65);
const BIN = "b\x00in\r\n\xff";

/** Random picks of (member[, score]) among `from` ("m" or "m=score" entries). */
function picks(from: string[], repeats = false): Normalizer {
  return (raw) => {
    const r: Reply = parse(raw);
    if (!Array.isArray(r)) return toLatin1(raw);
    const scored = from[0].includes("=");
    const got: string[] = [];
    if (scored && r.every((x) => Array.isArray(x))) {
      for (const p of r as Reply[][]) got.push(`${render(p[0])}=${render(p[1])}`);
    } else if (scored) {
      for (let i = 0; i < r.length; i += 2) got.push(`${render(r[i])}=${render(r[i + 1])}`);
    } else {
      for (const x of r) got.push(render(x));
    }
    const ok = got.every((g) => from.includes(g)) && (repeats || new Set(got).size === got.length);
    return ok ? `<${got.length} picks>` : `bad picks: ${toLatin1(raw)}`;
  };
}

/** WATCH the first key, run `cmd`, then an empty transaction: EXEC is null if it changed. */
const watched = (cmd: string[]): Cmd[] => [
  ["WATCH", cmd[1]],
  cmd,
  ["MULTI"],
  ["EXEC"],
];

/** A ZSCAN page as cursor + sorted member=score pairs. */
const scanPage: Normalizer = (raw) => {
  const r = parse(raw);
  if (!Array.isArray(r) || r.length !== 2) return toLatin1(raw);
  const it = r[1] as Reply[];
  const pairs: string[] = [];
  for (let i = 0; i < it.length; i += 2) pairs.push(`${render(it[i])}=${render(it[i + 1])}`);
  return `${render(r[0])}:${pairs.sort().join(",")}`;
};

const bulk = (s: string) => `$${JSON.stringify(s)}`;
const dbl = (s: string, resp3: boolean) => resp3 ? `,${s}` : bulk(s);
/** every member=score form of ABC = {a:1, b:2, c:3} in RESP2 and RESP3 */
const ABC = ["a", "b", "c"].flatMap((m, i) => [
  `${bulk(m)}=${dbl(String(i + 1), false)}`,
  `${bulk(m)}=${dbl(String(i + 1), true)}`,
]);

/** ZADD key 0 m0 1 m1 ... (n members) */
function many(key: string, n: number, score = (i: number) => String(i)): string[] {
  const args = ["ZADD", key];
  for (let i = 0; i < n; i++) args.push(score(i), `m${String(i).padStart(4, "0")}`);
  return args;
}

const GROUPS: Record<string, Cmd[]> = {
  "ZADD options and errors": [
    ["ZADD", A, "1", "a", "2", "b", "3", "c"],
    ["ZADD", A, "1", "a", "5", "b"],
    ["ZADD", A, "CH", "1", "a", "6", "b", "7", "d"],
    ["ZADD", A, "NX", "9", "a", "9", "e"],
    ["ZADD", A, "XX", "9", "a", "9", "f"],
    ["ZADD", A, "XX", "CH", "10", "a", "9", "g"],
    ["ZADD", A, "GT", "CH", "5", "a", "20", "b", "1", "h"],
    ["ZADD", A, "LT", "CH", "50", "a", "2", "b", "1", "i"],
    ["ZADD", A, "GT", "XX", "CH", "100", "a", "100", "zz"],
    ["ZADD", A, "INCR", "1.5", "a"],
    ["ZADD", A, "INCR", "1", "new"],
    ["ZADD", A, "NX", "INCR", "1", "a"],
    ["ZADD", A, "XX", "INCR", "1", "absent"],
    ["ZADD", A, "GT", "INCR", "-1", "a"],
    ["ZADD", A, "LT", "INCR", "-1", "a"],
    ["ZADD", A, "INCR", "inf", "a"],
    ["ZADD", A, "INCR", "-inf", "a"],
    ["ZADD", A, "incr", "+inf", "a"],
    ["ZADD", B, "XX", "1", "a"],
    ["ZADD", B, "XX", "INCR", "1", "a"],
    ["EXISTS", B],
    ["ZADD", B, "NX", "INCR", "3", "a"],
    ["ZADD", A, "NX", "XX", "1", "a"],
    ["ZADD", A, "GT", "LT", "1", "a"],
    ["ZADD", A, "NX", "GT", "1", "a"],
    ["ZADD", A, "NX", "LT", "1", "a"],
    ["ZADD", A, "NX", "XX", "GT", "1", "a"],
    ["ZADD", A, "INCR", "1", "a", "2", "b"],
    ["ZADD", A, "INCR", "x", "a", "2", "b"],
    ["ZADD", A, "1", "a", "2"],
    ["ZADD", A, "CH", "1"],
    ["ZADD", A, "nan", "a"],
    ["ZADD", A, "NaN", "a"],
    ["ZADD", A, "x", "a"],
    ["ZADD", A, "1", "a", "x", "b"],
    ["ZADD", A, " 1", "a"],
    ["ZADD", A, "1 ", "a"],
    ["ZADD", A, "", "a"],
    ["ZADD", A, "1e400", "a"],
    ["ZADD", A, "1e-400", "a"],
    ["ZADD", A, "0x10", "hex"],
    ["ZADD", A, "-inf", "ninf", "+inf", "pinf", ".5", "half", "5.", "five"],
    ["ZRANGE", A, "0", "-1", "WITHSCORES"],
    ["SET", STR, "x"],
    ["ZADD", STR, "1", "a"],
    ["ZADD", STR, "x", "a"],
    ["ZADD", STR, "XX", "NX", "1", "a"],
    ["ZADD", A],
    ["ZADD", A, "1"],
    ["ZADD"],
  ],
  "ZINCRBY ZSCORE ZMSCORE ZCARD ZREM": [
    ["ZINCRBY", A, "1", "a"],
    ["ZINCRBY", A, "0.1", "a"],
    ["ZINCRBY", A, "0.2", "a"],
    ["ZINCRBY", A, "-1.3", "a"],
    ["ZINCRBY", A, "1e308", "a"],
    ["ZINCRBY", A, "1e308", "a"],
    ["ZINCRBY", A, "-inf", "a"],
    ["ZINCRBY", A, "x", "a"],
    ["ZINCRBY", A, "nan", "a"],
    ["ZINCRBY", A, "nx", "a"],
    ["ZINCRBY", A, "1", "nx"],
    ["ZSCORE", A, "a"],
    ["ZSCORE", A, "nx"],
    ["ZSCORE", A, "absent"],
    ["ZSCORE", B, "a"],
    ["ZMSCORE", A, "a", "absent", "nx"],
    ["ZMSCORE", B, "a", "b"],
    ["ZCARD", A],
    ["ZCARD", B],
    ["ZADD", A, "3", BIN, "4", ""],
    ["ZSCORE", A, BIN],
    ["ZSCORE", A, ""],
    ["ZREM", A, "a", "absent", "a"],
    ["ZREM", B, "a"],
    ["ZREM", A, "nx", BIN, "", "more"],
    ["EXISTS", A],
    ["SET", STR, "x"],
    ["ZINCRBY", STR, "1", "a"],
    ["ZINCRBY", STR, "x", "a"],
    ["ZSCORE", STR, "a"],
    ["ZMSCORE", STR, "a"],
    ["ZCARD", STR],
    ["ZREM", STR, "a"],
    ["ZINCRBY", A, "1"],
    ["ZSCORE", A],
    ["ZMSCORE", A],
    ["ZREM", A],
    ["ZCARD", A, B],
  ],
  "ZRANK ZREVRANK": [
    ["ZADD", A, "1", "a", "2", "b", "2", "c", "3", "d"],
    ["ZRANK", A, "a"],
    ["ZRANK", A, "c"],
    ["ZREVRANK", A, "a"],
    ["ZREVRANK", A, "c"],
    ["ZRANK", A, "absent"],
    ["ZREVRANK", A, "absent"],
    ["ZRANK", B, "a"],
    ["ZRANK", A, "a", "WITHSCORE"],
    ["ZREVRANK", A, "a", "WITHSCORE"],
    many(B, 300),
    ["ZRANK", B, "m0000"],
    ["ZRANK", B, "m0150"],
    ["ZREVRANK", B, "m0150"],
    ["ZRANK", B, "m0299"],
    ["SET", STR, "x"],
    ["ZRANK", STR, "a"],
    ["ZRANK", A],
  ],
  "double formatting in both encodings": [
    ["ZADD", A, "-0", "negz", "1.5e-320", "den", "123456789012345678", "big", "0.1", "f"],
    ["ZADD", A, "1e20", "e20", "1e17", "e17", "3.0000000000000004", "t", "-2.5", "g"],
    ["ZADD", A, "4503599627370496", "p52", "9007199254740993", "p53", "1e-5", "small"],
    ["ZRANGE", A, "0", "-1", "WITHSCORES"],
    ["ZSCORE", A, "negz"],
    ["ZSCAN", A, "0"],
    ["ZINCRBY", A, "-0", "negz"],
    ["ZADD", A, "INCR", "-0", "negz2"],
    ["ZSCORE", A, "negz2"],
    ["ZADD", B, "1", LONG],
    ["OBJECT", "ENCODING", B],
    ["ZADD", B, "-0", "negz", "1.5e-320", "den", "0.1", "f", "1e20", "e20", "-0.0", "z2"],
    ["ZRANGE", B, "0", "-1", "WITHSCORES"],
    ["ZSCORE", B, "negz"],
    { args: ["ZSCAN", B, "0"], norm: scanPage },
    ["ZINCRBY", B, "-0", "negz"],
    ["ZINCRBY", B, "0", "negz"],
    ["ZRANGEBYSCORE", B, "-0", "0", "WITHSCORES"],
    ["ZUNION", "1", B, "WITHSCORES"],
  ],
  "encodings and conversions": [
    ["ZADD", A, "1", "a"],
    ["OBJECT", "ENCODING", A],
    many(B, 128),
    ["OBJECT", "ENCODING", B],
    ["ZADD", B, "1", "extra"],
    ["OBJECT", "ENCODING", B],
    ["ZREMRANGEBYRANK", B, "0", "-3"],
    ["OBJECT", "ENCODING", B],
    ["ZADD", C, "1", "m".repeat(64)],
    ["OBJECT", "ENCODING", C],
    ["ZADD", C, "1", LONG],
    ["OBJECT", "ENCODING", C],
    ["ZREM", C, LONG],
    ["OBJECT", "ENCODING", C],
    ["ZADD", Z1, "1", LONG, "2", "a", "3", "b"],
    ["ZRANGESTORE", D, Z1, "1", "-1"],
    ["OBJECT", "ENCODING", D],
    ["ZRANGESTORE", D, Z1, "0", "0"],
    ["OBJECT", "ENCODING", D],
    ["ZUNIONSTORE", D, "1", Z1],
    ["OBJECT", "ENCODING", D],
    ["ZDIFFSTORE", D, "2", Z1, Z1],
    ["EXISTS", D],
    ["CONFIG", "SET", "zset-max-listpack-entries", "2"],
    ["ZADD", Z2, "1", "a", "1", "a", "1", "a"],
    ["OBJECT", "ENCODING", Z2],
    ["ZADD", Z2, "2", "b", "3", "c"],
    ["OBJECT", "ENCODING", Z2],
    ["ZINCRBY", Z3, "1", "a"],
    ["OBJECT", "ENCODING", Z3],
    ["ZUNIONSTORE", D, "2", Z2, Z3],
    ["OBJECT", "ENCODING", D],
    ["ZINTERSTORE", D, "2", Z2, Z3],
    ["OBJECT", "ENCODING", D],
    ["CONFIG", "SET", "zset-max-listpack-entries", "0"],
    ["ZADD", "{z}e", "1", "a"],
    ["OBJECT", "ENCODING", "{z}e"],
    ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
    ["CONFIG", "SET", "zset-max-listpack-value", "0"],
    ["ZADD", "{z}f", "1", "a"],
    ["OBJECT", "ENCODING", "{z}f"],
    ["ZADD", "{z}g", "1", ""],
    ["OBJECT", "ENCODING", "{z}g"],
    ["CONFIG", "SET", "zset-max-listpack-value", "64"],
    ["COPY", Z1, "{z}copy"],
    ["OBJECT", "ENCODING", "{z}copy"],
    ["ZRANGE", "{z}copy", "0", "-1", "WITHSCORES"],
  ],
  "ZPOPMIN ZPOPMAX ZMPOP": [
    ["ZADD", Z1, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
    ["ZPOPMIN", Z1],
    ["ZPOPMAX", Z1],
    ["ZPOPMIN", Z1, "2"],
    ["ZPOPMAX", Z1, "0"],
    ["ZPOPMAX", Z1, "10"],
    ["EXISTS", Z1],
    ["ZPOPMIN", Z1],
    ["ZPOPMIN", Z1, "3"],
    ["ZPOPMIN", Z1, "-1"],
    ["ZPOPMIN", Z1, "x"],
    ["ZPOPMIN", Z1, "1", "2"],
    ["ZADD", Z1, "1", "a", "2", "b", "3", "c"],
    ["ZADD", Z2, "-1", "x"],
    ["ZMPOP", "1", Z1, "MIN"],
    ["ZMPOP", "2", NONE, Z1, "MAX", "COUNT", "10"],
    ["EXISTS", Z1],
    ["ZMPOP", "2", NONE, Z1, "MIN"],
    ["ZMPOP", "3", NONE, Z1, Z2, "min", "count", "1"],
    ["ZMPOP", "0", Z1, "MIN"],
    ["ZMPOP", "-1", Z1, "MIN"],
    ["ZMPOP", "x", Z1, "MIN"],
    ["ZMPOP", "2", Z1, "MIN"],
    ["ZMPOP", "1", Z1, "FOO"],
    ["ZMPOP", "1", Z1, "MIN", "COUNT", "0"],
    ["ZMPOP", "1", Z1, "MIN", "COUNT", "-1"],
    ["ZMPOP", "1", Z1, "MIN", "COUNT", "x"],
    ["ZMPOP", "1", Z1, "MIN", "COUNT", "1", "COUNT", "2"],
    ["ZMPOP", "1", Z1, "MIN", "COUNT"],
    ["ZMPOP", "1", Z1, "MIN", "MAX"],
    ["ZMPOP", "1", Z1],
    ["SET", STR, "x"],
    ["ZADD", Z1, "1", "a"],
    ["ZMPOP", "2", Z1, STR, "MIN"],
    ["ZMPOP", "2", NONE, STR, "MIN"],
    ["ZMPOP", "2", STR, Z1, "MIN"],
    ["ZPOPMIN", STR],
    ["ZPOPMIN", STR, "0"],
    ["ZPOPMIN", STR, "x"],
    ["ZPOPMAX"],
    many(Z3, 300),
    ["ZPOPMIN", Z3, "3"],
    ["ZPOPMAX", Z3, "3"],
    ["ZMPOP", "1", Z3, "MAX", "COUNT", "2"],
    ["ZCARD", Z3],
  ],
  ZRANDMEMBER: [
    ["ZRANDMEMBER", A],
    ["ZRANDMEMBER", A, "1"],
    ["ZRANDMEMBER", A, "1", "WITHSCORES"],
    ["ZADD", A, "1", "a", "2", "b", "3", "c"],
    { args: ["ZRANDMEMBER", A], norm: oneOf(["a", "b", "c"]) },
    ["ZRANDMEMBER", A, "3"],
    ["ZRANDMEMBER", A, "100", "WITHSCORES"],
    ["ZRANDMEMBER", A, "0"],
    ["ZRANDMEMBER", A, "0", "WITHSCORES"],
    { args: ["ZRANDMEMBER", A, "2"], norm: picks(['$"a"', '$"b"', '$"c"']) },
    { args: ["ZRANDMEMBER", A, "1"], norm: picks(['$"a"', '$"b"', '$"c"']) },
    { args: ["ZRANDMEMBER", A, "-7"], norm: picks(['$"a"', '$"b"', '$"c"'], true) },
    { args: ["ZRANDMEMBER", A, "2", "WITHSCORES"], norm: picks(ABC) },
    { args: ["ZRANDMEMBER", A, "-5", "withscores"], norm: picks(ABC, true) },
    ["ZRANDMEMBER", A, "4611686018427387903", "WITHSCORES"],
    ["ZRANDMEMBER", A, "4611686018427387904", "WITHSCORES"],
    ["ZRANDMEMBER", A, "-4611686018427387904", "WITHSCORES"],
    ["ZRANDMEMBER", A, "-9223372036854775808"],
    ["ZRANDMEMBER", A, "9223372036854775807"],
    ["ZRANDMEMBER", A, "x"],
    ["ZRANDMEMBER", A, "1", "FOO"],
    ["ZRANDMEMBER", A, "1", "WITHSCORES", "x"],
    many(B, 200),
    ["ZRANDMEMBER", B, "200"],
    ["SET", STR, "x"],
    ["ZRANDMEMBER", STR],
    ["ZRANDMEMBER", STR, "0"],
    ["ZRANDMEMBER", STR, "x"],
    ["ZRANDMEMBER"],
  ],
  ZSCAN: [
    ["ZSCAN", A, "0"],
    ["ZADD", A, "1", "a", "2", "b", "3", "c", "0.5", "d"],
    ["ZSCAN", A, "0"],
    ["ZSCAN", A, "0", "COUNT", "1"],
    ["ZSCAN", A, "0", "MATCH", "[ab]"],
    ["ZSCAN", A, "123"],
    ["ZSCAN", A, "x"],
    ["ZSCAN", A, "0", "COUNT", "0"],
    ["ZSCAN", A, "0", "COUNT", "x"],
    ["ZSCAN", A, "0", "MATCH"],
    ["ZSCAN", A, "0", "NOVALUES"],
    ["ZADD", B, "1", LONG, "2", "x"],
    { args: ["ZSCAN", B, "0"], norm: scanPage },
    { args: ["ZSCAN", B, "0", "MATCH", "x*"], norm: scanPage },
    ["SET", STR, "x"],
    ["ZSCAN", STR, "0"],
    ["ZSCAN", STR, "0", "COUNT", "0"],
    ["ZSCAN", STR, "x"],
    ["ZSCAN", A],
  ],
  // WATCH sees exactly the writes that change a key (Redis's signalModifiedKey)
  "WATCH and writes": [
    ["ZADD", Z1, "1", "a", "2", "b"],
    ...watched(["ZADD", Z1, "1", "a"]),
    ...watched(["ZADD", Z1, "XX", "5", "zz"]),
    ...watched(["ZADD", Z1, "INCR", "0", "a"]),
    ...watched(["ZADD", Z1, "3", "a"]),
    ...watched(["ZINCRBY", Z1, "1", "b"]),
    ...watched(["ZREM", Z1, "zz"]),
    ...watched(["ZREM", Z1, "b"]),
    ...watched(["ZPOPMIN", Z1, "0"]),
    ...watched(["ZPOPMIN", Z2]),
    ...watched(["ZUNIONSTORE", Z3, "1", Z2]),
    ...watched(["ZUNIONSTORE", Z1, "1", Z1]),
  ],
  // with 3 shards these keys live on different shards: the commands run on shipped copies
  "keys on several shards": [
    ["ZADD", A, "1", "a", "2", "b", "3", "c"],
    ["ZADD", B, "10", "b", "20", "c", "30", "d"],
    ["SADD", C, "a", "x"],
    ["ZUNION", "3", A, B, C, "WITHSCORES"],
    ["ZINTER", "2", A, B, "WEIGHTS", "2", "1", "WITHSCORES"],
    ["ZDIFF", "2", B, A, "WITHSCORES"],
    ["ZINTERCARD", "2", A, B],
    ["ZUNIONSTORE", C, "2", A, B],
    ["ZRANGE", C, "0", "-1", "WITHSCORES"],
    ["ZRANGESTORE", A, B, "0", "1"],
    ["ZRANGE", A, "0", "-1", "WITHSCORES"],
    ["ZMPOP", "3", "{z}none", A, B, "MAX", "COUNT", "5"],
    ["EXISTS", A],
    ["ZMPOP", "2", A, B, "MIN"],
    ["ZDIFFSTORE", A, "2", B, C],
    ["EXISTS", A],
  ],
};

Deno.test("differential: sorted-set commands match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, cmds));
    }
  });
});
