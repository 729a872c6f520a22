// Big pipelines against both io engines (io_uring and Deno.listen): 100 MB of SETs written
// without reading replies while another client must stay responsive, and clients killed in
// the middle of a pipeline, while the server writes replies to them or while they write.
// Every scenario must leave the server's fds and connected_clients at their idle baseline
// (see engineTests in helpers/fds.ts).
import assert from "node:assert/strict";
import { encode, fromLatin1, show, str, withConn } from "./helpers/resp.ts";
import { delay, type EngineServer, engineTests } from "./helpers/fds.ts";

const PIPE_BYTES = 100 * 1024 * 1024;
const PIPE_KEYS = 1000;
const PIPE_VALUE = 1000;
/** Longest a PING may wait while another client floods the server. */
const PROMPT_MS = 1000;
const WRITE_TIMEOUT_MS = 10_000;
const PING_TIMEOUT_MS = 3000;
/**
 * A loose bound on the server's memory while flooded (it holds ~1 MB of keys). With several
 * shards every command is forwarded, and the garbage of a million forwarded commands is
 * reclaimed lazily by V8's old-generation GC (peaks of 0.6-0.9 GB seen on 2 shards, whatever
 * the number of commands in flight), so that case gets more room; the bound still catches
 * memory that grows with the flood (buffering every reply would take several GB).
 */
const MAX_RSS_MB = 1024;
const MAX_RSS_MB_SHARDED = 1536;
/** GET floods: 1000 GETs (25 KB) per repetition, 23 KB of replies. */
const GET_FLOOD_REPS = 1000;
const BIG = 1024 * 1024;

/** Closes `conn` unless a timeout already did. */
function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let o = 0;
  while (o < data.length) o += await conn.write(data.subarray(o));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function pipeValue(j: number): string {
  return `${j}:`.padEnd(PIPE_VALUE, String.fromCharCode(97 + (j % 26)));
}

/** PIPE_KEYS SETs (about 1 MB), written over and over. */
function pipeChunk(prefix: string): Uint8Array {
  return concat(
    Array.from(
      { length: PIPE_KEYS },
      (_, j) => encode(["SET", `${prefix}:${j}`, pipeValue(j)]),
    ),
  );
}

/** Server's resident memory in MB (Linux /proc; 0 elsewhere). */
async function rssMb(pid: number): Promise<number> {
  let status: string;
  try {
    status = await Deno.readTextFile(`/proc/${pid}/status`);
  } catch {
    return 0;
  }
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m === null ? 0 : Math.round(Number(m[1]) / 1024);
}

/**
 * Reads exactly `count` repetitions of `unit` from `conn`; throws on any other byte, on EOF
 * and after `timeoutMs` (closing `conn` then, which is the only way to end a pending read).
 */
