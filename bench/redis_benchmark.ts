/**
 * Runs redis-benchmark and reads its `--csv` output, and sizes `-n` from a probe run.
 * redis-benchmark 7.0's CSV columns: "test","rps","avg_latency_ms","min_latency_ms",
 * "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms".
 */

import { runTool } from "../tests/helpers/server.ts";

/** One client setup: `-c clients -P pipeline`. */
export interface Workload {
  clients: number;
  pipeline: number;
}

/** One test's line of a redis-benchmark run. */
export interface TestResult {
  rps: number;
  p50: number;
  p99: number;
}

/** Test name as redis-benchmark prints it (upper case, e.g. "SET") -> its result. */
export type RunResult = Map<string, TestResult>;

export function workloadName(w: Workload): string {
  return `-c ${w.clients} -P ${w.pipeline}`;
}

/** redis-benchmark's arguments for one run of `tests` (e.g. "set,get") against `port`. */
export function benchArgs(port: number, tests: string, w: Workload, n: number): string[] {
  return [
    "-p",
    String(port),
    "-t",
    tests,
    "-c",
    String(w.clients),
    "-P",
    String(w.pipeline),
    "-n",
    String(n),
    "--csv",
  ];
}

/** Parses redis-benchmark's `--csv` output; columns are found by name in its header. */
export function parseCsv(text: string): RunResult {
  const out: RunResult = new Map();
  let cols: string[] | null = null;
  for (const line of text.split("\n")) {
    const cells = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    if (cells.length < 2) continue;
    if (cols === null) {
      if (cells[0] === "test") {
        cols = cells;
        continue;
      }
      // Older redis-benchmark prints no header: "test","rps" only.
      cols = ["test", "rps"];
    }
    const at = (name: string): number => {
      const i = cols!.indexOf(name);
      return i < 0 || i >= cells.length ? NaN : Number(cells[i]);
    };
    out.set(cells[0], { rps: at("rps"), p50: at("p50_latency_ms"), p99: at("p99_latency_ms") });
  }
  return out;
}

/** One redis-benchmark run; throws with its output when it fails or reports nothing. */
export async function runBench(args: string[]): Promise<RunResult> {
  const r = await runTool("redis-benchmark", args);
  if (r.code !== 0) {
    throw new Error(`redis-benchmark ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  }
  const out = parseCsv(r.stdout);
  if (out.size === 0) throw new Error(`no results from redis-benchmark: ${r.stdout}${r.stderr}`);
  for (const [test, v] of out) {
    if (!(v.rps > 0)) throw new Error(`redis-benchmark reported ${test} at ${v.rps} req/s`);
  }
  return out;
}

/**
 * Requests for a probe run: enough to get past connection setup, short enough that probing
 * every server stays a small part of the benchmark.
 */
export function probeRequests(w: Workload): number {
  return Math.min(500_000, Math.max(5_000, 1_000 * w.clients * w.pipeline));
}

/** Seconds one request of each test takes in `r` (a run of -n N takes N times this). */
export function secondsPerRequest(r: RunResult): number {
  let s = 0;
  for (const v of r.values()) s += 1 / v.rps;
  return s;
}

/**
 * -n such that a run of all tests takes `seconds` on average over the probed servers,
 * rounded to two significant digits.
 */
export function sizeN(probes: RunResult[], seconds: number): number {
  const perRequest = probes.reduce((a, r) => a + secondsPerRequest(r), 0) / probes.length;
  const n = seconds / perRequest;
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
  return Math.max(1_000, Math.round(n / unit) * unit);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
