/**
 * BGREWRITEAOF and the automatic AOF rewrite (src/persist/aof_rewrite.ts): a rewrite under a
 * concurrent write load on 1 and 2 shards loses nothing across a restart, and leaves one base and
 * one incr file in the manifest with the history files deleted; a kill -9 around a rewrite loses
 * no acknowledged write (appendfsync always); redis-server 7.0 loads the rewritten directory
 * (RDB base and command base) with the same contents; the growth check starts a rewrite by itself;
 * the replies and INFO fields are redis-server's.
 */
import assert from "node:assert/strict";
import { type ServerHandle, startRedis, startSkua } from "./helpers/server.ts";
import { type Arg, parse, type Reply, RespConn, str, toLatin1 } from "./helpers/resp.ts";
import {
  redisIn as redisInFor,
  skuaIn as skuaInFor,
  tmpDir as tmpDirFor,
  withConn,
} from "./helpers/persist.ts";

const tmpDir = () => tmpDirFor("aofrw");
const skuaIn = (dir: string, shards: number, extra: string[] = []) =>
  skuaInFor("aof", dir, shards, extra);
const redisIn = (dir: string, extra: string[] = []) => redisInFor("aof", dir, extra);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function info(s: ServerHandle): Promise<string> {
  return await withConn(s, async (c) => str(await c.call("INFO", "persistence") as Reply));
}

/** Waits until no rewrite and no BGSAVE runs or is scheduled. */
async function settled(s: ServerHandle, timeoutMs = 20_000): Promise<string> {
  const busy = /(aof_rewrite_in_progress|aof_rewrite_scheduled|rdb_bgsave_in_progress):1/;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = await info(s);
    if (!busy.test(i)) return i;
    if (Date.now() > deadline) throw new Error(`still busy:\n${i}`);
    await sleep(30);
  }
}

/** The raw replies of a pipeline as text (`+...`, `-...`, `:...`). */
async function replies(s: ServerHandle, cmds: Arg[][]): Promise<string[]> {
  return await withConn(s, async (c) => (await c.pipeline(cmds)).map((r) => toLatin1(r).trim()));
}

interface Manifest {
  base: string[];
  incr: string[];
}

function manifestOf(dir: string, name = "appendonly.aof"): Manifest {
  const text = Deno.readTextFileSync(`${dir}/appendonlydir/${name}.manifest`);
  const m: Manifest = { base: [], incr: [] };
  for (const line of text.split("\n")) {
    const r = /^file (\S+) seq \d+ type ([bhi])$/.exec(line);
    if (r === null) continue;
    if (r[2] === "b") m.base.push(r[1]);
    else if (r[2] === "i") m.incr.push(r[1]);
  }
  return m;
}

function filesIn(dir: string): string[] {
  return [...Deno.readDirSync(`${dir}/appendonlydir`)].map((e) => e.name).sort();
}

const DBS = [0, 1, 3];

/** Every key of the databases in use with its type, value and expiry time (pipelined). */
async function contents(s: ServerHandle): Promise<string> {
  const show = (v: Reply) => JSON.stringify(v, (_, x) => x instanceof Uint8Array ? str(x) : x);
  return await withConn(s, async (c) => {
    const out: string[] = [];
    for (const db of DBS) {
      await c.call("SELECT", db);
      const keys = (await c.call("KEYS", "*") as Uint8Array[]).map(str).sort();
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const types = (await c.pipeline(batch.map((k) => ["TYPE", k]))).map((r) =>
          toLatin1(r).trim().slice(1)
        );
        const reads: Arg[][] = batch.flatMap((k, j) => {
          const t = types[j];
          const read: Arg[] = t === "string"
            ? ["GET", k]
            : t === "list"
            ? ["LRANGE", k, 0, -1]
            : t === "hash"
            ? ["HGETALL", k]
            : t === "set"
            ? ["SMEMBERS", k]
            : ["ZRANGE", k, 0, -1, "WITHSCORES"];
          return [read, ["PEXPIRETIME", k]];
        });
        const got = (await c.pipeline(reads)).map(parse);
        batch.forEach((k, j) => {
          let v = got[2 * j];
          // hashes and sets come in no particular order
          if (types[j] === "set") v = (v as Uint8Array[]).map(str).sort();
          if (types[j] === "hash") {
            const a = (v as Uint8Array[]).map(str);
            const pairs: string[] = [];
            for (let x = 0; x < a.length; x += 2) pairs.push(`${a[x]}=${a[x + 1]}`);
            v = pairs.sort();
          }
          out.push(`${db} ${k} ${types[j]} ${show(v)} ${show(got[2 * j + 1])}`);
        });
      }
    }
    return out.join("\n");
  });
}

