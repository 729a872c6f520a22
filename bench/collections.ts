/**
 * `deno run -A bench/collections.ts [--configs uring:1] [--only dataset,throughput]
 *   [--count 200000] [--runs 3] [--out bench/collections_results.md]`
 *
 * What collections cost, Skua side by side with redis-server in one run:
 * - "dataset": RSS and used_memory of `count` small hashes, sets, sorted sets and lists (each
 *   type alone, then all four together), loaded with `redis-cli --pipe` into a freshly started
 *   server per column and type (collections_dataset.ts);
 * - "throughput": `redis-benchmark -c 50 -r 100000` at -P 16 and -P 1 for HSET, SADD, ZADD,
 *   LPUSH, LRANGE_100, SPOP and ZPOPMIN (big collections: redis-benchmark's keys are fixed),
 *   the columns taking turns, the median of `runs`.
 * Tables go to stdout and, with the command and the machine, to `--out`.
 */

import { parseArgs } from "node:util";
import { configName, parseConfig, positiveInt, type SkuaConfig } from "./configs.ts";
import { startRedis, startSkua } from "../tests/helpers/server.ts";
import { type Column, fmtMarkdown, machine } from "./report.ts";
import {
  fixed,
  type Head,
  int,
  Invocations,
  mib,
  ratioRow,
  type Row,
  table,
} from "./keyspace_report.ts";
import { median, runBench } from "./redis_benchmark.ts";
import { call } from "./keyspace_wire.ts";
import { datasetFile, type DatasetResult, KINDS, loadDataset } from "./collections_dataset.ts";

const TESTS = [
  "HSET",
  "SADD",
  "ZADD",
  "LPUSH",
  "LRANGE_100 (first 100 elements)",
  "SPOP",
  "ZPOPMIN",
];
const WORKLOADS = [{ pipeline: 16, n: 300_000 }, { pipeline: 1, n: 100_000 }];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    configs: { type: "string", default: "uring:1" },
    only: { type: "string", default: "dataset,throughput" },
    count: { type: "string", default: "200000" },
    runs: { type: "string", default: "3" },
    out: { type: "string", default: new URL("./collections_results.md", import.meta.url).pathname },
  },
});
const configs = values.configs.split(",").filter((s) => s.trim() !== "").map(parseConfig);
const only = new Set(values.only.split(","));
const count = positiveInt(values.count, "--count");
const runs = positiveInt(values.runs, "--runs");

async function start(c: SkuaConfig | undefined): Promise<Column> {
  if (c === undefined) {
    return { label: "redis", redis: true, shards: 1, io: "epoll", server: await startRedis() };
  }
  const server = await startSkua({ shards: c.shards, args: ["--io", c.io], root: c.root });
  const m = /\(shards=(\d+), io=([\w-]+)\)/.exec(server.output());
  return {
    label: `skua ${configName(c)}`,
    redis: false,
    shards: m ? Number(m[1]) : c.shards,
    io: m?.[2] ?? c.io,
    server,
  };
}

const NAMES = { hash: "hashes", set: "sets", zset: "sorted sets", list: "lists" };

const specs: (SkuaConfig | undefined)[] = [...configs, undefined];

async function dataset(): Promise<string> {
  const out: string[] = [];
  for (const kind of KINDS) {
    const file = await datasetFile(kind, count);
    const heads: Head[] = [];
    const rs: DatasetResult[] = [];
    try {
      for (const s of specs) {
        const col = await start(s);
        try {
          heads.push(col);
          rs.push(await loadDataset(col, file));
          console.error(`${kind} ${col.label}: ${JSON.stringify(rs.at(-1))}`);
        } finally {
          await col.server.stop();
        }
      }
    } finally {
      await Deno.remove(file);
    }
    const rss = rs.map((r) => r.rssAfter - r.rssBefore);
    const used = rs.map((r) => r.usedAfter - r.usedBefore);
    const rows: (Row | null)[] = [
      ["keys", rs.map((r) => int(r.keys))],
      ["RSS growth (MiB)", rss.map(mib)],
      ["RSS per key (B)", rs.map((r, i) => int(rss[i] / r.keys))],
      ratioRow("RSS Skua/Redis", heads, rss),
      ["used_memory growth (MiB)", used.map(mib)],
      ratioRow("used_memory Skua/Redis", heads, used),
      ["load time (s)", rs.map((r) => fixed(r.loadSeconds, 1))],
    ];
    const what = kind === "mixed" ? "keys of each type" : NAMES[kind];
    out.push(table(`Dataset: ${int(count)} ${what}, 10 elements each`, heads, rows));
  }
  return out.join("\n\n");
}

async function throughput(inv: Invocations): Promise<string> {
  const cols: Column[] = [];
  try {
    for (const s of specs) cols.push(await start(s));
    const out: string[] = [];
    for (const w of WORKLOADS) {
      const rps = cols.map(() => TESTS.map(() => [] as number[]));
      for (let run = 0; run < runs; run++) {
        for (const [ci, c] of cols.entries()) {
          await call(c.server.port, "FLUSHALL");
          const args = [
            ...["-p", String(c.server.port), "-c", "50", "-P", String(w.pipeline)],
            ...["-r", "100000", "-n", String(w.n), "--csv"],
            ...["-t", "hset,sadd,zadd,lpush,lrange_100,spop,zpopmin"],
          ];
          inv.add(args, c.label);
          const r = await runBench(args);
          TESTS.forEach((t, ti) => rps[ci][ti].push(r.get(t)?.rps ?? NaN));
        }
      }
      const rows: (Row | null)[] = [];
      TESTS.forEach((t, ti) => {
        const m = cols.map((_, ci) => median(rps[ci][ti]));
        rows.push([`${t.split(" ")[0]} req/s`, m.map(int)]);
        rows.push(ratioRow(`${t.split(" ")[0]} Skua/Redis`, cols, m));
      });
      out.push(
        table(`redis-benchmark -c 50 -P ${w.pipeline} -r 100000 (median of ${runs})`, cols, rows),
      );
    }
    return out.join("\n\n");
  } finally {
    await Promise.all(cols.map((c) => c.server.stop()));
  }
}

const inv = new Invocations();
const sections: string[] = [];
if (only.has("dataset")) sections.push(await dataset());
if (only.has("throughput")) sections.push(await throughput(inv));
const tables = sections.join("\n\n");
console.log(tables);
const q = (a: string) => /^[\w.,:/=@+-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
const doc = [
  "# Collections: Skua vs Redis",
  "",
  tables,
  "",
  "## Command",
  "",
  `    ${["deno", "run", "-A", "bench/collections.ts", ...Deno.args.map(q)].join(" ")}`,
  "",
  "## redis-benchmark invocations",
  "",
  ...(inv.lines().length > 0 ? inv.lines() : ["(none)"]),
  "",
  "## Machine",
  "",
  ...(await machine()),
  "",
].join("\n");
await Deno.writeTextFile(values.out, await fmtMarkdown(doc));
