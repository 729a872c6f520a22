/**
 * RESP fuzzer. Random and hostile request streams (valid pipelines split at random points,
 * random bytes, huge and negative lengths, deep nesting, inline commands with quotes and
 * escapes, big bulks cut short) against Skua with 1 and 3 shards on both io engines, from
 * several connections at once. Each case knows what the server must answer where that can be
 * known (tests/helpers/resp_fuzz.ts); everywhere, replies must be well-formed and a protocol
 * error must be the last reply before the server closes. Meanwhile a probe (in its own Worker,
 * so the fuzzing thread does not delay it) sends PINGs: no PING may wait long. Afterwards the
 * server answers, and its RSS is back near where it started.
 *
 * Also: malformed inputs drawn from the same generators get redis-server's exact reply and
 * close; and 100 connections stalled after `*1\r\n$536870912\r\n` cost little memory.
 *
 * Seeded: the seed is printed; RESP_FUZZ_SEED=<n> replays it (each connection's cases are the
 * same; their interleaving is not). RESP_FUZZ_MS sets the fuzzing time per server (default 4 s).
 */
import assert from "node:assert/strict";
import { startSkua } from "./helpers/server.ts";
import { withDiffTargets } from "./helpers/diff.ts";
import { rng } from "./helpers/rng.ts";
import { encode, fromLatin1, show, str, toLatin1, withConn } from "./helpers/resp.ts";
import {
  anyCase,
  type FuzzCase,
  inlineQuotes,
  int,
  lengths,
  nesting,
  noise,
  type Rand,
} from "./helpers/resp_fuzz.ts";
import { skipReply } from "../src/resp/reply_reader.ts";

function envInt(name: string): number | undefined {
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? undefined : Number(v);
}

const SEED = envInt("RESP_FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 31);
const FUZZ_MS = envInt("RESP_FUZZ_MS") ?? 4000;
console.log(`resp fuzz: seed ${SEED} (replay: RESP_FUZZ_SEED=${SEED})`);

/** Fuzzing connections at once. */
const WORKERS = 6;
/**
 * The longest a probe PING may wait. Measured on the 2 cores with other work on them: p99 1 to
 * 5 ms, max 7 to 45 ms (the most is the scheduler's: the server, 6 fuzzing connections and the
 * probe share the cores); still far below what a stalled shard shows (a 256MB buffer copied at
 * once: a third of a second). Timing-sensitive: run this file outside the parallel group.
 */
const STALL_BOUND_MS = envInt("RESP_FUZZ_STALL_MS") ?? 50;
/**
 * RSS after the fuzz clients are gone may exceed the starting RSS by this much, and this much
 * more per shard: each shard's V8 heap keeps some of what it grew to until a GC needs it back.
 * Measured: +16 to +28 MB with 1 shard, +40 to +55 MB with 3.
 */
const RSS_SLACK_MB = 24;
const RSS_SLACK_PER_SHARD_MB = 24;
/** ... and, after MEMORY PURGE (a full GC, malloc_trim), by this much. */
const RSS_KEPT_MB = 16;

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procStatus(pid: number, field: string): number {
  const t = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(t);
  return m === null ? 0 : Number(m[1]) / 1024;
}

const rssMB = (pid: number) => procStatus(pid, "VmRSS");

/** A connection whose replies are collected in the background while the test writes. */
class FuzzConn {
  data = new Uint8Array(4096);
  len = 0;
  eof = false;
  reset = false;
  private mine = false;
  private last = performance.now();
  private readonly pumping: Promise<void>;

  private constructor(readonly conn: Deno.TcpConn) {
    this.pumping = this.pump();
  }

  static async open(port: number): Promise<FuzzConn> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new FuzzConn(conn);
  }

  get closed(): boolean {
    return this.eof || this.reset;
  }

  view(from = 0): Uint8Array {
    return this.data.subarray(from, this.len);
  }

  private async pump(): Promise<void> {
    const chunk = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await this.conn.read(chunk);
        if (n === null) {
          this.eof = true;
          break;
        }
        if (this.len + n > this.data.length) {
          const grown = new Uint8Array(Math.max(this.data.length * 2, this.len + n));
          grown.set(this.view());
          this.data = grown;
        }
        this.data.set(chunk.subarray(0, n), this.len);
        this.len += n;
        this.last = performance.now();
      }
    } catch {
      if (!this.mine) this.reset = true;
    }
  }

  /** False when the server had closed (the write fails). */
  async write(b: Uint8Array): Promise<boolean> {
    try {
      for (let o = 0; o < b.length;) o += await this.conn.write(b.subarray(o));
      this.last = performance.now();
      return true;
    } catch {
      return false;
    }
  }

  /** Waits until `done()`, a close, `quietMs` without news, or `maxMs` in all. */
  async settle(done: () => boolean, quietMs: number, maxMs: number): Promise<void> {
    const start = performance.now();
    for (;;) {
      if (done() || this.closed) return;
      const now = performance.now();
      if (now - start > maxMs || now - this.last > quietMs) return;
      await delay(5);
    }
  }

  async close(): Promise<void> {
    this.mine = true;
    try {
      this.conn.close();
    } catch {
      // closed already
    }
    await this.pumping;
  }
}

