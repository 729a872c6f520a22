/**
 * src/store/listpack.ts against Redis's own bytes: redis-server 7.0 (rdbcompression off, so
 * DUMP carries each listpack as it is) builds small hashes, sorted sets and a list from
 * strings of every listpack encoding — integers of every width and sign, strings that only
 * look like integers, strings at each length-encoding and backlen boundary, binary bytes —
 * and each listpack LpBuilder makes from the same entries must equal Redis's byte for byte,
 * while lpRead / lpPrev / lpString / lpFind read Redis's bytes back (forwards, backwards, at
 * an offset inside a larger buffer, as in the arena).
 */
import assert from "node:assert/strict";
import { startRedis } from "./helpers/server.ts";
import { fromLatin1, RespConn } from "./helpers/resp.ts";
import {
  LP_EOF,
  LpBuilder,
  lpBytes,
  lpCount,
  LpEntry,
  lpEntrySize,
  lpEquals,
  lpFind,
  lpFirst,
  lpPrev,
  lpRead,
  lpScoreInt,
  lpString,
} from "../src/store/listpack.ts";
import { formatDouble } from "../src/util/numbers.ts";

/** RDB value types of DUMP payloads (rdb.h) */
const RDB_TYPE_SET_INTSET = 11;
const RDB_TYPE_HASH_LISTPACK = 16;
const RDB_TYPE_ZSET_LISTPACK = 17;
const RDB_TYPE_LIST_QUICKLIST_2 = 18;
/** DUMP's trailer: 2-byte RDB version, 8-byte CRC64 */
const TRAILER_BYTES = 10;

const INTS = [
  // 7-bit unsigned
  "0",
  "1",
  "127",
  // 13-bit signed
  "128",
  "-1",
  "-64",
  "4095",
  "-4096",
  // 16-bit
  "4096",
  "-4097",
  "32767",
  "-32768",
  // 24-bit
  "32768",
  "-32769",
  "8388607",
  "-8388608",
  // 32-bit
  "8388608",
  "-8388609",
  "2147483647",
  "-2147483648",
  // 64-bit, beyond 2^53 too
  "2147483648",
  "-2147483649",
  "9007199254740991",
  "9007199254740993",
  "-9007199254740993",
  "9223372036854775807",
  "-9223372036854775808",
];

/** Strings that look like integers but are not canonical int64s: stored as strings. */
const NOT_INTS = [
  "9223372036854775808",
  "-9223372036854775809",
  "18446744073709551616",
  "-0",
  "01",
  "00",
  "+1",
  " 1",
  "1 ",
  "0x10",
  "1e3",
  "-",
  "",
];

const STRINGS = [
  "a",
  "\x00\xff\x80\r\n",
  "s".repeat(63), // the longest 6-bit string
  "t".repeat(64), // the shortest 12-bit string
  "u".repeat(125), // entry of 127 bytes: 1-byte backlen
  "v".repeat(126), // entry of 128 bytes: 2-byte backlen
  "w".repeat(4095), // the longest 12-bit string
  "x".repeat(4096), // the shortest 32-bit string
  "y".repeat(16377), // entry of 16382 bytes: 2-byte backlen
  "z".repeat(16378), // entry of 16383 bytes: 3-byte backlen
];

const ALL = [...INTS, ...NOT_INTS, ...STRINGS];

/** An RDB length (rdbLoadLen) at p: [length, offset after it]. */
function rdbLen(b: Uint8Array, p: number): [number, number] {
  const t = b[p] >> 6;
  if (t === 0) return [b[p] & 0x3f, p + 1];
  if (t === 1) return [((b[p] & 0x3f) << 8) | b[p + 1], p + 2];
  assert.equal(b[p], 0x80, `RDB length byte 0x${b[p].toString(16)} (32-bit expected)`);
  return [((b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]) >>> 0, p + 5];
}

/** An uncompressed RDB string at p: [its bytes, offset after it]. */
function rdbString(b: Uint8Array, p: number): [Uint8Array, number] {
  const [n, q] = rdbLen(b, p);
  return [b.subarray(q, q + n), q + n];
}

