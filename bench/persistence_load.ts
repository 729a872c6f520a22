/**
 * Section "load": how long each server takes to load the same dataset at startup. Each server
 * makes its own RDB file of N keys with SAVE; then each is started on a copy of a file, timed
 * from spawn until it answers PING, minus the same server's start on an empty directory. The
 * cross loads (Skua on redis-server's file, redis-server on Skua's) use the same files.
 */

import type { ServerHandle } from "../tests/helpers/server.ts";
import { median } from "./redis_benchmark.ts";
import { fixed, int, mib } from "./keyspace_report.ts";
import { bar } from "./persistence_bgsave.ts";
import {
  call,
  type Ctx,
  type Kind,
  KINDS,
  label,
  loadStrings,
  loggedLoadSeconds,
  makeDir,
  removeDir,
  startOn,
  stopQuietly,
} from "./persistence_env.ts";

interface Made {
  file: string;
  bytes: number;
  saveSeconds: number;
}

/** Loads the dataset into a fresh `kind` and SAVEs it to `dir`/dump.rdb. */
async function makeFile(ctx: Ctx, kind: Kind, dir: string): Promise<Made> {
  let h: ServerHandle | undefined;
  try {
    h = await startOn(ctx, kind, dir);
    ctx.log(`load: ${label(ctx, kind)}: loading ${ctx.keys} keys, SAVE`);
    await loadStrings(h.port, ctx.keys);
    const t0 = performance.now();
    await call(h.port, "SAVE");
    const saveSeconds = (performance.now() - t0) / 1000;
    const file = `${dir}/dump.rdb`;
    return { file, bytes: (await Deno.stat(file)).size, saveSeconds };
  } finally {
    await stopQuietly(h);
  }
}

interface Start {
  /** spawn until +PONG, s */
  seconds: number;
  /** what the server logged ("DB loaded from disk: X seconds"), s */
  logged: number;
}

/** Starts `kind` on a copy of `file` (or on an empty directory), `runs` times. */
async function starts(ctx: Ctx, kind: Kind, file: string | null, keys: number): Promise<Start[]> {
  const out: Start[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    let dir: string | undefined;
    let h: ServerHandle | undefined;
    try {
      dir = await makeDir(ctx, `start-${kind}`);
      if (file !== null) await Deno.copyFile(file, `${dir}/dump.rdb`);
      const t0 = performance.now();
      h = await startOn(ctx, kind, dir);
      const seconds = (performance.now() - t0) / 1000;
      const size = await call(h.port, "DBSIZE");
      if (size !== keys) throw new Error(`${label(ctx, kind)}: DBSIZE ${size}, expected ${keys}`);
      out.push({ seconds, logged: loggedLoadSeconds(h.output()) });
    } finally {
      await stopQuietly(h);
      await removeDir(dir);
    }
  }
  return out;
}

interface Row {
  name: string;
  server: Kind;
  file: Made;
  runs: Start[];
}

export async function loadSection(ctx: Ctx): Promise<string> {
  const dirs: string[] = [];
  try {
    const made = new Map<Kind, Made>();
    for (const kind of KINDS) {
      const dir = await makeDir(ctx, `file-${kind}`);
      dirs.push(dir);
      made.set(kind, await makeFile(ctx, kind, dir));
    }
    const base = new Map<Kind, number>();
    for (const kind of KINDS) {
      ctx.log(`load: ${label(ctx, kind)}: empty starts`);
      base.set(kind, median((await starts(ctx, kind, null, 0)).map((s) => s.seconds)));
    }
    const rows: Row[] = [];
    const plan: Array<[Kind, Kind]> = [["skua", "skua"], ["redis", "redis"], ["skua", "redis"], [
      "redis",
      "skua",
    ]];
    for (const [server, maker] of plan) {
      const name = `${label(ctx, server)} loads ${label(ctx, maker)}'s file`;
      ctx.log(`load: ${name}`);
      const file = made.get(maker)!;
      rows.push({ name, server, file, runs: await starts(ctx, server, file.file, ctx.keys) });
    }
    return report(ctx, made, base, rows);
  } finally {
    for (const d of dirs) await removeDir(d);
  }
}

function report(ctx: Ctx, made: Map<Kind, Made>, base: Map<Kind, number>, rows: Row[]): string {
  const load = (r: Row) => median(r.runs.map((s) => s.seconds)) - base.get(r.server)!;
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const out = [
    "## Startup load",
    "",
    `### Loading an RDB file of ${int(ctx.keys)} keys (16-byte keys, 32-byte values)`,
    "",
    line(["", "file MiB", "spawn to PONG s", "empty start s", "load s", "logged load s", "runs"]),
    line(["---", "---:", "---:", "---:", "---:", "---:", "---"]),
  ];
  for (const r of rows) {
    out.push(line([
      r.name,
      mib(r.file.bytes),
      fixed(median(r.runs.map((s) => s.seconds)), 3),
      fixed(base.get(r.server)!, 3),
      fixed(load(r), 3),
      fixed(median(r.runs.map((s) => s.logged)), 3),
      r.runs.map((s) => fixed(s.seconds, 2)).join(" / "),
    ]));
  }
  const skua = load(rows[0]), redis = load(rows[1]);
  const saves = KINDS.map((k) => `${label(ctx, k)} ${fixed(made.get(k)!.saveSeconds, 2)} s`);
  out.push(
    "",
    `SAVE of the dataset (foreground): ${saves.join(", ")}.`,
    "",
    "Each server made its own file: the dataset through `redis-cli --pipe` into a fresh " +
      "server, then SAVE. Every start is on a fresh directory holding a copy of the file " +
      "(`--dir <tmp>`, `dbfilename dump.rdb`); the time is from spawning the process until " +
      "it answers PING with +PONG (Skua prints its ready line only after its load; " +
      "redis-server answers -LOADING meanwhile; the redis-server helper polls every 50 ms), " +
      "median of " + `${ctx.runs}; load s is that minus the median start of the same server ` +
      'on an empty directory (process and runtime startup). "logged" is the server\'s own ' +
      "`DB loaded from disk: X seconds` line. DBSIZE is checked after every start.",
    "",
    bar(
      `Skua load time ≤ 1.5× redis-server's: ${fixed(skua, 3)} s vs ${fixed(redis, 3)} s ` +
        `(${fixed(skua / redis, 2)}×)`,
      skua <= 1.5 * redis,
    ),
  );
  return out.join("\n");
}
