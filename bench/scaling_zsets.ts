/**
 * `deno run -A bench/scaling_zsets.ts [--sizes 1000,100000,1000000] [--ops 100000]`
 *
 * In-process scaling check of the sorted set: runs the real ZADD / ZRANK / ZRANGE handlers
 * (argument parsing and RESP reply writing included, no network) against sorted sets of
 * growing size and prints the time per operation as a markdown table. The order-statistic
 * B+tree makes each of them O(log n): from 1k to 1M members the work grows ~2x (tree depth)
 * and the rest of the growth is cache misses once the set no longer fits in the CPU caches;
 * a cost linear in n would grow 1000x.
 *
 * - ZADD insert: a new member at a random score (the inserted members are removed again,
 *   untimed, after each batch so the size stays put);
 * - ZADD update: an existing member moved to a random new score;
 * - ZRANK: the rank of a random existing member;
 * - ZRANGE: 10 members starting at a random rank (ZRANGE key r r+9).
 */
import { parseArgs } from "node:util";
import { handler, standaloneCtx } from "./in_process.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { sizes: { type: "string", default: "1000,100000,1000000" }, ops: { type: "string" } },
});
const SIZES = values.sizes!.split(",").map(Number);
const OPS = Number(values.ops ?? 100_000);
const BATCH = 100;

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);

const ctx = standaloneCtx();
const w = ctx.w;

const zadd = handler("zadd"), zrem = handler("zrem"), zrank = handler("zrank");
const zrange = handler("zrange");

function call(h: typeof zadd, argv: Uint8Array[]): void {
  h(ctx, argv, argv.length);
  if (w.buf[0] === 45) throw new Error(new TextDecoder().decode(w.view()));
  w.reset();
}

const member = (i: number) => `member:${i}`;
const randInt = (n: number) => Math.floor(Math.random() * n);

function fill(key: Uint8Array, n: number): void {
  for (let i = 0; i < n; i += 1000) {
    const argv = [b("ZADD"), key];
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      argv.push(b(String(randInt(1e9))), b(member(j)));
    }
    call(zadd, argv);
  }
}

/** ns per op of `ops` calls of h with argv from make(i); prepared before timing. */
function time(h: typeof zadd, ops: number, make: (i: number) => Uint8Array[]): number {
  const argvs: Uint8Array[][] = [];
  for (let i = 0; i < ops; i++) argvs.push(make(i));
  for (let i = 0; i < Math.min(ops, 2000); i++) call(h, argvs[i]); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) call(h, argvs[i]);
  return ((performance.now() - t0) * 1e6) / ops;
}

interface Row {
  size: number;
  insert: number;
  update: number;
  rank: number;
  range: number;
}

function measure(size: number): Row {
  ctx.db.flush();
  const key = b(`z${size}`);
  fill(key, size);
  const zaddB = b("ZADD"), zremB = b("ZREM"), zrankB = b("ZRANK"), zrangeB = b("ZRANGE");
  // inserts: batches of new members, each batch removed again untimed
  let insertNs = 0;
  let done = 0;
  let next = size;
  while (done < OPS) {
    const argvs: Uint8Array[][] = [];
    const names: Uint8Array[] = [];
    for (let i = 0; i < BATCH; i++) {
      const m = b(member(next++));
      names.push(m);
      argvs.push([zaddB, key, b(String(randInt(1e9))), m]);
    }
    const t0 = performance.now();
    for (const argv of argvs) call(zadd, argv);
    insertNs += (performance.now() - t0) * 1e6;
    call(zrem, [zremB, key, ...names]);
    done += BATCH;
  }
  const update = time(
    zadd,
    OPS,
    () => [zaddB, key, b(String(randInt(1e9))), b(member(randInt(size)))],
  );
  const rank = time(zrank, OPS, () => [zrankB, key, b(member(randInt(size)))]);
  const range = time(zrange, OPS, () => {
    const r = randInt(size - 10);
    return [zrangeB, key, b(String(r)), b(String(r + 9))];
  });
  return { size, insert: insertNs / done, update, rank, range };
}

const rows: Row[] = [];
for (const size of SIZES) {
  rows.push(measure(size));
  console.error(`measured ${size.toLocaleString("en-US")} members`);
}
const f = (ns: number, base: number) => `${Math.round(ns)} ns (×${(ns / base).toFixed(2)})`;
console.log(
  `Sorted-set scaling, in-process, ${OPS.toLocaleString("en-US")} ops per cell ` +
    `(time per op; × = relative to ${rows[0].size.toLocaleString("en-US")} members)\n`,
);
console.log("| members | ZADD insert | ZADD update | ZRANK | ZRANGE r r+9 |");
console.log("|---:|---:|---:|---:|---:|");
for (const r of rows) {
  const b0 = rows[0];
  console.log(
    `| ${r.size.toLocaleString("en-US")} | ${f(r.insert, b0.insert)} | ${
      f(r.update, b0.update)
    } | ` +
      `${f(r.rank, b0.rank)} | ${f(r.range, b0.range)} |`,
  );
}
