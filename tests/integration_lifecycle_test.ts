/**
 * The server process: the ready line on stdout, a clean exit 0 within 2 s on SIGTERM/SIGINT
 * even with busy clients connected, and exit 1 with one clear line for bad startup values.
 */

import assert from "node:assert/strict";
import { freePort, REPO_ROOT, startRedis, startSkua } from "./helpers/server.ts";
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
