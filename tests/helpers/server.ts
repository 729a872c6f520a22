/**
 * Spawns the servers under test: Skua (`deno run -A main.ts`) and a reference redis-server,
 * each on a free loopback port, with their output collected for failure messages.
 * Callers must `await stop()` in a `finally` so no child process outlives its test.
 */

export interface ServerHandle {
  readonly port: number;
  readonly proc: Deno.ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and returns its exit code. */
  stop(): Promise<number>;
  /** Everything the server printed on stdout and stderr so far. */
  output(): string;
}

export interface SkuaOptions {
  shards?: number;
  /** Extra command-line flags, e.g. ["--io", "listen"]. */
  args?: string[];
  /** How long to wait for the ready line. */
  readyTimeoutMs?: number;
  /** Another checkout of Skua to run (a benchmark against an earlier commit); default: this one. */
  root?: string;
  /** Flags for `deno run` besides -A (e.g. ["--deny-ffi"]). */
  deno?: string[];
}

export const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const READY = /ready to accept connections on 127\.0\.0\.1:(\d+)/;
const STOP_GRACE_MS = 5000;

/** Where test processes claim the ports they hand out (one empty file per port). */
const CLAIMS = `${Deno.env.get("TMPDIR") ?? "/tmp"}/skua-test-ports`;
/** A claim older than this is stale: the port may be handed out again. */
const CLAIM_MS = 10 * 60_000;

/**
 * A loopback port that was free a moment ago (bind port 0, read it, close), and that no other
 * test process handed out in the last minutes. The test files run side by side, and two of
 * them could get the same port between its close and their servers' binds: two Skua servers
 * started at once on one port both pass the startup check and share it (SO_REUSEPORT), each
 * getting some of the other's connections. A claim file per port keeps them apart.
 */
export function freePort(): number {
  Deno.mkdirSync(CLAIMS, { recursive: true });
  for (let tries = 0;; tries++) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    if (claim(port) || tries >= 100) return port;
  }
}

/** Claim `port` for this process; false when another claimed it lately. */
function claim(port: number): boolean {
  const path = `${CLAIMS}/${port}`;
  try {
    Deno.writeTextFileSync(path, "", { createNew: true });
    return true;
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) return true;
  }
  const at = Deno.statSync(path).mtime?.getTime() ?? 0;
  if (Date.now() - at < CLAIM_MS) return false;
  Deno.writeTextFileSync(path, "");
  return true;
}

/** Collects a child's stdout+stderr as text and lets callers wait for a pattern in it. */
export class OutputCollector {
  text = "";
  private waiters: Array<() => void> = [];
  readonly done: Promise<void>;

