/**
 * Section "bgsave": BGSAVE of N keys while a write load runs. Each server in turn gets the
 * dataset, then redis-benchmark SET over the same N keys in the background and the latency
 * probe on a connection of its own; after a warm-up, BGSAVE, and INFO persistence is polled
 * until rdb_bgsave_in_progress is 0. Measured: the save's time, the probe during the save (and
 * before it, under the same load), and RSS every 20 ms — for redis-server the fork child too.
 */

import type { ServerHandle } from "../tests/helpers/server.ts";
import { fixed, int, mib, ms, ratioRow, table } from "./keyspace_report.ts";
import { delay } from "./keyspace_wire.ts";
import {
  BackgroundLoad,
  call,
  type Ctx,
  heads,
  InfoPoller,
  type Kind,
  KINDS,
  label,
  loadStrings,
  makeDir,
  MemSampler,
  percentile,
  Prober,
  removeDir,
  rss,
  startOn,
  stopQuietly,
} from "./persistence_env.ts";

const WARMUP_MS = 2000;
const POLL_MS = 10;

interface BgsaveResult {
  loadSeconds: number;
  saveSeconds: number;
  during: number[];
  before: number[];
  setsPerSec: number;
  rssIdle: number;
  rssBefore: number;
  peakParent: number;
  /** process + fork child, VmRSS summed (pages they share are counted twice) */
  peakSum: number;
  peakChildDirty: number;
  /** process + the child's Private_Dirty (the memory the fork really added) */
  peakParentDirty: number;
  cowInfo: number;
  fileBytes: number;
}

function loadArgs(port: number, keys: number): string[] {
  return [
    ...["-p", String(port), "-c", "50", "-P", "16", "-t", "set"],
    ...["-r", String(keys), "-d", "32", "-n", "2000000000"],
  ];
}

async function measure(ctx: Ctx, kind: Kind): Promise<BgsaveResult> {
  let dir: string | undefined;
  let h: ServerHandle | undefined;
  try {
    dir = await makeDir(ctx, `bgsave-${kind}`);
    h = await startOn(ctx, kind, dir);
    ctx.log(`bgsave: ${label(ctx, kind)}: loading ${ctx.keys} keys`);
    const loadSeconds = await loadStrings(h.port, ctx.keys);
    await delay(1000);
    const rssIdle = await rss(h.proc.pid);
    return { loadSeconds, rssIdle, ...await saveUnderLoad(ctx, kind, h, dir) };
  } finally {
    await stopQuietly(h);
    await removeDir(dir);
  }
}

async function saveUnderLoad(ctx: Ctx, kind: Kind, h: ServerHandle, dir: string) {
  const sampler = new MemSampler(h.proc.pid);
  const info = await InfoPoller.open(h.port);
  let prober: Prober | undefined;
  let load: BackgroundLoad | undefined;
  try {
    prober = await Prober.start(h.port);
    load = BackgroundLoad.start(loadArgs(h.port, ctx.keys));
    const warm = performance.now() + 500;
    await delay(WARMUP_MS);
    const cmds0 = Number((await info.get("stats")).get("total_commands_processed"));
    const rssBefore = await rss(h.proc.pid);
    sampler.children = kind === "redis";
    ctx.log(`bgsave: ${label(ctx, kind)}: BGSAVE under load`);
    const t0 = performance.now();
    const reply = await call(h.port, "BGSAVE");
    if (typeof reply !== "string" || !reply.startsWith("Background saving started")) {
      throw new Error(`BGSAVE replied ${String(reply)}`);
    }
    let p = await info.get("persistence");
    const deadline = t0 + 900_000;
    while (p.get("rdb_bgsave_in_progress") !== "0") {
      if (performance.now() > deadline) throw new Error("BGSAVE still running after 15 min");
      await delay(POLL_MS);
      p = await info.get("persistence");
    }
    const t1 = performance.now();
    const cmds1 = Number((await info.get("stats")).get("total_commands_processed"));
    if (p.get("rdb_last_bgsave_status") !== "ok") {
      throw new Error(`BGSAVE failed: ${h.output().slice(-2000)}`);
    }
    await load.stop();
    await prober.stop();
    await sampler.stop();
    const mem = sampler.between(t0, t1 + 50);
    const dirty = mem.map((s) => s.childDirty).filter((x) => Number.isFinite(x));
    let peakParentDirty = 0;
    let lastDirty = 0;
    for (const s of mem) {
      if (Number.isFinite(s.childDirty)) lastDirty = s.childDirty;
      if (s.child === 0) lastDirty = 0;
      peakParentDirty = Math.max(peakParentDirty, s.parent + lastDirty);
    }
    const file = await Deno.stat(`${dir}/dump.rdb`);
    return {
      saveSeconds: (t1 - t0) / 1000,
      during: prober.between(t0, t1),
      before: prober.between(warm, t0),
      setsPerSec: (cmds1 - cmds0) / ((t1 - t0) / 1000),
      rssBefore,
      peakParent: Math.max(rssBefore, ...mem.map((s) => s.parent)),
      peakSum: Math.max(rssBefore, ...mem.map((s) => s.parent + s.child)),
      peakChildDirty: Math.max(0, ...dirty),
      peakParentDirty: Math.max(rssBefore, peakParentDirty),
      cowInfo: Number(p.get("rdb_last_cow_size") ?? NaN),
      fileBytes: file.size,
    };
  } finally {
    await load?.stop();
    await prober?.stop().catch(() => {});
    await sampler.stop();
    info.close();
  }
}