/** Writes `input` in random pieces (1 byte to 200KB, at most ~150 writes), pausing at times. */
async function sendSplit(c: FuzzConn, r: Rand, input: Uint8Array): Promise<boolean> {
  const least = Math.ceil(input.length / 150);
  for (let o = 0; o < input.length;) {
    const x = r();
    const want = x < 0.3 ? 1 + int(r, 8) : x < 0.8 ? 1 + int(r, 2000) : 1 + int(r, 200_000);
    const n = Math.max(want, least);
    if (!await c.write(input.subarray(o, o + n))) return false;
    o += n;
    if (r() < 0.1) await delay(int(r, 3));
  }
  return true;
}

const PROTOCOL_ERROR = "-ERR Protocol error";

/** The rules for any reply stream: well-formed, and a protocol error last, then a close. */
function checkGeneric(c: FuzzConn, from: number): void {
  const d = c.view(from);
  const replies: string[] = [];
  let p = 0;
  while (p < d.length) {
    const q = skipReply(d, p);
    if (q < 0) {
      // a reset may cut what was on its way
      assert.ok(c.reset, `incomplete reply at ${p}: ${show(d.subarray(p))}`);
      break;
    }
    replies.push(toLatin1(d.subarray(p, Math.min(q, p + 60))));
    p = q;
  }
  const err = replies.findIndex((s) => s.startsWith(PROTOCOL_ERROR));
  if (err >= 0) {
    assert.equal(err, replies.length - 1, `replies after a protocol error: ${show(d)}`);
    assert.ok(c.closed, `still open after ${replies[err]}`);
  } else if (c.eof) {
    assert.fail(`closed without a protocol error; replies: ${show(d)}`);
  }
}

async function runCase(port: number, r: Rand, fc: FuzzCase): Promise<void> {
  const c = await FuzzConn.open(port);
  try {
    let from = 0;
    if (fc.resp3) {
      await c.write(fromLatin1("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"));
      await c.settle(() => skipReply(c.view(), 0) > 0, 5000, 5000);
      from = skipReply(c.view(), 0);
      assert.ok(from > 0, "no reply to HELLO 3");
    }
    await sendSplit(c, r, fc.input);
    const want = fc.expect;
    if (fc.closes === true) await c.settle(() => false, 5000, 5000);
    else if (want !== null && want.length > 0) {
      await c.settle(() => c.len - from >= want.length, 5000, 15_000);
    }
    // anything more, or a close, shows up within a short quiet time
    await c.settle(() => false, 100, 1000);
    checkGeneric(c, from);
    if (want !== null) {
      const got = toLatin1(c.view(from));
      const exp = toLatin1(want);
      if (!(c.reset && exp.startsWith(got))) {
        assert.ok(got === exp, `replies: want ${show(exp, 300)}, got ${show(got, 300)}`);
      }
    }
    if (fc.closes !== null) {
      assert.equal(c.closed, fc.closes, fc.closes ? "connection left open" : "connection closed");
    }
  } finally {
    await c.close();
  }
}

interface Tally {
  cases: number;
  bytes: number;
  kinds: Map<string, number>;
  /** [kind, start, end] of every case, in absolute ms (to name what ran during a stall) */
  spans: [string, number, number][];
}

const clock = () => performance.timeOrigin + performance.now();

async function fuzzConnection(
  port: number,
  seed: number,
  wid: number,
  deadline: number,
  tally: Tally,
): Promise<void> {
  const r = rng(seed);
  for (let i = 0; performance.now() < deadline; i++) {
    const fc = anyCase(r, `${wid}.${i}`);
    const start = clock();
    try {
      await runCase(port, r, fc);
    } catch (e) {
      throw new Error(
        `seed ${SEED}, connection ${wid}, case #${i} (${fc.kind}), input ${show(fc.input, 200)}:\n${
          (e as Error).message
        }`,
      );
    }
    tally.spans.push([fc.kind, start, clock()]);
    tally.cases++;
    tally.bytes += fc.input.length;
    const k = fc.kind.split(" ")[0];
    tally.kinds.set(k, (tally.kinds.get(k) ?? 0) + 1);
  }
}

