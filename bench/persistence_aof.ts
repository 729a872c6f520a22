/**
 * Section "aof": SET throughput with the append-only file on, `appendfsync always` (the issue's
 * bar: side by side with redis-server) and `everysec`, and with no AOF for reference. Each
 * mode starts both servers on fresh directories; runs alternate between them (A B B A ...)
 * and the medians are reported.
 */

import type { ServerHandle } from "../tests/helpers/server.ts";
import { median, runBench } from "./redis_benchmark.ts";
import { fixed, int } from "./keyspace_report.ts";
import {
  type Ctx,
  fsType,
  KINDS,
  label,
  makeDir,
  removeDir,
  startOn,
  stopQuietly,
} from "./persistence_env.ts";

const MODES: Array<{ name: string; flags: string[] }> = [
  { name: "appendfsync always", flags: ["--appendonly", "yes", "--appendfsync", "always"] },
  { name: "appendfsync everysec", flags: ["--appendonly", "yes", "--appendfsync", "everysec"] },
  { name: "no AOF (reference)", flags: ["--appendonly", "no"] },
];

export const AOF_ARGS = [
  ...["-c", "50", "-P", "16", "-t", "set", "-r", "1000000", "-n", "1000000", "--csv"],
];

export async function aofSection(ctx: Ctx): Promise<string> {
  const rates: number[][][] = []; // [mode][kind][run]
  let fs = "unknown";
  for (const mode of MODES) {
    const dirs: string[] = [];
    const servers: ServerHandle[] = [];
    try {
      for (const kind of KINDS) {
        const dir = await makeDir(ctx, `aof-${kind}`);
        dirs.push(dir);
        servers.push(await startOn(ctx, kind, dir, mode.flags));
      }
      fs = await fsType(dirs[0]);
      const got: number[][] = KINDS.map(() => []);
      for (let run = 0; run < ctx.runs; run++) {
        for (let j = 0; j < KINDS.length; j++) {
          const i = run % 2 === 0 ? j : KINDS.length - 1 - j;
          const r = await runBench(["-p", String(servers[i].port), ...AOF_ARGS]);
          got[i].push(r.get("SET")?.rps ?? NaN);
        }
      }
      ctx.log(
        `aof: ${mode.name}: ${
          KINDS.map((k, i) => `${label(ctx, k)} ${got[i].map(int).join(" / ")}`).join(", ")
        }`,
      );
      rates.push(got);
    } finally {
      for (const s of servers) await stopQuietly(s);
      for (const d of dirs) await removeDir(d);
    }
  }
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const out = [
    "## Append-only file",
    "",
    `### SET requests/s, \`redis-benchmark ${AOF_ARGS.join(" ")}\`, median of ${ctx.runs}`,
    "",
    line(["", ...KINDS.map((k) => label(ctx, k)), "Skua/Redis", "runs"]),
    line(["---", ...KINDS.map(() => "---:"), "---:", "---"]),
  ];
  MODES.forEach((mode, m) => {
    const med = rates[m].map((xs) => median(xs));
    out.push(line([
      mode.name,
      ...med.map(int),
      fixed(med[0] / med[1], 2),
      rates[m].map((xs, i) => `${label(ctx, KINDS[i])}: ${xs.map(int).join(" / ")}`).join("; "),
    ]));
  });
  out.push(
    "",
    "Both servers up together per mode, each on a fresh data directory (`--dir <tmp> " +
      "--appendonly yes --appendfsync <mode>`; Redis's multi-part AOF layout in both), runs " +
      `alternating between them. The data directories are on ${fs}; fsync costs what this ` +
      "disk and its cache make it cost, so the ratio is the number to read.",
  );
  return out.join("\n");
}