const pct = (x: number) => `${fixed(x * 100, 1)}%`;

export async function bgsaveSection(ctx: Ctx): Promise<string> {
  const rs: BgsaveResult[] = [];
  for (const kind of KINDS) rs.push(await measure(ctx, kind));
  const hs = heads(ctx);
  const at = (xs: number[][], p: number) => xs.map((l) => percentile(l, p));
  const during = rs.map((r) => r.during);
  const growth = rs.map((r) => r.peakSum / r.rssBefore - 1);
  const growthDirty = rs.map((r) => r.peakParentDirty / r.rssBefore - 1);
  const doc = [
    "## BGSAVE under a write load",
    "",
    table(`BGSAVE of ${int(ctx.keys)} keys (16-byte keys, 32-byte values) under SET load`, hs, [
      ["dataset load (redis-cli --pipe) s", rs.map((r) => fixed(r.loadSeconds, 1))],
      ["BGSAVE s", rs.map((r) => fixed(r.saveSeconds, 2))],
      ratioRow("BGSAVE time Skua/Redis", hs, rs.map((r) => r.saveSeconds)),
      ["RDB file MiB", rs.map((r) => mib(r.fileBytes))],
      ["SET/s during the save", rs.map((r) => int(r.setsPerSec))],
      ["probes during the save", rs.map((r) => int(r.during.length))],
      ["probe p50 ms, during", at(during, 50).map(ms)],
      ["probe p99 ms, during", at(during, 99).map(ms)],
      ["probe p99.9 ms, during", at(during, 99.9).map(ms)],
      ["probe max ms, during", rs.map((r) => ms(r.during.at(-1) ?? NaN))],
      [
        "probe p99 / p99.9 ms, load before the save",
        rs.map((r) => `${ms(percentile(r.before, 99))} / ${ms(percentile(r.before, 99.9))}`),
      ],
      ["RSS idle after the dataset load MiB", rs.map((r) => mib(r.rssIdle))],
      ["RSS at BGSAVE (under load) MiB", rs.map((r) => mib(r.rssBefore))],
      ["peak RSS of the server process MiB", rs.map((r) => mib(r.peakParent))],
      ["peak RSS, process + fork child (VmRSS sum) MiB", rs.map((r) => mib(r.peakSum))],
      [
        "peak Private_Dirty of the fork child MiB",
        rs.map((r) => r.peakChildDirty > 0 ? mib(r.peakChildDirty) : "-"),
      ],
      ["peak RSS, process + child Private_Dirty MiB", rs.map((r) => mib(r.peakParentDirty))],
      ["RSS growth (VmRSS sum)", growth.map(pct)],
      ["RSS growth (process + child Private_Dirty)", growthDirty.map(pct)],
      ["INFO rdb_last_cow_size MiB", rs.map((r) => mib(r.cowInfo))],
    ]),
    "",
    "Each server alone (the other not running): the dataset through `redis-cli --pipe` (`SET " +
    "key:<12 digits> <32 random letters>`, the keys `redis-benchmark -r N` draws from), 1 s " +
    "idle, then `redis-benchmark -c 50 -P 16 -t set -r N -d 32` in the background (it " +
    "overwrites the same keys, so the dataset keeps its size) and the latency probe (inline " +
    "`GET probe` every 2 ms on a connection of its own, round trip seen by the driver). After " +
    `${WARMUP_MS / 1000} s, BGSAVE; INFO persistence is polled every ${POLL_MS} ms until ` +
    "`rdb_bgsave_in_progress:0`. The save time is from the BGSAVE request to that poll. RSS " +
    "(VmRSS) is sampled every 20 ms; for redis-server also its fork child, found in /proc, " +
    "with the child's Private_Dirty from smaps_rollup every 100 ms. The VmRSS sum counts the " +
    "pages parent and child share twice; process + child Private_Dirty is the memory the fork " +
    "added (copy-on-write). Growth is over the RSS at BGSAVE. Driver, load and server share " +
    `the machine's ${navigator.hardwareConcurrency} cores.`,
    "",
    bar(
      `Skua probe p99.9 during the save ≤ 10 ms: ${ms(percentile(rs[0].during, 99.9))} ms`,
      percentile(rs[0].during, 99.9) <= 10,
    ),
    bar(`Skua RSS growth ≤ 20%: ${pct(growth[0])}`, growth[0] <= 0.2),
  ];
  return doc.join("\n");
}

export function bar(text: string, ok: boolean): string {
  return `- bar: ${text} — **${ok ? "met" : "NOT met"}**`;
}