/** PINGs on a few connections in a Worker of its own; reports every round trip's time. */
const PROBE = `
self.onmessage = async (e) => {
  const { port, conns } = e.data;
  const cs = [];
  for (let i = 0; i < conns; i++) {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    c.setNoDelay(true);
    cs.push(c);
  }
  let stop = false;
  self.onmessage = () => { stop = true; };
  self.postMessage({ ready: true });
  const ping = new TextEncoder().encode("PING\\r\\n");
  const buf = new Uint8Array(64);
  const lat = [];
  const slow = [];
  try {
    while (!stop) {
      for (const c of cs) {
        const t0 = performance.now();
        await c.write(ping);
        let got = 0;
        while (got < 7) {
          const n = await c.read(buf.subarray(got));
          if (n === null) throw new Error("probe connection closed");
          got += n;
        }
        if (new TextDecoder().decode(buf.subarray(0, got)) !== "+PONG\\r\\n") {
          throw new Error("probe got " + JSON.stringify(new TextDecoder().decode(buf.subarray(0, got))));
        }
        const dt = performance.now() - t0;
        lat.push(dt);
        if (dt > 10) slow.push([performance.timeOrigin + t0, dt]);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    self.postMessage({ lat, slow });
  } catch (err) {
    self.postMessage({ error: String(err) });
  }
  for (const c of cs) c.close();
};
`;

interface ProbeMessage {
  ready?: boolean;
  lat?: number[];
  slow?: [number, number][];
  error?: string;
}

class Probe {
  private readonly w: Worker;
  private next: Promise<ProbeMessage>;

  constructor(port: number) {
    const url = URL.createObjectURL(new Blob([PROBE], { type: "application/javascript" }));
    this.w = new Worker(url, { type: "module" });
    URL.revokeObjectURL(url);
    this.next = this.message();
    this.w.postMessage({ port, conns: 4 });
  }

  private message(): Promise<ProbeMessage> {
    return new Promise((resolve) => {
      this.w.onmessage = (e) => resolve(e.data);
    });
  }

  async ready(): Promise<void> {
    const m = await this.next;
    if (m.error !== undefined) throw new Error(m.error);
    this.next = this.message();
  }

