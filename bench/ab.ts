/**
 * `deno run -A bench/ab.ts --a uring:2@/path/to/other/checkout --b uring:2 [--workload "MGET 10 keys -P 16"] [--rounds 10]`
 *
 * Two servers side by side, A and B (each `io:shards[@checkout]` or `redis`), for a change too
 * small for separate runs to show: on a VM whose speed drifts by a quarter within minutes, two
 * runs a minute apart differ by more than most changes do. Both servers stay up, loaded alike
 * (the cross-shard benchmark's keys); each round runs one short redis-benchmark against each, in
 * alternating order, so the two samples of a round see the same machine. It reports every
 * round's rates and the median of the rounds' ratios B/A, with their range.
 *
 * The workloads are those of bench/cross_shard.ts, at a quarter of its request counts (and the
 * GETs read the keys of a SET run first, as there).
 */
import { parseArgs } from "node:util";
import { type ServerHandle, startRedis, startSkua } from "../tests/helpers/server.ts";
import { median } from "./redis_benchmark.ts";
import { configName, parseConfig, positiveInt } from "./configs.ts";
import { benchWithCpu, preload, type Workload, WORKLOADS } from "./cross_shard.ts";

async function start(spec: string): Promise<{ label: string; h: ServerHandle }> {
  if (spec === "redis") return { label: "redis", h: await startRedis() };
  const c = parseConfig(spec);
  const h = await startSkua({ shards: c.shards, args: ["--io", c.io], root: c.root });
  return { label: configName(c), h };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      a: { type: "string" },
      b: { type: "string" },
      workload: { type: "string", default: "MGET 10 keys -P 16" },
      rounds: { type: "string", default: "10" },
    },
  });
  if (values.a === undefined || values.b === undefined) {
    throw new Error("--a and --b: io:shards[@checkout] or redis");
  }
  const found = WORKLOADS.find((w) => w.name === values.workload);
  if (found === undefined) {
    throw new Error(`--workload: one of ${WORKLOADS.map((w) => `"${w.name}"`).join(", ")}`);
  }
  const w: Workload = { ...found, n: Math.ceil(found.n / 4) };
  const rounds = positiveInt(values.rounds, "--rounds");
  const servers = [await start(values.a), await start(values.b)];
  try {
    for (const s of servers) await preload(s.h.port, s.label);
    // the GETs read what a SET run wrote, as in bench/cross_shard.ts
    const writes = WORKLOADS.find((x) => x.name === "SET -r 1000000 -P 16")!;
    if (w.name.startsWith("GET")) { for (const s of servers) await benchWithCpu(s.h.port, writes); }
    // a warm-up each (JIT, buffers), not counted
    for (const s of servers) await benchWithCpu(s.h.port, w);
    const rates: number[][] = [[], []];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) rates[i].push((await benchWithCpu(servers[i].h.port, w)).rps);
    }
    const ratios = rates[1].map((b, r) => b / rates[0][r]);
    const k = (x: number) => `${(x / 1000).toFixed(0)}k`;
    console.log(`${w.name}, ${rounds} rounds, ${w.n} requests a run`);
    console.log(`A ${servers[0].label}: ${rates[0].map(k).join(" ")}`);
    console.log(`B ${servers[1].label}: ${rates[1].map(k).join(" ")}`);
    console.log(
      `B / A: median ${median(ratios).toFixed(3)} ` +
        `(${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
    );
  } finally {
    await Promise.all(servers.map((s) => s.h.stop()));
  }
}

if (import.meta.main) await main();
