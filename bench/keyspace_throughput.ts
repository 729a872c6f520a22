/**
 * Scenario "throughput": SET and GET on random keys of a 1M-key keyspace with 32-byte values,
 * at -c 50 -P 1 and -c 50 -P 16, against every server in rotation (A B C, then C B A, ...)
 * like bench/run.ts, so drift in the machine's speed hits every server alike.
 */

import {
  median,
  probeRequests,
  runBench,
  type RunResult,
  sizeN,
  type Workload,
  workloadName,
} from "./redis_benchmark.ts";
import type { Column, WorkloadResult } from "./report.ts";
import { type Head, int, Invocations, ratioRow, type Row, table } from "./keyspace_report.ts";
import { call } from "./keyspace_wire.ts";

export const KEYSPACE = 1_000_000;
export const WORKLOADS: Workload[] = [{ clients: 50, pipeline: 1 }, { clients: 50, pipeline: 16 }];

/** redis-benchmark's arguments: SET and GET on key:<random below KEYSPACE>, 32-byte values. */
export function throughputArgs(port: number, w: Workload, n: number): string[] {
  return [
    ...["-p", String(port), "-t", "set,get", "-r", String(KEYSPACE), "-d", "32"],
    ...["-c", String(w.clients), "-P", String(w.pipeline), "-n", String(n), "--csv"],
  ];
}

/** One workload: a probe (warm-up) run per server sizes -n, then `runs` rounds in rotation. */
async function measure(
  w: Workload,
  columns: Column[],
  runs: number,
  seconds: number,
  inv: Invocations,
): Promise<WorkloadResult> {
  const name = workloadName(w);
  const probe = probeRequests(w);
  const probes: RunResult[] = [];
  for (const c of columns) {
    const args = throughputArgs(c.server.port, w, probe);
    inv.add(args, `${c.label}, throughput probe/warm-up`);
    probes.push(await runBench(args));
  }
  const n = sizeN(probes, seconds);
  console.error(`throughput ${name}: -n ${n}`);
  const results: RunResult[][] = columns.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < columns.length; k++) {
      const i = run % 2 === 0 ? k : columns.length - 1 - k;
      const args = throughputArgs(columns[i].server.port, w, n);
      inv.add(args, `${columns[i].label}, throughput`);
      const t0 = performance.now();
      results[i].push(await runBench(args));
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      console.error(`  ${name} run ${run + 1}/${runs} ${columns[i].label}: ${secs} s`);
    }
  }
  return {
    workload: w,
    n,
    probe,
    runs: results,
    invocations: columns.map((c) => throughputArgs(c.server.port, w, n)),
  };
}

/** FLUSHALL on every server, then every workload. */
export async function throughput(
  columns: Column[],
  runs: number,
  seconds: number,
  inv: Invocations,
): Promise<WorkloadResult[]> {
  for (const c of columns) await call(c.server.port, "FLUSHALL");
  const out: WorkloadResult[] = [];
  for (const w of WORKLOADS) out.push(await measure(w, columns, runs, seconds, inv));
  return out;
}

function tests(r: WorkloadResult): string[] {
  const seen = new Set<string>();
  for (const col of r.runs) for (const run of col) for (const t of run.keys()) seen.add(t);
  return [...seen];
}

function medianRps(runs: RunResult[], test: string): number {
  const xs = runs.map((r) => r.get(test)?.rps ?? NaN).filter(Number.isFinite);
  return xs.length === 0 ? NaN : median(xs);
}

export function throughputTables(heads: Head[], results: WorkloadResult[], runs: number): string {
  return results.map((r) => {
    const rows: Array<Row | null> = [];
    for (const test of tests(r)) {
      const m = r.runs.map((col) => medianRps(col, test));
      rows.push([`${test} req/s`, m.map(int)], ratioRow(`${test} Skua/Redis`, heads, m));
    }
    const title = `${workloadName(r.workload)} -r ${KEYSPACE} -d 32 -n ${r.n}: ` +
      `requests/s, median of ${runs}`;
    return table(title, heads, rows);
  }).join("\n\n");
}

/** Every run's requests/s in run order, so the spread behind each median is visible. */
export function throughputRuns(heads: Head[], results: WorkloadResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    for (const test of tests(r)) {
      heads.forEach((h, i) => {
        const xs = r.runs[i].map((run) => int(run.get(test)?.rps ?? NaN));
        out.push(`- ${workloadName(r.workload)} ${test}, ${h.label}: ${xs.join(" / ")}`);
      });
    }
  }
  return out;
}

/** How the throughput tables were measured, for the report. */
export function throughputMethod(runs: number, seconds: number): string {
  return `All servers up at once, FLUSHALL on each first. Per workload every server got one ` +
    `probe (warm-up) run, from which -n was sized so a run of SET and GET takes about ` +
    `${seconds} s on average; then ${runs} rounds going round the servers in column order and ` +
    `back (A B C, C B A, ...). Keys are random below ${KEYSPACE}, so the keyspace fills to ` +
    `about a million keys. Median requests/s; Skua/Redis above 1: Skua is faster.`;
}
