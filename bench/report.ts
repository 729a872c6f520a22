/**
 * Turns the benchmark's runs into markdown: one table per workload (a column per server, with
 * its shard count and io engine), and bench/results.md with the command, every redis-benchmark
 * invocation and the machine they ran on.
 */

import { runTool, type ServerHandle } from "../tests/helpers/server.ts";
import { median, type RunResult, type Workload, workloadName } from "./redis_benchmark.ts";

/** One server under test: a Skua configuration or the reference redis-server. */
export interface Column {
  label: string;
  redis: boolean;
  shards: number;
  io: string;
  server: ServerHandle;
}

export interface WorkloadResult {
  workload: Workload;
  /** -n of every measured run. */
  n: number;
  /** -n of the probe (warm-up and sizing) run. */
  probe: number;
  /** runs[column][run]. */
  runs: RunResult[][];
  /** redis-benchmark's arguments per column. */
  invocations: string[][];
}

export interface ReportInput {
  columns: Column[];
  results: WorkloadResult[];
  runs: number;
  seconds: number;
  command: string;
  effective: string;
  idle: Map<string, number>;
  machine: string[];
}

function rps(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
}

function ms(n: number): string {
  return Number.isFinite(n) ? n.toFixed(3) : "n/a";
}

/** The tests of a workload in the order redis-benchmark ran them. */
function testsOf(r: WorkloadResult): string[] {
  const seen = new Set<string>();
  for (const col of r.runs) for (const run of col) for (const t of run.keys()) seen.add(t);
  return [...seen];
}

function medianOf(runs: RunResult[], test: string, key: "rps" | "p50" | "p99"): number {
  const xs = runs.map((r) => r.get(test)?.[key] ?? NaN).filter((x) => Number.isFinite(x));
  return xs.length === 0 ? NaN : median(xs);
}

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function workloadTable(columns: Column[], r: WorkloadResult, runs: number): string {
  const redisAt = columns.findIndex((c) => c.redis);
  const latency = r.workload.clients === 1;
  const what = latency ? "requests/s and latency" : "requests/s";
  const lines = [
    `### ${workloadName(r.workload)} -n ${r.n}: ${what}, median of ${runs}`,
    "",
    row(["", ...columns.map((c) => c.label)]),
    row(["---", ...columns.map(() => "---:")]),
    row(["shards", ...columns.map((c) => String(c.shards))]),
    row(["io engine", ...columns.map((c) => c.io)]),
  ];
  for (const test of testsOf(r)) {
    const m = r.runs.map((col) => medianOf(col, test, "rps"));
    const base = redisAt < 0 ? NaN : m[redisAt];
    lines.push(row([`${test} req/s`, ...m.map(rps)]));
    if (redisAt >= 0) {
      lines.push(row([
        `${test} Skua/Redis`,
        ...m.map((v, i) => i === redisAt ? "" : (v / base).toFixed(2)),
      ]));
    }
    if (latency) {
      for (const key of ["p50", "p99"] as const) {
        lines.push(
          row([`${test} ${key} ms`, ...r.runs.map((col) => ms(medianOf(col, test, key)))]),
        );
      }
    }
  }
  return lines.join("\n");
}

/** Every run's requests/s, in run order, so the spread behind each median is visible. */
function runList(columns: Column[], r: WorkloadResult): string[] {
  const out: string[] = [];
  for (const test of testsOf(r)) {
    for (let i = 0; i < columns.length; i++) {
      const xs = r.runs[i].map((run) => rps(run.get(test)?.rps ?? NaN));
      out.push(`- ${workloadName(r.workload)} ${test}, ${columns[i].label}: ${xs.join(" / ")}`);
    }
  }
  return out;
}

function invocations(columns: Column[], r: WorkloadResult, runs: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const args = [...r.invocations[i]];
    const probe = [...args];
    probe[args.indexOf("-n") + 1] = String(r.probe);
    out.push(`    redis-benchmark ${probe.join(" ")}   # ${columns[i].label}, probe/warm-up`);
  }
  for (let i = 0; i < columns.length; i++) {
    out.push(
      `    redis-benchmark ${r.invocations[i].join(" ")}   # ${columns[i].label}, ×${runs}`,
    );
  }
  return out;
}

