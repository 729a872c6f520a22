/**
 * `deno run -A bench/cross_shard.ts [--runs 3] [--out bench/cross_shard_results.md]`
 *
 * What crossing shards costs, side by side with redis-server in one run: 10-key MGET and MSET
 * over 100,000 random keys (`-c 50`, `-P 1` and `-P 16`) and SET/GET over 1,000,000 keys at
 * `-P 16`, each server first loaded with the keys the MGETs read (about a million: a lookup of
 * a key that is not there never reaches a record, and hid most of what a read costs), against Skua with 1 and 2 shards (io_uring) and Redis. Runs go round the servers in
 * alternating order; the medians are reported, and the median of each run's own 2/1-shard
 * ratio. Each run also measures the CPU the server and redis-benchmark used per request (from
 * /proc), how long the server's threads ran and waited for a core (schedstat), and on 2 shards
 * the mesh counters of INFO shards (forwarded commands, transactions, parks, wake-ups).
 *
 * From those costs a scaling model predicts the throughput of N shards on N cores with the
 * client elsewhere (see `model()`), and checks itself against this machine: with the measured
 * CPU per request of server and client, the cores bound the rate at
 * min(shards / server, cores / (server + client)).
 */
import { parseArgs } from "node:util";
import { cli, type ServerHandle, startRedis, startSkua } from "../tests/helpers/server.ts";
import { median } from "./redis_benchmark.ts";
import { cpuSeconds, fmtMarkdown, machine, redisVersion } from "./report.ts";
import { positiveInt } from "./configs.ts";

export interface Workload {
  name: string;
  /** redis-benchmark arguments after -p/-n/--csv */
  args: string[];
  n: number;
  /** keys per request, for the model */
  keys: number;
}

const TEN = Array.from({ length: 10 }, (_, i) => `k${i}:__rand_int__`);
/** What loads the MGETs' keys: 4M writes of 3-byte values over their 1M names (98% of them). */
const PRELOAD = ["-c", "50", "-P", "16", "-r", "100000", "-n", "400000", "-q", "mset"]
  .concat(TEN.flatMap((key) => [key, "xxx"]));
export const WORKLOADS: Workload[] = [
  ...[1, 16].flatMap((p) => [
    {
      name: `MGET 10 keys -P ${p}`,
      args: ["-c", "50", "-P", String(p), "-r", "100000", "mget", ...TEN],
      // a run of at least a second or two at every rate seen (a short one gave ±30%)
      n: p === 1 ? 100_000 : 600_000,
      keys: 10,
    },
    {
      name: `MSET 10 keys -P ${p}`,
      args: ["-c", "50", "-P", String(p), "-r", "100000", "-t", "mset"],
      n: p === 1 ? 100_000 : 200_000,
      keys: 10,
    },
  ]),
  // SET first: the GETs read the keys it wrote
  {
    name: "SET -r 1000000 -P 16",
    args: ["-c", "50", "-P", "16", "-r", "1000000", "-t", "set"],
    n: 2_000_000,
    keys: 1,
  },
  {
    name: "GET -r 1000000 -P 16",
    args: ["-c", "50", "-P", "16", "-r", "1000000", "-t", "get"],
    n: 2_000_000,
    keys: 1,
  },
];

interface Server {
  label: string;
  shards: number;
  h: ServerHandle;
}

interface Sample {
  rps: number;
  /** CPU µs per request: the server (all its threads) and redis-benchmark */
  server: number;
  client: number;
  mesh: Map<string, number>;
  /**
   * The server's threads over the run, in % of one core: time running, and time runnable but
   * waiting for a core (summed over threads, from /proc/<pid>/task/<tid>/schedstat).
   */
  run: number;
  wait: number;
}