async function readRepeated(conn: Deno.Conn, unit: string, count: number, timeoutMs: number) {
  const want = fromLatin1(unit), total = want.length * count, buf = new Uint8Array(64 * 1024);
  let got = 0, timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    close(conn);
  }, timeoutMs);
  const where = () => `reply ${Math.floor(got / want.length)} of ${count}`;
  try {
    while (got < total) {
      const n = await conn.read(buf);
      if (n === null) throw new Error(`connection closed by the server at ${where()}`);
      for (let i = 0; i < n; i++) {
        if (buf[i] !== want[(got + i) % want.length]) {
          got += i;
          throw new Error(`unexpected bytes at ${where()}: ${show(buf.subarray(i, i + 80))}`);
        }
      }
      got += n;
    }
  } catch (e) {
    if (timedOut) throw new Error(`timed out after ${timeoutMs} ms at ${where()}`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

interface PingStats {
  pings: number;
  worstMs: number;
  peakRssMb: number;
}

/**
 * PINGs every 20 ms while `busy()`, each on a new connection: with several shards the kernel
 * spreads those over all of them, so the flooded shard gets some.
 */
async function pingWhile(s: EngineServer, busy: () => boolean): Promise<PingStats> {
  const st: PingStats = { pings: 0, worstMs: 0, peakRssMb: 0 };
  while (busy()) {
    const t0 = performance.now();
    await withConn(s.port, async (c) => {
      await c.writeRaw(encode(["PING"]));
      let r: Uint8Array;
      try {
        r = await c.readRaw(PING_TIMEOUT_MS);
      } catch (e) {
        throw new Error(`PING ${st.pings + 1} got no reply during the flood: ${e}`);
      }
      assert.equal(show(r), "+PONG\\r\\n");
    });
    st.worstMs = Math.max(st.worstMs, performance.now() - t0);
    st.pings++;
    st.peakRssMb = Math.max(st.peakRssMb, await rssMb(s.pid));
    await delay(20);
  }
  return st;
}

/** Writes `chunk` `reps` times; returns the bytes written before `timeoutMs` (then closes). */
async function writeRepeated(conn: Deno.Conn, chunk: Uint8Array, reps: number, timeoutMs: number) {
  let written = 0;
  const timer = setTimeout(() => close(conn), timeoutMs); // a stalled write ends only so
  try {
    for (let r = 0; r < reps; r++) {
      await writeAll(conn, chunk);
      written += chunk.length;
    }
  } catch {
    // closed on timeout: `written` says how far it got
  } finally {
    clearTimeout(timer);
  }
  return written;
}

/**
 * One client writes `chunk` (PIPE_KEYS commands) `reps` times without reading, then reads and
 * checks every reply (each one `reply`); meanwhile another client's PINGs must stay prompt.
 */
async function flood(s: EngineServer, chunk: Uint8Array, reps: number, reply: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  let flooding = true, floodError: Error | null = null;
  // settled: a PING failure is reported along with (not instead of) the flood's own
  const pinger = pingWhile(s, () => flooding).then((st) => st, (e: unknown) => e as Error);
  const t0 = performance.now();
  try {
    const written = await writeRepeated(conn, chunk, reps, WRITE_TIMEOUT_MS);
    const total = reps * chunk.length;
    if (written !== total) {
      throw new Error(
        `the flooding client could write only ${written} of ${total} bytes in ` +
          `${WRITE_TIMEOUT_MS} ms: the server stopped reading from it or fell far behind`,
      );
    }
    const writeMs = performance.now() - t0;
    await readRepeated(conn, reply, reps * PIPE_KEYS, 15_000);
    console.log(
      `  ${(total / 1048576).toFixed(1)} MB written in ${writeMs.toFixed(0)} ms, ` +
        `${(reps * PIPE_KEYS * reply.length / 1048576).toFixed(1)} MB of replies read after ` +
        `${(performance.now() - t0).toFixed(0)} ms`,
    );
  } catch (e) {
    floodError = e as Error;
  } finally {
    flooding = false;
    close(conn);
  }
  const st = await pinger;
  if (floodError !== null) {
    const also = st instanceof Error ? `; meanwhile: ${st.message}` : "";
    throw new Error(floodError.message + also, { cause: floodError });
  }
  if (st instanceof Error) throw st;
  console.log(
    `  ${st.pings} PINGs meanwhile, slowest ${st.worstMs.toFixed(0)} ms; ` +
      `server peak RSS ${st.peakRssMb} MB`,
  );
  assert.ok(st.pings > 0, "no PING completed during the flood");
  assert.ok(st.worstMs < PROMPT_MS, `a PING took ${st.worstMs.toFixed(0)} ms during the flood`);
  const maxRss = s.shards > 1 ? MAX_RSS_MB_SHARDED : MAX_RSS_MB;
  assert.ok(st.peakRssMb < maxRss, `server RSS reached ${st.peakRssMb} MB during the flood`);
}

/** 100 MB of SETs with 1 KB values: a lot to parse, little to reply. */
async function hugePipeline(s: EngineServer): Promise<void> {
  const chunk = pipeChunk("pipe");
  await flood(s, chunk, Math.ceil(PIPE_BYTES / chunk.length), "+OK\r\n");
  await withConn(s.port, async (c) => {
    for (const j of [0, 7, PIPE_KEYS - 1]) {
      assert.equal(str(await c.call("GET", `pipe:${j}`)), pipeValue(j));
    }
    const keys = Array.from({ length: PIPE_KEYS }, (_, j) => `pipe:${j}`);
    assert.equal(await c.call("DEL", ...keys), PIPE_KEYS);
  });
}

/**
 * 25 MB of GETs whose 22 MB of replies outgrow what the socket buffers hold: a server that
 * stops reading until replies drain deadlocks a client that reads only after writing (Redis
 * keeps reading: a normal client's output buffer is unlimited by default).
 */
async function replyHeavyPipeline(s: EngineServer): Promise<void> {
  const value = "0123456789abcdef";
  const keys = Array.from({ length: PIPE_KEYS }, (_, j) => `q:${String(j).padStart(4, "0")}`);
  await withConn(s.port, (c) => c.call("MSET", ...keys.flatMap((k) => [k, value])));
  const chunk = concat(keys.map((k) => encode(["GET", k])));
  await flood(s, chunk, GET_FLOOD_REPS, `$${value.length}\r\n${value}\r\n`);
  assert.equal(await withConn(s.port, (c) => c.call("DEL", ...keys)), PIPE_KEYS);
}

/** The exact reply to GET big. */
function bigValue(): { value: Uint8Array; reply: Uint8Array } {
  const value = new Uint8Array(BIG);
  for (let i = 0; i < BIG; i++) value[i] = (i * 7 + (i >> 12)) & 255;
  return { value, reply: concat([fromLatin1(`$${BIG}\r\n`), value, fromLatin1("\r\n")]) };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Asks for 24 MB of replies, reads `readBytes` of them, then closes. */
async function killWhileReceiving(port: number, readBytes: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, concat(Array.from({ length: 24 }, () => encode(["GET", "big"]))));
    const buf = new Uint8Array(64 * 1024);
    for (let got = 0; got < readBytes;) {
      const n = await conn.read(buf);
      if (n === null) throw new Error(`server closed the connection after ${got} bytes`);
      got += n;
    }
  } finally {
    conn.close();
  }
}

/** Writes `len` bytes of `data`, which may end mid-command, then closes without reading. */
async function killWhileSending(port: number, data: Uint8Array, len: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, data.subarray(0, len));
  } finally {
    conn.close();
  }
}

