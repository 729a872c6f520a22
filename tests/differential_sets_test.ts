/**
 * Set commands compared byte for byte with redis-server (RESP2, RESP3, pipelined) against
 * Skua with 1 and 3 shards, error paths included. Multi-key commands use `{s}` keys.
 * Normalized: replies whose order Redis leaves to its hash table (hashtable-encoded sets) are
 * compared sorted, and random picks (SRANDMEMBER, SPOP) are checked for size, distinctness and
 * membership; intset-encoded sets come back in numeric order and are compared as they are.
 */

import {
  assertSame,
  type Cmd,
  type Normalizer,
  setItems,
  sorted,
  withDiffTargets,
} from "./helpers/diff.ts";
import { parse, type Reply, toLatin1 } from "./helpers/resp.ts";
import { spreadKeys } from "./helpers/keys.ts";

const [A, B, C] = spreadKeys("set:", 3);
const [S1, S2, S3, S4, D] = ["{s}1", "{s}2", "{s}3", "{s}4", "{s}d"];
const STR = "{s}str";
const BIN = "b\x00in\r\n\xff";

function items(raw: Uint8Array): { head: string; list: string[] } | null {
  const r: Reply = parse(raw);
  const list = Array.isArray(r) ? r : setItems(r);
  if (list === null || !list.every((x) => x instanceof Uint8Array)) return null;
  return { head: toLatin1(raw)[0], list: list.map((x) => toLatin1(x as Uint8Array)) };
}

/** Random picks: `n` elements of `from` (distinct unless `repeats`) become `<n picks>`. */
function picks(from: string[], repeats = false): Normalizer {
  return (raw) => {
    const it = items(raw);
    if (it === null) return toLatin1(raw);
    const ok = it.list.every((m) => from.includes(m)) &&
      (repeats || new Set(it.list).size === it.list.length);
    return ok ? `${it.head}<${it.list.length} picks>` : `bad picks: ${toLatin1(raw)}`;
  };
}

/** A single bulk member of `from` (or a null) becomes `<member>`. */
function oneOf(from: string[]): Normalizer {
  return (raw) => {
    const r = parse(raw);
    return r instanceof Uint8Array && from.includes(toLatin1(r)) ? "<member>" : toLatin1(raw);
  };
}

/** An SSCAN page as cursor + sorted members. */
const scanPage: Normalizer = (raw) => {
  const r = parse(raw);
  if (!Array.isArray(r) || r.length !== 2) return toLatin1(raw);
  const list = (r[1] as Reply[]).map((x) => toLatin1(x as Uint8Array)).sort();
  return `${toLatin1(r[0] as Uint8Array)}:${list.join(",")}`;
};

const u = (args: string[]): Cmd => ({ args, norm: sorted });
const ints = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));

