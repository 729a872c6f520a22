/**
 * What bench/persistence.ts's sections share: the servers under test started on a data
 * directory of their own, a dataset streamed through `redis-cli --pipe` (the one write path
 * both servers share), the latency probe, RSS sampling of a server and (for redis-server) its
 * fork child, INFO polling on a connection of its own, and a redis-benchmark load in the
 * background.
 */

import { runTool, type ServerHandle, startRedis, startSkua } from "../tests/helpers/server.ts";
import { rng } from "../tests/helpers/rng.ts";
import type { Head } from "./keyspace_report.ts";
import { delay, encode, ReplyError, rss, Wire, withTimeout } from "./keyspace_wire.ts";
import { percentile } from "./keyspace_probe.ts";

export { percentile };

/** What every section is given. */
export interface Ctx {
  keys: number;
  shards: number;
  runs: number;
  roundtripKeys: number;
  /** Where the sections make their temporary data directories. */
  tmp: string;
  redisLabel: string;
  log(line: string): void;
}

export type Kind = "skua" | "redis";
export const KINDS: Kind[] = ["skua", "redis"];

export function label(ctx: Ctx, kind: Kind): string {
  return kind === "skua" ? `Skua ${ctx.shards} shard${ctx.shards > 1 ? "s" : ""}` : ctx.redisLabel;
}

export function heads(ctx: Ctx): Head[] {
  return KINDS.map((k) => ({
    label: label(ctx, k),
    redis: k === "redis",
    shards: k === "skua" ? ctx.shards : 1,
    io: k === "skua" ? "io_uring" : "epoll",
  }));
}

/** A fresh directory under ctx.tmp; the caller removes it (`removeDir`) in a finally. */
export function makeDir(ctx: Ctx, what: string): Promise<string> {
  return Deno.makeTempDir({ dir: ctx.tmp, prefix: `skua-pbench-${what}-` });
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir === undefined) return;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

/**
 * Starts Skua (io_uring, ctx.shards) or redis-server with `dir` as its data directory and any
 * persistence flags in `extra` (the same spelling for both: `--appendonly yes`). Resolves when
 * the server answers: Skua prints its ready line only after its startup load, redis-server
 * answers PING with +PONG only after its own.
 */
export async function startOn(
  ctx: Ctx,
  kind: Kind,
  dir: string,
  extra: string[] = [],
): Promise<ServerHandle> {
  const flags = ["--dir", dir, ...extra];
  if (kind === "redis") return await startRedis(flags);
  const h = await startSkua({
    shards: ctx.shards,
    args: ["--io", "uring", ...flags],
    readyTimeoutMs: 900_000,
  });
  await untilPong(h.port);
  return h;
}

async function untilPong(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await call(port, "PING")) === "PONG") return;
    } catch {
      // not accepting yet
    }
    await delay(5);
  }
  throw new Error(`no PONG from port ${port}`);
}

/** One command on a fresh connection; an error reply throws. */
export async function call(port: number, ...args: string[]): Promise<unknown> {
  const w = await Wire.connect(port);
  try {
    await w.write(encode(args));
    const r = await withTimeout(w.reply(), 900_000, args.join(" "), () => w.close());
    if (r instanceof ReplyError) throw new Error(`${args.join(" ")}: ${r}`);
    return r;
  } finally {
    w.close();
  }
}

/** The "DB loaded from disk: X seconds" both servers log, in seconds; NaN if absent. */
export function loggedLoadSeconds(output: string): number {
  const m = /DB loaded from disk: ([\d.]+) seconds/.exec(output);
  return m === null ? NaN : Number(m[1]);
}

const enc = new TextEncoder();

/** RESP requests for `cmds`, as one buffer. */
export function resp(cmds: string[][]): Uint8Array {
  return enc.encode(
    cmds.map((c) => `*${c.length}\r\n${c.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`)
      .join(""),
  );
}

/**
 * Streams `chunks` of RESP requests into `redis-cli --pipe`; throws unless every request got a
 * reply and none was an error. Returns the number of replies.
 */
