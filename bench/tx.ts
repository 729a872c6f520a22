/**
 * `deno run -A bench/tx.ts [--runs 3] [--seconds 3] [--tx-seconds 4] [--connections 50]
 *   [--before fa43ec2] [--out bench/tx_results.md]`
 *
 * Benchmarks Skua's cross-shard transactions against redis-server, and the single-shard fast
 * path against the commit before the transaction work:
 *
 * 1. MSET and MGET of 10 keys spread over the shards (redis-benchmark with the command after
 *    its options), Skua --shards 2 and 3 and redis-server.
 * 2. MULTI, INCR x4, EXEC with the 4 counters spread over the shards (bench/tx_load.ts), same
 *    servers.
 * 3. SET/GET with redis-benchmark -c 50 -P 1 and -P 16 on 1 shard: a git worktree of the
 *    `--before` commit against the current tree.
 *
 * Runs go round the servers (A B C A B C ...) so drift in the machine's speed hits all alike;
 * each cell is the median of the runs. Prints the tables and writes them, with every command
 * and the machine, to bench/tx_results.md.
 */

import { parseArgs } from "node:util";
import {
  cli,
  freePort,
  REPO_ROOT,
  type ServerHandle,
  startRedis,
  startSkua,
} from "../tests/helpers/server.ts";
import { spreadKeys } from "../tests/helpers/keys.ts";
import { keySlotStr } from "../src/util/crc16.ts";
import { benchArgs, probeRequests, runBench, type RunResult, sizeN } from "./redis_benchmark.ts";
import { fmtMarkdown, idleCpu, machine, redisVersion } from "./report.ts";
import { runTxLoad, type TxLoadResult } from "./tx_load.ts";
import { addWorktree, CpuMeter, git, readyInfo, removeWorktree, startSkuaAt } from "./tx_env.ts";
import {
  type CommandResult,
  type Options,
  type PathResult,
  report,
  type Server,
  type TxResult,
} from "./tx_report.ts";

const BEFORE_DIR = "/tmp/skua-before";
const SLOTS = 16384;
/** -n of the warm-up run before each cross-shard command (~1 s at Skua's rate). */
const MULTI_KEY_PROBE = 10_000;

function positive(s: string, what: string, int = true): number {
  const n = Number(s);
  if (!(n > 0) || (int && !Number.isInteger(n))) throw new Error(`${what}: bad value ${s}`);
  return n;
}

function options(): Options {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "3" },
      seconds: { type: "string", default: "3" },
      "tx-seconds": { type: "string", default: "4" },
      connections: { type: "string", default: "50" },
      before: { type: "string", default: "fa43ec2" },
      out: { type: "string", default: new URL("./tx_results.md", import.meta.url).pathname },
    },
  });
  return {
    runs: positive(values.runs, "--runs"),
    seconds: positive(values.seconds, "--seconds", false),
    txSeconds: positive(values["tx-seconds"], "--tx-seconds", false),
    connections: positive(values.connections, "--connections"),
    before: values.before,
    out: values.out,
  };
}

/** The shard that owns `key` in a Skua with `n` shards (equal contiguous slot ranges). */
function shardOf(key: string, n: number): number {
  const slot = keySlotStr(key);
  let s = n - 1;
  while (Math.floor((s * SLOTS) / n) > slot) s--;
  return s;
}

/** `count` keys over `shards` shards; throws unless they really cover every shard. */
function keysFor(prefix: string, count: number, shards: number): string[] {
  const keys = spreadKeys(prefix, count, shards);
  const owners = new Set(keys.map((k) => shardOf(k, shards)));
  if (owners.size !== Math.min(shards, count)) {
    throw new Error(`keys ${keys.join(" ")} cover ${owners.size} of ${shards} shards`);
  }
  return keys;
}

function server(label: string, handle: ServerHandle, redis: boolean, shards: number): Server {
  const info = redis ? { shards: 1, io: "epoll" } : readyInfo(handle.output());
  const n = info?.shards ?? shards;
  // Redis gets the 3-shard key names: any names do there, and these match one Skua column.
  const spread = redis ? 3 : n;
  return {
    label,
    handle,
    redis,
    shards: n,
    io: info?.io ?? "?",
    keys10: keysFor("mk:", 10, spread),
    keys4: keysFor("ctr:", 4, spread),
  };
}