/** Nanoseconds the threads of `pid` ran and waited on a run queue, summed. */
async function schedTimes(pid: number): Promise<[number, number]> {
  let run = 0, wait = 0;
  try {
    for await (const t of Deno.readDir(`/proc/${pid}/task`)) {
      try {
        const [r, w] = (await Deno.readTextFile(`/proc/${pid}/task/${t.name}/schedstat`))
          .split(" ").map(Number);
        run += r;
        wait += w;
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // no /proc (not Linux)
  }
  return [run, wait];
}

/** redis-benchmark's CPU comes from the shell that waited for it (cutime + cstime). */
export async function benchWithCpu(
  port: number,
  w: Workload,
): Promise<{ rps: number; cpu: number }> {
  const args = ["-p", String(port), "-n", String(w.n), "--csv", ...w.args];
  const script = 'redis-benchmark "$@" >&2 || exit 1; cut -d" " -f16,17 /proc/$$/stat';
  const out = await new Deno.Command("sh", { args: ["-c", script, "sh", ...args] }).output();
  if (!out.success) throw new Error(`redis-benchmark ${args.join(" ")} failed`);
  const csv = new TextDecoder().decode(out.stderr);
  const rps = [...csv.matchAll(/^"[^"]+","([\d.]+)"/gm)].map((m) => Number(m[1]));
  const [u, s] = new TextDecoder().decode(out.stdout).trim().split(" ").map(Number);
  if (rps.length !== 1) throw new Error(`no rate from redis-benchmark: ${csv}`);
  return { rps: rps[0], cpu: (u + s) / 100 };
}

/** Load the ~1M keys the MGETs read into the server on `port`. */
export async function preload(port: number, label: string): Promise<void> {
  const args = ["-p", String(port), ...PRELOAD];
  const out = await new Deno.Command("redis-benchmark", { args, stdout: "null" }).output();
  if (!out.success) throw new Error(`preloading ${label} failed`);
  const keys = Number((await cli(port, "dbsize")).trim());
  console.error(`${label}: ${keys} keys loaded`);
  if (keys < 900_000) throw new Error(`${label} holds ${keys} keys after the preload`);
}

function meshCounters(info: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of info.split("\n")) {
    if (!line.startsWith("shard_")) continue;
    for (const kv of line.slice(line.indexOf(":") + 1).trim().split(",")) {
      const [k, v] = kv.split("=");
      if (["forwarded", "transactions", "lock_waits", "parks", "wakes"].includes(k)) {
        sums.set(k, (sums.get(k) ?? 0) + Number(v));
      }
    }
  }
  return sums;
}

async function sample(s: Server, w: Workload): Promise<Sample> {
  if (s.shards > 0) await cli(s.h.port, "config", "resetstat");
  const before = await cpuSeconds(s.h.proc.pid);
  const [run0, wait0] = await schedTimes(s.h.proc.pid);
  const t0 = performance.now();
  const r = await benchWithCpu(s.h.port, w);
  const ms = performance.now() - t0;
  const [run1, wait1] = await schedTimes(s.h.proc.pid);
  const after = await cpuSeconds(s.h.proc.pid);
  const mesh = s.shards > 1 ? meshCounters(await cli(s.h.port, "info", "shards")) : new Map();
  return {
    rps: r.rps,
    server: ((after ?? 0) - (before ?? 0)) / w.n * 1e6,
    client: r.cpu / w.n * 1e6,
    mesh,
    run: (run1 - run0) / 1e4 / ms,
    wait: (wait1 - wait0) / 1e4 / ms,
  };
}

/**
 * Shards other than the client's that a request's `keys` uniform random keys land on, out of n
 * (the expected value): (n-1)/n for one key, nearly 1 for ten keys on 2 shards.
 */
function remoteShards(n: number, keys: number): number {
  return (n - 1) * (1 - (1 - 1 / n) ** keys);
}

/**
 * The scaling model. Measured: s1, the server's CPU per request on 1 shard (all local), and
 * s2 on 2 shards. Every other shard a request touches adds the same cost d (a forwarded part:
 * encode, ring, decode, run, reply, fold; for a split command its lock too), so
 * s(N) = s1 + remoteShards(N) * d with d = (s2 - s1) / remoteShards(2). N shards on N cores,
 * the client elsewhere, keys uniform and no contention: throughput(N) = N / s(N).
 */
function model(s1: number, s2: number, keys: number, n: number): number {
  const d = (s2 - s1) / remoteShards(2, keys);
  return n / ((s1 + remoteShards(n, keys) * d) / 1e6);
}

const k = (x: number) => x >= 10_000 ? `${(x / 1000).toFixed(0)}k` : x.toFixed(0);

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "3" },
      out: {
        type: "string",
        default: new URL("./cross_shard_results.md", import.meta.url).pathname,
      },
    },
  });
  const runs = positiveInt(values.runs, "--runs");
  const servers: Server[] = [];
  try {
    for (const shards of [1, 2]) {
      const h = await startSkua({ shards, args: ["--io", "uring"] });
      servers.push({ label: `Skua ${shards} shard${shards > 1 ? "s" : ""}`, shards, h });
    }
    servers.push({ label: `Redis ${await redisVersion()}`, shards: 0, h: await startRedis() });
    for (const s of servers) await preload(s.h.port, s.label);
    const results: Sample[][][] = WORKLOADS.map(() => servers.map(() => []));
    for (const [wi, w] of WORKLOADS.entries()) {
      // a warm-up run each (JIT, buffers, the keyspace), not counted
      for (const s of servers) await benchWithCpu(s.h.port, { ...w, n: Math.ceil(w.n / 4) });
      for (let run = 0; run < runs; run++) {
        for (let j = 0; j < servers.length; j++) {
          const i = run % 2 === 0 ? j : servers.length - 1 - j;
          results[wi][i].push(await sample(servers[i], w));
        }
      }
      const line = servers.map((s, i) =>
        `${s.label} ${k(median(results[wi][i].map((x) => x.rps)))}`
      );
      console.error(`${w.name}: ${line.join(", ")}`);
    }
    const doc = report(servers, results, runs, await machine());
    console.log(doc);
    await Deno.writeTextFile(values.out, await fmtMarkdown(doc));
    console.error(`wrote ${values.out}`);
  } finally {
    await Promise.all(servers.map((s) => s.h.stop()));
  }
}