export async function pipe(port: number, chunks: Iterable<Uint8Array>): Promise<number> {
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port), "--pipe", "--pipe-timeout", "0"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = child.output();
  const w = child.stdin.getWriter();
  try {
    for (const c of chunks) await w.write(c);
  } finally {
    await w.close().catch(() => {});
  }
  const r = await out;
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  const m = /errors: (\d+), replies: (\d+)/.exec(text);
  if (!r.success || m === null || m[1] !== "0") throw new Error(`redis-cli --pipe: ${text}`);
  return Number(m[2]);
}

/** The key redis-benchmark -r makes of i: key:<12 digits>, 16 bytes. */
export function benchKey(i: number): string {
  return `key:${String(i).padStart(12, "0")}`;
}

/**
 * SETs of `n` keys, exactly the keys redis-benchmark `-r n` draws from (16 bytes), each with a
 * 32-byte value of random letters and digits (random, so rdbcompression has little to gain, as
 * with most real values), in chunks of 10,000, written straight into bytes (3M keys must not
 * wait on the generator).
 */
export function* stringDataset(n: number, seed = 1): Generator<Uint8Array> {
  const r = rng(seed);
  const abc = enc.encode("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  const head = enc.encode("*3\r\n$3\r\nSET\r\n$16\r\nkey:");
  const mid = enc.encode("\r\n$32\r\n");
  const size = head.length + 12 + mid.length + 32 + 2;
  for (let at = 0; at < n; at += 10_000) {
    const count = Math.min(n, at + 10_000) - at;
    const out = new Uint8Array(count * size);
    let o = 0;
    for (let i = at; i < at + count; i++) {
      out.set(head, o);
      o += head.length;
      for (let d = 11, v = i; d >= 0; d--, v = Math.floor(v / 10)) out[o + d] = 48 + (v % 10);
      o += 12;
      out.set(mid, o);
      o += mid.length;
      for (let j = 0; j < 32; j++) out[o++] = abc[Math.floor(r() * abc.length)];
      out[o++] = 13;
      out[o++] = 10;
    }
    yield out;
  }
}

/** Loads stringDataset(n) into `port`; returns seconds taken. Checks DBSIZE. */
export async function loadStrings(port: number, n: number): Promise<number> {
  const t0 = performance.now();
  await pipe(port, stringDataset(n));
  const seconds = (performance.now() - t0) / 1000;
  const size = await call(port, "DBSIZE");
  if (size !== n) throw new Error(`DBSIZE ${size} after loading ${n} keys`);
  return seconds;
}

/** INFO `section` as field -> value, on a connection kept open for polling. */
export class InfoPoller {
  private constructor(private readonly wire: Wire) {}

  static async open(port: number): Promise<InfoPoller> {
    return new InfoPoller(await Wire.connect(port));
  }

  async get(section: string): Promise<Map<string, string>> {
    await this.wire.write(encode(["INFO", section]));
    const r = await withTimeout(this.wire.reply(), 60_000, "INFO", () => this.wire.close());
    if (typeof r !== "string") throw new Error(`INFO ${section} replied ${String(r)}`);
    const out = new Map<string, string>();
    for (const line of r.split("\r\n")) {
      const at = line.indexOf(":");
      if (at > 0) out.set(line.slice(0, at), line.slice(at + 1));
    }
    return out;
  }

  close(): void {
    this.wire.close();
  }
}

/**
 * The latency probe of bench/keyspace_probe.ts on a connection of its own: the inline command
 * `GET probe` every 2 ms (the reply awaited, then a sleep for the rest of the 2 ms), each round
 * trip kept with the time it started, until stop().
 */
export class Prober {
  readonly samples: Array<[start: number, ms: number]> = [];
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  static async start(port: number, everyMs = 2): Promise<Prober> {
    const p = new Prober();
    const wire = await Wire.connect(port);
    p.loop = p.run(wire, everyMs).finally(() => wire.close());
    return p;
  }

  private async run(wire: Wire, everyMs: number): Promise<void> {
    const request = enc.encode("GET probe\r\n");
    while (this.running) {
      const t = performance.now();
      await wire.write(request);
      const reply = await withTimeout(wire.reply(), 60_000, "GET probe", () => wire.close());
      const rtt = performance.now() - t;
      if (reply instanceof ReplyError) throw new Error(`GET probe replied ${reply}`);
      this.samples.push([t, rtt]);
      const rest = everyMs - (performance.now() - t);
      if (rest > 0) await delay(rest);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Sorted round trips of the probes that started in [from, to). */
  between(from: number, to: number): number[] {
    return this.samples.filter(([t]) => t >= from && t < to).map(([, ms]) => ms)
      .sort((a, b) => a - b);
  }
}

/** A kB field ("VmRSS", "Private_Dirty") of a /proc file, in bytes; 0 once the pid is gone. */
async function kbField(path: string, field: string): Promise<number> {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(await Deno.readTextFile(path));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Child processes of `pid`, from the ppid field of every /proc/<n>/stat (this kernel may lack
 * /proc/<pid>/task/<tid>/children).
 */
export async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(e.name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export interface MemSample {
  t: number;
  parent: number;
  /** RSS of the fork child (0 when there is none). */
  child: number;
  /** Private_Dirty of the fork child, sampled every fifth time (NaN in between). */
  childDirty: number;
}

/**
 * Samples a server's RSS every `ms`: the process (all threads) and, once `children` is set, its
 * fork child (a redis-server BGSAVE), found by scanning /proc until one shows up.
 */
export class MemSampler {
  readonly samples: MemSample[] = [];
  private running = true;
  private readonly loop: Promise<void>;
  private child = 0;
  private n = 0;

  /** Look for a fork child (set when a redis-server BGSAVE starts: scanning /proc costs CPU). */
  children = false;

  constructor(private readonly pid: number, ms = 20) {
    this.loop = this.run(ms);
  }

  /** One sample at a time, every `ms` (a slow /proc read delays the next, never piles up). */
  private async run(ms: number): Promise<void> {
    while (this.running) {
      const t = performance.now();
      await this.sample(t);
      const rest = ms - (performance.now() - t);
      if (rest > 0) await delay(rest);
    }
  }

  private async sample(t: number): Promise<void> {
    if (this.children && this.child === 0) this.child = (await childrenOf(this.pid))[0] ?? 0;
    const parent = await kbField(`/proc/${this.pid}/status`, "VmRSS");
    let child = 0, childDirty = NaN;
    if (this.child !== 0) {
      child = await kbField(`/proc/${this.child}/status`, "VmRSS");
      if (this.n++ % 5 === 0) {
        childDirty = await kbField(`/proc/${this.child}/smaps_rollup`, "Private_Dirty");
      }
      if (child === 0) this.child = 0; // it exited
    }
    this.samples.push({ t, parent, child, childDirty });
  }

  /** Stops sampling. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Samples taken in [from, to). */
  between(from: number, to: number): MemSample[] {
    return this.samples.filter((s) => s.t >= from && s.t < to);
  }
}

export { rss };

/** redis-benchmark running in the background until stop() (SIGTERM). */
export class BackgroundLoad {
  private constructor(private readonly child: Deno.ChildProcess) {}

  static start(args: string[]): BackgroundLoad {
    return new BackgroundLoad(
      new Deno.Command("redis-benchmark", {
        args,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn(),
    );
  }

  async stop(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await this.child.status;
  }
}

/** The file system type of `dir` (fsync costs nothing on tmpfs), for the report. */
export async function fsType(dir: string): Promise<string> {
  const r = await runTool("stat", ["-f", "-c", "%T", dir]);
  return r.code === 0 ? r.stdout.trim() : "unknown";
}

/** Stops `h` if it was started; for finally blocks. */
export async function stopQuietly(h: ServerHandle | undefined): Promise<void> {
  if (h !== undefined) await h.stop().catch(() => {});
}
