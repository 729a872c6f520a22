/**
 * Scaling check of the list commands, in process (no server, no sockets): the time per
 * LPUSH / RPUSH / LPOP / RPOP and per LINDEX near either end, on lists of 1k, 100k and 1M
 * elements, through the real command handlers (median of 5 runs). Each push round is followed by as many pops,
 * so the list stays within [N, 1.5 N] while it is measured. Per-op cost should not grow with N.
 *
 *   deno run -A bench/scaling_lists.ts
 *
 * Prints a markdown table (ns per operation).
 */
import { type Ctx } from "../src/commands/context.ts";
import { handler, standaloneCtx } from "./in_process.ts";

const SIZES = [1_000, 100_000, 1_000_000];
/** operations timed per size and op */
const OPS = 200_000;

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);

const KEY = b("bench:list");
const lpush = handler("lpush"), rpush = handler("rpush");
const lpop = handler("lpop"), rpop = handler("rpop");
const lindex = handler("lindex"), llen = handler("llen");

/** Fills the list to n elements with RPUSH batches of 1000. */
function fill(ctx: Ctx, n: number): void {
  const batch: Uint8Array[] = [b("rpush"), KEY];
  for (let i = 0; i < 1000; i++) batch.push(b(`element-${i}`));
  for (let done = 0; done < n; done += 1000) {
    const k = Math.min(1000, n - done);
    rpush(ctx, batch, 2 + k);
    ctx.w.reset();
  }
}

function size(ctx: Ctx): number {
  ctx.w.reset();
  llen(ctx, [b("llen"), KEY], 2);
  const s = new TextDecoder().decode(ctx.w.view());
  ctx.w.reset();
  return Number(s.slice(1, -2));
}

interface Result {
  op: string;
  ns: number;
}

/** Times `rounds` of (k pushes, k pops) at one end; returns ns per push and per pop. */
function pushPop(ctx: Ctx, n: number, left: boolean): [number, number] {
  const k = Math.max(1, Math.min(n >> 1, 20_000));
  const rounds = Math.ceil(OPS / k);
  const push = left ? lpush : rpush;
  const pop = left ? lpop : rpop;
  const pushArgv = [b(left ? "lpush" : "rpush"), KEY, b("value-x")];
  const popArgv = [b(left ? "lpop" : "rpop"), KEY];
  const w = ctx.w;
  let tPush = 0, tPop = 0;
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    for (let i = 0; i < k; i++) {
      push(ctx, pushArgv, 3);
      w.reset();
    }
    tPush += performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < k; i++) {
      pop(ctx, popArgv, 2);
      w.reset();
    }
    tPop += performance.now() - t0;
  }
  const ops = rounds * k;
  return [(tPush * 1e6) / ops, (tPop * 1e6) / ops];
}

/** LINDEX over the 10 first and 10 last positions. */
function indexEnds(ctx: Ctx): number {
  const idx = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
  const argvs: Uint8Array[][] = [];
  for (const i of idx) argvs.push([b("lindex"), KEY, b(i)], [b("lindex"), KEY, b(`-${+i + 1}`)]);
  const w = ctx.w;
  const t0 = performance.now();
  for (let i = 0; i < OPS; i++) {
    lindex(ctx, argvs[i % argvs.length], 3);
    w.reset();
  }
  return ((performance.now() - t0) * 1e6) / OPS;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** The median of REPEAT runs of each measurement (the machine is shared: medians resist noise). */
const REPEAT = 5;

function measure(n: number): Result[] {
  const ctx = standaloneCtx();
  fill(ctx, n);
  if (size(ctx) !== n) throw new Error("fill failed");
  pushPop(ctx, n, true); // settle the heap after the fill before timing
  const m: number[][] = [[], [], [], [], []];
  for (let r = 0; r < REPEAT; r++) {
    const [lpushNs, lpopNs] = pushPop(ctx, n, true);
    const [rpushNs, rpopNs] = pushPop(ctx, n, false);
    m[0].push(lpushNs);
    m[1].push(rpushNs);
    m[2].push(lpopNs);
    m[3].push(rpopNs);
    m[4].push(indexEnds(ctx));
  }
  if (size(ctx) !== n) throw new Error("size drifted");
  const ops = ["LPUSH", "RPUSH", "LPOP", "RPOP", "LINDEX (10 nearest each end)"];
  return ops.map((op, i) => ({ op, ns: median(m[i]) }));
}

// warm up the JIT on a mid-sized list first, so the first column is not penalized
measure(50_000);
const columns = SIZES.map(measure);
const label = (n: number) => n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);
const lines = [
  `| op (ns/op) | ${SIZES.map((n) => `${label(n)} elements`).join(" | ")} |`,
  `|---|${SIZES.map(() => "---:").join("|")}|`,
];
for (let i = 0; i < columns[0].length; i++) {
  lines.push(`| ${columns[0][i].op} | ${columns.map((c) => c[i].ns.toFixed(0)).join(" | ")} |`);
}
console.log(lines.join("\n"));
