/**
 * The server process: the ready line on stdout, a clean exit 0 within 2 s on SIGTERM/SIGINT
 * even with busy clients connected, and exit 1 with one clear line for bad startup values.
 */

import assert from "node:assert/strict";
import { freePort, REPO_ROOT, spawnSkua, startRedis, startSkua } from "./helpers/server.ts";
import { RespConn, str } from "./helpers/resp.ts";

const dec = new TextDecoder();

async function runSkua(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

Deno.test("lifecycle: ready line on stdout, SIGTERM with busy clients exits 0 within 2s", async () => {
  const port = freePort();
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "--port", String(port), "--shards", "3"],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const conns: RespConn[] = [];
  try {
    let out = "";
    const reader = proc.stdout.getReader();
    const deadline = Date.now() + 30_000;
    while (!out.includes("ready to accept connections") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      out += dec.decode(value);
    }
    assert.match(
      out,
      new RegExp(`ready to accept connections on 127\\.0\\.0\\.1:${port} \\(shards=3, io=\\w+\\)`),
    );
    // Keep draining stdout so the server never blocks on a full pipe.
    const drain = (async () => {
      while (!(await reader.read()).done) { /* discard */ }
    })();

    for (let i = 0; i < 5; i++) conns.push(await RespConn.connect(port));
    assert.equal(str(await conns[0].call("PING")), "PONG");
    // One idle client, one mid-request, one with a deep pipeline in flight.
    await conns[1].writeRaw("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc");
    const busy = conns[2].writeRaw("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".repeat(100_000)).catch(
      () => {},
    );

    const start = Date.now();
    proc.kill("SIGTERM");
    const status = await proc.status;
    const took = Date.now() - start;
    assert.equal(status.code, 0, "exit code after SIGTERM");
    assert.ok(took < 2000, `SIGTERM took ${took}ms`);
    for (const c of conns) c.close();
    await busy;
    await drain;
  } finally {
    for (const c of conns) c.close();
    try {
      proc.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await proc.status;
  }
});

// The signal is sent right after the ready line, as a process manager may do.
// Signal listeners must be in place before the ready line is printed.
Deno.test("lifecycle: SIGINT exits 0", async () => {
  const s = await startSkua({ shards: 2 });
  const start = Date.now();
  s.proc.kill("SIGINT");
  const code = await s.stop();
  assert.equal(code, 0);
  assert.ok(Date.now() - start < 2000);
});

Deno.test("lifecycle: bad startup values exit 1 with one line naming the value", async () => {
  for (
    const [args, mention] of [
      [["--port", "notaport"], /port.*notaport/],
      [["--shards", "0"], /shards.*"0"/],
      [["--io", "foo"], /io.*foo/],
    ] as [string[], RegExp][]
  ) {
    const r = await runSkua(args);
    assert.equal(r.code, 1, `${args.join(" ")}: exit code`);
    assert.match(r.stderr, mention, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line, got:\n${r.stderr}`);
  }
});

Deno.test("lifecycle: a port already in use exits 1", async () => {
  const redis = await startRedis();
  try {
    const r = await runSkua(["--port", String(redis.port), "--bind", "127.0.0.1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /in use/);
  } finally {
    await redis.stop();
  }
});

/** Start Skua on `port` and wait until it is ready or has exited: its outcome, and a stop. */
async function startRace(
  port: number,
): Promise<{ ready: boolean; stderr: string; stop: () => Promise<void> }> {
  const [proc, out] = spawnSkua(["--port", String(port), "--bind", "127.0.0.1", "--shards", "2"]);
  let exited = false;
  const status = proc.status.then(() => (exited = true));
  const deadline = Date.now() + 30_000;
  while (!/ready to accept/.test(out.text) && !exited && Date.now() < deadline) {
    await Promise.race([status, out.changed(), new Promise((r) => setTimeout(r, 200))]);
  }
  return {
    ready: /ready to accept/.test(out.text) && !exited,
    stderr: out.text,
    stop: async () => {
      if (!exited) proc.kill("SIGKILL");
      await status;
      await out.done;
    },
  };
}

Deno.test("lifecycle: two servers started at once on one port never both serve it", async () => {
  for (let round = 0; round < 3; round++) {
    const port = freePort();
    const [a, b] = await Promise.all([startRace(port), startRace(port)]);
    try {
      // with SO_REUSEPORT both would listen and each take a share of the other's connections
      assert.ok(!(a.ready && b.ready), `round ${round}: both servers took port ${port}`);
      for (const s of [a, b]) if (!s.ready) assert.match(s.stderr, /address already in use/);
    } finally {
      await a.stop();
      await b.stop();
    }
  }
});

Deno.test("lifecycle: logfile takes every thread's lines, pidfile lives while the server does", async () => {
  const dir = await Deno.makeTempDir();
  const logfile = `${dir}/skua.log`;
  const pidfile = `${dir}/skua.pid`;
  const port = freePort();
  const [proc] = spawnSkua(
    ["--port", String(port), "--shards", "2", "--logfile", logfile, "--pidfile", pidfile],
  );
  const read = () => Deno.readTextFile(logfile).catch(() => "");
  try {
    const deadline = Date.now() + 30_000;
    while (!/ready to accept connections/.test(await read()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(await read(), /ready to accept connections on 127\.0\.0\.1/);
    assert.equal((await Deno.readTextFile(pidfile)).trim(), String(proc.pid));
    // a shard's own line (a client over the query buffer limit) lands in the same file
    const c = await RespConn.connect(port);
    assert.equal(str(await c.call("CONFIG", "SET", "client-query-buffer-limit", "1mb")), "OK");
    await c.writeRaw(new TextEncoder().encode(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n`));
    // the server may close the connection before all of it is written
    await c.writeRaw(new Uint8Array(1_500_000)).catch(() => {});
    const seen = Date.now() + 5000;
    while (!/max query buffer length/.test(await read()) && Date.now() < seen) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(await read(), /Closing client that reached max query buffer length/);
    c.close();
    proc.kill("SIGTERM");
    assert.equal((await proc.status).code, 0);
    assert.match(await read(), /bye/);
    await assert.rejects(Deno.stat(pidfile), "the pidfile is removed on a clean exit");
    const out = new TextDecoder().decode((await proc.output()).stdout);
    assert.equal(out, "", "nothing logged on stdout");
  } finally {
    try {
      proc.kill("SIGKILL");
    } catch {
      // exited
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lifecycle: a logfile that cannot be opened stops startup with Redis's words", async () => {
  const r = await runSkua(["--logfile", "/nonexistent-dir/skua.log", "--port", String(freePort())]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Can't open the log file/);
});

Deno.test("lifecycle: tcp-backlog is the listen backlog on io_uring, and said not to be on listen", async () => {
  const s = await startSkua({ shards: 2, args: ["--tcp-backlog", "77"] });
  try {
    if (/io=io_uring/.test(s.output())) {
      const ss = await new Deno.Command("ss", { args: ["-ltnH", `sport = :${s.port}`] }).output();
      const lines = new TextDecoder().decode(ss.stdout).trim().split("\n");
      assert.equal(lines.length, 2, "one listener per shard");
      // a listening socket's Send-Q column is its backlog
      for (const l of lines) assert.equal(l.trim().split(/\s+/)[2], "77", l);
    } else {
      assert.match(s.output(), /tcp-backlog 77 is not applied by the listen engine/);
    }
  } finally {
    await s.stop();
  }
});

Deno.test("lifecycle: maxclients is fitted to the open-files limit, as Redis does", async () => {
  const port = freePort();
  // a hard limit of 1024 the server may not raise: maxclients 10000 cannot be honoured
  const proc = new Deno.Command("prlimit", {
    args: ["--nofile=1024:1024", Deno.execPath(), "run", "-A", "main.ts", "--port", String(port)],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let out = "";
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (!/ready to accept/.test(out)) {
      const r = await reader.read();
      if (r.done) break;
      out += r.value;
    }
    assert.match(out, /You requested maxclients of 10000 requiring at least \d+ max file/);
    const fitted = Number(/maxclients has been reduced to (\d+)/.exec(out)?.[1]);
    assert.ok(fitted > 900 && fitted < 1024, out);
    const c = await RespConn.connect(port);
    const got = await c.call("CONFIG", "GET", "maxclients") as Uint8Array[];
    assert.deepEqual(got.map(str), ["maxclients", String(fitted)]);
    const err = await c.call("CONFIG", "SET", "maxclients", "5000");
    assert.deepEqual(err, {
      error:
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system " +
        `is not able to handle the specified number of clients, try with ${fitted}`,
    });
    assert.equal(str(await c.call("CONFIG", "SET", "maxclients", "500")), "OK");
    c.close();
  } finally {
    reader.releaseLock();
    proc.kill("SIGTERM");
    await proc.status;
    await proc.stdout.cancel().catch(() => {});
    await proc.stderr.cancel();
  }
});