const GROUPS: Record<string, Cmd[]> = {
  "SADD SREM SCARD SISMEMBER SMISMEMBER": [
    ["SADD", A, "a", "b", "c", "a"],
    ["SADD", A, "a"],
    ["SCARD", A],
    ["SISMEMBER", A, "a"],
    ["SISMEMBER", A, "z"],
    ["SMISMEMBER", A, "a", "z", "c", "a"],
    ["SMISMEMBER", B, "a"],
    ["SISMEMBER", B, "a"],
    ["SCARD", B],
    ["SREM", A, "a", "z", "a"],
    ["SREM", B, "a"],
    ["SADD", A, BIN, ""],
    ["SISMEMBER", A, BIN],
    ["SISMEMBER", A, ""],
    u(["SMEMBERS", A]),
    ["SREM", A, "b", "c", BIN, "", "more"],
    ["EXISTS", A],
    ["TYPE", A],
    ["SADD", C, "x"],
    ["TYPE", C],
    ["SET", B, "string"],
    ["SADD", B, "a"],
    ["SREM", B, "a"],
    ["SCARD", B],
    ["SISMEMBER", B, "a"],
    ["SMISMEMBER", B, "a"],
    ["SMEMBERS", B],
    ["SADD", A],
    ["SREM", A],
    ["SCARD"],
    ["SISMEMBER", A],
    ["SMISMEMBER", A],
    ["SCARD", A, B],
  ],
  "intset encoding and order": [
    ["SADD", A, "3", "-5", "10", "1", "2"],
    ["OBJECT", "ENCODING", A],
    ["SMEMBERS", A],
    ["SSCAN", A, "0"],
    ["SSCAN", A, "0", "COUNT", "1"],
    ["SSCAN", A, "17"],
    ["SADD", A, "9223372036854775807", "-9223372036854775808", "0"],
    ["SMEMBERS", A],
    ["OBJECT", "ENCODING", A],
    ["SADD", B, "9223372036854775808"],
    ["OBJECT", "ENCODING", B],
    ["SADD", B, "x"],
    ["SADD", C, "01"],
    ["OBJECT", "ENCODING", C],
    ["SADD", C, "-0", "+1", " 1", "1.0"],
    ["OBJECT", "ENCODING", C],
    ["SADD", S1, ...ints(1, 512)],
    ["OBJECT", "ENCODING", S1],
    ["SADD", S1, "513"],
    ["OBJECT", "ENCODING", S1],
    ["SREM", S1, ...ints(1, 600)],
    ["SADD", S1, "1"],
    ["OBJECT", "ENCODING", S1],
    ["SADD", S2, "1", "x"],
    ["SREM", S2, "x"],
    ["OBJECT", "ENCODING", S2],
    ["SMEMBERS", S2],
    ["SUNIONSTORE", D, S2],
    ["OBJECT", "ENCODING", D],
    ["CONFIG", "SET", "set-max-intset-entries", "3"],
    ["SADD", S3, "1", "2", "3"],
    ["OBJECT", "ENCODING", S3],
    ["SADD", S3, "4"],
    ["OBJECT", "ENCODING", S3],
    ["SADD", S4, "1", "2"],
    ["SINTERSTORE", D, S4, S4],
    ["OBJECT", "ENCODING", D],
    ["SUNIONSTORE", D, S3],
    ["OBJECT", "ENCODING", D],
    ["CONFIG", "SET", "set-max-intset-entries", "0"],
    ["SADD", S4, "7"],
    ["SADD", "{s}5", "7"],
    ["OBJECT", "ENCODING", "{s}5"],
    ["CONFIG", "SET", "set-max-intset-entries", "512"],
  ],
  "SMEMBERS SSCAN": [
    u(["SMEMBERS", A]),
    ["SADD", A, "a", "b", "c", "d"],
    u(["SMEMBERS", A]),
    { args: ["SSCAN", A, "0"], norm: scanPage },
    { args: ["SSCAN", A, "0", "COUNT", "100", "MATCH", "*"], norm: scanPage },
    { args: ["SSCAN", A, "0", "MATCH", "[ab]"], norm: scanPage },
    { args: ["SSCAN", A, "0", "match", "c", "count", "5"], norm: scanPage },
    ["SSCAN", B, "0"],
    ["SSCAN", B, "0", "COUNT", "0"],
    ["SSCAN", B, "abc"],
    ["SSCAN", A, "abc"],
    ["SSCAN", A, "-1x"],
    ["SSCAN", A, "18446744073709551616"],
    ["SSCAN", A, "0", "COUNT", "0"],
    ["SSCAN", A, "0", "COUNT", "-1"],
    ["SSCAN", A, "0", "COUNT", "x"],
    ["SSCAN", A, "0", "COUNT"],
    ["SSCAN", A, "0", "MATCH"],
    ["SSCAN", A, "0", "TYPE", "set"],
    ["SSCAN", A, "0", "FOO", "bar"],
    ["SET", C, "x"],
    ["SSCAN", C, "0"],
    ["SSCAN", C, "x"],
    ["SSCAN", C, "0", "COUNT", "0"],
    ["SMEMBERS", C],
    ["SSCAN", A],
    ["SMEMBERS"],
  ],
  "SPOP SRANDMEMBER": [
    ["SPOP", A],
    ["SPOP", A, "0"],
    ["SPOP", A, "3"],
    ["SRANDMEMBER", A],
    ["SRANDMEMBER", A, "3"],
    ["SRANDMEMBER", A, "-3"],
    ["SADD", A, "x"],
    ["SRANDMEMBER", A],
    ["SRANDMEMBER", A, "1"],
    ["SRANDMEMBER", A, "-3"],
    ["SPOP", A],
    ["EXISTS", A],
    ["SADD", A, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
    ["SRANDMEMBER", A, "10"],
    ["SRANDMEMBER", A, "100"],
    { args: ["SRANDMEMBER", A, "9"], norm: picks(ints(1, 10)) },
    { args: ["SRANDMEMBER", A, "2"], norm: picks(ints(1, 10)) },
    { args: ["SRANDMEMBER", A, "-25"], norm: picks(ints(1, 10), true) },
    { args: ["SRANDMEMBER", A], norm: oneOf(ints(1, 10)) },
    ["SRANDMEMBER", A, "0"],
    { args: ["SPOP", A], norm: oneOf(ints(1, 10)) },
    { args: ["SPOP", A, "2"], norm: picks(ints(1, 10)) },
    { args: ["SPOP", A, "6"], norm: picks(ints(1, 10)) },
    ["SCARD", A],
    { args: ["SPOP", A, "1"], norm: picks(ints(1, 10)) },
    ["SPOP", A, "1"],
    ["EXISTS", A],
    ["SADD", A, "a", "b", "c"],
    u(["SPOP", A, "3"]),
    ["EXISTS", A],
    ["SADD", A, "a", "b", "c"],
    u(["SPOP", A, "9223372036854775807"]),
    ["SADD", A, "a", "b", "c"],
    u(["SRANDMEMBER", A, "3"]),
    u(["SRANDMEMBER", A, "9223372036854775807"]),
    { args: ["SRANDMEMBER", A, "-5"], norm: picks(["a", "b", "c"], true) },
    ["SRANDMEMBER", A, "-9223372036854775808"],
    ["SRANDMEMBER", A, "9223372036854775808"],
    ["SRANDMEMBER", A, "x"],
    ["SRANDMEMBER", A, "1", "2"],
    ["SPOP", A, "-1"],
    ["SPOP", A, "x"],
    ["SPOP", A, "1", "2"],
    ["SPOP", A, "9223372036854775808"],
    ["SET", B, "x"],
    ["SPOP", B],
    ["SPOP", B, "0"],
    ["SPOP", B, "x"],
    ["SRANDMEMBER", B],
    ["SRANDMEMBER", B, "0"],
    ["SRANDMEMBER", B, "x"],
    ["SPOP"],
    ["SRANDMEMBER"],
  ],
  SMOVE: [
    ["SMOVE", S1, S2, "a"],
    ["SADD", S1, "a", "b", "1"],
    ["SMOVE", S1, S2, "a"],
    ["SMOVE", S1, S2, "zz"],
    u(["SMEMBERS", S1]),
    ["SMEMBERS", S2],
    ["SMOVE", S1, S1, "b"],
    ["SMOVE", S1, S1, "zz"],
    ["SMOVE", S1, S2, "a"],
    ["SADD", S2, "b"],
    ["SMOVE", S1, S2, "b"],
    u(["SMEMBERS", S2]),
    ["SMOVE", S1, S3, "1"],
    ["OBJECT", "ENCODING", S3],
    ["EXISTS", S1],
    ["SET", STR, "x"],
    ["SMOVE", STR, S2, "a"],
    ["SMOVE", S2, STR, "a"],
    ["SMOVE", S2, STR, "nope"],
    ["SMOVE", "{s}none", STR, "a"],
    ["SMOVE", S2, "{s}new", "a"],
    ["SMEMBERS", "{s}new"],
    ["SMOVE", S2, S3],
    ["SMOVE", S1, S2, "a", "b"],
  ],
  "SINTER SINTERSTORE SINTERCARD": [
    ["SADD", S1, "a", "b", "c", "d", "1", "2"],
    ["SADD", S2, "b", "c", "d", "e", "2"],
    ["SADD", S3, "c", "d", "2", "3"],
    ["SADD", S4, "1", "2", "3", "4"],
    u(["SINTER", S1, S2]),
    u(["SINTER", S1, S2, S3]),
    u(["SINTER", S1]),
    u(["SINTER", S1, S1]),
    u(["SINTER", S3, S4]),
    ["SINTER", S4, S4],
    ["SINTER", S1, "{s}none"],
    ["SINTER", "{s}none"],
    ["SINTERSTORE", D, S1, S2, S3],
    u(["SMEMBERS", D]),
    ["OBJECT", "ENCODING", D],
    ["SINTERSTORE", D, S3, S4],
    ["SMEMBERS", D],
    ["OBJECT", "ENCODING", D],
    ["SINTERSTORE", D, S1, "{s}none"],
    ["EXISTS", D],
    ["SINTERSTORE", D, S1],
    ["SCARD", D],
    ["SINTERSTORE", S1, S1, S2],
    u(["SMEMBERS", S1]),
    ["SINTERCARD", "2", S2, S3],
    ["SINTERCARD", "2", S2, S3, "LIMIT", "1"],
    ["SINTERCARD", "2", S2, S3, "LIMIT", "0"],
    ["SINTERCARD", "2", S2, S3, "limit", "100"],
    ["SINTERCARD", "1", S2],
    ["SINTERCARD", "2", S2, "{s}none"],
    ["SINTERCARD", "2", S2, S2, "LIMIT", "1", "LIMIT", "3"],
    ["SINTERCARD", "0", S2],
    ["SINTERCARD", "-1", S2],
    ["SINTERCARD", "x", S2],
    ["SINTERCARD", "3", S2, S3],
    ["SINTERCARD", "1", S2, "LIMIT"],
    ["SINTERCARD", "1", S2, "LIMIT", "-1"],
    ["SINTERCARD", "1", S2, "LIMIT", "x"],
    ["SINTERCARD", "1", S2, "FOO"],
    ["SET", STR, "x"],
    ["SINTER", S1, STR],
    ["SINTER", "{s}none", STR],
    ["SINTERSTORE", D, "{s}none", STR],
    ["SINTERCARD", "2", S1, STR],
    ["SINTERCARD", "2", S1, STR, "LIMIT", "x"],
    ["SINTERSTORE", STR, S2, S3],
    ["TYPE", STR],
    ["SINTER"],
    ["SINTERSTORE", D],
    ["SINTERCARD", "1"],
  ],
  "SUNION SDIFF and their STORE": [
    ["SADD", S1, "a", "b", "c", "1", "2"],
    ["SADD", S2, "c", "d", "2", "3"],
    ["SADD", S3, "1", "2", "3", "4"],
    ["SADD", S4, "3", "4", "5"],
    u(["SUNION", S1, S2]),
    ["SUNION", S3, S4],
    ["SUNION", S3, "{s}none"],
    ["SUNION", "{s}none"],
    u(["SDIFF", S1, S2]),
    u(["SDIFF", S1, S2, S3]),
    ["SDIFF", S3, S4],
    ["SDIFF", S3, S3],
    ["SDIFF", "{s}none", S3],
    ["SDIFF", S3, "{s}none"],
    ["SUNIONSTORE", D, S3, S4],
    ["SMEMBERS", D],
    ["OBJECT", "ENCODING", D],
    ["SUNIONSTORE", D, S1, S4],
    ["OBJECT", "ENCODING", D],
    ["SUNIONSTORE", D, "{s}none"],
    ["EXISTS", D],
    ["SDIFFSTORE", D, S3, S4],
    ["SMEMBERS", D],
    ["OBJECT", "ENCODING", D],
    ["SDIFFSTORE", D, S1, S2, S3],
    u(["SMEMBERS", D]),
    ["SDIFFSTORE", D, S3, S3],
    ["EXISTS", D],
    // the second SDIFF algorithm: the result's encoding follows the first set
    ["SADD", "{s}big", "x", ...ints(1, 40)],
    ["SADD", "{s}o1", "x"],
    ["SADD", "{s}o2", "y"],
    ["SDIFFSTORE", D, "{s}big", "{s}o1", "{s}o2"],
    ["OBJECT", "ENCODING", D],
    u(["SDIFF", "{s}big", "{s}o1", "{s}o2"]),
    ["SDIFFSTORE", D, "{s}big", "{s}o1"],
    ["OBJECT", "ENCODING", D],
    ["SET", STR, "x"],
    ["SUNION", S1, STR],
    ["SDIFF", STR, S1],
    ["SDIFF", "{s}none", STR],
    ["SUNIONSTORE", D, S1, STR],
    ["SDIFFSTORE", D, S1, STR],
    ["SUNIONSTORE", STR, S3],
    ["TYPE", STR],
    ["SUNION"],
    ["SDIFF"],
    ["SUNIONSTORE", D],
    ["SDIFFSTORE", D],
  ],
  "keys on several shards": [
    ["SADD", A, "1"],
    ["SADD", B, "1"],
    ["SINTER", "{s}x", "{s}y"],
    ["SUNIONSTORE", "{s}x", "{s}y", "{s}z"],
    ["SINTERCARD", "2", "{s}x", "{s}y"],
  ],
};

Deno.test("differential: set commands match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, cmds));
    }
  });
});
