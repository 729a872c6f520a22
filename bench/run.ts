/**
 * `deno task bench [--configs uring:1,uring:2,listen:1] [--runs 3] [--seconds 2]
 *   [--workloads c50P1,c50P16,c1P1] [--tests set,get] [--out bench/results.md]`
 *
 * Starts every Skua configuration (io engine:shards, optionally `@checkout` to compare against
 * another commit) and one redis-server on free ports, keeps them all running for the whole
 * benchmark, and runs redis-benchmark against each in turn, run by run (A B C D, then D C B A,
 * ...), so drift in the machine's speed hits every server alike.
 * Reports the median of the runs per workload: requests/s, the Skua/Redis ratio and, for
 * single-client workloads, p50/p99 latency. The tables, the command, every redis-benchmark
 * invocation and the machine go to bench/results.md.
 */

import { parseArgs } from "node:util";
import { configName, parseConfig, positiveInt, type SkuaConfig } from "./configs.ts";
import { type ServerHandle, startRedis, startSkua } from "../tests/helpers/server.ts";
import {
  benchArgs,
  probeRequests,
  runBench,
  type RunResult,
  sizeN,
  type Workload,
  workloadName,
} from "./redis_benchmark.ts";
import {
  type Column,
  fmtMarkdown,
  idleCpu,
  machine,
  redisVersion,
  report,
  type WorkloadResult,
} from "./report.ts";

interface Options {
  configs: SkuaConfig[];
  workloads: Workload[];
  runs: number;
  seconds: number;
  tests: string;
  out: string;
}

function parseWorkload(s: string): Workload {
  const m = /^c(\d+)P(\d+)$/i.exec(s.trim());
  if (!m) throw new Error(`--workloads: expected c<clients>P<pipeline> (e.g. c50P16), got ${s}`);
  return {
    clients: positiveInt(m[1], "--workloads clients"),
    pipeline: positiveInt(m[2], "--workloads pipeline"),
  };
}

function options(): Options {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      configs: { type: "string", default: "uring:1,uring:2,listen:1" },
      workloads: { type: "string", default: "c50P1,c50P16,c1P1" },
      runs: { type: "string", default: "3" },
      seconds: { type: "string", default: "2" },
      tests: { type: "string", default: "set,get" },
      out: { type: "string", default: new URL("./results.md", import.meta.url).pathname },
    },
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds: not a positive number: ${values.seconds}`);
  return {
    configs: values.configs.split(",").map(parseConfig),
    workloads: values.workloads.split(",").map(parseWorkload),
    runs: positiveInt(values.runs, "--runs"),
    seconds,
    tests: values.tests,
    out: values.out,
  };
}

/** The exact command line, quoted for a POSIX shell where needed. */
function commandLine(): string {
  const q = (a: string) => /^[\w.,:/=@+-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
  return ["deno", "task", "bench", ...Deno.args.map(q)].join(" ");
}

function effectiveFlags(o: Options): string {
  return [
    `--configs ${o.configs.map(configName).join(",")}`,
    `--workloads ${o.workloads.map((w) => `c${w.clients}P${w.pipeline}`).join(",")}`,
    `--runs ${o.runs}`,
    `--seconds ${o.seconds}`,
    `--tests ${o.tests}`,
  ].join(" ");
}

/** Starts Skua for `c`, reading the engine and shard count it reports from its ready line. */
async function startColumn(c: SkuaConfig, servers: ServerHandle[]): Promise<Column> {
  const h = await startSkua({ shards: c.shards, args: ["--io", c.io], root: c.root });
  servers.push(h);
  const m = /\(shards=(\d+), io=([\w-]+)\)/.exec(h.output());
  return {
    label: `Skua ${configName(c)}`,
    redis: false,
    shards: m ? Number(m[1]) : c.shards,
    io: m?.[2] ?? c.io,
    server: h,
  };
}

/** Probes every server once (also warming it up), sizes -n, then runs them in rotation. */
async function measure(o: Options, w: Workload, columns: Column[]): Promise<WorkloadResult> {
  const name = workloadName(w);
  const probes: RunResult[] = [];
  for (const c of columns) {
    probes.push(await runBench(benchArgs(c.server.port, o.tests, w, probeRequests(w))));
  }
  const n = sizeN(probes, o.seconds);
  console.error(`${name}: -n ${n}`);
  const runs: RunResult[][] = columns.map(() => []);
  for (let run = 0; run < o.runs; run++) {
    // every other run goes round the servers backwards: no server always runs right after
    // the same neighbour (or first), which skews single runs by several percent here
    for (let k = 0; k < columns.length; k++) {
      const i = run % 2 === 0 ? k : columns.length - 1 - k;
      const t0 = performance.now();
      runs[i].push(await runBench(benchArgs(columns[i].server.port, o.tests, w, n)));
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      console.error(`  ${name} run ${run + 1}/${o.runs} ${columns[i].label}: ${secs} s`);
    }
  }
  return {
    workload: w,
    n,
    runs,
    invocations: columns.map((c) => benchArgs(c.server.port, o.tests, w, n)),
    probe: probeRequests(w),
  };
}

async function main(): Promise<void> {
  const o = options();
  const servers: ServerHandle[] = [];
  try {
    const columns: Column[] = [];
    for (const c of o.configs) columns.push(await startColumn(c, servers));
    const redis = await startRedis();
    servers.push(redis);
    const label = `Redis ${await redisVersion()}`;
    columns.push({ label, redis: true, shards: 1, io: "epoll", server: redis });
    for (const c of columns) {
      console.error(`${c.label}: port ${c.server.port}, shards=${c.shards}, io=${c.io}`);
    }
    const idle = await idleCpu(columns);
    for (const [label, pct] of idle) {
      if (pct > 5) console.error(`warning: ${label} uses ${pct.toFixed(1)}% CPU while idle`);
    }
    const results: WorkloadResult[] = [];
    for (const w of o.workloads) results.push(await measure(o, w, columns));
    const { tables, doc } = report({
      columns,
      results,
      runs: o.runs,
      seconds: o.seconds,
      command: commandLine(),
      effective: effectiveFlags(o),
      idle,
      machine: await machine(),
    });
    console.log(await fmtMarkdown(tables));
    await Deno.writeTextFile(o.out, await fmtMarkdown(doc));
    console.error(`wrote ${o.out}`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

if (import.meta.main) await main();
