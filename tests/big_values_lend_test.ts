/**
 * Big values cross shards by address (src/shard/lend.ts): a big SET's buffer is lent to the
 * key's owner, which keeps the value where it lies until the key lets go of it, and a big GET
 * lends the stored value to the client's shard until it copied it. The same commands run
 * against redis-server and Skua on 3 shards, every reply compared byte for byte, while the
 * lends are in every state: a value lent onwards while it is written (APPEND and SETRANGE in
 * the same batch as GETs of it), moved by RENAME on its shard and shipped by RENAME across,
 * returned by SET ... GET as it is replaced, set with options behind it (EX, PX, GET, KEEPTTL,
 * XX), set inside MULTI, refused by NX, expired, and flushed. INFO shards must show values held while they exist (the path runs) and nothing
 * lent or held once they are gone (everything went back).
 */

import assert from "node:assert/strict";
import { type SkuaOptions, startRedis, startSkua } from "./helpers/server.ts";
import { type Arg, RespConn, show, str } from "./helpers/resp.ts";
import { SlotMap } from "../src/cluster/slots.ts";
import { rng } from "./helpers/rng.ts";
import { connectOn as connectOnShard, keyOn as keyOnShard } from "./helpers/shards.ts";

const SHARDS = 3;
const SIZE = 2 * 1024 * 1024 + 17;
const slots = new SlotMap(SHARDS);
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function value(seed: number, size = SIZE): Uint8Array {
  const v = new Uint8Array(size);
  for (let i = 0; i < size; i++) v[i] = (i * 31 + seed * 7) % 251;
  return v;
}

/** A key named from `prefix` that lives on `shard`. */
function keyOn(prefix: string, shard: number): string {
  return keyOnShard(prefix, shard, SHARDS);
}

/** A connection whose shard is `shard`; any for redis-server. */
function connectOn(port: number, shard: number, redis: boolean): Promise<RespConn> {
  return redis ? RespConn.connect(port) : connectOnShard(port, shard, SHARDS);
}

/** lent and held summed over the shards (INFO shards). */
async function lends(c: RespConn): Promise<{ lent: number; held: number }> {
  const info = str(await c.call("INFO", "shards"));
  let lent = 0, held = 0;
  for (const m of info.matchAll(/lent=(\d+),held=(\d+)/g)) {
    lent += Number(m[1]);
    held += Number(m[2]);
  }
  return { lent, held };
}

/**
 * Skua's shards come to hold `held` lent buffers, each lent by one shard (give-backs travel
 * between shards after the replies: polled for a second).
 */
async function settles(c: RespConn, held: number, what: string): Promise<void> {
  let l = await lends(c);
  for (let i = 0; i < 50 && (l.held !== held || l.lent !== held); i++) {
    await delay(20);
    l = await lends(c);
  }
  assert.deepEqual(l, { lent: held, held }, what);
}

/** After a FLUSHALL, nothing is lent or held any more. */
async function allBack(port: number): Promise<void> {
  const c = await RespConn.connect(port);
  try {
    assert.equal(str(await c.call("FLUSHALL")), "OK");
    await settles(c, 0, "lends left after FLUSHALL");
  } finally {
    c.close();
  }
}

async function digest(b: Uint8Array): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return Array.from(h.subarray(0, 8), (x) => x.toString(16).padStart(2, "0")).join("");
}

/** A reply as compared: short ones as they are, big ones by length and digest. */
async function shown(b: Uint8Array): Promise<string> {
  return b.length <= 200 ? show(b) : `${b.length} bytes, sha256 ${await digest(b)}`;
}

// client shard 1; keys owned by shards 0 and 2, so every value crosses
const K = keyOn("lend:a:", 0);
/** a hash tag of shard 2: two keys of one shard that RENAME moves between */
const TAG = keyOn("lt", 2);
const T1 = `{${TAG}}x`;
const T2 = `{${TAG}}y`;
const FAR = keyOn("lend:far:", 0);
const EXP = keyOn("lend:exp:", 0);
const NX = keyOn("lend:nx:", 2);
const APP = keyOn("lend:app:", 0);
const TX = keyOn("lend:tx:", 2);
const RET = keyOn("lend:ret:", 0);
const OPT = keyOn("lend:opt:", 2);

