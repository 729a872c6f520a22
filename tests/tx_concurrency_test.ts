/**
 * Many clients run conflicting transactions and cross-shard multi-key commands for a few
 * seconds against Skua with 3 shards (and the same test against redis-server, which must pass
 * too); invariants are checked throughout and at the end, and a watchdog fails the test if
 * progress stops (a deadlock).
 *
 * - Ten counters spread over the shards always sum to TOTAL: transfers move amounts between two
 *   of them with MULTI/DECRBY/INCRBY/EXEC, or optimistically with WATCH/GET/MULTI/SET/EXEC;
 *   readers check the sum with MGET and with MULTI/GET.../EXEC (consistent snapshots).
 * - Pairs of keys on different shards are created together (MSET) and removed together (DEL):
 *   EXISTS on a pair must answer 0 or 2, never 1.
 * - A token moves between keys on different shards by RENAME and COPY+DEL inside MULTI: at
 *   every moment exactly one of them exists (EXISTS over all of them answers 1).
 * - Pipelines of 16 mixed commands (split MSET/DEL/MGET/EXISTS, plain SET and GET) on the
 *   shared pairs and counters, and on keys of the client's own: the shared invariants hold, and
 *   the own keys read back exactly what the client's earlier commands of the pipeline wrote
 *   (the split commands of a pipeline are squashed and may run in one hop, ahead of nothing
 *   the client sent before them).
 */

import assert from "node:assert/strict";
import { type Arg, parse, type Reply, RespConn, str } from "./helpers/resp.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { type ServerHandle, startRedis, startUnderTest } from "./helpers/server.ts";

const COUNTERS = spreadKeys("cnt:", 10);
const PAIRS = Array.from({ length: 4 }, (_, i) => spreadKeys(`pair${i}:`, 2));
const TOKENS = spreadKeys("token:", 6);
const TOTAL = 10_000;
const RUN_MS = Number(Deno.env.get("SKUA_TEST_TX_MS") ?? 3_000);
const STALL_MS = 5_000;

function rnd(n: number): number {
  return Math.floor(Math.random() * n);
}

function sum(values: Reply): number {
  if (!Array.isArray(values)) throw new Error(`expected an array, got ${JSON.stringify(values)}`);
  return values.reduce((s: number, v) => s + Number(str(v)), 0);
}

interface Progress {
  ops: number;
  failures: string[];
}

async function transfers(port: number, until: number, p: Progress): Promise<void> {
  const c = await RespConn.connect(port);
  try {
    while (Date.now() < until && p.failures.length === 0) {
      const i = rnd(COUNTERS.length);
      const j = (i + 1 + rnd(COUNTERS.length - 1)) % COUNTERS.length;
      const x = String(1 + rnd(20));
      await c.call("MULTI");
      await c.call("DECRBY", COUNTERS[i], x);
      await c.call("INCRBY", COUNTERS[j], x);
      const r = await c.call("EXEC") as Reply[];
      if (!Array.isArray(r) || r.length !== 2) p.failures.push(`EXEC replied ${JSON.stringify(r)}`);
      p.ops++;
    }
  } finally {
    c.close();
  }
}

async function optimistic(port: number, until: number, p: Progress): Promise<void> {
  const c = await RespConn.connect(port);
  try {
    while (Date.now() < until && p.failures.length === 0) {
      const i = rnd(COUNTERS.length);
      const j = (i + 1 + rnd(COUNTERS.length - 1)) % COUNTERS.length;
      await c.call("WATCH", COUNTERS[i], COUNTERS[j]);
      const got = await c.call("MGET", COUNTERS[i], COUNTERS[j]);
      if (!Array.isArray(got)) {
        p.failures.push(`MGET replied ${JSON.stringify(got)}`);
        break;
      }
      const [vi, vj] = got.map(str);
      const x = 1 + rnd(20);
      await c.call("MULTI");
      await c.call("SET", COUNTERS[i], String(Number(vi) - x));
      await c.call("SET", COUNTERS[j], String(Number(vj) + x));
      await c.call("EXEC"); // null when another client got there first: fine, the sum holds
      p.ops++;
    }
  } finally {
    c.close();
  }
}