  /** Every PING's round trip in ms, and [when, ms] of those over 10 ms. */
  async stop(): Promise<ProbeMessage> {
    this.w.postMessage("stop");
    const m = await this.next;
    this.w.terminate();
    if (m.error !== undefined) throw new Error(`probe: ${m.error}`);
    return m;
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** The slow PINGs and the cases that ran meanwhile. */
function stalls(pm: ProbeMessage, tally: Tally): string {
  const worst = [...pm.slow!].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return worst.map(([at, ms]) => {
    const during = tally.spans.filter(([, s, e]) => s <= at + ms && e >= at).map(([k]) => k);
    return `\n  ${ms.toFixed(1)} ms while: ${during.join("; ")}`;
  }).join("");
}

async function fuzzServer(io: string, shards: number, seed: number): Promise<void> {
  const s = await startSkua({ shards, args: ["--io", io] });
  try {
    const pid = s.proc.pid;
    // warm up (code compiled, first buffers made) before the starting RSS is taken
    const warm = rng(seed ^ 0x9e3779b9);
    for (let i = 0; i < 30; i++) await runCase(s.port, warm, anyCase(warm, `w.${i}`));
    await delay(300);
    const rss0 = rssMB(pid);
    const probe = new Probe(s.port);
    await probe.ready();
    let peak = rss0;
    const sampler = setInterval(() => peak = Math.max(peak, rssMB(pid)), 50);
    const tally: Tally = { cases: 0, bytes: 0, kinds: new Map(), spans: [] };
    const deadline = performance.now() + FUZZ_MS;
    let pm: ProbeMessage;
    try {
      await Promise.all(
        Array.from(
          { length: WORKERS },
          (_, w) => fuzzConnection(s.port, seed + w * 7919, w, deadline, tally),
        ),
      );
    } finally {
      pm = await probe.stop();
      clearInterval(sampler);
    }
    const lat = pm.lat!;
    await withConn(s.port, async (c) => {
      assert.equal(str(await c.call("PING")), "PONG");
      // the keys the valid pipelines wrote are data, not what the fuzzing left behind
      assert.equal(str(await c.call("FLUSHALL", "SYNC")), "OK");
    });
    // what the fuzz clients held is freed (a GC finds it): RSS comes back within a few seconds
    let rss1 = rssMB(pid);
    const slack = RSS_SLACK_MB + shards * RSS_SLACK_PER_SHARD_MB;
    for (let i = 0; i < 50 && rss1 > rss0 + slack; i++) {
      await delay(100);
      rss1 = rssMB(pid);
    }
    // and nothing is kept: a full GC and malloc_trim give back what the fuzzing used
    await withConn(s.port, async (c) => assert.equal(str(await c.call("MEMORY", "PURGE")), "OK"));
    const rss2 = rssMB(pid);
    const max = Math.max(...lat);
    const kinds = [...tally.kinds].map(([k, n]) => `${k} ${n}`).join(", ");
    console.log(
      `  ${io}, ${shards} shard(s): ${tally.cases} cases (${kinds}), ${
        (tally.bytes / 1048576).toFixed(1)
      } MB sent; probe: ${lat.length} PINGs, p50 ${quantile(lat, 0.5).toFixed(2)} ms, p99 ${
        quantile(lat, 0.99).toFixed(2)
      } ms, max ${max.toFixed(2)} ms; RSS ${rss0.toFixed(0)} MB, peak ${
        peak.toFixed(0)
      } MB, after ${rss1.toFixed(0)} MB, after MEMORY PURGE ${rss2.toFixed(0)} MB`,
    );
    assert.ok(!/Uncaught|panicked/.test(s.output()), `server errors:\n${s.output()}`);
    assert.ok(max < STALL_BOUND_MS, `a PING waited ${max.toFixed(1)} ms: ${stalls(pm, tally)}`);
    assert.ok(
      rss1 < rss0 + slack,
      `RSS ${rss0.toFixed(0)} MB before, ${rss1.toFixed(0)} MB after the fuzz clients left`,
    );
    assert.ok(
      rss2 < rss0 + RSS_KEPT_MB,
      `RSS ${rss0.toFixed(0)} MB before, ${
        rss2.toFixed(0)
      } MB after the fuzzing and a MEMORY PURGE`,
    );
  } finally {
    await s.stop();
  }
}

for (
  const [i, [io, shards]] of ([["uring", 1], ["uring", 3], ["listen", 1], ["listen", 3]] as const)
    .entries()
) {
  Deno.test(`resp fuzz: ${io}, ${shards} shard(s)`, () =>
    fuzzServer(io, shards, SEED + i * 104729));
}

interface Outcome {
  data: string;
  closed: boolean;
}

/** Sends `raw` in one write on a fresh connection; what comes back until close or `waitMs`. */
async function probeOnce(port: number, raw: Uint8Array, waitMs: number): Promise<Outcome> {
  const c = await FuzzConn.open(port);
  try {
    await c.write(raw);
    await c.settle(() => false, waitMs, waitMs * 4);
    return { data: toLatin1(c.view()), closed: c.closed };
  } finally {
    await c.close();
  }
}

Deno.test("resp fuzz: malformed inputs get redis-server's reply and close", async () => {
  const r = rng(SEED ^ 0x5bd1e995);
  const gens = [lengths, nesting, inlineQuotes, noise];
  const cases = Array.from({ length: 160 }, (_, i) => gens[i % gens.length](r));
  await withDiffTargets(async (targets) => {
    const failures: string[] = [];
    for (let b = 0; b < cases.length; b += 20) {
      const batch = cases.slice(b, b + 20);
      const results = await Promise.all(
        batch.map((fc) => Promise.all(targets.map((t) => probeOnce(t.port, fc.input, 300)))),
      );
      batch.forEach((fc, i) => {
        const [want, ...rest] = results[i];
        rest.forEach((got, j) => {
          if (got.data === want.data && got.closed === want.closed) return;
          const state = (o: Outcome) => `${show(o.data, 200)} (${o.closed ? "closed" : "open"})`;
          failures.push(
            `${targets[j + 1].name}: ${fc.kind}, input ${show(fc.input, 120)}\n    redis: ${
              state(want)
            }\n    ${targets[j + 1].name}: ${state(got)}`,
          );
        });
      });
    }
    for (const t of targets) {
      await withConn(t.port, async (c) => assert.equal(str(await c.call("PING")), "PONG"));
    }
    assert.deepEqual(
      failures,
      [],
      `seed ${SEED}: replies differ from redis-server:\n${failures.join("\n")}`,
    );
  });
});

/**
 * 100 connections announce a 512MB argument and stall (then send 1KB of it): the server must
 * not reserve the announced size, and a fresh connection's PING must answer at once.
 */
async function stalledHeaders(io: string): Promise<void> {
  const s = await startSkua({ shards: 1, args: ["--io", io] });
  const conns: Deno.TcpConn[] = [];
  try {
    const pid = s.proc.pid;
    await withConn(s.port, async (c) => assert.equal(str(await c.call("PING")), "PONG"));
    await delay(200);
    const rss0 = rssMB(pid), vm0 = procStatus(pid, "VmSize");
    const header = fromLatin1("*1\r\n$536870912\r\n");
    for (let i = 0; i < 100; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
      conns.push(c);
      await c.write(header);
    }
    await delay(300);
    const rss1 = rssMB(pid), vm1 = procStatus(pid, "VmSize");
    // then some of the payload (a buffer sized by the announcement would be made now)
    const some = new Uint8Array(1024).fill(120);
    for (const c of conns) await c.write(some);
    await delay(300);
    const rss2 = rssMB(pid), vm2 = procStatus(pid, "VmSize");
    const pings: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await withConn(s.port, async (c) => assert.equal(str(await c.call("PING")), "PONG"));
      pings.push(performance.now() - t0);
    }
    const ping = quantile(pings, 0.5);
    console.log(
      `  ${io}: RSS ${rss0.toFixed(0)} -> ${rss1.toFixed(0)} -> ${rss2.toFixed(0)} MB, ` +
        `VmSize +${(vm1 - vm0).toFixed(0)} MB, +${(vm2 - vm0).toFixed(0)} MB; ` +
        `fresh PING ${pings.map((p) => p.toFixed(1)).join(", ")} ms`,
    );
    assert.ok(rss2 - rss0 < 200, `RSS grew ${rss2 - rss0} MB`);
    // 100 x 512MB would be 50GB of address space
    assert.ok(vm2 - vm0 < 2048, `VmSize grew ${vm2 - vm0} MB: announced sizes were allocated`);
    assert.ok(ping < 10, `fresh PING took ${ping.toFixed(1)} ms (median of 5)`);
  } finally {
    for (const c of conns) c.close();
    await s.stop();
  }
}

Deno.test("resp fuzz: 100 stalled 512MB headers cost little (uring)", () =>
  stalledHeaders("uring"));
Deno.test("resp fuzz: 100 stalled 512MB headers cost little (listen)", () =>
  stalledHeaders("listen"));

/**
 * Two pipelines the fuzzer found wrong on 3 shards, kept as they were found (the keys' tags put
 * them on shards 0, 1 and 2): a split command overtaking an earlier one over other shards (MSET
 * ran before the MGET before it), and a client left paused for good (its PING held behind a DEL
 * whose last lock was granted inside a pass over the deferred queue). Each fails only when the
 * connection lands on a particular shard: 40 connections cover the three.
 */
Deno.test("resp fuzz: split commands in a pipeline keep their order (3 shards)", async () => {
  const s = await startSkua({ shards: 3 });
  const cases: [string[][], string][] = [
    [
      [
        ["MGET", "fz:{1.0.3}:3", "fz:{1.0.5}:2", "fz:{1.0.2}:2", "fz:{1.0.5}:3"],
        ["MSET", "fz:{1.0.3}:3", "a", "fz:{1.0.5}:3", "b", "fz:{1.0.0}:3", "c"],
      ],
      "*4\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n+OK\r\n",
    ],
    [
      [
        ["EXISTS", "fz:{1.48.0}:0", "fz:{1.48.1}:3"],
        ["DEL", "fz:{1.48.1}:3", "fz:{1.48.3}:2"],
        ["PING"],
      ],
      ":0\r\n:0\r\n+PONG\r\n",
    ],
  ];
  try {
    for (const [cmds, want] of cases) {
      const input = fromLatin1(cmds.map((c) => toLatin1(encode(c))).join(""));
      for (let i = 0; i < 40; i++) {
        const c = await FuzzConn.open(s.port);
        try {
          await c.write(fromLatin1("*1\r\n$8\r\nFLUSHALL\r\n"));
          await c.settle(() => c.len >= 5, 2000, 2000);
          const from = c.len;
          await c.write(input);
          await c.settle(() => c.len - from >= want.length, 2000, 2000);
          assert.equal(show(c.view(from)), show(want), `${cmds.map((a) => a[0]).join(", ")}`);
        } finally {
          await c.close();
        }
      }
    }
  } finally {
    await s.stop();
  }
});
