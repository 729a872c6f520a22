/**
 * The AOF (Redis 7.0 multi-part layout) against redis-server 7.0: what Skua propagates for a
 * list of writes equals what redis-server writes into its incr file for the same writes; a
 * directory redis-server writes loads into Skua (1 and 3 shards) with the same contents, and
 * Skua's directory loads into redis-server; a kill -9 under an acknowledged write load with
 * appendfsync always loses nothing; a torn tail is cut (aof-load-truncated yes) or refused (no).
 */
import assert from "node:assert/strict";
import { type ServerHandle, startSkua } from "./helpers/server.ts";
import { type Reply, RespConn, str, toLatin1 } from "./helpers/resp.ts";
import { rng } from "./helpers/rng.ts";
import {
  redisIn as redisInFor,
  skuaIn as skuaInFor,
  tmpDir as tmpDirFor,
  withConn,
} from "./helpers/persist.ts";

const tmpDir = () => tmpDirFor("aof");
const skuaIn = (dir: string, shards: number, extra: string[] = []) =>
  skuaInFor("aof", dir, shards, extra);
const redisIn = (dir: string, extra: string[] = []) => redisInFor("aof", dir, extra);

async function runAll(
  s: ServerHandle,
  cmds: (string | number | Uint8Array)[][],
): Promise<Reply[]> {
  return await withConn(s, async (c) => {
    const out: Reply[] = [];
    for (const cmd of cmds) out.push(await c.call(...cmd));
    return out;
  });
}

/** The commands of an AOF file, SELECTs that select the current database dropped. */
function aofCommands(bytes: Uint8Array): string[][] {
  const out: string[][] = [];
  let p = 0, db = "";
  const line = (): number => {
    const e = bytes.indexOf(13, p);
    const n = Number(toLatin1(bytes.subarray(p + 1, e)));
    p = e + 2;
    return n;
  };
  while (p < bytes.length) {
    const argc = line();
    const argv: string[] = [];
    for (let i = 0; i < argc; i++) {
      const len = line();
      argv.push(toLatin1(bytes.subarray(p, p + len)));
      p += len + 2;
    }
    if (argv[0].toUpperCase() === "SELECT") {
      if (argv[1] === db) continue;
      db = argv[1];
    }
    out.push(argv);
  }
  return out;
}

function incrFile(dir: string): Uint8Array {
  const d = `${dir}/appendonlydir`;
  const m = Deno.readTextFileSync(`${d}/appendonly.aof.manifest`);
  const name = /file (\S+) seq \d+ type i/.exec(m)![1];
  return Deno.readFileSync(`${d}/${name}`);
}

/** Absolute times (PXAT, PEXPIREAT) differ by the milliseconds between the two runs. */
function normalizeTimes(cmds: string[][]): { cmds: string[][]; times: number[] } {
  const times: number[] = [];
  const out = cmds.map((a) =>
    a.map((x, i) => {
      const prev = (a[i - 1] ?? "").toUpperCase();
      const name = a[0].toUpperCase();
      if (
        prev === "PXAT" || (i === 2 && (name === "PEXPIREAT" || name === "RESTORE" && x !== "0"))
      ) {
        times.push(Number(x));
        return "<time>";
      }
      return x;
    })
  );
  return { cmds: out.map((a) => a.map((x, i) => i === 0 ? x.toUpperCase() : x)), times };
}