/** The one blob of a DUMP payload of `type` (hash/zset listpack, intset). */
function dumpBlob(payload: Uint8Array, type: number): Uint8Array {
  assert.equal(payload[0], type, "RDB type byte");
  const [blob, end] = rdbString(payload, 1);
  assert.equal(end, payload.length - TRAILER_BYTES, "the payload ends after the blob");
  return blob;
}

/** The listpacks of a quicklist's DUMP payload (RDB_TYPE_LIST_QUICKLIST_2). */
function dumpNodes(payload: Uint8Array): Uint8Array[] {
  assert.equal(payload[0], RDB_TYPE_LIST_QUICKLIST_2, "RDB type byte");
  let [n, p] = rdbLen(payload, 1);
  const out: Uint8Array[] = [];
  while (n-- > 0) {
    let container: number;
    [container, p] = rdbLen(payload, p);
    assert.equal(container, 2, "a packed (listpack) node");
    let lp: Uint8Array;
    [lp, p] = rdbString(payload, p);
    out.push(lp);
  }
  assert.equal(p, payload.length - TRAILER_BYTES);
  return out;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function build(entries: string[]): Uint8Array {
  const lb = new LpBuilder();
  lb.begin();
  for (const s of entries) lb.add(s);
  const n = lb.end();
  return lb.buf.slice(0, n);
}

/** The first offset where a and b differ, for a readable failure. */
function assertSameBytes(ours: Uint8Array, redis: Uint8Array, what: string): void {
  if (ours.length === redis.length && ours.every((x, i) => x === redis[i])) return;
  let i = 0;
  while (i < ours.length && i < redis.length && ours[i] === redis[i]) i++;
  assert.fail(
    `${what}: LpBuilder's ${ours.length} bytes differ from Redis's ${redis.length} at ${i}: ` +
      `ours ${hex(ours.subarray(i, i + 24))}, Redis ${hex(redis.subarray(i, i + 24))}`,
  );
}

/**
 * Reads Redis's listpack back where it lies at an offset in a larger buffer: forwards with
 * lpRead, backwards with lpPrev, as strings; finds each entry with lpFind.
 */
function assertReads(redis: Uint8Array, entries: string[], what: string): void {
  const base = 13;
  const u8 = new Uint8Array(base + redis.length + 5).fill(0xee);
  u8.set(redis, base);
  assert.equal(lpBytes(u8, base), redis.length, `${what}: total bytes`);
  assert.equal(lpCount(u8, base), entries.length, `${what}: count`);
  const e = new LpEntry();
  const fwd: string[] = [];
  let p = lpFirst(base);
  while (lpRead(u8, p, e)) {
    fwd.push(lpString(u8, e));
    p = e.next;
  }
  assert.equal(p, base + redis.length - 1, `${what}: the walk ends at the EOF byte`);
  assert.equal(u8[p], LP_EOF);
  assert.deepEqual(fwd, entries, `${what}: forward read`);
  const back: string[] = [];
  for (let q = lpPrev(u8, base, p); q >= 0; q = lpPrev(u8, base, q)) {
    assert.ok(lpRead(u8, q, e));
    back.push(lpString(u8, e));
  }
  assert.deepEqual(back, entries.slice().reverse(), `${what}: backward read`);
  // every entry is found at its first occurrence, and equals only its own text
  let at = lpFirst(base);
  const seen = new Set<string>();
  for (const s of entries) {
    lpRead(u8, at, e);
    assert.ok(lpEquals(u8, e, s), `${what}: lpEquals ${JSON.stringify(s.slice(0, 20))}`);
    if (!seen.has(s)) {
      seen.add(s);
      assert.equal(lpFind(u8, lpFirst(base), s, 1, e), at, `${what}: lpFind`);
    }
    for (const other of ["0", "-0", "00", "+1", "1", s + "0"]) {
      if (other !== s) assert.ok(!lpEquals(u8, e, other), `${what}: ${s} is not ${other}`);
    }
    at = e.next;
  }
  let size = 7;
  for (const s of entries) size += lpEntrySize(s);
  assert.equal(size, redis.length, `${what}: lpEntrySize adds up`);
}

/** A redis-server that keeps big listpacks (thresholds raised) and dumps them uncompressed. */
async function withRedis(fn: (c: RespConn) => Promise<void>): Promise<void> {
  const srv = await startRedis(["--rdbcompression", "no"]);
  const c = await RespConn.connect(srv.port);
  try {
    for (
      const [k, v] of [
        ["hash-max-listpack-entries", "100000"],
        ["hash-max-listpack-value", "100000"],
        ["zset-max-listpack-entries", "100000"],
        ["zset-max-listpack-value", "100000"],
        ["list-max-listpack-size", "-5"],
      ]
    ) assert.equal(await c.call("CONFIG", "SET", k, v), "OK");
    await fn(c);
  } finally {
    c.close();
    await srv.stop();
  }
}

async function dump(c: RespConn, key: string): Promise<Uint8Array> {
  const d = await c.call("DUMP", key);
  assert.ok(d instanceof Uint8Array, `DUMP ${key}`);
  return d;
}

Deno.test("listpack: hashes built as Redis builds them, and read back", async () => {
  await withRedis(async (c) => {
    // one field per value, alone (the smallest listpacks), then all of them in one hash
    for (let i = 0; i < ALL.length; i++) {
      for (const [f, v] of [["f", ALL[i]], [ALL[i], "v"]]) {
        await c.call("DEL", "h");
        assert.equal(await c.call("HSET", "h", f, v), 1);
        const lp = dumpBlob(await dump(c, "h"), RDB_TYPE_HASH_LISTPACK);
        const what = `hash {${JSON.stringify(f.slice(0, 20))}: ${JSON.stringify(v.slice(0, 20))}}`;
        assertSameBytes(build([f, v]), lp, what);
        assertReads(lp, [f, v], what);
      }
    }
    await c.call("DEL", "h");
    const entries: string[] = [];
    for (let i = 0; i < ALL.length; i++) {
      const f = ALL[i], v = ALL[(i + 7) % ALL.length];
      await c.call("HSET", "h", f, v);
      entries.push(f, v);
    }
    assert.deepEqual(await c.call("OBJECT", "ENCODING", "h"), fromLatin1("listpack"));
    const lp = dumpBlob(await dump(c, "h"), RDB_TYPE_HASH_LISTPACK);
    assertSameBytes(build(entries), lp, "the hash of every value");
    assertReads(lp, entries, "the hash of every value");
  });
});

Deno.test("listpack: more than 65534 entries keep the count unknown", async () => {
  await withRedis(async (c) => {
    const fields = 33_000;
    const entries: string[] = [];
    const cmds: string[][] = [];
    for (let i = 0; i < fields; i += 500) {
      const cmd = ["HSET", "big"];
      for (let j = i; j < i + 500 && j < fields; j++) {
        const f = `f${j}`, v = String(j * 7919 - 1e6);
        cmd.push(f, v);
        entries.push(f, v);
      }
      cmds.push(cmd);
    }
    await c.pipeline(cmds);
    const lp = dumpBlob(await dump(c, "big"), RDB_TYPE_HASH_LISTPACK);
    assert.equal(lp[4] | (lp[5] << 8), 65535, "Redis's header says: count unknown");
    assertSameBytes(build(entries), lp, "a 66000-entry hash");
    const u8 = lp.slice();
    assert.equal(lpCount(u8, 0), 2 * fields);
  });
});

/** A score's listpack entry as text: an integer when double2ll takes it, else d2string's. */
function scoreEntry(s: number): string {
  const i = lpScoreInt(s);
  return i !== null ? String(i) : formatDouble(s);
}

Deno.test("listpack: sorted sets (member, score) in Redis's order", async () => {
  await withRedis(async (c) => {
    const scores = [
      0,
      -0,
      1,
      -7,
      1.5,
      0.1,
      -2.5e-300,
      1e300,
      Infinity,
      -Infinity,
      123456789012,
      4503599627370496,
      9007199254740993,
      1 / 3,
      -1e-5,
      // integral: integer entries up to 2^62 (double2ll), d2string's text beyond
      1e18,
      -(2 ** 62),
      2 ** 62,
      2 ** 62 + 2 ** 11,
      -(2 ** 63),
      2 ** 64,
    ];
    const members = ALL;
    const pairs: [string, number][] = [];
    for (let i = 0; i < members.length; i++) pairs.push([members[i], scores[i % scores.length]]);
    // each pair alone, then every pair in one sorted set
    for (const [m, s] of pairs) {
      await c.call("DEL", "z");
      assert.equal(await c.call("ZADD", "z", formatDouble(s), m), 1);
      const lp = dumpBlob(await dump(c, "z"), RDB_TYPE_ZSET_LISTPACK);
      const entries = [m, scoreEntry(s)];
      const what = `zset {${JSON.stringify(m.slice(0, 20))}: ${s}}`;
      assertSameBytes(build(entries), lp, what);
      assertReads(lp, entries, what);
    }
    await c.call("DEL", "z");
    for (const [m, s] of pairs) await c.call("ZADD", "z", formatDouble(s), m);
    assert.deepEqual(await c.call("OBJECT", "ENCODING", "z"), fromLatin1("listpack"));
    // ordered by score, then by member bytes (a latin1 string compares as its bytes)
    const sorted = pairs.slice().sort((a, b) =>
      a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
    );
    const entries = sorted.flatMap(([m, s]) => [m, scoreEntry(s)]);
    const lp = dumpBlob(await dump(c, "z"), RDB_TYPE_ZSET_LISTPACK);
    assertSameBytes(build(entries), lp, "the sorted set of every member");
    assertReads(lp, entries, "the sorted set of every member");
  });
});

Deno.test("listpack: a list's quicklist node", async () => {
  await withRedis(async (c) => {
    // one node holds them all under list-max-listpack-size -5 (64 KB)
    const items = [...ALL, ...ALL.slice(0, 5)];
    await c.call("RPUSH", "l", ...items);
    const nodes = dumpNodes(await dump(c, "l"));
    assert.equal(nodes.length, 1);
    assertSameBytes(build(items), nodes[0], "a list node");
    assertReads(nodes[0], items, "a list node");
  });
});

Deno.test("listpack: an intset's DUMP is its header and sorted integers", async () => {
  // not a listpack, but the other compact blob: width from the widest member, sorted, LE
  await withRedis(async (c) => {
    for (
      const members of [
        ["5", "-3", "100"],
        ["40000", "-1", "7"],
        ["-9223372036854775808", "9223372036854775807", "0"],
      ]
    ) {
      await c.call("DEL", "s");
      await c.call("SADD", "s", ...members);
      const blob = dumpBlob(await dump(c, "s"), RDB_TYPE_SET_INTSET);
      const dv = new DataView(blob.buffer, blob.byteOffset, blob.length);
      const width = dv.getUint32(0, true), n = dv.getUint32(4, true);
      assert.equal(n, members.length);
      assert.equal(blob.length, 8 + width * n, "8 + encoding * length");
      const got: bigint[] = [];
      for (let i = 0; i < n; i++) {
        const o = 8 + i * width;
        got.push(
          width === 2
            ? BigInt(dv.getInt16(o, true))
            : width === 4
            ? BigInt(dv.getInt32(o, true))
            : dv.getBigInt64(o, true),
        );
      }
      const want = members.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      assert.deepEqual(got, want);
    }
  });
});

Deno.test("listpack: addInt writes what add writes for the same integer, number or bigint", () => {
  for (const s of INTS) {
    const v = BigInt(s);
    const viaString = build([s]);
    for (const x of [v, Number.isSafeInteger(Number(v)) ? Number(v) : v]) {
      const lb = new LpBuilder();
      lb.begin();
      lb.addInt(x);
      assertSameBytes(lb.buf.slice(0, lb.end()), viaString, `addInt(${typeof x} ${s})`);
    }
    assert.equal(lpEntrySize(s) + 7, viaString.length, `lpEntrySize(${s})`);
  }
});

Deno.test("listpack: lpScoreInt is double2ll (integral scores within ±2^62)", () => {
  assert.equal(lpScoreInt(1), 1);
  assert.equal(Object.is(lpScoreInt(-0), 0), true, "-0 is stored as 0");
  assert.equal(lpScoreInt(1e18), 1000000000000000000n);
  assert.equal(lpScoreInt(2 ** 62), 2n ** 62n);
  assert.equal(lpScoreInt(-(2 ** 62)), -(2n ** 62n));
  for (const x of [0.5, 2 ** 62 + 2 ** 11, -(2 ** 63), 1e300, Infinity, -Infinity, NaN]) {
    assert.equal(lpScoreInt(x), null, String(x));
  }
});
