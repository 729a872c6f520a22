/**
 * String values longer than an arena block (16 KiB) live in their own buffer: every string
 * command must treat them as Redis does, across the boundary in both directions (APPEND and
 * SETRANGE growing a small value past it, SETBIT and BITFIELD extending one, a value coming
 * back under it), and when keys move (COPY, RENAME, MOVE, cross-shard MSET and MGET). Replies
 * are compared byte for byte with redis-server in RESP2 and RESP3 against Skua with 1 and 3
 * shards; the final values are read back in full. Values of several MiB cross the mesh in
 * records of their own (a big SET's value is kept from the peer's record, a big GET's reply is
 * sent from the record it came in), alone and several to a pipeline.
 */

import { assertSame, type Cmd, withDiffTargets } from "./helpers/diff.ts";
import { spreadKeys } from "./helpers/keys.ts";

const [A, B, C, D, E] = spreadKeys("big:", 5);
const KiB = 1024;
const MiB = 1024 * KiB;
const x = (n: number, c = "x") => c.repeat(n);

const GROUPS: Record<string, Cmd[]> = {
  "SET and GET across 16 KiB": [
    ["SET", A, x(16 * KiB)],
    ["STRLEN", A],
    ["SET", B, x(16 * KiB + 1, "y")],
    ["STRLEN", B],
    ["GET", B],
    ["OBJECT", "ENCODING", B],
    ["SET", B, "small again"],
    ["GET", B],
    ["SET", C, x(300 * KiB, "z"), "EX", "1000"],
    ["TTL", C],
    ["SET", C, x(200 * KiB, "w"), "KEEPTTL"],
    ["TTL", C],
    ["GETRANGE", C, "100", "120"],
    ["GETRANGE", C, "-5", "-1"],
    ["SET", C, x(40 * KiB), "GET"],
    ["GETDEL", C],
    ["EXISTS", C],
  ],
  "APPEND and SETRANGE grow past the arena": [
    ["SET", A, x(10 * KiB)],
    ["APPEND", A, x(10 * KiB, "b")],
    ["STRLEN", A],
    ["GETRANGE", A, String(10 * KiB - 2), String(10 * KiB + 2)],
    ["APPEND", A, x(100 * KiB, "c")],
    ["STRLEN", A],
    ["GET", A],
    ["SETRANGE", B, String(20 * KiB), "tail"],
    ["STRLEN", B],
    ["GETRANGE", B, "0", "3"],
    ["GETRANGE", B, String(20 * KiB), "-1"],
    ["SETRANGE", B, "0", "head"],
    ["GET", B],
    ["OBJECT", "ENCODING", A],
  ],
  "bits on big values": [
    ["SETBIT", A, String(8 * 20 * KiB), "1"],
    ["STRLEN", A],
    ["BITCOUNT", A],
    ["BITPOS", A, "1"],
    ["GETBIT", A, String(8 * 20 * KiB)],
    ["SETBIT", A, "7", "1"],
    ["BITCOUNT", A, "0", "0"],
    ["BITFIELD", B, "SET", "u8", String(8 * 40 * KiB), "255", "GET", "u8", String(8 * 40 * KiB)],
    ["STRLEN", B],
    ["SET", C, x(30 * KiB, "\xff")],
    ["BITOP", "AND", "{b}dest", A, A],
    ["STRLEN", "{b}dest"],
  ],
  "keys that move": [
    ["SET", A, x(50 * KiB, "m")],
    ["COPY", A, D],
    ["APPEND", D, "!"],
    ["STRLEN", A],
    ["STRLEN", D],
    ["RENAME", D, E],
    ["GET", E],
    ["MSET", A, x(20 * KiB, "p"), B, x(17 * KiB, "q"), C, "r"],
    ["MGET", A, B, C],
    ["MOVE", A, "1"],
    ["EXISTS", A],
    ["SELECT", "1"],
    ["STRLEN", A],
    ["FLUSHDB"],
    ["SELECT", "0"],
    ["DEL", A, B, C, E],
    ["DBSIZE"],
  ],
  "values of several MiB across shards": [
    ["SET", A, x(6 * MiB, "a")],
    ["SET", B, x(5 * MiB, "b")],
    ["STRLEN", A],
    ["GET", B],
    ["SETRANGE", A, "100", "zz"],
    ["GETRANGE", A, "98", "103"],
    ["APPEND", B, "tail"],
    ["GETRANGE", B, "-6", "-1"],
    ["MSET", C, x(5 * MiB, "c"), D, x(5 * MiB, "d")],
    ["MGET", C, D],
    ["SET", E, x(5 * MiB, "e"), "GET"],
    ["SET", E, "small", "GET"],
    ["GETDEL", A],
    ["EXISTS", A],
    ["GET", B],
    ["DEL", B, C, D, E],
  ],
};

Deno.test("differential: big string values match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, cmds));
    }
  });
});