/** Every type in both encodings, expiries, several databases. */
function dataset(tag: string): Arg[][] {
  const big = "x".repeat(100);
  return DBS.flatMap((db) => [
    ["SELECT", db],
    ["SET", `${tag}s`, "v"],
    ["SET", `${tag}n`, 42],
    ["SET", `${tag}t`, "x", "EX", 5000],
    ["RPUSH", `${tag}l`, "a", "b", "c"],
    ["RPUSH", `${tag}L`, ...Array.from({ length: 200 }, (_, i) => `${big}${i}`)],
    ["HSET", `${tag}h`, "f1", "v1", "f2", "v2"],
    ["HSET", `${tag}H`, ...Array.from({ length: 300 }, (_, i) => [`f${i}`, `${big}${i}`]).flat()],
    ["SADD", `${tag}S`, "a", "b", 1, 2],
    ["SADD", `${tag}I`, ...Array.from({ length: 600 }, (_, i) => i)],
    ["ZADD", `${tag}z`, 1, "a", 2.5, "b"],
    ["ZADD", `${tag}Z`, ...Array.from({ length: 200 }, (_, i) => [i, `${big}${i}`]).flat()],
    ["PFADD", `${tag}hll`, "a", "b", "c"],
    ["EXPIRE", `${tag}h`, 7000],
    ["MSET", `${tag}m1`, 1, `{x}${tag}m2`, 2],
  ]);
}

async function run(s: ServerHandle, cmds: Arg[][]): Promise<void> {
  await withConn(s, async (c) => {
    for (const r of await c.pipeline(cmds)) {
      assert.notEqual(r[0], 45, `${toLatin1(r)} for one of ${JSON.stringify(cmds.slice(0, 3))}`);
    }
  });
}

