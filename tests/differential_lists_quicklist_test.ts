/**
 * Lists across the quicklist node bound, replies compared byte for byte with redis-server
 * (RESP2, RESP3, pipelined; Skua with 1 and 3 shards). Skua keeps a list that fits one node
 * (list-max-listpack-size: -1..-5 bound a node's bytes, a positive value its entries) as one
 * listpack blob and converts it to the object when a push would open a second node; these
 * sequences grow lists past that point with every kind of write, at several fills set by
 * CONFIG SET, read them back with every read, and shrink them again (a list never goes back).
 * Elements include listpack integers at each width, near-integers that must stay strings, and
 * binary bytes: LRANGE must give back the exact text pushed.
 */

import { assertSame, type Cmd, withDiffTargets } from "./helpers/diff.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { rng } from "./helpers/rng.ts";

const [A, B, C] = spreadKeys("qlist:", 3);
const BINARY = "bin\x00ary\r\n\xff\xfe\x80 \"'";
/** integers at each listpack width, and texts that look like integers but are not canonical */
const INTS = [
  "0",
  "7",
  "127",
  "128",
  "-1",
  "-4096",
  "4095",
  "32767",
  "-32769",
  "8388607",
  "-8388609",
  "2147483647",
  "-2147483649",
  "9007199254740993",
  "9223372036854775807",
  "-9223372036854775808",
];
const NEAR_INTS = ["9223372036854775808", "-9223372036854775809", "007", "-0", "+1", " 1", "1 "];

/** An element of about `size` bytes, varied by i (binary, integer or text). */
function elem(i: number, size: number): string {
  switch (i % 5) {
    case 0:
      return INTS[i % INTS.length];
    case 1:
      return NEAR_INTS[i % NEAR_INTS.length];
    case 2:
      return BINARY + "z".repeat(Math.max(0, size - BINARY.length)) + i;
    default:
      return `e${i}-` + "x".repeat(size);
  }
}

/** Pushes one at a time past the node bound, reading the list back as it grows. */
function grow(key: string, n: number, size: number): Cmd[] {
  const out: Cmd[] = [];
  for (let i = 0; i < n; i++) {
    out.push([i % 3 === 0 ? "LPUSH" : "RPUSH", key, elem(i, size)]);
    out.push(["LLEN", key]);
    out.push(["LINDEX", key, String(Math.floor(i / 2))]);
    out.push(["LINDEX", key, "-1"]);
    if (i % 4 === 0) out.push(["LRANGE", key, "0", "-1"]);
  }
  return out;
}

/** Every other write and read on a list, ending with it shrunk and then emptied. */
function exercise(key: string, other: string, size: number): Cmd[] {
  return [
    ["LRANGE", key, "0", "-1"],
    ["LRANGE", key, "-3", "2"],
    ["LPOS", key, INTS[0]],
    ["LPOS", key, NEAR_INTS[1], "RANK", "-1", "COUNT", "0"],
    ["LPOS", key, INTS[5], "COUNT", "2", "MAXLEN", "4"],
    ["LINSERT", key, "BEFORE", INTS[0], "ins-" + "y".repeat(size)],
    ["LINSERT", key, "AFTER", NEAR_INTS[1], "12345"],
    ["LINSERT", key, "AFTER", "absent", "x"],
    ["LSET", key, "1", "s".repeat(size * 2)],
    ["LSET", key, "-1", "-77"],
    ["LSET", key, "2", BINARY],
    ["LRANGE", key, "0", "-1"],
    ["LREM", key, "1", "-77"],
    ["LREM", key, "-1", INTS[0]],
    ["LREM", key, "0", BINARY],
    ["LRANGE", key, "0", "-1"],
    ["LMOVE", key, other, "LEFT", "RIGHT"],
    ["LMOVE", other, key, "LEFT", "LEFT"],
    ["RPOPLPUSH", key, key],
    ["LMOVE", key, key, "LEFT", "RIGHT"],
    ["LRANGE", key, "0", "-1"],
    ["LRANGE", other, "0", "-1"],
    ["LPOP", key, "2"],
    ["RPOP", key, "3"],
    ["LPOP", key],
    ["RPOP", key],
    ["LTRIM", key, "1", "-2"],
    ["LRANGE", key, "0", "-1"],
    ["OBJECT", "ENCODING", key],
    ["RPUSH", key, "after-shrink", "42"],
    ["LRANGE", key, "0", "-1"],
    ["LTRIM", key, "0", "1"],
    ["LRANGE", key, "0", "-1"],
    ["LPUSHX", key, "px"],
    ["RPUSHX", key, "-9"],
    ["LRANGE", key, "0", "-1"],
    ["LTRIM", key, "5", "1"],
    ["EXISTS", key],
    ["DEL", other],
  ];
}

