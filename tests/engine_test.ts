// Connection-level robustness of both io engines (io_uring and Deno.listen): many concurrent
// connections, clients that stall mid-command, and connect/disconnect churn. Every scenario
// runs on each engine with 1 and 2 shards, and must leave the server's fds and
// connected_clients at their idle baseline (see engineTests in helpers/fds.ts).
import assert from "node:assert/strict";
import { encode, fromLatin1, RespConn, show, str, withConn } from "./helpers/resp.ts";
import { connectedClients, delay, type EngineServer, engineTests, fdLimit } from "./helpers/fds.ts";

const CONCURRENT = 1000;
const CONNECT_BATCH = 100;
const CHURN = 5000;
const CHURN_PARALLEL = 50;
/** How long a request may take while other clients misbehave. */
const PROMPT_MS = 1000;

function bulk(v: string): string {
  return `$${v.length}\r\n${v}\r\n`;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let o = 0;
  while (o < data.length) o += await conn.write(data.subarray(o));
}

/** SET then GET of a key of its own on `c`; a description of what went wrong, or null. */
async function setGet(c: RespConn, i: number): Promise<string | null> {
  // a byte outside ASCII in every value: the path must stay binary-safe under load
  const key = `conc:${i}`, value = `v${i}:${String.fromCharCode(i % 256)}${"x".repeat(i % 64)}`;
  try {
    const set = show(await c.send("SET", key, value));
    if (set !== "+OK\\r\\n") return `conn ${i}: SET replied ${set}`;
    const got = show(await c.send("GET", key));
    if (got !== show(bulk(value))) {
      return `conn ${i}: GET replied ${got}, wanted ${show(bulk(value))}`;
    }
    return null;
  } catch (e) {
    return `conn ${i}: ${e}`;
  }
}

