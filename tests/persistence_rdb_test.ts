/**
 * RDB snapshots on disk, against redis-server 7.0 both ways: a file redis-server writes (every
 * type in both encodings, expiries, several databases) loads into Skua with 1 and 3 shards
 * with every value, TTL and encoding equal; a file Skua's SAVE and BGSAVE write loads into
 * redis-server the same way; corrupt and truncated files stop Skua's startup cleanly; and a
 * BGSAVE under a concurrent transactional write load holds one point in time.
 */
import assert from "node:assert/strict";
import { freePort, REPO_ROOT, type ServerHandle } from "./helpers/server.ts";
import { type Reply, RespConn, str, toLatin1 } from "./helpers/resp.ts";
import {
  redisIn as redisInFor,
  skuaIn as skuaInFor,
  tmpDir as tmpDirFor,
  withConn,
} from "./helpers/persist.ts";

const DBS = [0, 1, 5];

const tmpDir = () => tmpDirFor("rdb");
const skuaIn = (dir: string, shards: number, extra: string[] = []) =>
  skuaInFor("rdb", dir, shards, extra);
const redisIn = (dir: string, extra: string[] = []) => redisInFor("rdb", dir, extra);

async function ok(c: RespConn, ...args: (string | number)[]): Promise<Reply> {
  const r = await c.call(...args);
  if (r instanceof Error) throw new Error(`${args.join(" ")}: ${r.message}`);
  return r;
}

