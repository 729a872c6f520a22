/**
 * The startup load as Redis 7.0 serves it: the server listens first, and while a big RDB file
 * or AOF (500k keys written by redis-server's DEBUG POPULATE, then SAVE or BGREWRITEAOF without
 * the RDB preamble) loads, a command without the
 * `loading` flag gets "-LOADING Redis is loading the dataset in memory" (GET, PING, SET in
 * MULTI, which then makes EXEC abort) and INFO persistence answers loading:1 with the loading_*
 * progress. The ready line follows the load, and then the data is there.
 */
import assert from "node:assert/strict";
import { REPO_ROOT, startRedis } from "./helpers/server.ts";
import { RespConn, toLatin1 } from "./helpers/resp.ts";

const KEYS = 500_000;
const LOADING = "-LOADING Redis is loading the dataset in memory\r\n";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A dump.rdb of KEYS string keys (key:N = value:N) in `dir`, written by redis-server. */
async function redisDump(dir: string): Promise<number> {
  const r = await startRedis(["--dir", dir, "--enable-debug-command", "yes"]);
  try {
    const c = await RespConn.connect(r.port);
    assert.equal(toLatin1(await c.send("DEBUG", "POPULATE", KEYS, "key")), "+OK\r\n");
    assert.equal(toLatin1(await c.send("SAVE")), "+OK\r\n");
    c.close();
  } finally {
    await r.stop();
  }
  return Deno.statSync(`${dir}/dump.rdb`).size;
}

/**
 * An AOF directory of KEYS keys in `dir` as commands (a base without the RDB preamble),
 * written by redis-server's BGREWRITEAOF. Returns the size of its files.
 */
