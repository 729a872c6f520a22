/**
 * Scenario "probe": what one light client sees while the keyspace grows. redis-benchmark loads
 * about 4M distinct keys in the background while this process, on a connection of its own,
 * sends `GET probe` every 2 ms and times each round trip: stalls (a growing hash table, a
 * collection, a blocked event loop) show up in the tail. The floor rows probe each server while
 * it is idle and the same load runs against another one: the tail the machine itself gives
 * (2 cores shared by the load, its server and this probe), which no server can go below.
 */

import { parseCsv } from "./redis_benchmark.ts";
import type { Column } from "./report.ts";
import { fixed, type Head, int, Invocations, mib, ms, ratioRow, table } from "./keyspace_report.ts";
import { loadArgs, requestsFor } from "./keyspace_memory.ts";
import { call, dbsize, delay, ReplyError, rss, Wire, withTimeout } from "./keyspace_wire.ts";

export const PROBE_KEYS = 4_000_000;
export const PROBE_RANGE = 10_000_000;
export const PROBE_EVERY_MS = 2;

export interface ProbeResult {
  /** Round-trip times in ms, sorted. */
  latencies: number[];
  /** Round-trip times in ms, sorted, while idle with the load on another server (the floor). */
  floor: number[];
  seconds: number;
  loadRps: number;
  keys: number;
  rss: number;
}

/** The nearest-rank percentile `p` (0..100) of sorted `xs`. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];
}

/** Runs redis-benchmark in the background; `done` resolves when it exits. */
function startLoad(args: string[]): { done: Promise<Deno.CommandOutput>; stop(): void } {
  const child = new Deno.Command("redis-benchmark", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return {
    done: child.output(),
    stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
    },
  };
}

/**
 * FLUSHALL; probe every 2 ms for as long as the load runs; DBSIZE and RSS at the end. With
 * `other`, first the floor: this server probed idle while the load runs against `other`.
 */
export async function probe(c: Column, inv: Invocations, other?: Column): Promise<ProbeResult> {
  const { port, proc } = c.server;
  let floor: number[] = [];
  if (other !== undefined) {
    await call(other.server.port, "FLUSHALL");
    const args = loadArgs(other.server.port, requestsFor(PROBE_KEYS, PROBE_RANGE), PROBE_RANGE);
    inv.add(args, `${other.label}, load while ${c.label} is probed idle (floor)`);
    floor = (await probeDuring(port, args)).latencies;
    await call(other.server.port, "FLUSHALL");
  }
  await call(port, "FLUSHALL");
  const args = loadArgs(port, requestsFor(PROBE_KEYS, PROBE_RANGE), PROBE_RANGE);
  inv.add(args, `${c.label}, probe load`);
  const r = await probeDuring(port, args);
  return { ...r, floor, keys: await dbsize(port), rss: await rss(proc.pid) };
}

/** GET probe on `port` every 2 ms while redis-benchmark runs with `args`. */
async function probeDuring(
  port: number,
  args: string[],
): Promise<{ latencies: number[]; seconds: number; loadRps: number }> {
  const wire = await Wire.connect(port);
  const request = new TextEncoder().encode("GET probe\r\n");
  const latencies: number[] = [];
  const t0 = performance.now();
  const load = startLoad(args);
  let running = true;
  const finished = load.done.finally(() => running = false);
  try {
    do {
      const t = performance.now();
      await wire.write(request);
      const reply = await withTimeout(wire.reply(), 60_000, "GET probe", () => wire.close());
      const rtt = performance.now() - t;
      if (reply instanceof ReplyError) throw new Error(`GET probe replied ${reply}`);
      latencies.push(rtt);
      const rest = PROBE_EVERY_MS - (performance.now() - t);
      if (rest > 0) await delay(rest);
    } while (running);
  } finally {
    wire.close();
    if (running) {
      load.stop(); // the probe failed: do not leave the load running
      await finished;
    }
  }
  const out = await finished;
  const seconds = (performance.now() - t0) / 1000;
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr);
    throw new Error(`redis-benchmark ${args.join(" ")} exited ${out.code}: ${err}${text}`);
  }
  return {
    latencies: latencies.sort((a, b) => a - b),
    seconds,
    loadRps: parseCsv(text).get("SET")?.rps ?? NaN,
  };
}

export function probeTable(heads: Head[], rs: ProbeResult[]): string {
  const at = (p: number) => rs.map((r) => percentile(r.latencies, p));
  const p99 = at(99);
  const title = `probe: GET latency every ${PROBE_EVERY_MS} ms while ~${
    int(PROBE_KEYS)
  } keys are loaded`;
  return table(title, heads, [
    ["probes", rs.map((r) => int(r.latencies.length))],
    ["p50 ms", at(50).map(ms)],
    ["p99 ms", p99.map(ms)],
    ratioRow("p99 Skua/Redis", heads, p99),
    ["p99.9 ms", at(99.9).map(ms)],
    ["max ms", rs.map((r) => ms(r.latencies.at(-1) ?? NaN))],
    ["floor p99.9 ms (idle, load on another)", rs.map((r) => ms(percentile(r.floor, 99.9)))],
    ["floor max ms", rs.map((r) => ms(r.floor.at(-1) ?? NaN))],
    ["load seconds", rs.map((r) => fixed(r.seconds, 1))],
    ["load SET req/s", rs.map((r) => int(r.loadRps))],
    ["DBSIZE at end", rs.map((r) => int(r.keys))],
    ["RSS at end MiB", rs.map((r) => mib(r.rss))],
  ]);
}

/** How the probe table was measured, for the report. */
export function probeMethod(): string {
  return `Servers up together (the others idle), one at a time: FLUSHALL, then redis-benchmark ` +
    `SET -r ${PROBE_RANGE} -c 50 -P 16 with -n for about ${PROBE_KEYS} distinct keys in the ` +
    `background, while one separate connection from this driver sends the inline command GET ` +
    `probe, waits for the whole reply and sleeps the rest of ${PROBE_EVERY_MS} ms, until the ` +
    `load exits. Latency is the round trip seen by the driver in ms (nearest-rank ` +
    `percentiles); Skua/Redis above 1: Skua's tail is slower. Driver, redis-benchmark and ` +
    `server share the machine's ${navigator.hardwareConcurrency} cores. Floor: before its own ` +
    `load, each server is probed the same way while idle, with the same load running against ` +
    `the next column's server: the tail the machine gives an idle server.`;
}