/** Closes the socket from outside while a pipeline write on it is still in progress. */
async function killDuringWrite(port: number, chunk: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const writing = (async () => {
    for (let r = 0; r < 20; r++) await writeAll(conn, chunk);
  })().catch(() => {}); // the close makes the pending write fail: that is the point
  await delay(30);
  conn.close();
  await writing;
}

async function killedMidPipeline(s: EngineServer): Promise<void> {
  const big = bigValue();
  assert.equal(str(await withConn(s.port, (c) => c.call("SET", "big", big.value))), "OK");
  const chunk = pipeChunk("kill");
  const huge = encode(["SET", "kill:huge", new Uint8Array(8 * BIG)]);
  // meanwhile fresh connections (reusing the freed connection slots) must get exact replies
  let killing = true, checks = 0;
  const checker = (async () => {
    while (killing) {
      await withConn(s.port, async (c) => {
        const t0 = performance.now();
        const r = await c.send("GET", "big");
        const ms = performance.now() - t0;
        assert.ok(sameBytes(r, big.reply), `GET big returned a wrong reply: ${show(r, 120)}`);
        assert.ok(ms < 5 * PROMPT_MS, `GET big took ${ms.toFixed(0)} ms next to killed clients`);
      });
      checks++;
    }
  })();
  try {
    for (let round = 0; round < 2; round++) {
      await Promise.all([
        ...[0, BIG, 3 * BIG, 9 * BIG].map((n) => killWhileReceiving(s.port, n)),
        killWhileSending(s.port, concat(Array.from({ length: 10 }, () => chunk)), 5 * BIG + 17),
        killWhileSending(s.port, huge, 4 * BIG),
        killDuringWrite(s.port, chunk),
      ]);
    }
  } finally {
    killing = false;
    await checker;
  }
  assert.ok(checks > 0, "no GET completed while clients were killed");
  await withConn(s.port, async (c) => {
    assert.ok(sameBytes(await c.send("GET", "big"), big.reply), "GET big after the kills");
    assert.equal(await c.call("EXISTS", "kill:huge"), 0, "a SET cut in its value was executed");
    assert.equal(str(await c.call("PING")), "PONG");
  });
}

engineTests("engine pipelines", [1, 2], [
  { name: "100 MB pipeline written without reading", run: hugePipeline },
  { name: "clients killed mid-pipeline", run: killedMidPipeline },
  { name: "1M GETs (22 MB of replies) written without reading", run: replyHeavyPipeline },
]);
