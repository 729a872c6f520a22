/**
 * `deno run -A bench/keyspace.ts [--configs uring:1,uring:2] [--only throughput,memory,probe,
 *   bigvalues,idle] [--runs 3] [--seconds 3] [--keys 3000000] [--out bench/keyspace_results.md]`
 *
 * What users run on a real keyspace, Skua side by side with redis-server in one run:
 * throughput on a 1M-key keyspace, RSS per key, GET latency while the keyspace grows, 100 MiB
 * and 512 MiB values, and RSS per idle connection, each with Skua/Redis ratios. Every Skua
 * configuration (io engine:shards, optionally `@checkout` as in bench/run.ts) and one
 * redis-server make the columns; `--configs ""` runs the Redis column alone. "throughput" and
 * "probe" run on servers kept up together; "memory", "bigvalues" and "idle" measure RSS and
 * get a freshly started server per column, alone, so no allocator carries memory over from an
 * earlier scenario. Tables, the command, every redis-benchmark invocation and the machine go
 * to bench/keyspace_results.md; the tables also to stdout.
 */

import { parseArgs } from "node:util";
import { configName, parseConfig, positiveInt, type SkuaConfig } from "./configs.ts";
import { startRedis, startSkua } from "../tests/helpers/server.ts";
import { type Column, fmtMarkdown, idleCpu, machine, redisVersion } from "./report.ts";
import { type Head, Invocations } from "./keyspace_report.ts";
import {
  throughput,
  throughputMethod,
  throughputRuns,
  throughputTables,
} from "./keyspace_throughput.ts";
import {
  idleConnections,
  idleCount,
  idleMethod,
  idleShortfall,
  idleTable,
  memoryMethod,
  memoryPerKey,
  memoryTable,
} from "./keyspace_memory.ts";
import { probe, probeMethod, probeTable } from "./keyspace_probe.ts";
import { bigMethod, bigTable, bigValues } from "./keyspace_bigvalues.ts";
import { delay } from "./keyspace_wire.ts";
import { fdLimit } from "../tests/helpers/fds.ts";

const SCENARIOS = ["throughput", "memory", "probe", "bigvalues", "idle"] as const;
type Scenario = typeof SCENARIOS[number];

interface Options {
  configs: SkuaConfig[];
  only: Set<Scenario>;
  runs: number;
  seconds: number;
  keys: number;
  out: string;
}

function parseOnly(s: string): Set<Scenario> {
  const names = s.split(",").map((x) => x.trim()).filter((x) => x !== "");
  for (const n of names) {
    if (!(SCENARIOS as readonly string[]).includes(n)) {
      throw new Error(`--only: unknown scenario ${n} (known: ${SCENARIOS.join(",")})`);
    }
  }
  return new Set(names as Scenario[]);
}

function options(): Options {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      configs: { type: "string", default: "uring:1,uring:2" },
      only: { type: "string", default: SCENARIOS.join(",") },
      runs: { type: "string", default: "3" },
      seconds: { type: "string", default: "3" },
      keys: { type: "string", default: "3000000" },
      out: { type: "string", default: new URL("./keyspace_results.md", import.meta.url).pathname },
    },
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds: not a positive number: ${values.seconds}`);
  return {
    configs: values.configs.split(",").filter((s) => s.trim() !== "").map(parseConfig),
    only: parseOnly(values.only),
    runs: positiveInt(values.runs, "--runs"),
    seconds,
    keys: positiveInt(values.keys, "--keys"),
    out: values.out,
  };
}

/** The exact command line, quoted for a POSIX shell where needed. */
function commandLine(): string {
  const q = (a: string) => /^[\w.,:/=@+-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
  return ["deno", "run", "-A", "bench/keyspace.ts", ...Deno.args.map(q)].join(" ");
}

function effectiveFlags(o: Options): string {
  return [
    `--configs '${o.configs.map(configName).join(",")}'`,
    `--only ${SCENARIOS.filter((s) => o.only.has(s)).join(",")}`,
    `--runs ${o.runs} --seconds ${o.seconds} --keys ${o.keys}`,
  ].join(" ");
}

/** A column to start: a Skua configuration, or redis-server when `skua` is absent. */
interface Spec {
  label: string;
  skua?: SkuaConfig;
}

/** Starts the server of `spec`; Skua's shard count and io engine come from its ready line. */
async function start(spec: Spec): Promise<Column> {
  const c = spec.skua;
  if (c === undefined) {
    const server = await startRedis();
    return { label: spec.label, redis: true, shards: 1, io: "epoll", server };
  }
  const server = await startSkua({ shards: c.shards, args: ["--io", c.io], root: c.root });
  const m = /\(shards=(\d+), io=([\w-]+)\)/.exec(server.output());
  const col = {
    label: spec.label,
    redis: false,
    shards: m ? Number(m[1]) : c.shards,
    io: m?.[2] ?? c.io,
    server,
  };
  console.error(`${col.label}: port ${server.port}, shards=${col.shards}, io=${col.io}`);
  return col;
}

/** `e`, plus the last words of any server that has exited (a crash explains the failure). */
async function withExits(e: unknown, cols: Column[]): Promise<Error> {
  const notes: string[] = [];
  for (const c of cols) {
    const exited = await Promise.race([c.server.proc.status, delay(0).then(() => null)]);
    if (exited === null) continue;
    const tail = c.server.output().trimEnd().split("\n").slice(-15).join("\n");
    notes.push(`${c.label} exited with code ${exited.code}; its last output:\n${tail}`);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return notes.length === 0 ? err : new Error([String(err), ...notes].join("\n"));
}

/** Starts every column's server, runs `fn` with them all up, stops them all. */
async function withAll<T>(specs: Spec[], fn: (cols: Column[]) => Promise<T>): Promise<T> {
  const cols: Column[] = [];
  try {
    for (const s of specs) cols.push(await start(s));
    return await fn(cols);
  } catch (e) {
    throw await withExits(e, cols);
  } finally {
    await Promise.all(cols.map((c) => c.server.stop()));
  }
}

/** Runs `fn` on a freshly started server per column, one column at a time. */
async function eachFresh<T>(
  specs: Spec[],
  fn: (col: Column) => Promise<T>,
): Promise<{ heads: Head[]; results: T[] }> {
  const heads: Head[] = [];
  const results: T[] = [];
  for (const s of specs) {
    await withAll([s], async ([col]) => {
      heads.push(col);
      results.push(await fn(col));
    });
  }
  return { heads, results };
}

/** The machine's load averages: other work on it skews every number here. */
async function loadavg(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

/** What a run found: each scenario's tables (or its failure) and what goes around them. */
class Findings {
  readonly sections = new Map<Scenario, { body: string; method: string }>();
  readonly runs: string[] = [];
  readonly machine: string[] = [];
  failed = false;

  constructor(readonly o: Options) {}

  /** Runs scenario `what` if selected; a failure is reported in its place, not thrown. */
  async run(what: Scenario, method: string, fn: () => Promise<string>): Promise<void> {
    if (!this.o.only.has(what)) return;
    console.error(`== ${what}`);
    try {
      this.sections.set(what, { body: await fn(), method });
    } catch (e) {
      this.failed = true;
      console.error(`${what} failed:`, e);
      const body = `### ${what}: failed\n\n    ${String(e).replaceAll("\n", "\n    ")}`;
      this.sections.set(what, { body, method });
    }
  }

  /** The tables in the order of SCENARIOS. */
  tables(): string {
    return SCENARIOS.flatMap((s) => this.sections.get(s)?.body ?? []).join("\n\n");
  }

  document(inv: Invocations): string {
    const sections = SCENARIOS.flatMap((s) => {
      const x = this.sections.get(s);
      return x === undefined ? [] : [x.body, "", x.method, ""];
    });
    return [
      "# Skua vs Redis on a real keyspace",
      "",
      ...sections,
      "## Command",
      "",
      `    ${commandLine()}`,
      "",
      `Effective flags: \`${effectiveFlags(this.o)}\``,
      "",
      "## redis-benchmark invocations",
      "",
      ...(inv.lines().length > 0 ? inv.lines() : ["(none)"]),
      "",
      ...(this.runs.length > 0 ? ["## Throughput runs (requests/s, in run order)", ""] : []),
      ...this.runs,
      "",
      "## Machine",
      "",
      ...this.machine,
      "",
    ].join("\n");
  }
}