async function readers(port: number, until: number, p: Progress): Promise<void> {
  const c = await RespConn.connect(port);
  try {
    while (Date.now() < until && p.failures.length === 0) {
      const m = sum(await c.call("MGET", ...COUNTERS));
      if (m !== TOTAL) p.failures.push(`MGET saw a sum of ${m}`);
      await c.call("MULTI");
      for (const k of COUNTERS) await c.call("GET", k);
      const e = sum(await c.call("EXEC"));
      if (e !== TOTAL) p.failures.push(`MULTI/GET/EXEC saw a sum of ${e}`);
      for (const pair of PAIRS) {
        const n = await c.call("EXISTS", ...pair);
        if (n !== 0 && n !== 2) p.failures.push(`EXISTS on a pair answered ${n}`);
      }
      p.ops++;
    }
  } finally {
    c.close();
  }
}

async function pairs(port: number, until: number, p: Progress): Promise<void> {
  const c = await RespConn.connect(port);
  try {
    while (Date.now() < until && p.failures.length === 0) {
      const pair = PAIRS[rnd(PAIRS.length)];
      if (Math.random() < 0.5) await c.call("MSET", pair[0], "x", pair[1], "y");
      else await c.call("DEL", ...pair);
      p.ops++;
    }
  } finally {
    c.close();
  }
}

async function tokens(port: number, until: number, p: Progress): Promise<void> {
  const c = await RespConn.connect(port);
  try {
    while (Date.now() < until && p.failures.length === 0) {
      const at = await c.call("EXISTS", ...TOKENS);
      if (at !== 1) p.failures.push(`EXISTS over the token keys answered ${at}`);
      // find it, move it somewhere else (either way); a lost race just fails the command
      const where = TOKENS.findIndex((_, i) => i === rnd(TOKENS.length));
      const to = TOKENS[(where + 1 + rnd(TOKENS.length - 1)) % TOKENS.length];
      for (const from of TOKENS) {
        if (from === to) continue;
        if (Math.random() < 0.5) {
          const r = await c.call("RENAMENX", from, to);
          if (r === 1) break;
        } else {
          await c.call("MULTI");
          await c.call("COPY", from, to);
          await c.call("DEL", from);
          const r = await c.call("EXEC") as Reply[];
          if (Array.isArray(r) && r[0] === 1) break;
          if (Array.isArray(r) && r[1] === 1) {
            p.failures.push(`DEL removed ${from} although COPY to ${to} did not happen`);
          }
        }
      }
      p.ops++;
    }
  } finally {
    c.close();
  }
}

async function pipelines(port: number, until: number, p: Progress, id: number): Promise<void> {
  const own = spreadKeys(`own${id}:`, 2);
  const c = await RespConn.connect(port);
  let a: string | null = null, b: string | null = null, v = 0;
  try {
    while (Date.now() < until && p.failures.length === 0) {
      const cmds: Arg[][] = [];
      const checks: ((r: Reply) => string | null)[] = [];
      for (let i = 0; i < 16; i++) {
        const pick = rnd(8);
        if (pick === 0) {
          const val = String(++v);
          cmds.push(["MSET", own[0], val, own[1], val]);
          a = b = val;
          checks.push(() => null);
        } else if (pick === 1) {
          const val = String(++v);
          cmds.push(["SET", own[rnd(2)], val]);
          if (cmds[cmds.length - 1][1] === own[0]) a = val;
          else b = val;
          checks.push(() => null);
        } else if (pick === 2) {
          cmds.push(["DEL", ...own]);
          a = b = null;
          checks.push(() => null);
        } else if (pick === 3) {
          const want = JSON.stringify([a, b]);
          cmds.push(["MGET", ...own]);
          checks.push((r) => {
            const got = JSON.stringify((r as Reply[]).map((x) => x === null ? null : str(x)));
            return got === want ? null : `own MGET saw ${got}, wrote ${want}`;
          });
        } else if (pick === 4) {
          const want = (a === null ? 0 : 1) + (b === null ? 0 : 1);
          cmds.push(["EXISTS", ...own]);
          checks.push((r) => r === want ? null : `own EXISTS answered ${r}, wrote ${want}`);
        } else if (pick === 5) {
          cmds.push(["MGET", ...COUNTERS]);
          checks.push((r) => sum(r) === TOTAL ? null : `pipelined MGET saw a sum of ${sum(r)}`);
        } else if (pick === 6) {
          const pair = PAIRS[rnd(PAIRS.length)];
          cmds.push(["EXISTS", ...pair]);
          checks.push((r) => r === 0 || r === 2 ? null : `pipelined EXISTS on a pair: ${r}`);
        } else {
          const pair = PAIRS[rnd(PAIRS.length)];
          cmds.push(Math.random() < 0.5 ? ["MSET", pair[0], "x", pair[1], "y"] : ["DEL", ...pair]);
          checks.push(() => null);
        }
      }
      const raw = await c.pipeline(cmds);
      for (let i = 0; i < raw.length; i++) {
        const r = parse(raw[i]);
        const bad = r !== null && typeof r === "object" && "error" in r
          ? `${cmds[i][0]} replied ${r.error}`
          : checks[i](r);
        if (bad !== null) p.failures.push(bad);
      }
      p.ops++;
    }
  } finally {
    c.close();
  }
}

