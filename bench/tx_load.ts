/**
 * Load generator for MULTI/EXEC blocks, which redis-benchmark cannot send as one operation.
 *
 *   deno run -A bench/tx_load.ts --port P [--connections 50] [--seconds 5] [--warmup 1]
 *     [--keys k1,k2,k3,k4]
 *
 * Each of C connections loops: write MULTI, INCR k1 .. INCR kn, EXEC in one write, read the
 * n+2 replies, repeat. After a warm-up, blocks completed during the measured window are counted
 * and their latency (write to last reply) recorded. Every reply is checked: +OK, +QUEUED each,
 * and an EXEC array of n integers that must all be equal (every block increments every
 * counter, so a block that sees unequal counters saw another block half done). At the end the
 * counters must all equal the number of blocks completed.
 */

import { parseArgs } from "node:util";
import process from "node:process";

export interface TxLoadOptions {
  port: number;
  /** Counters incremented by every block. */
  keys: string[];
  connections?: number;
  /** Length of the measured window. */
  seconds?: number;
  /** Unmeasured run before the window (connections warm up, JIT settles). */
  warmupSeconds?: number;
}

export interface TxLoadResult {
  /** Blocks completed within the measured window. */
  blocks: number;
  seconds: number;
  blocksPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Blocks whose replies were not what a serializable MULTI/EXEC must give. */
  badBlocks: number;
  /** First unexpected reply, for the error message. */
  firstBad: string;
  /** The load generator's own CPU use over the window, percent of one core. */
  clientCpuPct: number;
}

const OK = "+OK\r\n";
const QUEUED = "+QUEUED\r\n";

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function resp(...args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

function bytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** The whole block as one buffer: MULTI, INCR per key, EXEC. */
export function blockRequest(keys: string[]): Uint8Array {
  return bytes(resp("MULTI") + keys.map((k) => resp("INCR", k)).join("") + resp("EXEC"));
}

async function writeAll(conn: Deno.Conn, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) off += await conn.write(buf.subarray(off));
}

/** Index just past the CRLF-terminated line starting at `p`, or -1 if it is not all there. */
function lineEnd(buf: Uint8Array, p: number, end: number): number {
  for (let i = p; i + 1 < end; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i + 2;
  return -1;
}

/** The integer of the line at `p` (after its type byte); the line is known complete. */
function lineInt(buf: Uint8Array, p: number): number {
  let i = p + 1, neg = false, n = 0;
  if (buf[i] === 45) {
    neg = true;
    i++;
  }
  for (; buf[i] !== 13; i++) n = n * 10 + buf[i] - 48;
  return neg ? -n : n;
}

/**
 * One connection's reply parser for a block of `n` INCRs. `feed` returns null while the
 * block's replies are incomplete, "" when they are all in and as expected, else a description
 * of what was wrong. Replies are small, so a partial block is re-parsed from its start.
 */
class BlockReader {
  readonly buf = new Uint8Array(1 << 16);
  len = 0;
  /** The replies before EXEC's: +OK, then +QUEUED per INCR. */
  private readonly prefix: Uint8Array;
  constructor(private readonly n: number) {
    this.prefix = bytes(OK + QUEUED.repeat(n));
  }

  private prefixMatches(p: number): boolean {
    if (p !== this.prefix.length) return false;
    for (let i = 0; i < p; i++) if (this.buf[i] !== this.prefix[i]) return false;
    return true;
  }

  feed(): string | null {
    const b = this.buf, end = this.len;
    let p = 0;
    for (let r = 0; r < this.n + 1; r++) {
      const e = lineEnd(b, p, end);
      if (e < 0) return null;
      p = e;
    }
    const head = lineEnd(b, p, end);
    if (head < 0) return null;
    let bad = "";
    if (!this.prefixMatches(p)) bad = latin1(b.subarray(0, p));
    let q = head;
    if (b[p] === 42 && lineInt(b, p) === this.n) {
      let first = NaN;
      for (let i = 0; i < this.n; i++) {
        const e = lineEnd(b, q, end);
        if (e < 0) return null;
        const v = lineInt(b, q);
        if (b[q] !== 58 || (i > 0 && v !== first)) bad ||= latin1(b.subarray(p, e));
        if (i === 0) first = v;
        q = e;
      }
    } else {
      // An error, a null (aborted) EXEC or a wrong count: take the rest as the description.
      bad ||= latin1(b.subarray(p, end));
      q = end;
    }
    if (q !== end) bad ||= `extra bytes after EXEC: ${latin1(b.subarray(q, end))}`;
    this.len = 0;
    return bad;
  }
}

/** A growable list of latencies in ms. */
class Samples {
  xs = new Float64Array(1 << 16);
  n = 0;
  push(x: number): void {
    if (this.n === this.xs.length) {
      const next = new Float64Array(this.xs.length * 2);
      next.set(this.xs);
      this.xs = next;
    }
    this.xs[this.n++] = x;
  }
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    const s = this.xs.slice(0, this.n).sort();
    return s[Math.min(this.n - 1, Math.floor(q * this.n))];
  }
}

