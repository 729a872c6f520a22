/**
 * Resource accounting for server-robustness tests: a server process's open file descriptors
 * (Linux /proc), its INFO `connected_clients`, and waiting until both are back to a baseline;
 * and `engineTests`, which runs a list of scenarios against one server per io engine and shard
 * count, checking after each scenario that nothing leaked.
 */
import assert from "node:assert/strict";
import { probeUring } from "../../ffi/uring.ts";
import { RespConn, str } from "./resp.ts";
import { AGAINST_REFERENCE, type ServerHandle, startUnderTest } from "./server.ts";

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What each fd of `pid` points at, e.g. "socket", "anon_inode:[eventfd]", "/dev/null". */
export async function fdKinds(pid: number): Promise<string[]> {
  const kinds: string[] = [];
  if (!HAVE_PROC_FDS) return kinds;
  for await (const e of Deno.readDir(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = await Deno.readLink(`/proc/${pid}/fd/${e.name}`);
    } catch {
      continue; // closed between the listing and the readlink
    }
    kinds.push(target.startsWith("socket:") ? "socket" : target.replace(/:\[\d+\]$/, ""));
  }
  return kinds;
}

/** Whether /proc/<pid>/fd exists here (Linux); elsewhere only clients are compared. */
export const HAVE_PROC_FDS = (() => {
  try {
    return Deno.statSync("/proc/self/fd").isDirectory;
  } catch {
    return false;
  }
})();

/** Number of open file descriptors of `pid` (-1 where /proc is not available). */
export async function openFds(pid: number): Promise<number> {
  if (!HAVE_PROC_FDS) return -1;
  let n = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) n++;
  return n;
}

function counts(kinds: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of kinds) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** "socket 7 -> 9, pipe 2 -> 1": the kinds of fd whose count differs, for assertion messages. */
export function fdDiff(base: string[], now: string[]): string {
  const a = counts(base), b = counts(now);
  const all = [...new Set([...a.keys(), ...b.keys()])].sort();
  return all.filter((k) => a.get(k) !== b.get(k))
    .map((k) => `${k} ${a.get(k) ?? 0} -> ${b.get(k) ?? 0}`).join(", ");
}

/** The soft RLIMIT_NOFILE of this process (Infinity when unlimited or unknown). */
export function fdLimit(): number {
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    return m === null || m[1] === "unlimited" ? Infinity : Number(m[1]);
  } catch {
    return Infinity;
  }
}

/** INFO clients' connected_clients, through a fresh connection (which counts itself). */
export async function connectedClients(port: number): Promise<number> {
  const c = await RespConn.connect(port);
  try {
    const info = str(await c.call("INFO", "clients"));
    const m = /connected_clients:(\d+)/.exec(info);
    if (m === null) throw new Error(`no connected_clients in INFO: ${info}`);
    return Number(m[1]);
  } finally {
    c.close();
  }
}

export interface Baseline {
  fds: number;
  clients: number;
  kinds: string[];
}

/** fd count and client count of an idle server; call after a warm-up connection has closed. */
export async function measureBaseline(pid: number, port: number): Promise<Baseline> {
  const clients = await connectedClients(port);
  // the probe connection's own fd may take a moment to close: wait for a count that holds
  // over three readings
  let fds = await openFds(pid);
  for (let i = 0, same = 0; i < 50 && same < 2; i++) {
    await delay(100);
    const again = await openFds(pid);
    same = again === fds ? same + 1 : 0;
    fds = again;
  }
  return { fds, clients, kinds: await fdKinds(pid) };
}

/**
 * Polls until the server's fd count and connected_clients equal the baseline; returns null then,
 * or a description of the difference once `timeoutMs` has passed.
 */
export async function backToBaseline(
  pid: number,
  port: number,
  base: Baseline,
  timeoutMs = 5000,
): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const clients = await connectedClients(port);
    await delay(50);
    const fds = await openFds(pid);
    if (clients === base.clients && fds <= base.fds) {
      // fewer than the baseline: a connection was still closing when it was measured (a busy
      // machine can hold that up for a while); the idle count is the lower one from now on
      if (fds < base.fds) {
        base.fds = fds;
        base.kinds = await fdKinds(pid);
      }
      return null;
    }
    if (Date.now() >= deadline) {
      return `after ${timeoutMs} ms: connected_clients ${clients} (baseline ${base.clients}), ` +
        `open fds ${fds} (baseline ${base.fds}` +
        (fds === base.fds ? ")" : `; ${fdDiff(base.kinds, await fdKinds(pid))})`);
    }
    await delay(100);
  }
}

