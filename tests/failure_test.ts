/**
 * The failure model: a shard that dies takes the whole process down at once, with its id and
 * the stack in the log and a non-zero exit (on both io engines); a command handler's error is
 * answered with -ERR and the server serves on; startup errors stay one line and exit 1.
 * Also DEBUG's `local` mode against a non-loopback client.
 */
import assert from "node:assert/strict";
import { parse, RespConn, toLatin1 } from "./helpers/resp.ts";
import { freePort, REPO_ROOT, runTool, startSkua } from "./helpers/server.ts";
import { probeUring } from "../ffi/uring.ts";

const ENGINES: [string, boolean][] = [["uring", !probeUring().ok], ["listen", false]];
/** The supervisor's exit code after a shard crashed (src/server/failure.ts). */
const EXIT_SHARD_CRASH = 70;

/** A connection accepted by shard `shard` of `n` (client ids are `k * n + shard`). */
async function connectToShard(port: number, shard: number, n: number): Promise<RespConn> {
  for (let i = 0; i < 200; i++) {
    const c = await RespConn.connect(port);
    const id = Number(parse(await c.send("CLIENT", "ID")));
    if (id % n === shard) return c;
    c.close();
  }
  throw new Error(`no connection landed on shard ${shard}`);
}

/** Resolves with the exit code, or null when the process is still running after `ms`. */
async function exitWithin(proc: Deno.ChildProcess, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
  const code = await Promise.race([proc.status.then((s) => s.code), late]);
  clearTimeout(timer);
  return code;
}

/** Panics shard 1 of 3 by `panic` on a connection there; checks the exit, the log, the peers. */
async function crashShard1(io: string, panic: (c: RespConn) => Promise<void>): Promise<void> {
  const s = await startSkua({ shards: 3, args: ["--io", io, "--enable-debug-command", "yes"] });
  try {
    const victim = await connectToShard(s.port, 1, 3);
    const bystander = await connectToShard(s.port, 2, 3);
    assert.equal(toLatin1(await bystander.send("SET", "before", "crash")), "+OK\r\n");
    const t0 = performance.now();
    await panic(victim);
    const code = await exitWithin(s.proc, 2000);
    const ms = performance.now() - t0;
    const out = s.output();
    assert.notEqual(code, null, `still running 2 s after the panic (${io}):\n${out}`);
    assert.equal(code, EXIT_SHARD_CRASH, out);
    assert.ok(ms < 2000, `exited after ${ms} ms`);
    // the shard and the stack, as the log shows them
    assert.match(out, /# shard 1 crashed: ShardPanic: DEBUG PANIC called at Unix time \d+\n/);
    assert.match(out, /\n\s+at .*debug\.ts:\d+:\d+/);
    assert.match(out, /exiting with code 70/);
    // the other shard's clients are gone too: no half-alive server
    await assert.rejects(bystander.send("PING"));
    victim.close();
    bystander.close();
  } finally {
    await s.stop();
  }
}

for (const [io, ignore] of ENGINES) {
  Deno.test({
    name: `failure: DEBUG PANIC on shard 1 of 3 ends the process within 2 s (${io})`,
    ignore,
    async fn() {
      await crashShard1(io, async (c) => {
        await c.writeRaw("*2\r\n$5\r\nDEBUG\r\n$5\r\nPANIC\r\n");
        // Redis's client sees the connection drop, never a reply
        await assert.rejects(c.readRaw(3000));
      });
    },
  });
}

Deno.test("failure: a panic inside EXEC (the transaction code, not a plain handler) ends it too", async () => {
  await crashShard1(Deno.env.get("SKUA_TEST_IO") ?? "listen", async (c) => {
    assert.equal(toLatin1(await c.send("MULTI")), "+OK\r\n");
    assert.equal(toLatin1(await c.send("SET", "k", "v")), "+QUEUED\r\n");
    assert.equal(toLatin1(await c.send("DEBUG", "PANIC")), "+QUEUED\r\n");
    await c.writeRaw("*1\r\n$4\r\nEXEC\r\n");
    await assert.rejects(c.readRaw(3000));
  });
});

Deno.test("failure: a handler's error replies -ERR and the server serves on", async () => {
  const s = await startSkua({ shards: 3, args: ["--enable-debug-command", "yes"] });
  try {
    for (let shard = 0; shard < 3; shard++) {
      const c = await connectToShard(s.port, shard, 3);
      try {
        // a real V8 RangeError inside the handler (an impossible allocation), not a stub
        const err = toLatin1(await c.send("DEBUG", "OOM"));
        assert.match(err, /^-ERR internal error in 'debug': Invalid typed array length/);
        assert.equal(toLatin1(await c.send("SET", `k${shard}`, "v")), "+OK\r\n");
        // the same connection and the other shards go on (a MGET crosses all three)
        const mget = parse(await c.send("MGET", "k0", "k1", "k2"));
        assert.equal((mget as unknown[]).length, 3);
      } finally {
        c.close();
      }
    }
    assert.equal(await exitWithin(s.proc, 100), null, "the server must still run");
    assert.match(s.output(), /internal error in 'debug': RangeError: Invalid typed array length/);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

Deno.test("failure: startup errors stay one line and exit 1", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--min-replicas-to-write", "1"],
      /^skua: invalid value for 'min-replicas-to-write': "1" \(allowed: 0 \(/,
    ],
    [["--save", "0 1"], /^skua: invalid value for 'save': "0 1" \(allowed: pairs /],
    [["--io", "epoll"], /^skua: invalid value for 'io'/],
  ];
  for (const [args, want] of cases) {
    const r = await runTool(Deno.execPath(), [
      "run",
      "-A",
      `${REPO_ROOT}main.ts`,
      "--port",
      String(freePort()),
      ...args,
    ]);
    assert.equal(r.code, 1, args.join(" "));
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, want);
  }
});

/** The first non-loopback IPv4 address of this host, or null. */
function externalAddress(): string | null {
  for (const i of Deno.networkInterfaces()) {
    if (i.family === "IPv4" && !i.address.startsWith("127.")) return i.address;
  }
  return null;
}

Deno.test({
  name: "failure: enable-debug-command local refuses a client that is not on loopback",
  ignore: externalAddress() === null,
  async fn() {
    const ext = externalAddress()!;
    const port = freePort();
    const proc = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "--port", String(port), "--bind", "0.0.0.0"]
        .concat(["--protected-mode", "no", "--enable-debug-command", "local", "--shards", "1"]),
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      let conn: Deno.TcpConn | null = null;
      for (let i = 0; i < 150 && conn === null; i++) {
        try {
          conn = await Deno.connect({ hostname: ext, port });
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(conn !== null, "the server did not start");
      conn.close();
      const remote = await runTool("redis-cli", [
        "-h",
        ext,
        "-p",
        String(port),
        "DEBUG",
        "SLEEP",
        "0",
      ]);
      assert.match(remote.stdout, /^ERR DEBUG command not allowed\. If the enable-debug-command/);
      const local = await runTool("redis-cli", ["-p", String(port), "DEBUG", "SLEEP", "0"]);
      assert.equal(local.stdout, "OK\n");
    } finally {
      proc.kill("SIGTERM");
      await proc.output();
    }
  },
});