/** Clients writing counters, strings, hashes and lists until `stop`; what they were told. */
function writeLoad(s: ServerHandle, clients: number) {
  let stop = false;
  const acked = new Map<string, string>();
  const counters = new Map<string, number>();
  const lists = new Map<string, number>();
  let errors = 0;
  const done = Promise.all(Array.from({ length: clients }, async (_, id) => {
    const c = await RespConn.connect(s.port);
    try {
      for (let j = 0; !stop; j++) {
        const r = await c.pipeline([
          ["SET", `k:${id}:${j}`, `v${j}`],
          ["INCR", `ctr:${id}`],
          ["HSET", `h:${id}`, `f${j % 50}`, j],
          ["RPUSH", `l:${id}`, j],
          ["SET", `over:${id}`, j],
        ]);
        acked.set(`k:${id}:${j}`, `v${j}`);
        counters.set(`ctr:${id}`, Number(toLatin1(r[1]).slice(1)));
        lists.set(`l:${id}`, j + 1);
        acked.set(`over:${id}`, String(j));
      }
    } catch {
      errors++; // the server was killed
    } finally {
      c.close();
    }
  }));
  return {
    acked,
    counters,
    lists,
    errors: () => errors,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

async function preload(s: ServerHandle, n: number): Promise<void> {
  const cmds: Arg[][] = [];
  for (let i = 0; i < n; i++) cmds.push(["SET", `pre:${i}`, `value-${i}`]);
  for (let i = 0; i < cmds.length; i += 5000) await run(s, cmds.slice(i, i + 5000));
}

Deno.test("aofrw: BGREWRITEAOF under a write load loses nothing (1 and 2 shards)", async () => {
  for (const shards of [1, 2]) {
    const sd = tmpDir();
    const skua = await skuaIn(sd, shards);
    let want: string;
    try {
      await run(skua, dataset("a"));
      await preload(skua, 5_000);
      const load = writeLoad(skua, 4);
      await sleep(150);
      const r1 = await replies(skua, [["BGREWRITEAOF"]]);
      assert.deepEqual(r1, ["+Background append only file rewriting started"]);
      await settled(skua);
      await sleep(100);
      // a second rewrite, still under the load: the first one's base and incr become history
      assert.deepEqual(await replies(skua, [["BGREWRITEAOF"]]), [r1[0]]);
      await settled(skua);
      await sleep(100);
      await load.stop();
      assert.equal(load.errors(), 0);
      assert.ok(load.acked.size > 100, `the load ran (${load.acked.size} keys)`);
      await run(skua, dataset("b"));
      const i = await info(skua);
      assert.match(i, /aof_rewrites:2\r\n/);
      assert.match(i, /aof_last_bgrewrite_status:ok\r\n/);
      want = await contents(skua);
      await withConn(skua, async (c) => {
        for (const [k, v] of load.acked) assert.equal(str(await c.call("GET", k) as Reply), v, k);
      });
    } finally {
      await skua.stop();
    }
    const m = manifestOf(sd);
    assert.deepEqual(m, {
      base: ["appendonly.aof.3.base.rdb"],
      incr: ["appendonly.aof.3.incr.aof"],
    });
    // the history files are gone, and no temp file is left
    assert.deepEqual(filesIn(sd), [
      "appendonly.aof.3.base.rdb",
      "appendonly.aof.3.incr.aof",
      "appendonly.aof.manifest",
    ]);
    for (const again of [shards, 3]) {
      const s = await skuaIn(sd, again);
      try {
        assert.equal(await contents(s), want, `${shards} shards, reloaded with ${again}`);
      } finally {
        await s.stop();
      }
    }
  }
});

Deno.test("aofrw: kill -9 before, during or after a rewrite loses no acknowledged write", async () => {
  const TRIALS = Number(Deno.env.get("AOFRW_KILL_TRIALS") ?? 4);
  let writes = 0, midway = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const sd = tmpDir();
    const skua = await skuaIn(sd, 2, ["--appendfsync", "always"]);
    await preload(skua, 30_000);
    const load = writeLoad(skua, 3);
    await sleep(100);
    // the kill lands anywhere from the switch to well after the manifest moved
    const kill = sleep(Math.random() * 400).then(() => skua.proc.kill("SIGKILL"));
    await replies(skua, [["BGREWRITEAOF"]]).catch(() => {});
    await kill;
    await load.stop();
    await skua.stop().catch(() => {});
    writes += load.acked.size;
    const out = skua.output();
    if (/Creating AOF incr file/.test(out) && !/rewrite finished successfully/.test(out)) midway++;
    const again = await skuaIn(sd, 2);
    try {
      await withConn(again, async (c) => {
        assert.equal(Number(await c.call("DBSIZE")) >= 30_000, true, "the preloaded keys");
        for (const [k, v] of load.acked) {
          const got = str(await c.call("GET", k) as Reply);
          // `over:` keys may hold a later, unacknowledged value
          if (k.startsWith("over:")) assert.ok(Number(got) >= Number(v), k);
          else assert.equal(got, v, k);
        }
        for (const [k, n] of load.counters) {
          assert.ok(Number(str(await c.call("GET", k) as Reply)) >= n, k);
        }
        for (const [k, n] of load.lists) {
          const len = Number(await c.call("LLEN", k));
          assert.ok(len >= n, `${k}: ${len} < ${n}`);
          assert.deepEqual(
            (await c.call("LRANGE", k, 0, n - 1) as Uint8Array[]).map(str),
            Array.from({ length: n }, (_, i) => String(i)),
          );
        }
      });
    } finally {
      await again.stop();
    }
  }
  console.log(
    `kill -9 around BGREWRITEAOF: ${TRIALS} trials (${midway} while it ran), ` +
      `${writes} acknowledged keys, none lost`,
  );
});

Deno.test("aofrw: redis-server 7.0 loads Skua's rewritten directory (RDB and command base)", async () => {
  for (const preamble of ["yes", "no"]) {
    const sd = tmpDir();
    const skua = await skuaIn(sd, 2, ["--aof-use-rdb-preamble", preamble]);
    let want: string;
    try {
      await run(skua, dataset("a"));
      await run(skua, [["BGREWRITEAOF"]]);
      await run(skua, [["SELECT", 1], ["DEL", "aS"], ["LPOP", "aL"], ["SET", "after", "1"]]);
      await settled(skua);
      // a flush while the parts are written: each shard finishes its part first
      await run(skua, [["BGREWRITEAOF"], ["SELECT", 3], ["FLUSHDB"]]);
      await settled(skua);
      await run(skua, dataset("b"));
      want = await contents(skua);
    } finally {
      await skua.stop();
    }
    const ext = preamble === "yes" ? "rdb" : "aof";
    assert.deepEqual(manifestOf(sd).base, [`appendonly.aof.3.base.${ext}`]);
    const base = Deno.readFileSync(`${sd}/appendonlydir/appendonly.aof.3.base.${ext}`);
    assert.equal(toLatin1(base.subarray(0, 5)) === "REDIS", preamble === "yes");
    const redis = await redisIn(sd, ["--aof-use-rdb-preamble", preamble]);
    try {
      assert.equal(await contents(redis), want, `redis-server loads it (preamble ${preamble})`);
    } finally {
      await redis.stop();
    }
    const again = await skuaIn(sd, 1);
    try {
      assert.equal(await contents(again), want, `Skua reloads it (preamble ${preamble})`);
    } finally {
      await again.stop();
    }
  }
});

Deno.test("aofrw: the AOF's growth starts a rewrite by itself", async () => {
  const sd = tmpDir();
  const skua = await skuaIn(sd, 2, [
    "--auto-aof-rewrite-min-size",
    "200000",
    "--auto-aof-rewrite-percentage",
    "100",
  ]);
  try {
    // the same keys over and over: the AOF grows, the dataset does not
    const cmds: Arg[][] = [];
    for (let i = 0; i < 6000; i++) cmds.push(["SET", `key${i % 100}`, `value-${i}`.padEnd(40)]);
    await run(skua, cmds.slice(0, 1000));
    await sleep(300);
    assert.match(await info(skua), /aof_rewrites:0\r\n/, "not yet: under the minimum size");
    await run(skua, cmds.slice(1000));
    const deadline = Date.now() + 10_000;
    let i = await info(skua);
    while (!/aof_rewrites:1\r\n/.test(i) && Date.now() < deadline) {
      await sleep(50);
      i = await info(skua);
    }
    assert.match(i, /aof_rewrites:1\r\n/);
    i = await settled(skua);
    assert.match(i, /aof_last_bgrewrite_status:ok\r\n/);
    const cur = Number(/aof_current_size:(\d+)/.exec(i)![1]);
    const base = Number(/aof_base_size:(\d+)/.exec(i)![1]);
    // as Redis, the base size counts what was appended while the rewrite ran, and the writes
    // go on meanwhile: only the new base file itself is sure to be small (100 keys)
    assert.ok(base > 0 && base <= cur, `current ${cur}, base ${base}`);
    const baseFile = Deno.statSync(`${sd}/appendonlydir/appendonly.aof.2.base.rdb`).size;
    assert.ok(baseFile < 20_000, `the rewritten base holds ${baseFile} bytes`);
    assert.match(skua.output(), /Starting automatic rewriting of AOF on \d+% growth/);
    assert.deepEqual(manifestOf(sd), {
      base: ["appendonly.aof.2.base.rdb"],
      incr: ["appendonly.aof.2.incr.aof"],
    });
    // percentage 0 turns it off
    await run(skua, [["CONFIG", "SET", "auto-aof-rewrite-percentage", "0"]]);
    await run(skua, cmds);
    await sleep(400);
    assert.match(await info(skua), /aof_rewrites:1\r\n/);
  } finally {
    await skua.stop();
  }
});

/** The replies of the sequences whose timing is the same on both servers. */
async function replyScript(s: ServerHandle): Promise<string[]> {
  const out: string[] = [];
  out.push(...await replies(s, [["BGREWRITEAOF"], ["BGREWRITEAOF"]]));
  await settled(s);
  out.push(...await replies(s, [["BGSAVE"], ["BGREWRITEAOF"]]));
  await settled(s);
  out.push(...await replies(s, [["BGREWRITEAOF"], ["BGSAVE"]]));
  await settled(s);
  out.push(...await replies(s, [["BGREWRITEAOF"], ["BGSAVE", "SCHEDULE"]]));
  await settled(s);
  out.push(...await replies(s, [["MULTI"], ["BGREWRITEAOF"], ["EXEC"]]));
  await settled(s);
  out.push(...await replies(s, [["BGREWRITEAOF", "x"]]));
  const i = await settled(s);
  const fields = i.split("\r\n").filter((l) => l.startsWith("aof_")).map((l) => l.split(":")[0]);
  out.push(fields.join(","));
  for (const f of ["aof_rewrites", "aof_last_bgrewrite_status", "aof_rewrite_in_progress"]) {
    out.push(new RegExp(`${f}:\\S+`).exec(i)![0]);
  }
  return out;
}

Deno.test("aofrw: replies and INFO fields as redis-server's, AOF on and off", async () => {
  for (const on of ["yes", "no"]) {
    const rd = tmpDir(), sd = tmpDir();
    const redis = await startRedis(["--dir", rd, "--appendonly", on]);
    let want: string[];
    try {
      await run(redis, dataset("a"));
      want = await replyScript(redis);
    } finally {
      await redis.stop();
    }
    assert.equal(want[1], "-ERR Background append only file rewriting already in progress");
    assert.equal(want[3], "+Background append only file rewriting scheduled");
    for (const shards of [1, 2]) {
      const skua = await startSkua({ shards, args: ["--dir", sd, "--appendonly", on] });
      try {
        await run(skua, dataset("a"));
        assert.deepEqual(await replyScript(skua), want, `appendonly ${on}, ${shards} shards`);
      } finally {
        await skua.stop();
      }
      // with the AOF off too a rewrite writes a base and a manifest naming it alone
      const m = manifestOf(sd);
      assert.equal(m.base.length, 1);
      assert.equal(m.incr.length, on === "yes" ? 1 : 0);
      assert.deepEqual(manifestOf(rd).incr.length, m.incr.length);
    }
  }
});

Deno.test("aofrw: SHUTDOWN during a rewrite kills it, leaves no temp file, loses nothing", async () => {
  const sd = tmpDir();
  const skua = await skuaIn(sd, 2);
  let want: string;
  try {
    await run(skua, dataset("a"));
    await preload(skua, 40_000);
    want = await contents(skua);
    await withConn(skua, async (c) => {
      const r = await c.pipeline([["BGREWRITEAOF"], ["SET", "pre:0", "changed"]]);
      assert.equal(toLatin1(r[0]).trim(), "+Background append only file rewriting started");
      await c.writeRaw("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
      await c.readRaw().catch(() => {}); // the connection closes as the process exits
    });
    assert.equal(await skua.proc.status.then((s) => s.code), 0);
  } finally {
    await skua.stop();
  }
  assert.match(skua.output(), /There is a child rewriting the AOF\. Killing it!/);
  assert.ok(!filesIn(sd).some((f) => f.startsWith("temp-")), filesIn(sd).join(" "));
  // the manifest names the old base and both incr files: the write after the point is there
  assert.deepEqual(manifestOf(sd).incr, ["appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof"]);
  const again = await skuaIn(sd, 2);
  try {
    assert.equal(
      await contents(again),
      want.replace(/^0 pre:0 string "value-0"/m, '0 pre:0 string "changed"'),
    );
  } finally {
    await again.stop();
  }
});

Deno.test("aofrw: appendonly yes during a rewrite started with the AOF off loses nothing", async () => {
  const sd = tmpDir();
  const skua = await startSkua({ shards: 2, args: ["--dir", sd, "--appendonly", "no"] });
  let want: string;
  try {
    await run(skua, dataset("a"));
    await preload(skua, 40_000);
    const r = await replies(skua, [["BGREWRITEAOF"], ["CONFIG", "SET", "appendonly", "yes"]]);
    assert.deepEqual(r, ["+Background append only file rewriting started", "+OK"]);
    await run(skua, [["SET", "later", "1"], ["DEL", "pre:1"]]);
    await settled(skua);
    await run(skua, dataset("b"));
    want = await contents(skua);
  } finally {
    await skua.stop();
  }
  assert.match(skua.output(), /Background AOF rewrite result discarded/);
  // the rewrite's base belongs to no manifest: removed; the generation's files remain
  const m = manifestOf(sd);
  assert.deepEqual(filesIn(sd), [...m.base, ...m.incr, "appendonly.aof.manifest"].sort());
  const again = await skuaIn(sd, 2);
  try {
    assert.equal(await contents(again), want);
  } finally {
    await again.stop();
  }
});