const WRITES: (string | number)[][] = [
  ["SET", "a", "1"],
  ["SET", "b", "2", "EX", 100],
  ["SET", "b2", "2", "PX", 100000, "GET"],
  ["SET", "g", "1", "GET"],
  ["SET", "nx", "1", "NX"],
  ["SET", "nx", "2", "NX"],
  ["SETEX", "c", 100, "v"],
  ["PSETEX", "c2", 100000, "v"],
  ["GETSET", "a", "3"],
  ["INCRBYFLOAT", "f", "1.5"],
  ["EXPIRE", "a", 1000],
  ["PEXPIRE", "a", 1000000],
  ["EXPIREAT", "a", 4000000000],
  ["EXPIRE", "missing", 10],
  ["EXPIRE", "nx", -1],
  ["SADD", "s", "x"],
  ["SPOP", "s"],
  ["SADD", "s2", "x", "y"],
  ["SPOP", "s2", 5],
  ["RPUSH", "l", "a", "b", "c"],
  ["LMPOP", 1, "l", "LEFT", "COUNT", 2],
  ["ZADD", "z", 1, "a", 2, "b"],
  ["ZMPOP", 1, "z", "MAX"],
  ["GETEX", "b", "PERSIST"],
  ["GETEX", "b", "EX", 50],
  ["GETEX", "b"],
  ["GETDEL", "c"],
  ["DEL", "nothing"],
  ["HSET", "h", "f", "1"],
  ["HINCRBYFLOAT", "h", "f", "2.5"],
  ["SELECT", 3],
  ["SET", "k", "v"],
  ["MULTI"],
  ["SET", "m1", "1"],
  ["INCR", "m1"],
  ["EXEC"],
  ["MULTI"],
  ["INCR", "m1"],
  ["GET", "m1"],
  ["EXEC"],
  ["SELECT", 0],
  ["RENAME", "g", "g2"],
  ["LPUSH", "l2", "x"],
  ["LMOVE", "l2", "l3", "LEFT", "RIGHT"],
  ["FLUSHDB"],
  ["SET", "after", "1"],
];