/** redis-benchmark's arguments for `cmd` (its words after the options). */
function commandArgs(port: number, clients: number, n: number, cmd: string[]): string[] {
  return ["-p", String(port), "-c", String(clients), "-n", String(n), "--csv", ...cmd];
}

/** The requests/s of the one test of an arbitrary-command run. */
function onlyRps(r: RunResult): number {
  return [...r.values()][0].rps;
}

/** MSET then MGET once through redis-cli: the commands must succeed before they are timed. */
async function checkMultiKey(s: Server): Promise<void> {
  const set = (await cli(s.handle.port, "MSET", ...s.keys10.flatMap((k) => [k, "v"]))).trim();
  const got = (await cli(s.handle.port, "MGET", ...s.keys10)).trim().split("\n");
  if (set !== "OK" || got.length !== 10 || got.some((v) => v !== "v")) {
    throw new Error(`${s.label}: MSET/MGET check failed: ${set} / ${got.join(" ")}`);
  }
}

async function multiKey(o: Options, servers: Server[]): Promise<CommandResult[]> {
  for (const s of servers) await checkMultiKey(s);
  const out: CommandResult[] = [];
  for (const name of ["MSET", "MGET"]) {
    const cmd = (s: Server) =>
      name === "MSET" ? ["MSET", ...s.keys10.flatMap((k) => [k, "v"])] : ["MGET", ...s.keys10];
    // -n per server: their rates differ ~10x, and a run should take about --seconds on each.
    const ns: number[] = [];
    for (const s of servers) {
      const probe = await runBench(commandArgs(s.handle.port, 50, MULTI_KEY_PROBE, cmd(s)));
      ns.push(sizeN([probe], o.seconds));
    }
    const invocations = servers.map((s, i) => commandArgs(s.handle.port, 50, ns[i], cmd(s)));
    const rps: number[][] = servers.map(() => []);
    for (let run = 0; run < o.runs; run++) {
      for (let i = 0; i < servers.length; i++) {
        rps[i].push(onlyRps(await runBench(invocations[i])));
        console.error(`  ${name} run ${run + 1}/${o.runs} ${servers[i].label}: ${rps[i].at(-1)}`);
      }
    }
    out.push({ name, probe: MULTI_KEY_PROBE, invocations, rps });
  }
  return out;
}

async function transactions(o: Options, servers: Server[]): Promise<TxResult> {
  const runs: TxLoadResult[][] = servers.map(() => []);
  for (let run = 0; run < o.runs; run++) {
    for (let i = 0; i < servers.length; i++) {
      const r = await runTxLoad({
        port: servers[i].handle.port,
        keys: servers[i].keys4,
        connections: o.connections,
        seconds: o.txSeconds,
        warmupSeconds: 1,
      });
      runs[i].push(r);
      console.error(
        `  MULTI/EXEC run ${run + 1}/${o.runs} ${servers[i].label}: ` +
          `${Math.round(r.blocksPerSec)} blocks/s` +
          (r.badBlocks > 0 ? `, ${r.badBlocks} BAD (${JSON.stringify(r.firstBad)})` : ""),
      );
    }
  }
  return { runs };
}

async function fastPath(o: Options, servers: Server[]): Promise<PathResult[]> {
  const out: PathResult[] = [];
  for (const pipeline of [1, 16]) {
    const w = { clients: 50, pipeline };
    const probe = probeRequests(w);
    const probes: RunResult[] = [];
    for (const s of servers) {
      probes.push(await runBench(benchArgs(s.handle.port, "set,get", w, probe)));
    }
    // --seconds is per test; a run has two (SET, GET).
    const n = sizeN(probes, o.seconds * 2);
    const invocations = servers.map((s) => benchArgs(s.handle.port, "set,get", w, n));
    const runs: RunResult[][] = servers.map(() => []);
    for (let run = 0; run < o.runs; run++) {
      for (let i = 0; i < servers.length; i++) {
        runs[i].push(await runBench(invocations[i]));
        const r = runs[i].at(-1)!;
        console.error(
          `  -P ${pipeline} run ${run + 1}/${o.runs} ${servers[i].label}: ` +
            [...r].map(([t, v]) => `${t} ${v.rps}`).join(", "),
        );
      }
    }
    out.push({ workload: w, n, probe, invocations, runs });
  }
  return out;
}

