/**
 * `deno task bench [--shards 1,2] [--io listen] [--runs 3] [--seconds 3] [--out bench/results.md]`
 *
 * Starts Skua and a redis-server on free ports, runs redis-benchmark (SET and GET, 50 clients,
 * without and with pipelining) against each, alternating Skua and Redis runs (A B A B ...) so
 * drift in the machine's speed hits both alike, and reports the median of the runs: requests/s
 * for each server and the Skua/Redis ratio. The table, the exact commands, the date and the
 * machine go to bench/results.md.
 */

import { parseArgs } from "node:util";
import { runTool, type ServerHandle, startRedis, startSkua } from "../tests/helpers/server.ts";

interface Options {
  shards: number[];
  io: string;
  runs: number;
  seconds: number;
  pipelines: number[];
  clients: number;
  tests: string;
  out: string;
}

interface Row {
  shards: number;
  io: string;
  pipeline: number;
  test: string;
  skua: number;
  redis: number;
  skuaN: number;
  redisN: number;
}

function list(s: string): number[] {
  return s.split(",").map((x) => {
    const n = Number(x.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${x}`);
    return n;
  });
}

function options(): Options {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      shards: { type: "string", default: "1" },
      io: { type: "string", default: "listen" },
      runs: { type: "string", default: "3" },
      seconds: { type: "string", default: "3" },
      pipelines: { type: "string", default: "1,16" },
      clients: { type: "string", default: "50" },
      tests: { type: "string", default: "set,get" },
      out: { type: "string", default: new URL("./results.md", import.meta.url).pathname },
    },
  });
  return {
    shards: list(values.shards),
    io: values.io,
    runs: list(values.runs)[0],
    seconds: Number(values.seconds),
    pipelines: list(values.pipelines),
    clients: list(values.clients)[0],
    tests: values.tests,
    out: values.out,
  };
}

function benchArgs(port: number, o: Options, pipeline: number, n: number): string[] {
  return [
    "-p",
    String(port),
    "-t",
    o.tests,
    "-c",
    String(o.clients),
    "-P",
    String(pipeline),
    "-n",
    String(n),
    "--csv",
  ];
}

/** One redis-benchmark run: test name (upper case) -> requests/s. */
async function bench(args: string[]): Promise<Map<string, number>> {
  const r = await runTool("redis-benchmark", args);
  if (r.code !== 0) {
    throw new Error(`redis-benchmark ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  }
  const out = new Map<string, number>();
  for (const line of r.stdout.split("\n")) {
    const m = /^"([^"]+)","([\d.]+)"/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  if (out.size === 0) throw new Error(`no results from redis-benchmark: ${r.stdout}${r.stderr}`);
  return out;
}

/** -n that makes one run of every test take about `o.seconds` in total. */
async function calibrate(port: number, o: Options, pipeline: number): Promise<number> {
  const probe = 20_000 * pipeline;
  const rps = await bench(benchArgs(port, o, pipeline, probe));
  const tests = rps.size;
  let slowest = Infinity;
  for (const v of rps.values()) slowest = Math.min(slowest, v);
  const n = Math.round((slowest * o.seconds) / tests / 10_000) * 10_000;
  return Math.max(10_000, n);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(o: Options, shards: number, redis: ServerHandle): Promise<Row[]> {
  const skua = await startSkua({ shards, args: ["--io", o.io] });
  try {
    const io = /io=(\w+)/.exec(skua.output())?.[1] ?? o.io;
    const rows: Row[] = [];
    for (const pipeline of o.pipelines) {
      const skuaN = await calibrate(skua.port, o, pipeline);
      const redisN = await calibrate(redis.port, o, pipeline);
      const samples = new Map<string, { skua: number[]; redis: number[] }>();
      for (let run = 0; run < o.runs; run++) {
        const a = await bench(benchArgs(skua.port, o, pipeline, skuaN));
        const b = await bench(benchArgs(redis.port, o, pipeline, redisN));
        for (const [test, rps] of a) {
          const s = samples.get(test) ?? { skua: [], redis: [] };
          s.skua.push(rps);
          s.redis.push(b.get(test) ?? 0);
          samples.set(test, s);
        }
        console.error(`  shards=${shards} P=${pipeline} run ${run + 1}/${o.runs} done`);
      }
      for (const [test, s] of samples) {
        rows.push({
          shards,
          io,
          pipeline,
          test,
          skua: median(s.skua),
          redis: median(s.redis),
          skuaN,
          redisN,
        });
      }
    }
    return rows;
  } finally {
    await skua.stop();
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function table(rows: Row[]): string {
  const lines = [
    "| shards | io | pipeline | test | Skua req/s | Redis req/s | Skua/Redis |",
    "| ---: | --- | ---: | --- | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.shards} | ${r.io} | ${r.pipeline} | ${r.test} | ${fmt(r.skua)} | ${fmt(r.redis)} | ${
        (r.skua / r.redis).toFixed(2)
      } |`,
    );
  }
  return lines.join("\n");
}

async function machine(): Promise<string[]> {
  let cpu = "unknown";
  try {
    cpu = /model name\s*:\s*(.+)/.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1] ?? cpu;
  } catch {
    // Not Linux.
  }
  const redis = (await runTool("redis-server", ["--version"])).stdout.trim();
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: nproc=${navigator.hardwareConcurrency}, ${cpu}, ${Deno.build.os} ${Deno.osRelease()}`,
    `- deno ${Deno.version.deno}; ${redis}`,
  ];
}

async function main(): Promise<void> {
  const o = options();
  const redis = await startRedis();
  const rows: Row[] = [];
  try {
    for (const shards of o.shards) {
      console.error(`benchmarking skua --shards ${shards} --io ${o.io} against redis-server`);
      rows.push(...await measure(o, shards, redis));
    }
  } finally {
    await redis.stop();
  }
  const md = table(rows);
  console.log(md);
  const commands = rows.filter((r, i) =>
    rows.findIndex((x) => x.shards === r.shards && x.pipeline === r.pipeline) === i
  ).flatMap((r) => [
    `    redis-benchmark -p <port> ${benchArgs(0, o, r.pipeline, r.skuaN).slice(2).join(" ")}` +
    `   # Skua --shards ${r.shards} --io ${r.io}`,
    `    redis-benchmark -p <port> ${benchArgs(0, o, r.pipeline, r.redisN).slice(2).join(" ")}` +
    `   # Redis`,
  ]);
  const doc = [
    "# Skua vs Redis: redis-benchmark",
    "",
    md,
    "",
    `Median of ${o.runs} runs per cell, Skua and Redis runs alternating; -n sized so one run`,
    `takes about ${o.seconds} s. Both servers run on the same machine as redis-benchmark.`,
    "",
    "Command:",
    "",
    `    deno task bench --shards ${
      o.shards.join(",")
    } --io ${o.io} --runs ${o.runs} --seconds ${o.seconds}`,
    "",
    "redis-benchmark invocations:",
    "",
    ...commands,
    "",
    ...await machine(),
    "",
  ].join("\n");
  await Deno.writeTextFile(o.out, doc);
  console.error(`wrote ${o.out}`);
}

if (import.meta.main) await main();