/** One sequence at a fill: grow A past the bound (and B with pushes of many at once). */
function atFill(fill: number, n: number, size: number): Cmd[] {
  const many: string[] = ["RPUSH", B];
  for (let i = 0; i < n; i++) many.push(elem(i + 3, size));
  return [
    ["CONFIG", "SET", "list-max-listpack-size", String(fill)],
    ["DEL", A, B, C],
    ...grow(A, n, size),
    ...exercise(A, C, size),
    many,
    ["LRANGE", B, "0", "-1"],
    ["LPOP", B, String(n - 2)],
    ["LRANGE", B, "0", "-1"],
    ["LPUSH", B, ...many.slice(2, 6)],
    ["LRANGE", B, "0", "-1"],
    ["DEL", A, B, C],
    ["CONFIG", "SET", "list-max-listpack-size", "-2"],
  ];
}

/** Random writes on two lists around the bound, each followed by a full read. */
function randomSequence(seed: number, fill: number): Cmd[] {
  const r = rng(seed);
  const out: Cmd[] = [["CONFIG", "SET", "list-max-listpack-size", String(fill)], ["DEL", A, B]];
  const keys = [A, B];
  for (let i = 0; i < 300; i++) {
    const k = keys[Math.floor(r() * 2)];
    const o = keys[Math.floor(r() * 2)];
    const v = elem(Math.floor(r() * 40), Math.floor(r() * 400));
    const op = Math.floor(r() * 12);
    if (op < 4) out.push([op < 2 ? "LPUSH" : "RPUSH", k, v, elem(i, 30)]);
    else if (op === 4) out.push(["LPOP", k, String(1 + Math.floor(r() * 3))]);
    else if (op === 5) out.push(["RPOP", k]);
    else if (op === 6) out.push(["LSET", k, String(Math.floor(r() * 10) - 5), v]);
    else if (op === 7) out.push(["LINSERT", k, r() < 0.5 ? "BEFORE" : "AFTER", elem(i % 7, 30), v]);
    else if (op === 8) out.push(["LREM", k, String(Math.floor(r() * 5) - 2), elem(i % 7, 30)]);
    else if (op === 9) out.push(["LMOVE", k, o, r() < 0.5 ? "LEFT" : "RIGHT", "LEFT"]);
    else if (op === 10) out.push(["LTRIM", k, String(Math.floor(r() * 3)), "-2"]);
    else out.push(["LPOS", k, elem(i % 7, 30), "RANK", "-1", "COUNT", "0"]);
    out.push(["LRANGE", k, "0", "-1"]);
  }
  out.push(["DEL", A, B], ["CONFIG", "SET", "list-max-listpack-size", "-2"]);
  return out;
}