/** The script, run on a connection of shard 1 (a second one for what must come from apart). */
async function script(
  a: RespConn,
  b: RespConn,
  /** Skua: `held` peers' buffers are held over the shards now, and none are lent out */
  checkpoint: (what: string, held: number) => Promise<void>,
): Promise<string[]> {
  const out: string[] = [];
  const one = async (...args: Arg[]) => out.push(await shown(await a.send(...args)));
  const many = async (cmds: Arg[][]) => {
    for (const r of await a.pipeline(cmds, 30_000)) out.push(await shown(r));
  };
  await one("SET", K, value(1));
  await checkpoint("a value set across shards is held by its owner", 1);
  await one("GET", K);
  // the GETs lend the value while the writes behind them in the same batch change it
  await many([
    ["GET", K],
    ["APPEND", K, "tail"],
    ["GET", K],
    ["SETRANGE", K, 5, "HELLO"],
    ["GET", K],
    ["GETRANGE", K, 0, 40],
    ["STRLEN", K],
  ]);
  await one("GET", K);
  await checkpoint("APPEND moved the value to a buffer of its owner's", 0);
  // moved on its shard (the same object under another key), then shipped across
  if (slots.ownerOfLatin1(T2) !== slots.ownerOfLatin1(T1)) throw new Error("hash tags");
  await one("SET", T1, value(2));
  await one("RENAME", T1, T2);
  await many([["GET", T1], ["GET", T2], ["STRLEN", T2]]);
  await checkpoint("RENAME on the owner's shard keeps the value where it lies", 1);
  await one("RENAME", T2, FAR);
  await many([["EXISTS", T2], ["GET", FAR]]);
  await checkpoint("RENAME across shards copies the value", 0);
  // replaced while it is the reply
  await one("SET", RET, value(3));
  await many([["SET", RET, value(4, 4096), "GET"], ["GET", RET]]);
  await checkpoint("SET ... GET replaced the value it replied", 0);
  await one("SET", RET, value(5));
  await checkpoint("a value set again is held", 1);
  await many([["GETDEL", RET], ["EXISTS", RET]]);
  await checkpoint("GETDEL's value goes back once its reply was copied", 0);
  // a value its owner does not keep
  await one("SET", NX, "small");
  await many([["SET", NX, value(6), "NX"], ["GET", NX]]);
  await many([["APPEND", APP, value(7)], ["STRLEN", APP], ["APPEND", APP, value(8)]]);
  await one("GET", APP);
  await checkpoint("values their owner copied are not held", 0);
  // options behind the value: it still crosses by address, and they still act
  await one("SET", OPT, value(12), "EX", 100);
  await checkpoint("a value with options behind it is held too", 1);
  await many([
    ["PERSIST", OPT],
    ["STRLEN", OPT],
    ["SET", OPT, value(13), "PX", 100_000, "GET"],
    ["PERSIST", OPT],
  ]);
  // alone, so that each value arrives in a buffer of its own (in a pipeline it may share one,
  // and then it is copied)
  await one("SET", OPT, value(14), "KEEPTTL", "XX");
  await one("SET", OPT, value(15), "NX", "EX", 5);
  await one("GET", OPT);
  await checkpoint("replaced with options, the last value is held", 1);
  await one("DEL", OPT);
  // inside a transaction
  await many([["MULTI"], ["SET", TX, value(9)], ["GET", TX], ["STRLEN", TX], ["EXEC"]]);
  await one("GET", TX);
  // from another connection, the same value read while it is rewritten here
  out.push(await shown(await b.send("GET", TX)));
  await one("SET", EXP, value(10));
  await one("PEXPIRE", EXP, 100);
  await delay(400);
  await many([["GET", EXP], ["EXISTS", EXP]]);
  await one("SET", K, value(11));
  // a transaction's commands were copied when queued: only K's new value is held
  await checkpoint("the expired value went back", 1);
  await one("FLUSHALL");
  await one("DBSIZE");
  return out;
}