function report(servers: Server[], results: Sample[][][], runs: number, mach: string[]): string {
  const med = (xs: Sample[], f: (s: Sample) => number) => median(xs.map(f));
  const out: string[] = ["# Cross-shard benchmark", "", ...mach, ""];
  out.push(
    `Command: \`deno run -A bench/cross_shard.ts --runs ${runs}\`; median of ${runs} runs after a ` +
      "warm-up, io_uring, `-c 50`, every server loaded first with the ~1M keys the MGETs read " +
      "(10-key MSETs of 3-byte values). Requests/s; the ratio is 2 shards over 1 shard: of the " +
      "medians, and the median of each run's own ratio (its 1- and 2-shard samples ran one " +
      "after the other, so a machine whose speed drifts over minutes moves both alike).",
    "",
    `| workload | ${servers.map((s) => s.label).join(" | ")} | 2 / 1 shard | paired |`,
    `|---|${servers.map(() => "---|").join("")}---|---|`,
  );
  for (const [wi, w] of WORKLOADS.entries()) {
    const r = servers.map((_, i) => med(results[wi][i], (s) => s.rps));
    const paired = median(results[wi][1].map((s, run) => s.rps / results[wi][0][run].rps));
    out.push(
      `| ${w.name} | ${r.map(k).join(" | ")} | ${(r[1] / r[0]).toFixed(2)}× | ` +
        `${paired.toFixed(2)}× |`,
    );
  }
  out.push(
    "",
    "## Costs per request and the mesh (2 shards)",
    "",
    "CPU µs per request (server: every thread, GC included, the shards' idle turns too; client: " +
      "redis-benchmark). Run / wait: the server's threads running, and runnable but waiting for " +
      "a core, in % of one core (Skua's shards spin a few turns before they sleep: on 2 cores, a " +
      "wait beside a run near 100% per core says the cores, client included, are the bound). " +
      "Parks are the shards' sleeps in the kernel and wakes the eventfd writes that end them, per " +
      "100 forwarded commands.",
    "",
    "| workload | server 1 shard | server 2 shards | client | run / wait 1 shard | run / wait 2 shards | forwarded per request | parks per 100 fwd | wakes per 100 fwd |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  const rw = (xs: Sample[]) =>
    `${med(xs, (s) => s.run).toFixed(0)}% / ${med(xs, (s) => s.wait).toFixed(0)}%`;
  for (const [wi, w] of WORKLOADS.entries()) {
    const r2 = results[wi][1];
    const fwd = med(r2, (s) => s.mesh.get("forwarded") ?? 0);
    const per = (key: string) => (100 * med(r2, (s) => s.mesh.get(key) ?? 0) / fwd).toFixed(1);
    out.push(
      `| ${w.name} | ${med(results[wi][0], (s) => s.server).toFixed(1)} | ` +
        `${med(r2, (s) => s.server).toFixed(1)} | ${med(r2, (s) => s.client).toFixed(1)} | ` +
        `${rw(results[wi][0])} | ${rw(r2)} | ` +
        `${(fwd / w.n).toFixed(2)} | ${per("parks")} | ${per("wakes")} |`,
    );
  }
  const cores = navigator.hardwareConcurrency;
  out.push(
    "",
    "## Scaling model",
    "",
    "s(N) = s1 + (other shards touched) · d, throughput(N) = N / s(N): N shards on N cores, the " +
      "client on other machines, uniform keys, no contention (`model()` in bench/cross_shard.ts). " +
      `The check: on this machine (${cores} cores, client included) the cores bound the rate at ` +
      "min(shards / server, cores / (server + client)) with the measured CPU per request (at " +
      "`-P 1` the round trips between the threads bound it too).",
    "",
    "| workload | predicted here 1 shard | measured | predicted here 2 shards | measured | model 4 cores | 16 cores | 64 cores |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const [wi, w] of WORKLOADS.entries()) {
    const [a, b] = [results[wi][0], results[wi][1]];
    const s1 = med(a, (s) => s.server), s2 = med(b, (s) => s.server);
    const here = (xs: Sample[], shards: number) => {
      const srv = med(xs, (s) => s.server) / 1e6, cl = med(xs, (s) => s.client) / 1e6;
      return Math.min(shards / srv, cores / (srv + cl));
    };
    out.push(
      `| ${w.name} | ${k(here(a, 1))} | ${k(med(a, (s) => s.rps))} | ${k(here(b, 2))} | ` +
        `${k(med(b, (s) => s.rps))} | ${
          [4, 16, 64].map((n) => k(model(s1, s2, w.keys, n))).join(" | ")
        } |`,
    );
  }
  return out.join("\n") + "\n";
}

if (import.meta.main) await main();