async function redisAof(dir: string): Promise<number> {
  const r = await startRedis(["--dir", dir, "--enable-debug-command", "yes"]
    .concat(["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]));
  try {
    const c = await RespConn.connect(r.port);
    assert.equal(toLatin1(await c.send("DEBUG", "POPULATE", KEYS, "key")), "+OK\r\n");
    await c.send("BGREWRITEAOF");
    for (let i = 0; i < 600; i++) {
      const info = toLatin1(await c.send("INFO", "persistence"));
      if (/aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0/.test(info)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    c.close();
  } finally {
    await r.stop();
  }
  let size = 0;
  for (const e of Deno.readDirSync(`${dir}/appendonlydir`)) {
    if (!e.name.endsWith(".manifest")) size += Deno.statSync(`${dir}/appendonlydir/${e.name}`).size;
  }
  return size;
}

/** The first connection to `port` that succeeds (the listener is up), polling every 20 ms. */
async function firstConnection(port: number, exited: () => boolean): Promise<RespConn> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !exited()) {
    try {
      return await RespConn.connect(port);
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error("skua never listened");
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\\r$`, "m").exec(info)?.[1];
}

/**
 * Skua started on `dir` (2 shards) is answered while it loads: -LOADING for GET, PING and a SET
 * in MULTI (EXEC aborts), INFO persistence with loading:1 and `size` bytes to load; then the
 * ready line, and the KEYS keys.
 */
async function servesWhileLoading(
  dir: string,
  size: number,
  extra: string[],
  evicting = false,
): Promise<void> {
  const port = freePort();
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "--port", String(port), "--bind", "127.0.0.1"]
      .concat(["--shards", "2", "--dir", dir, "--save", "", ...extra]),
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let out = "";
  let exited = false;
  const dec = new TextDecoder();
  const pump = (s: ReadableStream<Uint8Array>) =>
    (async () => {
      for await (const chunk of s) out += dec.decode(chunk, { stream: true });
    })();
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  const status = proc.status.then((s) => {
    exited = true;
    return s;
  });
  let c: RespConn | null = null;
  try {
    c = await firstConnection(port, () => exited);
    // during the load: refused without the loading flag, answered with it
    assert.equal(toLatin1(await c.send("GET", "key:1")), LOADING, out);
    assert.equal(toLatin1(await c.send("PING")), LOADING, "PING has no loading flag in 7.0");
    const info = toLatin1(await c.send("INFO", "persistence"));
    assert.equal(field(info, "loading"), "1", info);
    assert.equal(field(info, "async_loading"), "0");
    assert.equal(field(info, "loading_total_bytes"), String(size));
    const start = Number(field(info, "loading_start_time"));
    assert.ok(Math.abs(start - Date.now() / 1000) < 60, info);
    const loaded = Number(field(info, "loading_loaded_bytes"));
    assert.ok(loaded >= 0 && loaded <= size, info);
    const perc = Number(field(info, "loading_loaded_perc"));
    assert.ok(perc >= 0 && perc <= 100, info);
    assert.match(info, /\r\nloading_rdb_used_mem:\d+\r\nloading_loaded_bytes:/);
    assert.match(info, /\r\nloading_eta_seconds:\d+\r\n/);
    // MULTI runs (loading flag); a refused SET flags the transaction, so EXEC aborts
    assert.equal(toLatin1(await c.send("MULTI")), "+OK\r\n");
    assert.equal(toLatin1(await c.send("SET", "k", "v")), LOADING);
    assert.equal(
      toLatin1(await c.send("EXEC")),
      "-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    assert.ok(!/ready to accept connections/.test(out), "the ready line waits for the load");
    if (evicting) {
      // over maxmemory, yet nothing is evicted while loading (Redis's isSafeToPerformEvictions):
      // every command would evict first
      // (a count read before INFO still says loading:1 was read during the load)
      let during = 0;
      for (let i = 0; i < 25; i++) {
        await c.send("INFO", "memory");
        const stats = toLatin1(await c.send("INFO", "stats"));
        const still = field(toLatin1(await c.send("INFO", "persistence")), "loading") === "1";
        if (!still) break;
        assert.equal(field(stats, "evicted_keys"), "0", stats);
        during++;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(during > 0, "the load ended before eviction could be checked");
    }
    // once loaded: the ready line, and the data
    const deadline = Date.now() + 240_000;
    while (!/ready to accept connections/.test(out) && !exited && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(out, /ready to accept connections/);
    const after = toLatin1(await c.send("INFO", "persistence"));
    assert.equal(field(after, "loading"), "0");
    assert.equal(field(after, "loading_start_time"), undefined);
    if (evicting) {
      // every key was loaded; eviction starts with the first command after the load
      assert.equal(field(after, "rdb_last_load_keys_loaded"), String(KEYS));
      await c.send("SET", "x", "y");
      const stats = toLatin1(await c.send("INFO", "stats"));
      assert.ok(Number(field(stats, "evicted_keys")) > 0, stats);
      return;
    }
    assert.equal(toLatin1(await c.send("GET", "key:1")), "$7\r\nvalue:1\r\n");
    assert.equal(toLatin1(await c.send("DBSIZE")), `:${KEYS}\r\n`);
  } catch (e) {
    await new Promise((r) => setTimeout(r, 300));
    console.error("SERVER OUTPUT:\n" + out);
    throw e;
  } finally {
    c?.close();
    try {
      proc.kill("SIGKILL");
    } catch {
      // already exited
    }
    await status;
    await pumps;
  }
}

Deno.test("loading: a big RDB loads while clients get -LOADING and INFO shows loading:1", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "skua-loading-" });
  try {
    await servesWhileLoading(dir, await redisDump(dir), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("loading: nothing is evicted while loading, even over maxmemory", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "skua-loading-evict-" });
  try {
    const policy = ["--maxmemory", "1mb", "--maxmemory-policy", "allkeys-random"];
    await servesWhileLoading(dir, await redisDump(dir), policy, true);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("loading: a big AOF replays while clients get -LOADING and INFO shows loading:1", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "skua-loading-aof-" });
  try {
    await servesWhileLoading(dir, await redisAof(dir), ["--appendonly", "yes"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