/** The exact command line, quoted for a POSIX shell where needed. */
function commandLine(): string {
  const q = (a: string) => /^[\w.,:/=@+-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
  return ["deno", "run", "-A", "bench/tx.ts", ...Deno.args.map(q)].join(" ");
}

async function stopAll(handles: ServerHandle[]): Promise<void> {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
}

async function main(): Promise<void> {
  const o = options();
  if (Deno.env.get("SKUA_TEST_IO")) {
    // startSkua would pass it on to the current tree only; both versions run the default.
    console.error("ignoring SKUA_TEST_IO: the benchmark runs Skua's default io engine");
    Deno.env.delete("SKUA_TEST_IO");
  }
  const started = performance.now();
  const handles: ServerHandle[] = [];
  const pids = () => handles.map((h) => h.proc.pid);
  const meter = new CpuMeter(pids);
  const redisLabel = `Redis ${await redisVersion()}`;
  let worktree = false;
  try {
    // Parts 1 and 2: the multi-shard servers and redis-server, all up for both parts.
    for (const shards of [2, 3]) handles.push(await startSkua({ shards }));
    handles.push(await startRedis());
    const multi = [
      server("Skua 2 shards", handles[0], false, 2),
      server("Skua 3 shards", handles[1], false, 3),
      server(redisLabel, handles[2], true, 1),
    ];
    const idleMulti = await idleCpu(multi.map(asColumn));
    await meter.begin();
    console.error("cross-shard MSET/MGET");
    const commands = await multiKey(o, multi);
    const loadMultiKey = await meter.end();
    await meter.begin();
    console.error("cross-shard MULTI/EXEC");
    const tx = await transactions(o, multi);
    const loadTx = await meter.end();
    const multiInfo = multi.map(({ handle: _h, ...rest }) => rest);
    await stopAll(handles);

    // Part 3: the commit before the transaction work against the current tree, 1 shard each.
    const beforeRev = await git(REPO_ROOT, "rev-parse", o.before);
    await addWorktree(REPO_ROOT, BEFORE_DIR, beforeRev);
    worktree = true;
    console.error(`starting ${o.before} from ${BEFORE_DIR} (builds its io_uring shim first)`);
    handles.push(await startSkuaAt(BEFORE_DIR, freePort(), 1));
    handles.push(await startSkua({ shards: 1 }));
    const versions = [
      server(`before (${o.before})`, handles[0], false, 1),
      server("after (current tree)", handles[1], false, 1),
    ];
    const idlePath = await idleCpu(versions.map(asColumn));
    await meter.begin();
    console.error("single-shard SET/GET before/after");
    const path = await fastPath(o, versions);
    const loadPath = await meter.end();
    const versionInfo = versions.map(({ handle: _h, ...rest }) => rest);
    await stopAll(handles);

    const head = await git(REPO_ROOT, "rev-parse", "--short", "HEAD");
    const dirty = (await git(REPO_ROOT, "status", "--porcelain")).split("\n").filter((l) => l);
    const { tables, doc } = report({
      o,
      command: commandLine(),
      multi: multiInfo,
      versions: versionInfo,
      commands,
      tx,
      path,
      idle: new Map([...idleMulti, ...idlePath]),
      load: { multiKey: loadMultiKey, tx: loadTx, path: loadPath },
      machine: await machine(),
      head,
      dirty: dirty.length,
      beforeRev,
      minutes: (performance.now() - started) / 60_000,
    });
    console.log(await fmtMarkdown(tables));
    await Deno.writeTextFile(o.out, await fmtMarkdown(doc));
    console.error(`wrote ${o.out}`);
  } finally {
    await stopAll(handles);
    if (worktree) await removeWorktree(REPO_ROOT, BEFORE_DIR);
  }
}

/** The shape idleCpu takes. */
function asColumn(s: Server) {
  return { label: s.label, redis: s.redis, shards: s.shards, io: s.io, server: s.handle };
}

if (import.meta.main) await main();