async function run(server: ServerHandle): Promise<void> {
  const setup = await RespConn.connect(server.port);
  try {
    await setup.call("FLUSHALL");
    const each = TOTAL / COUNTERS.length;
    await setup.call("MSET", ...COUNTERS.flatMap((k) => [k, String(each)]));
    await setup.call("SET", TOKENS[0], "token");
  } finally {
    setup.close();
  }
  const p: Progress = { ops: 0, failures: [] };
  const until = Date.now() + RUN_MS;
  let last = -1, lastAt = Date.now();
  const watchdog = setInterval(() => {
    if (p.ops !== last) [last, lastAt] = [p.ops, Date.now()];
    else if (Date.now() - lastAt > STALL_MS && p.failures.length === 0) {
      p.failures.push(`no progress for ${STALL_MS} ms: deadlock?`);
    }
  }, 250);
  try {
    const jobs: Promise<void>[] = [];
    const add = (job: Promise<void>) =>
      jobs.push(job.catch((e) => {
        p.failures.push(`client error: ${e}`);
      }));
    for (let i = 0; i < 4; i++) add(transfers(server.port, until, p));
    for (let i = 0; i < 3; i++) add(optimistic(server.port, until, p));
    for (let i = 0; i < 2; i++) add(readers(server.port, until, p));
    for (let i = 0; i < 2; i++) add(pairs(server.port, until, p));
    for (let i = 0; i < 2; i++) add(tokens(server.port, until, p));
    for (let i = 0; i < 3; i++) add(pipelines(server.port, until, p, i));
    // a deadlocked server never answers: the watchdog's verdict ends the wait
    await Promise.race([
      Promise.all(jobs),
      new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (p.failures.length > 0) {
            clearInterval(t);
            resolve();
          }
        }, 100);
        Promise.all(jobs).finally(() => {
          clearInterval(t);
          resolve();
        });
      }),
    ]);
  } finally {
    clearInterval(watchdog);
  }
  assert.deepEqual(p.failures, []);
  assert.ok(p.ops > 100, `only ${p.ops} operations completed`);
  const c = await RespConn.connect(server.port);
  try {
    assert.equal(sum(await c.call("MGET", ...COUNTERS) as Reply[]), TOTAL);
  } finally {
    c.close();
  }
}

Deno.test({
  name: "transactions: invariants hold under concurrent cross-shard load (skua, 3 shards)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const s = await startUnderTest({ shards: 3 });
    try {
      await run(s);
    } finally {
      await s.stop();
    }
  },
});

Deno.test({
  name: "transactions: the same load against redis-server",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const s = await startRedis();
    try {
      await run(s);
    } finally {
      await s.stop();
    }
  },
});
