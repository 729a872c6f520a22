/**
 * bench/tx.ts's results as markdown: the tables (printed and written), and bench/tx_results.md
 * with them, how the numbers were taken, every command, each run and the machine.
 */

import type { ServerHandle } from "../tests/helpers/server.ts";
import { median, type RunResult, type Workload, workloadName } from "./redis_benchmark.ts";
import type { TxLoadResult } from "./tx_load.ts";

export interface Options {
  runs: number;
  /** Target length of one redis-benchmark test run. */
  seconds: number;
  /** Measured window of one MULTI/EXEC run. */
  txSeconds: number;
  connections: number;
  before: string;
  out: string;
}

export interface ServerInfo {
  label: string;
  redis: boolean;
  shards: number;
  io: string;
  /** The MSET/MGET keys. */
  keys10: string[];
  /** The MULTI/EXEC counters. */
  keys4: string[];
}

export interface Server extends ServerInfo {
  handle: ServerHandle;
}

/** One cross-shard command, per server: its runs' requests/s. */
export interface CommandResult {
  name: string;
  probe: number;
  invocations: string[][];
  rps: number[][];
}

export interface TxResult {
  /** runs[server][run]. */
  runs: TxLoadResult[][];
}

/** One SET/GET workload, per version. */
export interface PathResult {
  workload: Workload;
  n: number;
  probe: number;
  invocations: string[][];
  runs: RunResult[][];
}

export interface Load {
  busyPct: number;
  othersPct: number;
  seconds: number;
}

export interface ReportInput {
  o: Options;
  command: string;
  multi: ServerInfo[];
  versions: ServerInfo[];
  commands: CommandResult[];
  tx: TxResult;
  path: PathResult[];
  idle: Map<string, number>;
  load: { multiKey: Load; tx: Load; path: Load };
  machine: string[];
  head: string;
  dirty: number;
  beforeRev: string;
  minutes: number;
}

const int = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
const ms = (n: number) => Number.isFinite(n) ? n.toFixed(2) : "n/a";
const ratio = (a: number, b: number) => b > 0 ? (a / b).toFixed(2) : "n/a";
const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
const rule = (n: number) => row(["---", ...Array.from({ length: n }, () => "---:")]);
const pct = (n: number) => Number.isFinite(n) ? `${n.toFixed(0)}%` : "n/a";

function medianOf<T>(xs: T[], f: (x: T) => number): number {
  const v = xs.map(f).filter(Number.isFinite);
  return v.length === 0 ? NaN : median(v);
}

function redisIndex(servers: ServerInfo[]): number {
  return servers.findIndex((s) => s.redis);
}

function commandsTable(x: ReportInput): string {
  const s = x.multi, r = redisIndex(s);
  const skua = s.filter((c) => !c.redis);
  const lines = [
    `### 1. Cross-shard MSET / MGET of 10 keys: redis-benchmark -c 50, requests/s, median of ${x.o.runs}`,
    "",
    row(["command", ...s.map((c) => c.label), ...skua.map((c) => `${c.label} / Redis`)]),
    rule(s.length + skua.length),
  ];
  for (const c of x.commands) {
    const m = c.rps.map((runs) => median(runs));
    const ratios = s.flatMap((sv, i) => sv.redis ? [] : [ratio(m[i], m[r])]);
    lines.push(row([`${c.name} (10 keys)`, ...m.map(int), ...ratios]));
  }
  return lines.join("\n");
}

function txTable(x: ReportInput): string {
  const s = x.multi, r = redisIndex(s), runs = x.tx.runs;
  const rate = runs.map((rs) => medianOf(rs, (v) => v.blocksPerSec));
  const lines = [
    `### 2. Cross-shard MULTI, 4x INCR, EXEC: ${x.o.connections} connections, one write per ` +
    `block, median of ${x.o.runs}`,
    "",
    row(["", ...s.map((c) => c.label)]),
    rule(s.length),
    row([
      "shards the 4 counters span",
      ...s.map((c) => c.redis ? "1 (no shards)" : String(Math.min(c.shards, 4))),
    ]),
    row(["blocks/s", ...rate.map(int)]),
    row(["commands/s (6 per block)", ...rate.map((v) => int(v * 6))]),
    row(["Skua / Redis", ...rate.map((v, i) => i === r ? "" : ratio(v, rate[r]))]),
    row(["p50 block latency ms", ...runs.map((rs) => ms(medianOf(rs, (v) => v.p50Ms)))]),
    row(["p99 block latency ms", ...runs.map((rs) => ms(medianOf(rs, (v) => v.p99Ms)))]),
    row([
      "load generator CPU (1 core = 100%)",
      ...runs.map((rs) => pct(medianOf(rs, (v) => v.clientCpuPct))),
    ]),
    row([
      "bad blocks (all runs)",
      ...runs.map((rs) => String(rs.reduce((a, v) => a + v.badBlocks, 0))),
    ]),
  ];
  return lines.join("\n");
}

