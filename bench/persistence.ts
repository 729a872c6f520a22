/**
 * `deno run -A bench/persistence.ts [--keys 3000000] [--shards 1] [--runs 3]
 *   [--roundtrip-keys 1000000] [--only bgsave|load|aof|roundtrip] [--tmp DIR]
 *   [--out bench/persistence_results.md]`
 *
 * Persistence side by side with redis-server in one run (issue 15's bars), Skua on io_uring:
 * - bgsave: BGSAVE of --keys keys under a SET load: save time, the latency probe during the
 *   save, RSS growth (redis-server's fork child counted);
 * - load: startup load of the same dataset from each server's own RDB file, and across;
 * - aof: SET throughput with `appendfsync always` and `everysec`;
 * - roundtrip: --roundtrip-keys keys of every type, redis-server → Skua → redis-server, every
 *   key compared.
 * Prints a markdown report and writes it to --out. Each section starts and stops its own
 * servers (one at a time where a measurement needs a quiet machine) on temporary data
 * directories, which are removed afterwards.
 */
import { parseArgs } from "node:util";
import { fmtMarkdown, machine, redisVersion } from "./report.ts";
import { positiveInt } from "./configs.ts";
import type { Ctx } from "./persistence_env.ts";
import { bgsaveSection } from "./persistence_bgsave.ts";
import { loadSection } from "./persistence_load.ts";
import { aofSection } from "./persistence_aof.ts";
import { roundtripSection } from "./persistence_roundtrip.ts";

const SECTIONS: Record<string, (ctx: Ctx) => Promise<string>> = {
  bgsave: bgsaveSection,
  load: loadSection,
  aof: aofSection,
  roundtrip: roundtripSection,
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      keys: { type: "string", default: "3000000" },
      shards: { type: "string", default: "1" },
      runs: { type: "string", default: "3" },
      "roundtrip-keys": { type: "string", default: "1000000" },
      only: { type: "string" },
      tmp: { type: "string" },
      out: {
        type: "string",
        default: new URL("./persistence_results.md", import.meta.url).pathname,
      },
    },
  });
  const only = values.only;
  if (only !== undefined && !(only in SECTIONS)) {
    throw new Error(`--only: one of ${Object.keys(SECTIONS).join(", ")}, got ${only}`);
  }
  const ctx: Ctx = {
    keys: positiveInt(values.keys, "--keys"),
    shards: positiveInt(values.shards, "--shards"),
    runs: positiveInt(values.runs, "--runs"),
    roundtripKeys: positiveInt(values["roundtrip-keys"], "--roundtrip-keys"),
    tmp: values.tmp ?? Deno.env.get("TMPDIR") ?? "/tmp",
    redisLabel: `Redis ${await redisVersion()}`,
    log: (line) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
  };
  const t0 = performance.now();
  const parts: string[] = [];
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (only !== undefined && only !== name) continue;
    try {
      parts.push(await run(ctx));
    } catch (e) {
      // the other sections still run and the report says what failed
      ctx.log(`${name} failed: ${(e as Error).stack}`);
      parts.push(`## ${name}\n\nFAILED: \`${String((e as Error).message).split("\n")[0]}\``);
      Deno.exitCode = 1;
    }
  }
  const command = ["deno run -A bench/persistence.ts", ...Deno.args].join(" ");
  const doc = [
    "# Persistence: Skua vs redis-server",
    "",
    `Command: \`${command}\` (${((performance.now() - t0) / 60_000).toFixed(1)} min)`,
    "",
    ...await machine(),
    "",
    parts.join("\n\n"),
    "",
  ].join("\n");
  const text = await fmtMarkdown(doc);
  console.log(text);
  await Deno.writeTextFile(values.out, text);
  console.error(`wrote ${values.out}`);
}

if (import.meta.main) await main();
