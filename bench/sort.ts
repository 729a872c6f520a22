/**
 * SORT side by side with redis-server (1 Skua shard, the default io engine): a numeric and an
 * ALPHA sort of a 100k-element list, and sorts of a 10k-element list by weights read through
 * a BY pattern, with LIMIT and with a GET per element. One client, median of 3 runs.
 *
 *   deno run -A bench/sort.ts
 *
 * Prints a markdown table: requests per second and Skua/Redis.
 */
import { startRedis, startSkua } from "../tests/helpers/server.ts";
import { RespConn } from "../tests/helpers/resp.ts";
import { median, runBench } from "./redis_benchmark.ts";
import { rng } from "../tests/helpers/rng.ts";

const CASES: [string, number][] = [
  ["SORT big LIMIT 0 10", 40],
  ["SORT big ALPHA LIMIT 0 10", 20],
  ["SORT small BY w_* LIMIT 0 10", 300],
  ["SORT small BY w_* GET w_*", 150],
];

/** 100k random integers in `big`; 0..9999 in `small` with a random float weight w_<i> each. */
async function load(port: number): Promise<void> {
  const c = await RespConn.connect(port);
  const r = rng(1);
  try {
    const cmds: string[][] = [];
    for (let i = 0; i < 100; i++) {
      const batch = ["RPUSH", "big"];
      for (let j = 0; j < 1000; j++) batch.push(String(Math.floor(r() * 1e9)));
      cmds.push(batch);
    }
    for (let i = 0; i < 10_000; i++) {
      cmds.push(["RPUSH", "small", String(i)], ["SET", `w_${i}`, String(r())]);
    }
    await c.pipeline(cmds, 60_000);
  } finally {
    c.close();
  }
}

async function rps(port: number, cmd: string, n: number): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await runBench([
      "-p",
      String(port),
      "-c",
      "1",
      "-n",
      String(n),
      "--csv",
      ...cmd.split(" "),
    ]);
    runs.push([...res.values()][0].rps);
  }
  return median(runs);
}

const redis = await startRedis();
const skua = await startSkua({ shards: 1 });
try {
  await load(redis.port);
  await load(skua.port);
  console.log("| command (1 client; Skua 1 shard) | Redis req/s | Skua req/s | Skua/Redis |");
  console.log("|---|---:|---:|---:|");
  for (const [cmd, n] of CASES) {
    const a = await rps(redis.port, cmd, n), b = await rps(skua.port, cmd, n);
    console.log(`| \`${cmd}\` | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b / a).toFixed(2)} |`);
  }
} finally {
  await skua.stop();
  await redis.stop();
}