/** The markdown tables (for the terminal) and the whole of bench/results.md. */
export function report(x: ReportInput): { tables: string; doc: string } {
  const tables = x.results.map((r) => workloadTable(x.columns, r, x.runs)).join("\n\n");
  const idle = x.columns.map((c) => {
    const p = x.idle.get(c.label);
    return `${c.label} ${p === undefined ? "n/a" : `${p.toFixed(1)}%`}`;
  });
  const doc = [
    "# Skua vs Redis: redis-benchmark",
    "",
    tables,
    "",
    `Median of ${x.runs} runs per cell. All servers were started once and kept running for the`,
    "whole benchmark; runs went round the servers in the column order and back (A B C D D C B A",
    "...), so drift in the machine's speed hits every server alike. Before each workload every server got",
    `one probe run (warm-up), from which -n was sized so a run of all tests takes about`,
    `${x.seconds} s on average. "Skua/Redis" is the ratio of medians (above 1: Skua is faster).`,
    "",
    "redis-benchmark, Skua and redis-server all share the machine's cores: with few cores the",
    "client takes CPU from the server, and a multi-shard Skua competes with its own client, so",
    "these numbers compare servers on this machine rather than measure either one's ceiling.",
    "",
    `Idle CPU of each server over 1 s while the others were idle too: ${idle.join(", ")}.`,
    "",
    "## Command",
    "",
    `    ${x.command}`,
    "",
    `Effective flags: \`${x.effective}\``,
    "",
    "## redis-benchmark invocations",
    "",
    ...x.results.flatMap((r) => invocations(x.columns, r, x.runs)),
    "",
    "## Runs (requests/s, in run order)",
    "",
    ...x.results.flatMap((r) => runList(x.columns, r)),
    "",
    "## Machine",
    "",
    ...x.machine,
    "",
  ].join("\n");
  return { tables, doc };
}

/**
 * `text` as `deno fmt` formats markdown under the repo's deno.json (aligned tables, wrapped
 * prose), so a written results.md passes `deno task check`; unchanged if deno fmt fails.
 */
export async function fmtMarkdown(text: string): Promise<string> {
  const config = new URL("../deno.json", import.meta.url).pathname;
  const r = await runTool(
    Deno.execPath(),
    ["fmt", "--config", config, "--ext", "md", "-"],
    new TextEncoder().encode(text),
  );
  return r.code === 0 ? r.stdout : text;
}

/** `redis-server --version`'s version number, e.g. "7.0.15". */
export async function redisVersion(): Promise<string> {
  const out = (await runTool("redis-server", ["--version"])).stdout;
  return /v=([\d.]+)/.exec(out)?.[1] ?? "unknown";
}

async function cpuModel(): Promise<string> {
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    return /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown (no /proc/cpuinfo)";
  }
}

async function commit(): Promise<string> {
  try {
    const r = await runTool("git", [
      "-C",
      new URL("..", import.meta.url).pathname,
      "rev-parse",
      "--short",
      "HEAD",
    ]);
    return r.code === 0 ? r.stdout.trim() : "unknown";
  } catch {
    return "unknown";
  }
}

export async function machine(): Promise<string[]> {
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: nproc=${navigator.hardwareConcurrency}, CPU ${await cpuModel()}, ` +
    `${Deno.build.os} ${Deno.osRelease()}`,
    `- deno ${Deno.version.deno} (V8 ${Deno.version.v8}); redis-server and redis-benchmark ` +
    `${await redisVersion()}`,
    `- Skua commit ${await commit()}`,
  ];
}

/** CPU seconds (user+system) a process has used so far, from /proc; null where unavailable. */
export async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the parenthesised name: state is field 3, utime 14, stime 15 (in ticks).
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * Each server's CPU use over one second with no client, in percent of one core: the servers
 * all stay up while one is measured, so an idle one that spins would skew the others.
 */
export async function idleCpu(columns: Column[], ms = 1000): Promise<Map<string, number>> {
  const before = await Promise.all(columns.map((c) => cpuSeconds(c.server.proc.pid)));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const after = await Promise.all(columns.map((c) => cpuSeconds(c.server.proc.pid)));
  const wall = (performance.now() - t0) / 1000;
  const out = new Map<string, number>();
  columns.forEach((c, i) => {
    const a = before[i], b = after[i];
    if (a !== null && b !== null) out.set(c.label, ((b - a) / wall) * 100);
  });
  return out;
}