  constructor(streams: ReadableStream<Uint8Array>[]) {
    this.done = Promise.all(streams.map((s) => this.pump(s))).then(() => this.wake());
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    try {
      for await (const chunk of stream) {
        this.text += dec.decode(chunk, { stream: true });
        this.wake();
      }
    } catch {
      // The stream errors when the process is killed mid-write; what we have is enough.
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves on the next output chunk (or end of output). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function stopProcess(
  proc: Deno.ChildProcess,
  out: OutputCollector,
  signal: Deno.Signal = "SIGTERM",
): Promise<number> {
  try {
    proc.kill(signal);
  } catch {
    // Already exited.
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<"timeout">((r) => {
    timer = setTimeout(() => r("timeout"), STOP_GRACE_MS);
  });
  const first = await Promise.race([proc.status, killed]);
  clearTimeout(timer);
  if (first === "timeout") {
    try {
      proc.kill("SIGKILL");
    } catch {
      // Exited in between.
    }
  }
  const status = await proc.status;
  await out.done;
  return status.code;
}

function spawn(cmd: string, args: string[], cwd?: string): [Deno.ChildProcess, OutputCollector] {
  const proc = new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  return [proc, new OutputCollector([proc.stdout, proc.stderr])];
}

/** `deno run -A main.ts ...args` from the repository, its output collected. */
export function spawnSkua(args: string[]): [Deno.ChildProcess, OutputCollector] {
  return spawn(Deno.execPath(), ["run", "-A", "main.ts", ...args], REPO_ROOT);
}

/** Starts Skua and waits for its ready line. Retries with another port if the port was taken. */
export async function startSkua(opts: SkuaOptions = {}): Promise<ServerHandle> {
  const timeout = opts.readyTimeoutMs ?? 30_000;
  let lastErr = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    const args = ["run", "-A", ...(opts.deno ?? []), "main.ts", "--port", String(port)];
    args.push("--bind", "127.0.0.1");
    if (opts.shards !== undefined) args.push("--shards", String(opts.shards));
    args.push(...(opts.args ?? []));
    // SKUA_TEST_IO=listen|uring runs the suite on a given io engine (tests/run.sh does both)
    const io = Deno.env.get("SKUA_TEST_IO");
    if (io && !args.includes("--io")) args.push("--io", io);
    const [proc, out] = spawn(Deno.execPath(), args, opts.root ?? REPO_ROOT);
    let exited = false;
    const exitWatch = proc.status.then(() => {
      exited = true;
    });
    const deadline = Date.now() + timeout;
    while (!READY.test(out.text) && !exited && Date.now() < deadline) {
      await Promise.race([out.changed(), exitWatch, delay(200)]);
    }
    if (READY.test(out.text)) {
      return {
        port,
        proc,
        stop: () => stopProcess(proc, out),
        output: () => out.text,
      };
    }
    const code = await stopProcess(proc, out, "SIGKILL");
    lastErr = `skua (port ${port}) ${exited ? `exited with ${code}` : "never became ready"}:\n` +
      out.text;
    if (!/in use|AddrInUse/i.test(out.text)) break;
  }
  throw new Error(lastErr);
}

/** True once a PING on `port` gets +PONG. */
async function pingOnce(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    return n !== null && new TextDecoder().decode(buf.subarray(0, n)) === "+PONG\r\n";
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

/** Starts a throwaway redis-server (no persistence) and waits until it answers PING. */
export async function startRedis(extraArgs: string[] = []): Promise<ServerHandle> {
  let lastErr = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    const [proc, out] = spawn("redis-server", [
      "--port",
      String(port),
      "--save",
      "",
      "--appendonly",
      "no",
      "--bind",
      "127.0.0.1",
      ...extraArgs,
    ]);
    let exited = false;
    const exitWatch = proc.status.then(() => {
      exited = true;
    });
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline) {
      if (await pingOnce(port)) {
        return { port, proc, stop: () => stopProcess(proc, out), output: () => out.text };
      }
      await Promise.race([exitWatch, delay(50)]);
    }
    await stopProcess(proc, out, "SIGKILL");
    lastErr = `redis-server (port ${port}) did not start:\n${out.text}`;
  }
  throw new Error(lastErr);
}

/**
 * True when SKUA_TEST_REFERENCE=1: tests then run against redis-server where they would run
 * against Skua, which checks the tests themselves (a failure then is a flaw in the test).
 */
export const AGAINST_REFERENCE = Deno.env.get("SKUA_TEST_REFERENCE") === "1";

/** The server under test: Skua, or redis-server when AGAINST_REFERENCE. */
export function startUnderTest(opts: SkuaOptions = {}): Promise<ServerHandle> {
  return AGAINST_REFERENCE ? startRedis() : startSkua(opts);
}

/** Runs `fn` with servers started by `starts`, stopping every one of them afterwards. */
export async function withServers<T>(
  starts: Array<() => Promise<ServerHandle>>,
  fn: (servers: ServerHandle[]) => Promise<T>,
): Promise<T> {
  const servers: ServerHandle[] = [];
  try {
    const started = await Promise.allSettled(starts.map((s) => s()));
    for (const r of started) if (r.status === "fulfilled") servers.push(r.value);
    for (const r of started) if (r.status === "rejected") throw r.reason;
    return await fn(servers);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command line tool (redis-cli, redis-benchmark) to completion. */
export async function runTool(cmd: string, args: string[], stdin?: Uint8Array): Promise<RunResult> {
  const proc = new Deno.Command(cmd, {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = proc.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const r = await proc.output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

/** redis-cli against `port` with `args`; fails the caller if redis-cli itself fails. */
export async function cli(port: number, ...args: string[]): Promise<string> {
  const r = await runTool("redis-cli", ["-p", String(port), ...args]);
  if (r.code !== 0) throw new Error(`redis-cli ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