Deno.test("aof: Skua propagates what redis-server writes into its incr file", async () => {
  const rd = tmpDir(), sd = tmpDir();
  const debug = ["--enable-debug-command", "yes"];
  const redis = await redisIn(rd, ["--appendfsync", "always", ...debug]);
  const skua = await skuaIn(sd, 1, ["--appendfsync", "always", ...debug]);
  try {
    const rr = await runAll(redis, WRITES);
    const sr = await runAll(skua, WRITES);
    // SPOP with a count answers in the set's order
    const unordered = (r: Reply[]) =>
      r.map((x, i) => WRITES[i][0] === "SPOP" && Array.isArray(x) ? x.map(str).sort() : x);
    assert.deepEqual(unordered(sr), unordered(rr));
    // RESTORE: a relative TTL is written as ABSTTL, 0 as it is
    const payload = await withConn(redis, (c) => c.call("DUMP", "after")) as Uint8Array;
    const restores = [
      ["RESTORE", "r1", 100000, payload],
      ["RESTORE", "r2", 0, payload],
      ["RESTORE", "r1", 0, payload, "REPLACE"],
      ["SWAPDB", 0, 3],
    ];
    assert.deepEqual(await runAll(skua, restores), await runAll(redis, restores));
    // lazy expiry on a write: DEL and the write, wrapped in MULTI/EXEC as Redis 7.0 does
    const lazy = [["DEBUG", "SET-ACTIVE-EXPIRE", 0], ["SET", "lx", "v", "PX", 1]];
    assert.deepEqual(await runAll(skua, lazy), await runAll(redis, lazy));
    await new Promise((r) => setTimeout(r, 20));
    const after = [["SET", "lx", "v2"], ["DEBUG", "SET-ACTIVE-EXPIRE", 1]];
    assert.deepEqual(await runAll(skua, after), await runAll(redis, after));
    // active expiry is written as DEL, where it happened
    const expiring = [["SET", "e", "v", "PX", 50]];
    await runAll(redis, expiring);
    await runAll(skua, expiring);
    await new Promise((r) => setTimeout(r, 700));
    await runAll(redis, [["SET", "z", "1"]]);
    await runAll(skua, [["SET", "z", "1"]]);
    const r = normalizeTimes(aofCommands(incrFile(rd)));
    const s = normalizeTimes(aofCommands(incrFile(sd)));
    assert.deepEqual(s.cmds, r.cmds);
    assert.equal(s.times.length, r.times.length);
    for (let i = 0; i < r.times.length; i++) {
      assert.ok(Math.abs(s.times[i] - r.times[i]) < 10_000, `${s.times[i]} vs ${r.times[i]}`);
    }
    const manifest = Deno.readTextFileSync(`${sd}/appendonlydir/appendonly.aof.manifest`);
    assert.equal(
      manifest,
      "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
  } finally {
    await redis.stop();
    await skua.stop();
  }
});

/** BGREWRITEAOF on redis-server, waited for. */
async function rewritten(redis: ServerHandle): Promise<void> {
  await runAll(redis, [["BGREWRITEAOF"]]);
  await withConn(redis, async (c) => {
    const busy = /aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/;
    while (busy.test(str(await c.call("INFO", "persistence") as Reply))) {
      await new Promise((r) => setTimeout(r, 50));
    }
  });
}

const DBS = [0, 1, 5];

/** Every type, expiries, several databases. */
const DATASET: (string | number)[][] = DBS.flatMap((db) => [
  ["SELECT", db],
  ["SET", `s${db}`, "v"],
  ["SET", "num", 42],
  ["SET", `t${db}`, "x", "EX", 5000],
  ["INCRBYFLOAT", "fl", "2.25"],
  ["RPUSH", "list", "a", "b", "c", "d"],
  ["LPOP", "list"],
  ["HSET", "hash", "f1", "v1", "f2", "v2"],
  ["HINCRBY", "hash", "n", 5],
  ["SADD", "set", "a", "b", "c", 1, 2],
  ["SREM", "set", "b"],
  ["ZADD", "zset", 1, "a", 2.5, "b", -1, "c"],
  ["ZINCRBY", "zset", 3, "a"],
  ["PFADD", "hll", "a", "b", "c"],
  ["MSET", "m1", "1", "m2", "2", "m3", "3", "{x}1", "4"],
  ["DEL", "m2"],
  ["EXPIRE", "hash", 7000],
  ["SET", "gone", "1", "PX", 1],
  ["SETRANGE", "s" + db, 5, "tail"],
  ["APPEND", "app", "xyz"],
  ["SETBIT", "bits", 77, 1],
]);

async function contents(s: ServerHandle): Promise<string> {
  return await withConn(s, async (c) => {
    const out: string[] = [];
    for (const db of DBS) {
      await c.call("SELECT", db);
      const keys = (await c.call("KEYS", "*") as Uint8Array[]).map(str).sort();
      for (const k of keys) {
        const type = str(await c.call("TYPE", k) as Reply);
        let v: Reply;
        if (type === "string") v = await c.call("GET", k);
        else if (type === "list") v = await c.call("LRANGE", k, 0, -1);
        else if (type === "hash") v = (await c.call("HGETALL", k) as Uint8Array[]).map(str);
        else if (type === "set") v = (await c.call("SMEMBERS", k) as Uint8Array[]).map(str).sort();
        else v = await c.call("ZRANGE", k, 0, -1, "WITHSCORES");
        const at = await c.call("PEXPIRETIME", k);
        out.push(
          `${db} ${k} ${type} ${
            JSON.stringify(v, (_, x) => x instanceof Uint8Array ? str(x) : x)
          } ${at}`,
        );
      }
    }
    return out.join("\n");
  });
}

Deno.test("aof: redis-server's directory loads into Skua, Skua's into redis-server", async () => {
  const rd = tmpDir();
  const redis = await redisIn(rd);
  let want: string;
  try {
    await runAll(redis, DATASET.slice(0, 30));
    // a rewrite: an RDB base with half the data, the rest in the new incr file
    await rewritten(redis);
    await runAll(redis, DATASET.slice(30));
    await new Promise((r) => setTimeout(r, 50));
    want = await contents(redis);
  } finally {
    await redis.stop();
  }
  for (const shards of [1, 3]) {
    const skua = await skuaIn(rd, shards);
    try {
      assert.equal(await contents(skua), want, `redis-server's AOF in Skua with ${shards} shards`);
    } finally {
      await skua.stop();
    }
  }
  // Skua writes its own directory (3 shards, split MSETs, fan-outs), and reloads it
  const sd = tmpDir();
  let mine: string;
  const skua = await skuaIn(sd, 3);
  try {
    await runAll(skua, [...DATASET, ["SELECT", 1], ["FLUSHDB"], ...DATASET.slice(22, 44)]);
    await runAll(skua, [["SELECT", 0], ["RENAME", "num", "{x}num"], ["SMOVE", "set", "set2", "a"]]);
    mine = await contents(skua);
  } finally {
    await skua.stop();
  }
  const back = await redisIn(sd);
  try {
    assert.equal(await contents(back), mine, "Skua's AOF in redis-server");
  } finally {
    await back.stop();
  }
  for (const shards of [1, 3]) {
    const again = await skuaIn(sd, shards);
    try {
      assert.equal(await contents(again), mine, `Skua's AOF in Skua with ${shards} shards`);
    } finally {
      await again.stop();
    }
  }
});

function copyDir(from: string): string {
  const to = tmpDir();
  Deno.mkdirSync(`${to}/appendonlydir`);
  for (const e of Deno.readDirSync(`${from}/appendonlydir`)) {
    Deno.copyFileSync(`${from}/appendonlydir/${e.name}`, `${to}/appendonlydir/${e.name}`);
  }
  return to;
}

/** The server's output when it refuses to start, or null when it started. */
async function refusal(start: () => Promise<ServerHandle>): Promise<string | null> {
  try {
    const s = await start();
    await s.stop();
    return null;
  } catch (e) {
    return String(e);
  }
}

Deno.test("aof: a torn tail is cut with aof-load-truncated yes, refused with no, as Redis", async () => {
  const sd = tmpDir();
  const skua = await skuaIn(sd, 1, ["--appendfsync", "always"]);
  try {
    await runAll(skua, [["SET", "a", "1"], ["SET", "b", "2"]]);
  } finally {
    await skua.stop();
  }
  const path = `${sd}/appendonlydir/appendonly.aof.1.incr.aof`;
  const whole = Deno.readFileSync(path);
  const enc = new TextEncoder();
  const tails: [string, string, RegExp][] = [
    ["a torn command", "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\n12", /short read/],
    [
      "a MULTI without EXEC",
      "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n",
      /Revert incomplete MULTI\/EXEC transaction/,
    ],
  ];
  for (const [what, tail, log] of tails) {
    Deno.writeFileSync(path, new Uint8Array([...whole, ...enc.encode(tail)]));
    // no: both refuse to start, with Redis's message
    const no = ["--aof-load-truncated", "no"];
    const r = await refusal(() => redisIn(copyDir(sd), no));
    const k = await refusal(() => skuaIn(copyDir(sd), 1, no));
    assert.match(r ?? "started", /Unexpected end of file reading the append only file/, what);
    assert.match(k ?? "started", /Unexpected end of file reading the append only file/, what);
    // yes: both cut the tail at the same offset and load what came before
    const rd = copyDir(sd), kd = copyDir(sd);
    const redis = await redisIn(rd);
    let want: string;
    try {
      want = await contents(redis);
    } finally {
      await redis.stop();
    }
    const s = await skuaIn(kd, 3);
    try {
      assert.match(s.output(), log, what);
      assert.match(s.output(), /Truncating the AOF appendonly\.aof\.1\.incr\.aof at offset/);
      assert.equal(await contents(s), want, what);
    } finally {
      await s.stop();
    }
    assert.ok(want.includes("0 a "), want);
    const incr = "appendonlydir/appendonly.aof.1.incr.aof";
    assert.equal(Deno.statSync(`${kd}/${incr}`).size, Deno.statSync(`${rd}/${incr}`).size, what);
  }
});

/** Clients record every acknowledged write; SIGKILL at a random moment; all must be back. */
Deno.test("aof: kill -9 with appendfsync always loses no acknowledged write", async () => {
  // the bar is 20 trials: AOF_KILL_TRIALS=20 deno test -A tests/persistence_aof_test.ts
  const TRIALS = Number(Deno.env.get("AOF_KILL_TRIALS") ?? 6);
  let writes = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const sd = tmpDir();
    // both io engines: io_uring holds replies in its send queue, listen in its write loop
    const io = trial % 2 === 0 ? "uring" : "listen";
    const skua = await skuaIn(sd, 3, ["--appendfsync", "always", "--io", io]);
    const acked = new Map<string, string>();
    const counters = new Map<string, number>();
    let stop = false;
    const clients = Array.from({ length: 4 }, async (_, id) => {
      const c = await RespConn.connect(skua.port);
      try {
        for (let j = 0; !stop; j++) {
          const k = `k:${id}:${j}`;
          await c.call("SET", k, `v${j}`);
          acked.set(k, `v${j}`);
          const n = await c.call("INCR", `ctr:${id}`);
          counters.set(`ctr:${id}`, Number(n));
        }
      } catch {
        // the server was killed
      } finally {
        c.close();
      }
    });
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
    skua.proc.kill("SIGKILL");
    stop = true;
    await Promise.all(clients);
    await skua.stop().catch(() => {});
    assert.ok(acked.size > 0, "the load ran");
    writes += acked.size + [...counters.values()].reduce((a, b) => a + b, 0);
    const again = await skuaIn(sd, 3);
    try {
      await withConn(again, async (c) => {
        for (const [k, v] of acked) assert.equal(str(await c.call("GET", k) as Reply), v, k);
        for (const [k, n] of counters) {
          assert.ok(Number(str(await c.call("GET", k) as Reply)) >= n, k);
        }
      });
    } finally {
      await again.stop();
    }
  }
  console.log(`kill -9: ${TRIALS} trials, ${writes} acknowledged writes, none lost`);
});

