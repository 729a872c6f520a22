/**
 * What bench/tx.ts needs beyond the test helpers: a Skua from another checkout (a git
 * worktree of an older commit, started by hand since the helpers start the current tree), and
 * CPU accounting, so the report can say how much of the machine went to things other than the
 * benchmark (the machine is small and shared).
 */

import { runTool, type ServerHandle } from "../tests/helpers/server.ts";

const READY = /ready to accept connections on 127\.0\.0\.1:\d+ \(shards=(\d+), io=([\w-]+)\)/;
const STOP_GRACE_MS = 5000;

/** Runs git in `repo`; throws with its stderr on failure. */
export async function git(repo: string, ...args: string[]): Promise<string> {
  const r = await runTool("git", ["-C", repo, ...args]);
  if (r.code !== 0) throw new Error(`git ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A worktree of `rev` at `dir`, replacing a leftover one from an interrupted run. */
export async function addWorktree(repo: string, dir: string, rev: string): Promise<void> {
  const list = await git(repo, "worktree", "list", "--porcelain");
  if (list.split("\n").includes(`worktree ${dir}`)) await removeWorktree(repo, dir);
  await git(repo, "worktree", "add", "--detach", dir, rev);
}

export async function removeWorktree(repo: string, dir: string): Promise<void> {
  await git(repo, "worktree", "remove", "--force", dir);
}

/** The shard count and io engine from a Skua ready line (null if there is none yet). */
export function readyInfo(output: string): { shards: number; io: string } | null {
  const m = READY.exec(output);
  return m ? { shards: Number(m[1]), io: m[2] } : null;
}

/**
 * Starts `deno run -A main.ts --port P --bind 127.0.0.1 --shards N` from `dir` and waits for
 * its ready line. The timeout is generous: a fresh checkout builds its io_uring shim first.
 */
export async function startSkuaAt(
  dir: string,
  port: number,
  shards: number,
  timeoutMs = 180_000,
): Promise<ServerHandle> {
  const args = ["run", "-A", "main.ts", "--port", String(port), "--bind", "127.0.0.1"];
  args.push("--shards", String(shards));
  const proc = new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  let exited = false;
  const status = proc.status.then((s) => {
    exited = true;
    return s;
  });
  const dec = new TextDecoder();
  const pump = (s: ReadableStream<Uint8Array>) =>
    (async () => {
      try {
        for await (const chunk of s) text += dec.decode(chunk, { stream: true });
      } catch {
        // Killed mid-write; the text so far is enough.
      }
    })();
  const pumped = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  const stop = async (): Promise<number> => {
    try {
      proc.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), STOP_GRACE_MS));
    if (await Promise.race([status, late]) === "late") {
      try {
        proc.kill("SIGKILL");
      } catch {
        // Exited in between.
      }
    }
    clearTimeout(timer);
    const code = (await status).code;
    await pumped;
    return code;
  };
  const deadline = Date.now() + timeoutMs;
  while (readyInfo(text) === null && !exited && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (readyInfo(text) === null) {
    await stop();
    throw new Error(`skua in ${dir} (port ${port}) did not become ready:\n${text}`);
  }
  return { port, proc, stop, output: () => text };
}

function procTicks(stat: string, withChildren: boolean): number {
  // Fields after the parenthesised name: utime is field 14, stime 15, cutime 16, cstime 17.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  return f[11] + f[12] + (withChildren ? f[13] + f[14] : 0);
}

/** Busy and total ticks of the whole machine, and the ticks of the benchmark's own processes. */
interface CpuSample {
  busy: number;
  total: number;
  ours: number;
  at: number;
}

/**
 * Accounts the machine's CPU over a stretch of the benchmark: total busy time, and the part
 * of it used by this process, its finished children (redis-benchmark runs) and the servers.
 * The rest is other load on the machine, which makes the numbers noisier.
 */
export class CpuMeter {
  private start: CpuSample | null = null;

  constructor(private readonly pids: () => number[]) {}

  private async sample(): Promise<CpuSample> {
    const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0];
    const t = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = t[3] + t[4];
    let ours = procTicks(await Deno.readTextFile("/proc/self/stat"), true);
    for (const pid of this.pids()) {
      try {
        ours += procTicks(await Deno.readTextFile(`/proc/${pid}/stat`), false);
      } catch {
        // Gone already.
      }
    }
    return { busy: total - idle, total, ours, at: performance.now() };
  }

  async begin(): Promise<void> {
    this.start = await this.sample();
  }

  /**
   * Since begin(): the machine's busy share and the share used by others, both in percent of
   * all cores. Servers started or stopped in between make "others" approximate.
   */
  async end(): Promise<{ busyPct: number; othersPct: number; seconds: number }> {
    const a = this.start ?? await this.sample();
    const b = await this.sample();
    const total = b.total - a.total;
    const busy = b.busy - a.busy;
    const others = Math.max(0, busy - (b.ours - a.ours));
    return {
      busyPct: total > 0 ? (busy / total) * 100 : NaN,
      othersPct: total > 0 ? (others / total) * 100 : NaN,
      seconds: (b.at - a.at) / 1000,
    };
  }
}