async function concurrentConnections(s: EngineServer): Promise<void> {
  const conns: RespConn[] = [];
  try {
    // in batches, so neither side's accept backlog overflows
    for (let i = 0; i < CONCURRENT; i += CONNECT_BATCH) {
      await Promise.all(
        Array.from({ length: CONNECT_BATCH }, async () => {
          conns.push(await RespConn.connect(s.port));
        }),
      );
    }
    const results = await Promise.all(conns.map((c, i) => setGet(c, i)));
    const failed = results.filter((r) => r !== null);
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} of ${CONCURRENT} connections failed, e.g.:\n` +
          failed.slice(0, 5).join("\n"),
      );
    }
    assert.equal(await connectedClients(s.port), s.base.clients + CONCURRENT);
  } finally {
    for (const c of conns) c.close();
  }
  assert.equal(str(await withConn(s.port, (c) => c.call("PING"))), "PONG");
  // every key is readable from one connection after the others are gone
  const keys = Array.from({ length: CONCURRENT }, (_, i) => `conc:${i}`);
  const n = await withConn(s.port, (c) => c.call("EXISTS", ...keys));
  assert.equal(n, CONCURRENT);
}

/** One stalled client: `first` goes out now, `rest` later, then `replies` are expected in order. */
interface Stalled {
  label: string;
  first: Uint8Array;
  rest: Uint8Array;
  /** replies due before `rest` is sent (a complete command ahead of the partial one) */
  early: string[];
  replies: string[];
  /** send `rest` one byte per write */
  trickle: boolean;
  key: string;
  value: string;
}

function stalledClients(): Stalled[] {
  const out: Stalled[] = [];
  const mk = (
    label: string,
    prefix: string,
    cmd: Uint8Array,
    cut: number,
    key: string,
    v: string,
  ) =>
    out.push({
      label,
      first: new Uint8Array([...fromLatin1(prefix), ...cmd.subarray(0, cut)]),
      rest: cmd.subarray(cut),
      early: prefix === "" ? [] : ["+PONG\r\n"],
      replies: ["+OK\r\n"],
      trickle: out.length % 3 === 0,
      key,
      value: v,
    });
  // a small SET cut after every one of its bytes: header, bulk lengths, key, value, CRLFs
  const small = (i: number) => [`stall:${i}`, `val\r\n${i}`] as const;
  const len = encode(["SET", ...small(0)]).length;
  for (let cut = 1; cut < len; cut++) {
    const [k, v] = small(cut);
    mk(`cut at ${cut}`, "", encode(["SET", k, v]), cut, k, v);
  }
  // a value spanning many receive buffers, cut in its middle and in its length line; and one
  // whose rest (over 1 MiB) io_uring reads straight into the request buffer
  const big = "b".repeat(200_000) + "\xff";
  const huge = "c".repeat(3_000_000) + "\xfe";
  const bigs: [string, string, string, number][] = [
    ["big value, cut mid-value", "stall:big1", big, 100_000],
    ["big value, cut in length", "stall:big2", big, 20],
    ["huge value, cut mid-value", "stall:big3", huge, 1_500_000],
  ];
  for (const [label, key, value, cut] of bigs) {
    mk(label, "", encode(["SET", key, value]), cut, key, value);
    // sent in one piece: one byte per write would take minutes
    out[out.length - 1].trickle = false;
  }
  // a complete command ahead of the partial one must be answered while the rest is missing
  const [k, v] = small(1000);
  mk("PING then partial SET", "PING\r\n", encode(["SET", k, v]), 12, k, v);
  const inline = fromLatin1("SET stall:inline inline-value\r\n");
  mk("inline, cut", "", inline, 10, "stall:inline", "inline-value");
  return out;
}

async function stalledMidCommand(s: EngineServer): Promise<void> {
  const stalled = stalledClients();
  const conns: RespConn[] = [];
  try {
    for (const st of stalled) {
      const c = await RespConn.connect(s.port);
      conns.push(c);
      await c.writeRaw(st.first);
    }
    for (let i = 0; i < stalled.length; i++) {
      for (const want of stalled[i].early) {
        assert.equal(show(await conns[i].readRaw(PROMPT_MS)), show(want), stalled[i].label);
      }
    }
    // others are served promptly while the stalled clients hold their partial commands
    await Promise.all(Array.from({ length: 4 }, (_, w) =>
      withConn(s.port, async (c) => {
        for (let i = 0; i < 25; i++) {
          const t0 = performance.now();
          const r = await setGet(c, 10_000 + w * 100 + i);
          const ms = performance.now() - t0;
          assert.equal(r, null);
          assert.ok(ms < PROMPT_MS, `SET+GET took ${ms.toFixed(0)} ms next to stalled clients`);
        }
      })));
    await delay(200);
    await Promise.all(stalled.map(async (st, i) => {
      const c = conns[i];
      if (st.trickle) {
        for (let b = 0; b < st.rest.length; b++) await c.writeRaw(st.rest.subarray(b, b + 1));
      } else await c.writeRaw(st.rest);
      for (const want of st.replies) assert.equal(show(await c.readRaw()), show(want), st.label);
    }));
  } finally {
    for (const c of conns) c.close();
  }
  await withConn(s.port, async (c) => {
    for (const st of stalled) {
      assert.equal(show(await c.send("GET", st.key)), show(bulk(st.value)), st.label);
    }
  });
}

/** How one churned connection behaves before it closes. */
const CHURN_MODES = 5;

async function churnOne(port: number, i: number): Promise<void> {
  const mode = i % CHURN_MODES;
  const set = encode(["SET", `churn:${i}`, `v${i}`]);
  if (mode === 3) {
    // the well-behaved one: full command, read the reply
    const r = await withConn(port, (c) => c.send("SET", `churn:${i}`, `v${i}`));
    assert.equal(show(r), "+OK\\r\\n", `churn ${i}`);
    return;
  }
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    if (mode === 1) await writeAll(conn, set.subarray(0, 1 + (i % (set.length - 1))));
    else if (mode === 2) await writeAll(conn, set); // full command, reply never read
    else if (mode === 4) {
      // replies pending in both directions, then a partial command
      const gets = Array.from({ length: 20 }, () => encode(["GET", "conc:1"]));
      await writeAll(conn, new Uint8Array([...gets.flatMap((g) => [...g]), ...set.subarray(0, 9)]));
    }
  } finally {
    conn.close();
  }
}

async function churn(s: EngineServer): Promise<void> {
  let next = 0;
  const errors: string[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CHURN_PARALLEL }, async () => {
    while (next < CHURN) {
      const i = next++;
      try {
        await churnOne(s.port, i);
      } catch (e) {
        errors.push(`connection ${i} (mode ${i % CHURN_MODES}): ${e}`);
      }
    }
  }));
  const ms = performance.now() - t0;
  if (errors.length > 0) {
    throw new Error(
      `${errors.length} of ${CHURN} churned connections failed, e.g.:\n` +
        errors.slice(0, 5).join("\n"),
    );
  }
  console.log(`  churn: ${CHURN} connections in ${ms.toFixed(0)} ms`);
  assert.equal(str(await withConn(s.port, (c) => c.call("PING"))), "PONG");
  // a complete SET whose client closed without reading is still executed (as in Redis);
  // partial ones are not
  const done: string[] = [], partial: string[] = [];
  for (let i = 0; i < CHURN; i++) {
    const m = i % CHURN_MODES;
    if (m === 2 || m === 3) done.push(`churn:${i}`);
    else if (m === 1 || m === 4) partial.push(`churn:${i}`);
  }
  // a SET forwarded to another shard may land a moment after its client left
  const deadline = Date.now() + 3000;
  let found = 0;
  while (found !== done.length && Date.now() < deadline) {
    found = Number(await withConn(s.port, (c) => c.call("EXISTS", ...done)));
    if (found !== done.length) await delay(100);
  }
  assert.equal(found, done.length, "complete SETs from clients that closed without reading");
  assert.equal(await withConn(s.port, (c) => c.call("EXISTS", ...partial)), 0);
}

const needFds = CONCURRENT + 200;

engineTests("engine connections", [1, 2], [
  {
    name: `${CONCURRENT} concurrent connections`,
    skip: () =>
      fdLimit() < needFds ? `ulimit -n is ${fdLimit()}, this needs at least ${needFds}` : null,
    run: concurrentConnections,
  },
  { name: "clients stalled mid-command", run: stalledMidCommand },
  { name: `connect/disconnect churn (${CHURN})`, run: churn },
]);