/**
 * End of the reply starting at `p` in `text`, or -1 if it is incomplete. Covers the RESP2
 * types (simple string, error, integer, bulk string, array).
 */
function replyEnd(text: string, p: number): number {
  const e = text.indexOf("\r\n", p);
  if (e < 0) return -1;
  const n = Number(text.slice(p + 1, e));
  switch (text[p]) {
    case "$":
      return n < 0 ? e + 2 : text.length >= e + 2 + n + 2 ? e + 2 + n + 2 : -1;
    case "*": {
      let q = e + 2;
      for (let i = 0; i < n && q >= 0; i++) q = replyEnd(text, q);
      return q;
    }
    default:
      return e + 2;
  }
}

/** Sends one command on a fresh connection and returns its raw reply. */
async function command(port: number, ...args: string[]): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, bytes(resp(...args)));
    const buf = new Uint8Array(4096);
    let text = "";
    while (text === "" || replyEnd(text, 0) < 0) {
      const n = await conn.read(buf);
      if (n === null) throw new Error(`connection closed before the reply to ${args[0]}`);
      text += latin1(buf.subarray(0, n));
    }
    return text;
  } finally {
    conn.close();
  }
}

/** The integers of an MGET reply (nil -> 0). */
function mgetInts(text: string): number[] {
  const lines = text.split("\r\n");
  const out: number[] = [];
  for (let i = 1; i < lines.length - 1; i++) {
    if (lines[i] === "$-1") out.push(0);
    else if (lines[i][0] === "$") out.push(Number(lines[++i]));
  }
  return out;
}

export async function runTxLoad(o: TxLoadOptions): Promise<TxLoadResult> {
  const c = o.connections ?? 50;
  const seconds = o.seconds ?? 5;
  const warmup = o.warmupSeconds ?? 1;
  const n = o.keys.length;
  await command(o.port, "DEL", ...o.keys);
  const req = blockRequest(o.keys);
  const samples = new Samples();
  // 0 warm-up, 1 measuring, 2 stopping.
  let phase = 0;
  let measured = 0, total = 0, badBlocks = 0, firstBad = "";

  const conns = await Promise.all(
    Array.from({ length: c }, () => Deno.connect({ hostname: "127.0.0.1", port: o.port })),
  );
  const loop = async (conn: Deno.TcpConn): Promise<void> => {
    conn.setNoDelay(true);
    const r = new BlockReader(n);
    while (phase !== 2) {
      const t0 = performance.now();
      await writeAll(conn, req);
      let verdict: string | null = null;
      while (verdict === null) {
        if (r.len === r.buf.length) throw new Error("block reply larger than the read buffer");
        const got = await conn.read(r.buf.subarray(r.len));
        if (got === null) throw new Error("server closed the connection");
        r.len += got;
        verdict = r.feed();
      }
      total++;
      if (verdict !== "") {
        badBlocks++;
        firstBad ||= verdict;
      }
      if (phase === 1) {
        measured++;
        samples.push(performance.now() - t0);
      }
    }
  };
  const running = Promise.all(conns.map(loop));
  let failed: unknown = null;
  running.catch((e) => failed = e);
  const sleep = (s: number) => new Promise((res) => setTimeout(res, s * 1000));

  await sleep(warmup);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  phase = 1;
  await sleep(seconds);
  phase = 2;
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const inWindow = measured;
  // Blocks in flight finish within milliseconds; a server that sent fewer replies than
  // expected would leave a connection waiting forever.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<"stuck">((r) => timer = setTimeout(() => r("stuck"), 10_000));
  const settled = await Promise.race([running.then(() => "done", () => "done"), stuck]);
  clearTimeout(timer);
  for (const conn of conns) conn.close();
  if (settled === "stuck") {
    throw new Error("connections still waiting for replies 10 s after the end");
  }
  if (failed !== null) throw failed;

  const counters = mgetInts(await command(o.port, "MGET", ...o.keys));
  if (counters.length !== n || counters.some((v) => v !== total)) {
    badBlocks++;
    firstBad ||= `counters ${counters.join(",")} after ${total} blocks`;
  }
  return {
    blocks: inWindow,
    seconds: wall,
    blocksPerSec: inWindow / wall,
    p50Ms: samples.quantile(0.5),
    p99Ms: samples.quantile(0.99),
    badBlocks,
    firstBad,
    clientCpuPct: ((cpu.user + cpu.system) / 1e6 / wall) * 100,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string" },
      connections: { type: "string", default: "50" },
      seconds: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      keys: { type: "string", default: "tx:k1,tx:k2,tx:k3,tx:k4" },
    },
  });
  if (values.port === undefined) throw new Error("--port is required");
  const r = await runTxLoad({
    port: Number(values.port),
    keys: values.keys.split(","),
    connections: Number(values.connections),
    seconds: Number(values.seconds),
    warmupSeconds: Number(values.warmup),
  });
  console.log(JSON.stringify(r, null, 2));
  if (r.badBlocks > 0) Deno.exit(1);
}

if (import.meta.main) await main();