/** Throughput and probe, on servers that stay up together (the rotation needs them all). */
async function shared(o: Options, specs: Spec[], f: Findings, inv: Invocations): Promise<void> {
  const methods = { throughput: throughputMethod(o.runs, o.seconds), probe: probeMethod() };
  try {
    await withAll(specs, async (cols) => {
      const idle = await idleCpu(cols);
      const cpu = cols.map((c) => `${c.label} ${(idle.get(c.label) ?? NaN).toFixed(1)}%`);
      f.machine.push(`- idle CPU of each shared server over 1 s at the start: ${cpu.join(", ")}`);
      await f.run("throughput", methods.throughput, async () => {
        const results = await throughput(cols, o.runs, o.seconds, inv);
        f.runs.push(...throughputRuns(cols, results));
        return throughputTables(cols, results, o.runs);
      });
      await f.run("probe", methods.probe, async () => {
        const rs = [];
        for (const [i, c] of cols.entries()) {
          rs.push(await probe(c, inv, cols.length > 1 ? cols[(i + 1) % cols.length] : undefined));
        }
        return probeTable(cols, rs);
      });
    });
  } catch (e) {
    // a server did not start: the scenarios on the shared servers fail with its error
    for (const s of ["throughput", "probe"] as const) {
      if (!f.sections.has(s)) await f.run(s, methods[s], () => Promise.reject(e));
    }
  }
}

async function main(): Promise<void> {
  const o = options();
  const specs: Spec[] = [
    ...o.configs.map((skua) => ({ label: `Skua ${configName(skua)}`, skua })),
    { label: `Redis ${await redisVersion()}` },
  ];
  const loadStart = await loadavg();
  const limit = fdLimit();
  const inv = new Invocations();
  const f = new Findings(o);

  if (o.only.has("throughput") || o.only.has("probe")) await shared(o, specs, f, inv);
  await f.run("memory", memoryMethod(o.keys), async () => {
    const { heads, results } = await eachFresh(specs, (c) => memoryPerKey(c, o.keys, inv));
    return memoryTable(heads, results);
  });
  await f.run("bigvalues", bigMethod(), async () => {
    const { heads, results } = await eachFresh(specs, bigValues);
    return bigTable(heads, results);
  });
  await f.run("idle", idleMethod(limit), async () => {
    const n = idleCount(limit);
    if (n < 1) throw new Error(idleShortfall(limit) ?? "no connections");
    const { heads, results } = await eachFresh(specs, (c) => idleConnections(c, n));
    return idleTable(heads, results);
  });

  f.machine.unshift(
    ...(await machine()),
    `- fd limit (ulimit -n): ${limit}`,
    `- load average (1, 5, 15 min) at the start: ${loadStart}; at the end: ${await loadavg()}`,
  );
  console.log(await fmtMarkdown(f.tables()));
  await Deno.writeTextFile(o.out, await fmtMarkdown(f.document(inv)));
  console.error(`wrote ${o.out}`);
  if (f.failed) Deno.exitCode = 1;
}

if (import.meta.main) await main();