/** Every type in both of its encodings, expiries, several databases, binary keys and values. */
async function populate(c: RespConn): Promise<void> {
  const bin = Array.from({ length: 300 }, (_, i) => String.fromCharCode((i * 37) & 255)).join("");
  await ok(c, "SELECT", 0);
  await ok(c, "SET", "s:int", "12345");
  await ok(c, "SET", "s:neg", "-9000000000");
  await ok(c, "SET", "s:emb", "hello");
  await ok(c, "SET", "s:raw", "r".repeat(100));
  await ok(c, "SET", "s:lzf", "abc".repeat(2000));
  await ok(c, "SET", "s:bin\x00\xff", bin);
  await ok(c, "SET", "s:ttl", "v", "PX", 100_000_000);
  await ok(c, "RPUSH", "l:small", "a", "b", "1", "-2", "c".repeat(30));
  await ok(c, "RPUSH", "l:big", ...Array.from({ length: 300 }, (_, i) => `e${i}`.repeat(20)));
  await ok(c, "HSET", "h:small", "f1", "v1", "f2", "2", "f3", "x".repeat(40));
  await ok(c, "HSET", "h:big", ...Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  await ok(c, "SADD", "set:int", 1, 2, 3, -5, 100000);
  await ok(c, "SADD", "set:str", "a", "b", "c", bin);
  await ok(c, "SADD", "set:bigint", ...Array.from({ length: 600 }, (_, i) => i * 3));
  await ok(c, "ZADD", "z:small", 1, "a", 2.5, "b", -3, "c", "inf", "d");
  await ok(c, "ZADD", "z:big", ...Array.from({ length: 200 }, (_, i) => [i / 7, `m${i}`]).flat());
  await ok(c, "PFADD", "hll", "a", "b", "c");
  await ok(c, "EXPIRE", "h:small", 5000);
  await ok(c, "PEXPIRE", "z:big", 7_000_000);
  await ok(c, "SELECT", 1);
  await ok(c, "SET", "one", "1");
  await ok(c, "RPUSH", "l:small", "in-db-1");
  await ok(c, "SELECT", 5);
  await ok(c, "SET", "five", "5", "EX", 9999);
  await ok(c, "HSET", "h", "a", "b");
  await ok(c, "SELECT", 0);
}

/**
 * Everything a client can see of the dataset (no DUMP): per key type, value, expiry and
 * encoding. `exact`: the absolute expiry (same file loaded twice), else the TTL in minutes
 * (the same dataset written at two moments).
 */
async function state(s: ServerHandle, exact = true): Promise<string[]> {
  return await withConn(s, async (c) => {
    const out: string[] = [];
    for (const db of DBS) {
      await ok(c, "SELECT", db);
      const keys = ((await ok(c, "KEYS", "*")) as Reply[]).map((k) => str(k)).sort();
      for (const k of keys) {
        const type = str(await ok(c, "TYPE", k));
        let v: Reply;
        if (type === "string") v = await ok(c, "GET", k);
        else if (type === "list") v = await ok(c, "LRANGE", k, 0, -1);
        else if (type === "hash") v = sortedPairs(await ok(c, "HGETALL", k));
        else if (type === "set") v = ((await ok(c, "SMEMBERS", k)) as Reply[]).map(show).sort();
        else if (type === "zset") v = await ok(c, "ZRANGE", k, 0, -1, "WITHSCORES");
        else v = "?";
        const at = exact
          ? await ok(c, "PEXPIRETIME", k)
          : Math.round(Number(await ok(c, "PTTL", k)) / 60000);
        const enc = await ok(c, "OBJECT", "ENCODING", k);
        out.push(`${db} ${JSON.stringify(k)} ${type} ${show(v)} expire=${at} enc=${show(enc)}`);
      }
    }
    await ok(c, "SELECT", 0);
    return out;
  });
}

function show(r: Reply): string {
  if (r instanceof Uint8Array) return JSON.stringify(toLatin1(r));
  if (Array.isArray(r)) return `[${r.map(show).join(",")}]`;
  return JSON.stringify(r);
}

function sortedPairs(r: Reply): string[] {
  const a = r as Reply[];
  const pairs: string[] = [];
  for (let i = 0; i < a.length; i += 2) pairs.push(`${show(a[i])}=${show(a[i + 1])}`);
  return pairs.sort();
}

/** Equal states, or a failure listing only the lines that differ (cut short). */
function assertSameState(got: string[], want: string[], what: string): void {
  const cut = (l: string) => l.length > 300 ? l.slice(0, 300) + "..." : l;
  const g = new Set(got), w = new Set(want);
  const extra = got.filter((l) => !w.has(l)).map(cut);
  const missing = want.filter((l) => !g.has(l)).map(cut);
  if (extra.length > 0 || missing.length > 0 || got.length !== want.length) {
    throw new Error(`${what}: states differ\n+ ${extra.join("\n+ ")}\n- ${missing.join("\n- ")}`);
  }
}

async function stopAll(...servers: (ServerHandle | null)[]): Promise<void> {
  await Promise.all(servers.map((s) => s?.stop()));
}

Deno.test("rdb: a file redis-server 7.0 wrote loads into Skua (1 and 3 shards) whole", async () => {
  const dir = tmpDir();
  let redis: ServerHandle | null = null;
  try {
    redis = await redisIn(dir);
    await withConn(redis, async (c) => {
      await populate(c);
      // already expired when Skua loads it: skipped, as a master skips it
      await ok(c, "SET", "gone", "x", "PX", 200);
      assert.equal(str(await ok(c, "SAVE")), "OK");
    });
    await new Promise((r) => setTimeout(r, 300));
    await redis.stop();
    // the reference: redis-server itself loading the file
    redis = await redisIn(dir);
    const want = await state(redis);
    assert.ok(want.length > 20, "the reference holds the dataset");
    for (const shards of [1, 3]) {
      const skua = await skuaIn(dir, shards);
      try {
        assertSameState(await state(skua), want, `shards=${shards}`);
        const info = await withConn(skua, async (c) => str(await ok(c, "INFO", "persistence")));
        assert.match(info, /rdb_last_load_keys_expired:1\r\n/);
        assert.match(skua.output(), /DB loaded from disk/);
      } finally {
        await skua.stop();
      }
    }
  } finally {
    await stopAll(redis);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("rdb: Skua's SAVE and BGSAVE write files redis-server 7.0 loads whole", async () => {
  // the reference: the same dataset written by redis-server and loaded by it
  const refDir = tmpDir();
  let want: string[];
  let ref: ServerHandle | null = await redisIn(refDir);
  try {
    await withConn(ref, async (c) => {
      await populate(c);
      await ok(c, "SAVE");
    });
    await ref.stop();
    ref = await redisIn(refDir);
    want = await state(ref, false);
  } finally {
    await stopAll(ref);
    Deno.removeSync(refDir, { recursive: true });
  }
  for (const [cmd, shards] of [["SAVE", 3], ["BGSAVE", 3], ["BGSAVE", 1]] as const) {
    const dir = tmpDir();
    let skua: ServerHandle | null = null, redis: ServerHandle | null = null;
    try {
      skua = await skuaIn(dir, shards);
      await withConn(skua, async (c) => {
        await populate(c);
        const r = str(await ok(c, cmd));
        assert.equal(r, cmd === "SAVE" ? "OK" : "Background saving started");
        await waitBgsave(c);
        const info = str(await ok(c, "INFO", "persistence"));
        assert.match(info, /rdb_last_bgsave_status:ok\r\n/);
        assert.match(info, /rdb_changes_since_last_save:0\r\n/);
      });
      await skua.stop();
      skua = null;
      redis = await redisIn(dir);
      assertSameState(await state(redis, false), want, `${cmd} with ${shards} shards`);
    } finally {
      await stopAll(skua, redis);
      Deno.removeSync(dir, { recursive: true });
    }
  }
});

async function waitBgsave(c: RespConn): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const info = str(await ok(c, "INFO", "persistence"));
    if (info.includes("rdb_bgsave_in_progress:0")) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("BGSAVE did not finish");
}

async function startFails(dir: string): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "--port", String(freePort()), "--dir", dir, "--shards", "3"],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("rdb: corrupt, truncated and stream-holding files stop the startup cleanly", async () => {
  const dir = tmpDir();
  let redis: ServerHandle | null = null;
  try {
    redis = await redisIn(dir);
    await withConn(redis, async (c) => {
      await populate(c);
      await ok(c, "SAVE");
    });
    const good = Deno.readFileSync(`${dir}/dump.rdb`);
    await withConn(redis, async (c) => {
      await ok(c, "XADD", "events", "*", "a", "1");
      await ok(c, "SAVE");
    });
    const withStream = Deno.readFileSync(`${dir}/dump.rdb`);
    await redis.stop();
    redis = null;
    const flipped = good.slice();
    flipped[Math.floor(good.length / 2)] ^= 0x55;
    const cases: [string, Uint8Array, RegExp][] = [
      ["truncated", good.subarray(0, Math.floor(good.length * 0.7)), /Can't load the RDB file/],
      ["truncated trailer", good.subarray(0, good.length - 3), /Can't load the RDB file/],
      ["corrupt", flipped, /Can't load the RDB file/],
      ["not an RDB file", new TextEncoder().encode("hello world, not a dump"), /Wrong signature/],
      ["a stream", withStream, /stream 'events'/],
    ];
    for (const [what, bytes, want] of cases) {
      Deno.writeFileSync(`${dir}/dump.rdb`, bytes);
      const r = await startFails(dir);
      assert.equal(r.code, 1, `${what}: exit code\n${r.out}`);
      assert.match(r.out, want, `${what}:\n${r.out}`);
      assert.doesNotMatch(r.out, /\n\s+at /, `${what}: no stack trace\n${r.out}`);
      assert.doesNotMatch(r.out, /ready to accept/, what);
    }
  } finally {
    await stopAll(redis);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("rdb: BGSAVE under concurrent MULTI/EXEC writes saves one point in time", async () => {
  const dir = tmpDir();
  let skua: ServerHandle | null = null, redis: ServerHandle | null = null;
  const counters = Array.from({ length: 8 }, (_, i) => `counter:${i}`);
  try {
    skua = await skuaIn(dir, 3);
    // enough keys that every shard's part takes many loop turns
    await withConn(skua, async (c) => {
      for (let b = 0; b < 40; b++) {
        const args: string[] = [];
        for (let i = 0; i < 1000; i++) args.push(`fill:${b}:${i}`, "v".repeat(50));
        await ok(c, "MSET", ...args);
      }
      await ok(c, "MSET", ...counters.flatMap((k) => [k, "0"]));
      // values changed in place (not replaced): only the write path's hook sees them first
      for (const k of counters) {
        await ok(c, "HSET", `h${k}`, "n", 0, "pad", "p".repeat(100));
        await ok(c, "RPUSH", `l${k}`, "first");
      }
    });
    const writer = await RespConn.connect(skua.port);
    let stop = false;
    let blocks = 0;
    const writing = (async () => {
      while (!stop) {
        const cmds = [
          ["MULTI"],
          ...counters.flatMap((k) => [
            ["INCR", k],
            ["HINCRBY", `h${k}`, "n", 1],
            ["RPUSH", `l${k}`, "x"],
          ]),
          [
            "SET",
            `fill:${blocks % 40}:${blocks % 1000}`,
            `w${blocks}`,
          ],
          ["DEL", `fill:${(blocks + 7) % 40}:${blocks % 1000}`],
          ["EXEC"],
        ];
        await writer.pipeline(cmds);
        blocks++;
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    await withConn(skua, async (c) => {
      assert.equal(str(await ok(c, "BGSAVE")), "Background saving started");
      await waitBgsave(c);
    });
    const during = blocks;
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await writing;
    writer.close();
    const final = await withConn(skua, async (c) => (await ok(c, "MGET", ...counters)) as Reply[]);
    await skua.stop();
    skua = null;
    redis = await redisIn(dir);
    const values = await withConn(redis, async (c) => {
      const out: number[] = [];
      for (const k of counters) {
        out.push(Number(str(await ok(c, "GET", k))));
        out.push(Number(str(await ok(c, "HGET", `h${k}`, "n"))));
        out.push(Number(await ok(c, "LLEN", `l${k}`)) - 1);
      }
      return out;
    });
    assert.ok(values.every((v) => v === values[0]), `one cut: ${values}`);
    assert.ok(
      values[0] > 0 && values[0] < Number(str(final[0])),
      `${values[0]} of ${str(final[0])} (${during})`,
    );
  } finally {
    await stopAll(skua, redis);
    Deno.removeSync(dir, { recursive: true });
  }
});

/** The replies of `cmds` sent one by one, as raw text. */
async function replies(s: ServerHandle, cmds: (string | number)[][]): Promise<string[]> {
  return await withConn(s, async (c) => {
    const out: string[] = [];
    for (const cmd of cmds) out.push(toLatin1(await c.send(...cmd)));
    return out;
  });
}

Deno.test("rdb: a failed BGSAVE refuses writes with MISCONF until a save succeeds, as Redis", async () => {
  const servers: ServerHandle[] = [];
  const dirs: string[] = [];
  try {
    const runs: string[][] = [];
    for (const start of [redisIn, (d: string, x: string[]) => skuaIn(d, 3, x)]) {
      const dir = tmpDir(), gone = tmpDir();
      dirs.push(dir, gone);
      const s = await start(dir, ["--save", "3600 1", "--enable-protected-configs", "yes"]);
      servers.push(s);
      const out = await replies(s, [["SET", "k", "v"], ["CONFIG", "SET", "dir", gone]]);
      Deno.removeSync(gone, { recursive: true });
      out.push(...await replies(s, [["BGSAVE"]]));
      await withConn(s, waitBgsave);
      out.push(
        ...await replies(s, [
          ["SET", "k", "w"],
          ["PING"],
          ["GET", "k"],
          ["MULTI"],
          ["SET", "k", "x"],
          ["EXEC"],
          ["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
          ["SET", "k", "y"],
          ["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
          ["SET", "k", "z"],
          ["CONFIG", "SET", "dir", dir],
          ["SAVE"],
          ["SET", "k", "after-save"],
        ]),
      );
      const info = await withConn(s, async (c) => str(await ok(c, "INFO", "persistence")));
      out.push(/rdb_last_bgsave_status:(\w+)/.exec(info)![1]);
      runs.push(out);
    }
    assert.deepEqual(runs[1], runs[0]);
    assert.match(runs[0][3], /^-MISCONF /);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    // the one removed on purpose is gone already
    for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
  }
});

Deno.test("rdb: a save point starts a BGSAVE by itself; SHUTDOWN and SIGTERM save", async () => {
  const dir = tmpDir();
  let skua: ServerHandle | null = null;
  try {
    skua = await skuaIn(dir, 3, ["--save", "1 2"]);
    const before = await withConn(skua, async (c) => {
      await ok(c, "SET", "a", "1");
      await ok(c, "SET", "b", "2");
      return Number(await ok(c, "LASTSAVE"));
    });
    const deadline = Date.now() + 10_000;
    let saved = false;
    while (!saved && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      saved = await withConn(skua, async (c) => Number(await ok(c, "LASTSAVE")) > before);
    }
    assert.ok(saved, "the save point saved");
    assert.match(skua.output(), /2 changes in 1 seconds. Saving/);
    // SIGTERM with save points: the final snapshot, then exit 0
    await withConn(skua, (c) => ok(c, "SET", "c", "3"));
    assert.equal(await skua.stop(), 0);
    assert.match(skua.output(), /Saving the final RDB snapshot before exiting/);
    skua = await skuaIn(dir, 1);
    assert.deepEqual(
      await withConn(skua, async (c) => ((await ok(c, "MGET", "a", "b", "c")) as Reply[]).map(str)),
      ["1", "2", "3"],
    );
    // SHUTDOWN SAVE: saved, the connection closes without a reply, the process exits 0
    await withConn(skua, async (c) => {
      await ok(c, "SET", "d", "4");
      await assert.rejects(c.call("SHUTDOWN", "SAVE"));
    });
    assert.equal((await skua.proc.status).code, 0);
    skua = await skuaIn(dir, 3);
    assert.equal(str(await withConn(skua, async (c) => await ok(c, "GET", "d"))), "4");
  } finally {
    await stopAll(skua);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("rdb: FLUSHALL, SWAPDB, DEL and EXPIRE right after BGSAVE do not reach the file", async () => {
  for (
    const after of [["FLUSHALL"], ["SWAPDB", 0, 1], ["DEL", "k:1", "k:2", "k:3"], [
      "EXPIRE",
      "k:4",
      0,
    ]]
  ) {
    const dir = tmpDir();
    let skua: ServerHandle | null = null, redis: ServerHandle | null = null;
    try {
      skua = await skuaIn(dir, 3);
      await withConn(skua, async (c) => {
        for (let b = 0; b < 20; b++) {
          const args: string[] = [];
          for (let i = 0; i < 1000; i++) args.push(`k:${b * 1000 + i}`, `v${i}`);
          await ok(c, "MSET", ...args);
        }
        // in one write: the command runs while every shard is still writing its part
        const r = await c.pipeline([["BGSAVE"], after]);
        assert.equal(toLatin1(r[0]), "+Background saving started\r\n", after.join(" "));
        await waitBgsave(c);
      });
      await skua.stop();
      skua = null;
      redis = await redisIn(dir);
      const [size, v4, size1] = await withConn(redis, async (c) => [
        await ok(c, "DBSIZE"),
        str(await ok(c, "GET", "k:4")),
        (await ok(c, "SELECT", 1), await ok(c, "DBSIZE")),
      ]);
      assert.deepEqual([size, v4, size1], [20000, "v4", 0], after.join(" "));
    } finally {
      await stopAll(skua, redis);
      Deno.removeSync(dir, { recursive: true });
    }
  }
});

Deno.test("rdb: argument errors, MULTI and SHUTDOWN ABORT replies are Redis's", async () => {
  const cmds: (string | number)[][] = [
    ["BGSAVE", "foo"],
    ["BGSAVE", "schedule", "x"],
    ["SAVE", "x"],
    ["LASTSAVE", "x"],
    ["MULTI"],
    ["SAVE"],
    ["EXEC"],
    ["MULTI"],
    ["SET", "a", "1"],
    ["BGSAVE"],
    ["EXEC"],
    ["SHUTDOWN", "ABORT"],
    ["SHUTDOWN", "SAVE", "NOSAVE"],
    ["SHUTDOWN", "ABORT", "NOW"],
    ["SHUTDOWN", "foo"],
    ["MULTI"],
    ["SHUTDOWN"],
    ["DISCARD"],
  ];
  for (const shards of [1, 3]) {
    const dirs = [tmpDir(), tmpDir()];
    const servers: ServerHandle[] = [];
    try {
      servers.push(await redisIn(dirs[0]), await skuaIn(dirs[1], shards));
      const [want, got] = await Promise.all(servers.map((s) => replies(s, cmds)));
      assert.deepEqual(got, want, `shards=${shards}`);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      for (const d of dirs) Deno.removeSync(d, { recursive: true });
    }
  }
});

Deno.test("rdb: FLUSHALL with save points saves the emptied dataset, as Redis", async () => {
  const dir = tmpDir(), copy = tmpDir();
  let skua: ServerHandle | null = null, redis: ServerHandle | null = null;
  try {
    skua = await skuaIn(dir, 3, ["--save", "3600 1"]);
    await withConn(skua, async (c) => {
      await ok(c, "MSET", "a", 1, "b", 2, "c", 3);
      await ok(c, "SAVE");
      await ok(c, "FLUSHALL");
      // the save follows within a tick
      await new Promise((r) => setTimeout(r, 500));
    });
    // the file as it is now, while Skua still runs (its exit would save anyway)
    Deno.copyFileSync(`${dir}/dump.rdb`, `${copy}/dump.rdb`);
    redis = await redisIn(copy);
    assert.equal(await withConn(redis, (c) => ok(c, "DBSIZE")), 0);
  } finally {
    await stopAll(skua, redis);
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(copy, { recursive: true });
  }
});