function pathTable(x: ReportInput): string {
  const [before, after] = x.versions;
  const lines = [
    `### 3. Single-shard fast path: SET/GET on --shards 1, redis-benchmark -c 50, ` +
    `requests/s, median of ${x.o.runs}`,
    "",
    row(["workload", "test", before.label, after.label, "change"]),
    row(["---", "---", "---:", "---:", "---:"]),
  ];
  for (const p of x.path) {
    const tests = [...new Set(p.runs.flatMap((rs) => rs.flatMap((r) => [...r.keys()])))];
    for (const t of tests) {
      const [b, a] = p.runs.map((rs) => medianOf(rs, (r) => r.get(t)?.rps ?? NaN));
      const change = ((a / b - 1) * 100).toFixed(1);
      lines.push(row([
        workloadName(p.workload),
        t,
        int(b),
        int(a),
        `${Number(change) > 0 ? "+" : ""}${change}%`,
      ]));
    }
  }
  return lines.join("\n");
}

function servers(x: ReportInput): string[] {
  const line = (s: ServerInfo) =>
    s.redis
      ? `- ${s.label}: \`redis-server --port P --save '' --appendonly no --bind 127.0.0.1\``
      : `- ${s.label}: \`deno run -A main.ts --port P --bind 127.0.0.1 --shards ${s.shards}\`` +
        ` (io engine reported at startup: ${s.io})`;
  return [...x.multi.map(line), ...x.versions.map(line)];
}

function invocations(x: ReportInput): string[] {
  const out: string[] = [];
  const all = [
    ...x.commands.map((c) => ({ servers: x.multi, inv: c.invocations, probe: c.probe })),
    ...x.path.map((p) => ({ servers: x.versions, inv: p.invocations, probe: p.probe })),
  ];
  for (const { servers, inv, probe } of all) {
    for (let i = 0; i < servers.length; i++) {
      const args = [...inv[i]];
      const warm = [...args];
      warm[args.indexOf("-n") + 1] = String(probe);
      out.push(`    redis-benchmark ${warm.join(" ")}   # ${servers[i].label}, warm-up/sizing`);
      out.push(`    redis-benchmark ${args.join(" ")}   # ${servers[i].label}, x${x.o.runs}`);
    }
  }
  return out;
}

function txCommands(x: ReportInput): string[] {
  return x.multi.map((s) =>
    `    deno run -A bench/tx_load.ts --port P --connections ${x.o.connections} ` +
    `--seconds ${x.o.txSeconds} --warmup 1 --keys ${s.keys4.join(",")}   # ${s.label}, x${x.o.runs}`
  );
}

function runLists(x: ReportInput): string[] {
  const out: string[] = [];
  for (const c of x.commands) {
    x.multi.forEach((s, i) =>
      out.push(`- ${c.name}, ${s.label}: ${c.rps[i].map(int).join(" / ")}`)
    );
  }
  x.multi.forEach((s, i) => {
    const rs = x.tx.runs[i];
    out.push(
      `- MULTI/EXEC, ${s.label}: ` +
        rs.map((r) => `${int(r.blocksPerSec)} (p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)})`)
          .join(" / "),
    );
  });
  for (const p of x.path) {
    const tests = [...new Set(p.runs.flatMap((rs) => rs.flatMap((r) => [...r.keys()])))];
    for (const t of tests) {
      x.versions.forEach((s, i) =>
        out.push(
          `- ${workloadName(p.workload)} ${t}, ${s.label}: ` +
            p.runs[i].map((r) => int(r.get(t)?.rps ?? NaN)).join(" / "),
        )
      );
    }
  }
  return out;
}