/** The server under test for one engine and shard count, with its idle baseline. */
export interface EngineServer {
  readonly io: string;
  readonly shards: number;
  readonly port: number;
  readonly pid: number;
  readonly handle: ServerHandle;
  readonly base: Baseline;
}

export interface Scenario {
  name: string;
  /** shard counts to run on (default: every count given to engineTests) */
  shards?: number[];
  /** a reason to skip this scenario (printed), or null */
  skip?: () => string | null;
  run(s: EngineServer): Promise<void>;
}

/** The engines every scenario runs on; under SKUA_TEST_REFERENCE=1 it is redis-server. */
export const ENGINES: readonly string[] = AGAINST_REFERENCE ? ["redis"] : ["uring", "listen"];
const uringProbe = probeUring();

function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

async function startEngine(io: string, shards: number): Promise<EngineServer> {
  const handle = await startUnderTest({ shards, args: ["--io", io] });
  const pid = handle.proc.pid;
  // warm-up: the first connection makes the server open whatever it opens lazily
  const c = await RespConn.connect(handle.port);
  try {
    assert.equal(str(await c.call("PING")), "PONG");
    assert.equal(str(await c.call("SET", "warmup", "1")), "OK");
    assert.equal(str(await c.call("GET", "warmup")), "1");
  } finally {
    c.close();
  }
  await delay(100);
  const base = await measureBaseline(pid, handle.port);
  return { io, shards, port: handle.port, pid, handle, base };
}

/**
 * Registers one Deno.test per engine and shard count: starts a server, runs each scenario as
 * a step and checks fds and clients are back to the baseline after it; a last step checks the
 * server is still running with nothing leaked, and that it stops cleanly.
 */
export function engineTests(title: string, shardCounts: number[], scenarios: Scenario[]): void {
  if (!uringProbe.ok) console.log(`${title}: skipping io_uring: ${uringProbe.reason}`);
  for (const io of ENGINES) {
    // redis-server has no shards: once is enough
    for (const shards of AGAINST_REFERENCE ? shardCounts.slice(0, 1) : shardCounts) {
      Deno.test({
        name: `${title}: io=${io}, shards=${shards}`,
        ignore: io === "uring" && !uringProbe.ok,
      }, async (t) => {
        const s = await startEngine(io, shards);
        let exited = false;
        s.handle.proc.status.then(() => (exited = true));
        const where = () => `(io=${io}, shards=${shards}, pid ${s.pid})`;
        const withOutput = (e: unknown): Error =>
          new Error(
            `${e instanceof Error ? e.message : String(e)}\n--- server output ${where()} ---\n` +
              tail(s.handle.output()),
            { cause: e },
          );
        try {
          for (const sc of scenarios) {
            if (sc.shards !== undefined && !sc.shards.includes(shards)) continue;
            const reason = sc.skip?.() ?? null;
            if (reason !== null) console.log(`${title}: skipping "${sc.name}": ${reason}`);
            await t.step({
              name: sc.name,
              ignore: reason !== null,
              fn: async () => {
                try {
                  await sc.run(s);
                  const leak = await backToBaseline(s.pid, s.port, s.base);
                  if (leak !== null) throw new Error(`not released after "${sc.name}": ${leak}`);
                } catch (e) {
                  throw withOutput(e);
                }
              },
            });
          }
          await t.step("still running, fds and clients at baseline", async () => {
            try {
              assert.equal(exited, false, `server exited ${where()}`);
              const leak = await backToBaseline(s.pid, s.port, s.base);
              if (leak !== null) throw new Error(`not released at the end: ${leak}`);
              assert.doesNotMatch(s.handle.output(), /uncaught|panic|segmentation/i);
            } catch (e) {
              throw withOutput(e);
            }
          });
        } finally {
          const code = await s.handle.stop();
          assert.equal(
            code,
            0,
            `server did not stop cleanly ${where()}:\n${tail(s.handle.output())}`,
          );
        }
      });
    }
  }
}