/** A list of 5000 elements in nodes of 7 (fill 7): every read and edit crosses nodes. */
function manyNodes(): Cmd[] {
  const push: string[] = ["RPUSH", A];
  for (let i = 0; i < 5000; i++) push.push(elem(i, 12));
  const out: Cmd[] = [["CONFIG", "SET", "list-max-listpack-size", "7"], ["DEL", A], push];
  for (const i of [0, 6, 7, 8, 2499, 2500, 4992, 4993, 4999, -1, -7, -8, -2500]) {
    out.push(["LINDEX", A, String(i)]);
  }
  out.push(
    ["LRANGE", A, "3", "30"],
    ["LRANGE", A, "2490", "2520"],
    ["LRANGE", A, "-30", "-1"],
    ["LINSERT", A, "BEFORE", elem(702, 12), "before-702"],
    ["LINSERT", A, "AFTER", elem(1406, 12), "after-1406"],
    ["LINSERT", A, "BEFORE", elem(0, 12), "at-head"],
    ["LSET", A, "3500", "set-" + "q".repeat(500)],
    ["LSET", A, "-3500", "-123456"],
    ["LRANGE", A, "690", "720"],
    ["LRANGE", A, "1395", "1415"],
    ["LPOS", A, "after-1406"],
    ["LPOS", A, elem(4, 12), "RANK", "-3", "COUNT", "5"],
    ["LPOS", A, elem(4, 12), "COUNT", "0", "MAXLEN", "1000"],
    ["LREM", A, "5", elem(3, 12)],
    ["LREM", A, "-5", elem(8, 12)],
    ["LREM", A, "0", elem(9, 12)],
    ["LLEN", A],
    ["LRANGE", A, "0", "60"],
    ["LRANGE", A, "-60", "-1"],
    ["LTRIM", A, "13", "-17"],
    ["LLEN", A],
    ["LRANGE", A, "0", "20"],
    ["LRANGE", A, "-20", "-1"],
    ["LPOP", A, "20"],
    ["RPOP", A, "20"],
    ["LINDEX", A, "1234"],
    ["SORT", A, "ALPHA", "LIMIT", "0", "10"],
    ["DEL", A],
    ["CONFIG", "SET", "list-max-listpack-size", "-2"],
  );
  return out;
}

const GROUPS: Record<string, Cmd[]> = {
  "fill -2 (8 KB nodes)": atFill(-2, 40, 300),
  "fill -1 (4 KB nodes)": atFill(-1, 24, 250),
  "fill -5 (64 KB nodes)": atFill(-5, 40, 2000),
  "fill 3 (entries)": atFill(3, 8, 10),
  "fill 128 (entries, and the 8 KB safety bound)": atFill(128, 40, 300),
  "fill 1 and 0": [...atFill(1, 4, 5), ...atFill(0, 4, 5)],
  "fill -7 clamps to -5, 40000 clamps to 32767": [
    ...atFill(-7, 10, 3000),
    ...atFill(40000, 10, 100),
  ],
  "one element bigger than a node": [
    ["RPUSH", A, "x".repeat(70_000)],
    ["RPUSH", A, "1"],
    ["LPUSH", A, "2"],
    ["LRANGE", A, "0", "-1"],
    ["LPOP", A, "2"],
    ["LRANGE", A, "0", "-1"],
    ["DEL", A],
  ],
  "SORT STORE into a small and a large list": [
    ["RPUSH", A, "3", "1", "2", "10", "-5", "9223372036854775807"],
    ["SORT", A, "STORE", A],
    ["LRANGE", A, "0", "-1"],
    ["SORT", A, "ALPHA", "DESC", "STORE", A],
    ["LPUSH", A, "x"],
    ["LRANGE", A, "0", "-1"],
    ["DEL", A],
    ["RPUSH", A, ...Array.from({ length: 600 }, (_, i) => String(600 - i) + "y".repeat(20))],
    ["SORT", A, "ALPHA", "STORE", A],
    ["LRANGE", A, "0", "4"],
    ["LLEN", A],
    ["DEL", A],
  ],
  "many nodes: reads and edits across node boundaries": manyNodes(),
  "random sequence, fill -1": randomSequence(1, -1),
  "random sequence, fill 5": randomSequence(2, 5),
  "random sequence, fill -2": randomSequence(3, -2),
};

Deno.test("differential: lists across the quicklist node bound match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, cmds));
    }
  });
});