/** The markdown tables (for the terminal) and the whole of bench/tx_results.md. */
export function report(x: ReportInput): { tables: string; doc: string } {
  const tables = [commandsTable(x), txTable(x), pathTable(x)].join("\n\n");
  const keyLine = (s: ServerInfo) => `- ${s.label}: ${s.keys10.join(" ")} / ${s.keys4.join(" ")}`;
  const idle = [...x.idle].map(([label, p]) => `${label} ${p.toFixed(1)}%`).join(", ");
  const load = (name: string, l: Load) =>
    `- ${name} (${l.seconds.toFixed(0)} s): machine busy ${pct(l.busyPct)}, of which other ` +
    `processes ${pct(l.othersPct)} (percent of both cores)`;
  const doc = [
    "# Skua cross-shard transactions: benchmarks",
    "",
    tables,
    "",
    "## How these were measured",
    "",
    "The machine has 2 cores, shared by the client (redis-benchmark or the Deno load generator)",
    "and the server under test; a 2- or 3-shard Skua runs more threads than there are cores, so",
    "it competes with its own client and its shards with each other. The numbers compare the",
    "servers on this machine, not their ceilings.",
    "",
    `- Every cell is the median of ${x.o.runs} runs. Servers of a table were all running at`,
    "  once and were measured in rotation (A B C A B C ...) so drift hits them alike; each got a",
    "  warm-up run first, from which -n was sized so one run of one test takes about",
    `  ${x.o.seconds} s (MSET/MGET: -n per server, their rates differ ~10x; SET/GET: the same`,
    "  -n for both versions).",
    "- Keys: Skua's keys are picked by hash slot (`spreadKeys` in tests/helpers/keys.ts) so",
    "  consecutive keys land on different shards (checked against the slot ranges); Redis gets",
    "  the 3-shard key names. The 10 MSET/MGET keys cover every shard; the 4 counters cover",
    "  every shard of the 2- and 3-shard servers. MSET and MGET were checked once with",
    "  redis-cli before timing.",
    "- MULTI/EXEC: `bench/tx_load.ts`, the same generator for every server: each connection",
    "  writes MULTI, 4 INCRs and EXEC in one write and reads the 6 replies, for a measured",
    `  window of ${x.o.txSeconds} s after 1 s of warm-up. Latency is from the write to the last`,
    "  reply. Every reply is checked (+OK, +QUEUED, an EXEC array of 4 equal counters, since",
    "  every block increments all 4) and at the end all counters must equal the blocks run;",
    "  a block failing either check counts as bad. The generator is one Deno thread; where its",
    "  CPU row nears 100% the figure is bounded by the client rather than by the server.",
    `- Fast path: \`git worktree add ${"/tmp/skua-before"} ${x.o.before}\` (${x.beforeRev}),`,
    "  the commit before the transaction work, started from its own directory, against the",
    "  current tree; 1 shard each, the default io engine, both running at once.",
    "",
    "Server command lines:",
    "",
    ...servers(x),
    "",
    "Keys (MSET/MGET / MULTI counters):",
    "",
    ...x.multi.map(keyLine),
    "",
    `Idle CPU of each server over 1 s (percent of one core): ${idle}.`,
    "",
    'CPU of the machine during each part; "other processes" is load that was not the',
    "benchmark (the machine is shared), which makes single runs noisier:",
    "",
    load("MSET/MGET", x.load.multiKey),
    load("MULTI/EXEC", x.load.tx),
    load("SET/GET before/after", x.load.path),
    "",
    "## Commands",
    "",
    `    ${x.command}`,
    "",
    `Effective: \`--runs ${x.o.runs} --seconds ${x.o.seconds} --tx-seconds ${x.o.txSeconds} ` +
    `--connections ${x.o.connections} --before ${x.o.before}\`; took ${x.minutes.toFixed(1)} min.`,
    "",
    "redis-benchmark invocations (P is each server's port):",
    "",
    ...invocations(x).map((l) => l.replace(/-p \d+/, "-p P")),
    "",
    "MULTI/EXEC load (the same code, called in-process by bench/tx.ts):",
    "",
    ...txCommands(x),
    "",
    "## Runs, in run order",
    "",
    ...runLists(x),
    "",
    "## Machine",
    "",
    ...x.machine,
    `- working tree: HEAD ${x.head}` +
    (x.dirty > 0 ? ` plus ${x.dirty} uncommitted changed files at run time` : ", clean"),
    "",
  ].join("\n");
  return { tables, doc };
}