function short(v: string): string {
  return v.length > 40 ? `${v.slice(0, 8)}..(${v.length})` : v;
}

/** The first line where two snapshots differ (assert's diff of big texts is unreadable). */
function firstDiff(a: string, b: string): string {
  const x = a.split("\n"), y = b.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i}: ${x[i]} <> ${y[i]} (${x.length} vs ${y.length} lines)`;
  }
  return "";
}

/** Every key and value of the databases in use, compactly (for larger datasets). */
async function snapshot(s: ServerHandle, dbs = [0, 1, 2]): Promise<string> {
  return await withConn(s, async (c) => {
    const out: string[] = [];
    for (const db of dbs) {
      await c.call("SELECT", db);
      const keys = (await c.call("KEYS", "*") as Uint8Array[]).map(str).sort();
      for (const k of keys) {
        const type = str(await c.call("TYPE", k) as Reply);
        const v = type === "string"
          ? short(str(await c.call("GET", k) as Reply))
          : type === "set"
          ? (await c.call("SMEMBERS", k) as Uint8Array[]).map(str).sort().join(",")
          : type;
        out.push(`${db} ${k} ${v} ${await c.call("PEXPIRETIME", k)}`);
      }
    }
    return out.join("\n");
  });
}

Deno.test("aof: Skua's writes over 3 shards reload the same (EXEC, flushes, shipped, evicted)", async () => {
  const sd = tmpDir();
  const keys = Array.from({ length: 12 }, (_, i) => `key${i}`);
  let want: string;
  const skua = await skuaIn(sd, 3, ["--maxmemory", "3mb", "--maxmemory-policy", "volatile-lru"]);
  try {
    await withConn(skua, async (c) => {
      for (const k of keys) await c.call("SET", k, "v0");
      // an EXEC over every shard with a flush in the middle: the flush is no single place
      await c.call("MULTI");
      await c.call("SET", keys[0], "before");
      await c.call("FLUSHALL");
      for (const k of keys.slice(0, 6)) await c.call("SET", k, "after");
      await c.call("SELECT", 1);
      await c.call("MSET", ...keys.flatMap((k) => [k, "db1"]));
      await c.call("SELECT", 0);
      await c.call("EXEC");
      // the same with SWAPDB: written as each shard's keys' effect
      await c.call("SELECT", 3);
      await c.call("MULTI");
      await c.call("MSET", ...keys.flatMap((k) => [k, "db3"]));
      await c.call("SWAPDB", 3, 4);
      await c.call("MSET", ...keys.slice(0, 6).flatMap((k) => [k, "db3-after"]));
      await c.call("EXEC");
      await c.call("SELECT", 0);
      // plain fan-outs, written once while every shard holds the lock
      await c.call("SELECT", 2);
      await c.call("MSET", ...keys.flatMap((k) => [k, "db2"]));
      await c.call("SWAPDB", 1, 2);
      await c.call("SELECT", 1);
      await c.call("FLUSHDB");
      await c.call("MSET", ...keys.slice(0, 4).flatMap((k) => [k, "db1-again"]));
      await c.call("SELECT", 0);
      // shipped commands: written as their effect on each key's shard
      await c.call("RENAME", keys[1], keys[7]);
      await c.call("SADD", "{a}s", "x", "y");
      await c.call("SADD", "{b}s", "y", "z");
      await c.call("SUNIONSTORE", "{c}s", "{a}s", "{b}s");
      await c.call("SMOVE", "{a}s", "{b}s", "x");
      // eviction: far more than 3mb of values, on every shard
      for (let i = 0; i < 400; i++) await c.call("SET", `big${i}`, "x".repeat(20_000), "EX", 9000);
      const info = str(await c.call("INFO", "stats") as Reply);
      assert.ok(/evicted_keys:[1-9]/.test(info), "keys were evicted");
      // no more evictions while the snapshot reads (a read evicts too, as in Redis)
      await c.call("CONFIG", "SET", "maxmemory", "0");
    });
    want = await snapshot(skua, [0, 1, 2, 3, 4]);
  } finally {
    await skua.stop();
  }
  for (
    const line of [
      "4 key0 db3 -1",
      "3 key0 db3-after -1",
      "0 key0 after",
      "0 key7 after",
      "1 key0 db1-again",
      "2 key0 db1",
      "0 {c}s x,y,z -1",
    ]
  ) {
    assert.ok(want.includes(line), line);
  }
  assert.ok(!want.includes("0 key1 "), "renamed");
  for (const shards of [3, 1]) {
    const again = await skuaIn(sd, shards);
    try {
      const got = await snapshot(again, [0, 1, 2, 3, 4]);
      assert.ok(got === want, `reloaded with ${shards} shards: ${firstDiff(got, want)}`);
    } finally {
      await again.stop();
    }
  }
  const redis = await redisIn(sd);
  try {
    assert.equal(await snapshot(redis, [0, 1, 2, 3, 4]), want, "loaded by redis-server");
  } finally {
    await redis.stop();
  }
});

Deno.test("aof: CONFIG SET appendonly yes at run time writes the dataset, then appends", async () => {
  const sd = tmpDir();
  let want: string;
  const skua = await startSkua({ shards: 3, args: ["--dir", sd] });
  try {
    await withConn(skua, async (c) => {
      await c.call("MSET", "a", "1", "b", "2", "c", "3", "d", "4");
      await c.call("RPUSH", "l", "x", "y");
      await c.call("SET", "t", "v", "EX", 1000);
      assert.equal(str(await c.call("CONFIG", "SET", "appendonly", "yes") as Reply), "OK");
      await c.call("SET", "e", "5");
      await c.call("CONFIG", "SET", "appendonly", "no");
      await c.call("SET", "lost-with-the-aof-off", "1");
      await c.call("CONFIG", "SET", "appendonly", "yes");
      await c.call("DEL", "a");
    });
    want = await snapshot(skua);
  } finally {
    await skua.stop();
  }
  const m = Deno.readTextFileSync(`${sd}/appendonlydir/appendonly.aof.manifest`);
  assert.equal(
    m,
    "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
  );
  const redis = await redisIn(sd);
  try {
    assert.equal(await snapshot(redis), want, "loaded by redis-server");
  } finally {
    await redis.stop();
  }
  const again = await skuaIn(sd, 3);
  try {
    assert.equal(await snapshot(again), want, "reloaded by Skua");
  } finally {
    await again.stop();
  }
});

Deno.test("aof: aof-use-rdb-preamble no, appendfilename and appenddirname", async () => {
  const sd = tmpDir();
  const names = ["--appendfilename", "my.aof", "--appenddirname", "aofs"];
  const opts = ["--aof-use-rdb-preamble", "no", ...names];
  let want: string;
  const skua = await skuaIn(sd, 3, opts);
  try {
    await runAll(skua, [["MSET", "a", "1", "b", "2", "c", "3"], ["HSET", "h", "f", "v"]]);
    want = await snapshot(skua);
  } finally {
    await skua.stop();
  }
  assert.equal(
    Deno.readTextFileSync(`${sd}/aofs/my.aof.manifest`),
    "file my.aof.1.base.aof seq 1 type b\nfile my.aof.1.incr.aof seq 1 type i\n",
  );
  const redis = await redisIn(sd, opts);
  try {
    assert.equal(await snapshot(redis), want, "loaded by redis-server");
    // redis-server rewrites: a base of commands, a new incr file; then more writes
    await rewritten(redis);
    await runAll(redis, [["SET", "after-rewrite", "1"], ["DEL", "b"], ["SELECT", 2], [
      "SET",
      "x",
      "y",
    ]]);
    want = await snapshot(redis);
  } finally {
    await redis.stop();
  }
  assert.match(Deno.readTextFileSync(`${sd}/aofs/my.aof.manifest`), /my\.aof\.2\.base\.aof/);
  const again = await skuaIn(sd, 1, names);
  try {
    assert.equal(await snapshot(again), want, "reloaded by Skua");
  } finally {
    await again.stop();
  }
});

Deno.test("aof: a redis-server AOF with a command over several shards loads with one", async () => {
  const rd = tmpDir();
  const redis = await redisIn(rd);
  try {
    // "a" and "b" hash to different shards of 3
    await runAll(redis, [["SET", "a", "1"], ["RENAME", "a", "b"]]);
  } finally {
    await redis.stop();
  }
  const why = await refusal(() => skuaIn(copyDir(rd), 3));
  assert.match(why ?? "started", /'rename' with keys on several shards: load it with one shard/);
  const one = await skuaIn(rd, 1);
  try {
    assert.deepEqual(await runAll(one, [["GET", "b"], ["EXISTS", "a"]]), [
      new TextEncoder().encode("1"),
      0,
    ]);
  } finally {
    await one.stop();
  }
});

/** A random write of every family, over few keys spread across 3 shards. */
function randomWrite(r: () => number): (string | number)[] {
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)];
  const k = () => `k${Math.floor(r() * 8)}`;
  const n = () => Math.floor(r() * 20) - 5;
  const m = () => `m${Math.floor(r() * 6)}`;
  const cmds: (() => (string | number)[])[] = [
    () => ["SET", k(), `v${n()}`, ...pick([[], ["EX", 1000], ["PX", 5], ["KEEPTTL"], ["NX"]])],
    () => ["INCRBY", k(), n()],
    () => ["INCRBYFLOAT", k(), "1.5"],
    () => ["APPEND", k(), "x"],
    () => ["SETRANGE", k(), 2, "yz"],
    () => ["GETDEL", k()],
    () => ["GETEX", k(), ...pick([["EX", 500], ["PERSIST"], ["PXAT", 1]])],
    () => ["DEL", k(), k(), k()],
    () => ["MSET", k(), "a", k(), "b", k(), "c"],
    () => ["MSETNX", k(), "a", k(), "b"],
    () => ["EXPIRE", k(), pick([100, -1, 2000])],
    () => ["PEXPIRE", k(), 3],
    () => ["PERSIST", k()],
    () => ["RENAME", k(), k()],
    () => ["COPY", k(), k(), "REPLACE"],
    () => ["MOVE", k(), 1],
    () => ["RPUSH", k(), m(), m()],
    () => ["LPOP", k()],
    () => ["LMOVE", k(), k(), "LEFT", "RIGHT"],
    () => ["LTRIM", k(), 0, 1],
    () => ["HSET", k(), m(), n()],
    () => ["HINCRBYFLOAT", k(), m(), "0.25"],
    () => ["HDEL", k(), m()],
    () => ["SADD", k(), m(), m()],
    () => ["SREM", k(), m()],
    () => ["SPOP", k(), ...pick([[], [2]])],
    () => ["SMOVE", k(), k(), m()],
    () => ["SUNIONSTORE", k(), k(), k()],
    () => ["ZADD", k(), n(), m()],
    () => ["ZINCRBY", k(), 2, m()],
    () => ["ZPOPMIN", k()],
    () => ["ZUNIONSTORE", k(), 2, k(), k()],
    () => ["PFADD", k(), m()],
    () => ["SETBIT", k(), n() + 5, 1],
    () => ["BITOP", "OR", k(), k(), k()],
    () => ["SELECT", pick([0, 0, 0, 1])],
    // now and then a write of every shard (inside EXEC too: written there as per-key effects)
    () => r() < 0.3 ? pick([["FLUSHDB"], ["SWAPDB", 0, 1], ["FLUSHALL"]]) : ["SET", k(), "x"],
  ];
  return pick(cmds)();
}

/** Every value in databases 0 and 1, by type. */
async function dump01(s: ServerHandle): Promise<string> {
  return await withConn(s, async (c) => {
    const out: string[] = [];
    for (const db of [0, 1]) {
      await c.call("SELECT", db);
      const keys = (await c.call("KEYS", "*") as Uint8Array[]).map(str).sort();
      for (const k of keys) {
        const type = str(await c.call("TYPE", k) as Reply);
        let v: Reply;
        if (type === "string") v = await c.call("GET", k);
        else if (type === "list") v = await c.call("LRANGE", k, 0, -1);
        else if (type === "hash") v = (await c.call("HGETALL", k) as Uint8Array[]).map(str);
        else if (type === "set") v = (await c.call("SMEMBERS", k) as Uint8Array[]).map(str).sort();
        else v = await c.call("ZRANGE", k, 0, -1, "WITHSCORES");
        const at = await c.call("PEXPIRETIME", k);
        out.push(
          `${db} ${k} ${type} ${
            JSON.stringify(v, (_, x) => x instanceof Uint8Array ? str(x) : x)
          } ${at}`,
        );
      }
    }
    return out.join("\n");
  });
}

// seed 9 found that keys must not expire while the AOF loads (SET PX 5, PERSIST, MOVE)
Deno.test("aof: random writes of every family over 3 shards reload the same", async () => {
  for (const seed of [1, 2, 9]) {
    const r = rng(seed);
    const sd = tmpDir();
    let want: string;
    const skua = await skuaIn(sd, 3);
    try {
      await withConn(skua, async (c) => {
        for (let i = 0; i < 400; i++) {
          if (r() < 0.05) {
            await c.call("MULTI");
            for (let j = 0; j < 4; j++) await c.call(...randomWrite(r));
            await c.call("EXEC");
          } else await c.call(...randomWrite(r));
        }
      });
      // keys with a few ms of TTL have gone by now: the reloads must agree on what is left
      await new Promise((res) => setTimeout(res, 50));
      want = await dump01(skua);
    } finally {
      await skua.stop();
    }
    for (const shards of [3, 1]) {
      const again = await skuaIn(sd, shards);
      try {
        const got = await dump01(again);
        assert.ok(got === want, `seed ${seed}, ${shards} shards: ${firstDiff(got, want)}`);
      } finally {
        await again.stop();
      }
    }
    const redis = await redisIn(sd);
    try {
      const got = await dump01(redis);
      assert.ok(got === want, `seed ${seed}, redis-server: ${firstDiff(got, want)}`);
    } finally {
      await redis.stop();
    }
  }
});