/** `lending`: Skua lends values (else they cross through the rings and nothing is held). */
async function run(redis: boolean, port: number, lending = true): Promise<string[]> {
  const a = await connectOn(port, 1, redis);
  const b = await connectOn(port, 2, redis);
  try {
    return await script(a, b, async (what, held) => {
      if (!redis) await settles(b, lending ? held : 0, what);
    });
  } finally {
    a.close();
    b.close();
  }
}

/** The script on redis-server and on Skua started with `opts`: the same replies, all back. */
async function againstRedis(opts: SkuaOptions, lending: boolean): Promise<void> {
  const redis = await startRedis();
  const skua = await startSkua({ shards: SHARDS, ...opts });
  try {
    const want = await run(true, redis.port);
    const got = await run(false, skua.port, lending);
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.equal(got[i], want[i], `reply ${i}`);
    await allBack(skua.port);
  } finally {
    await skua.stop();
    await redis.stop();
  }
}

for (const io of ["uring", "listen"]) {
  Deno.test({
    name: `big values lent across shards (${io}): replies as redis-server's, every lend back`,
    ignore: Deno.build.os !== "linux",
    fn: () => againstRedis({ args: ["--io", io] }, true),
  });
}

Deno.test({
  name: "big values across shards without FFI (deno --deny-ffi): through the rings, same replies",
  ignore: Deno.build.os !== "linux",
  // without FFI there is no io_uring either: the listen engine, whatever SKUA_TEST_IO says
  fn: () => againstRedis({ deno: ["--deny-ffi"], args: ["--io", "listen"] }, false),
});

/** Keys over the 3 shards, two of them on one shard (RENAME between them moves the value). */
const RANDOM_KEYS = [
  keyOn("lend:r:", 0),
  keyOn("lend:s:", 1),
  keyOn("lend:t:", 2),
  `{${TAG}}r1`,
  `{${TAG}}r2`,
  keyOn("lend:u:", 0),
];

/** A seeded random run of big and small writes and reads, in pipelines of 1 to 6. */
function randomScript(seed: number, n: number): Arg[][][] {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const key = () => RANDOM_KEYS[int(0, RANDOM_KEYS.length - 1)];
  const big = () => value(int(1, 1000), int(1 << 20, (1 << 20) + 400_000));
  const small = () => `v${int(0, 99999)}`;
  const ops: (() => Arg[][])[] = [
    () => [["SET", key(), big()]],
    () => [["SET", key(), big(), "EX", 1000]],
    () => [["SET", key(), big(), "GET"]],
    () => [["PERSIST", key()]],
    () => [["SET", key(), small()]],
    () => [["GET", key()]],
    () => [["GET", key()]],
    () => [["APPEND", key(), small()]],
    () => [["SETRANGE", key(), int(0, 1_500_000), small()]],
    () => [["GETRANGE", key(), int(0, 2_000_000), int(0, 2_000_000)]],
    () => [["STRLEN", key()]],
    () => [["DEL", key()]],
    () => [["GETDEL", key()]],
    () => [["SET", key(), small(), "GET"]],
    () => [["RENAME", key(), key()]],
    () => [["SETBIT", key(), int(0, 12_000_000), int(0, 1)]],
    () => [["BITCOUNT", key(), 0, 1000]],
    () => [["MGET", key(), key(), key()]],
    // a read and a write in place of one value, in one batch: the write meets the lend
    () => {
      const k = key();
      return [["GET", k], ["SETRANGE", k, int(0, 1000), small()], ["GET", k]];
    },
    () => {
      const k = key();
      return [["GET", k], ["SETBIT", k, int(0, 8000), int(0, 1)], ["GETRANGE", k, 0, 100]];
    },
  ];
  const out: Arg[][][] = [];
  for (let i = 0; i < n;) {
    const batch: Arg[][] = [];
    for (let m = int(1, 6); m > 0 && i < n; m--, i++) {
      batch.push(...ops[int(0, ops.length - 1)]());
    }
    out.push(batch);
  }
  return out;
}

async function runRandom(port: number, redis: boolean, batches: Arg[][][]): Promise<string[]> {
  const a = await connectOn(port, 1, redis);
  const b = await connectOn(port, 2, redis);
  const out: string[] = [];
  try {
    await a.send("FLUSHALL");
    for (const [i, batch] of batches.entries()) {
      const c = i % 3 === 2 ? b : a;
      for (const reply of await c.pipeline(batch, 30_000)) out.push(await shown(reply));
    }
    for (const k of RANDOM_KEYS) out.push(await shown(await a.send("GET", k)));
  } finally {
    a.close();
    b.close();
  }
  return out;
}

Deno.test({
  name: "big values lent across shards: random writes and reads as redis-server's, all back",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const redis = await startRedis();
    const skua = await startSkua({ shards: SHARDS });
    try {
      for (const seed of [11, 12]) {
        const batches = randomScript(seed, 160);
        const want = await runRandom(redis.port, true, batches);
        const got = await runRandom(skua.port, false, batches);
        const cmds = batches.flat();
        for (let i = 0; i < want.length; i++) {
          const what = i < cmds.length ? cmds[i].slice(0, 2).join(" ") : "final GET";
          assert.equal(got[i], want[i], `seed ${seed}, reply ${i} (${what})`);
        }
      }
      await allBack(skua.port);
    } finally {
      await skua.stop();
      await redis.stop();
    }
  },
});

/**
 * Writers on every shard replace one key's big value while readers on every shard read it:
 * every value read must be one that was written, whole (each is one repeated byte), however
 * its lends and give-backs interleave. Every shard collects its garbage all along (MEMORY
 * PURGE), so a buffer given back while a peer still used it is freed: it would show up as
 * mixed bytes, or end the process.
 */
Deno.test({
  name: "big values lent across shards: concurrent writers and readers of one key see whole values",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const skua = await startSkua({ shards: SHARDS });
    const key = keyOn("lend:hot:", 0);
    const size = (1 << 20) + 12_345;
    const writes = 120;
    try {
      const conns = await Promise.all(
        [0, 1, 2, 0, 1, 2].map((shard) => connectOn(skua.port, shard, false)),
      );
      const writers = conns.slice(0, 3), readers = conns.slice(3);
      const written = new Set<number>();
      let done = false;
      const write = async (c: RespConn, w: number) => {
        for (let i = 0; i < writes; i++) {
          const fill = (w * writes + i) % 251;
          written.add(fill);
          assert.equal(str(await c.call("SET", key, new Uint8Array(size).fill(fill))), "OK");
        }
      };
      const read = async (c: RespConn) => {
        let seen = 0;
        while (!done) {
          const r = await c.send("GET", key);
          if (r.length < 10) continue; // not set yet
          const head = `$${size}\r\n`.length;
          assert.equal(r.length, head + size + 2, "a whole value");
          const fill = r[head];
          assert.ok(written.has(fill), `byte ${fill} was never written`);
          for (let i = head; i < head + size; i += 997) {
            if (r[i] !== fill) assert.fail(`mixed bytes: ${fill} then ${r[i]} at ${i - head}`);
          }
          assert.equal(r[head + size - 1], fill);
          seen++;
        }
        return seen;
      };
      // every shard collects its garbage (MEMORY PURGE runs a full GC on each) all along
      const purger = await connectOn(skua.port, 0, false);
      const purge = async () => {
        while (!done) {
          assert.equal(str(await purger.call("MEMORY", "PURGE")), "OK");
          await delay(50);
        }
      };
      // one Promise.all: the first failure (a reader's, or a closed connection) fails the test
      const writing = Promise.all(writers.map(write)).finally(() => done = true);
      const [, seen] = await Promise.all([writing, Promise.all(readers.map(read)), purge()]);
      purger.close();
      assert.ok(seen.every((n) => n > 0), `reads per reader: ${seen}`);
      assert.equal(await conns[0].call("DEL", key), 1);
      await settles(conns[0], 0, "lends left after DEL");
      for (const c of conns) c.close();
    } finally {
      await skua.stop();
    }
  },
});
