/**
 * Scenario "bigvalues": SET and GET of one 100 MiB and one 512 MiB string (512 MiB is the
 * largest proto-max-bulk-len allows by default), timed on raw connections, and whether the
 * server gives the memory back once they are deleted.
 */

import type { Column } from "./report.ts";
import { SlotMap } from "../src/cluster/slots.ts";
import { type Head, mib, ms, ratioRow, type Row, table } from "./keyspace_report.ts";
import {
  call,
  delay,
  encode,
  ReplyError,
  rss,
  rssPeak,
  Wire,
  withTimeout,
} from "./keyspace_wire.ts";

const MiB = 1024 * 1024;
export const BIG_VALUES = [{ key: "big1", size: 100 * MiB }, { key: "big2", size: 512 * MiB }];
const TIMEOUT_MS = 300_000;
const FILL = 0x78; // "x"
/**
 * Memory touched by a helper process before each column. On a VM, the first touch of guest
 * memory the host has not backed yet costs ~2 s per GiB (measured here: 3 GiB in 6.5 s), several
 * times the cost of zeroing a page the guest already has; which server got such memory
 * depended on the order of the columns (the last one inherited the first ones' freed pages).
 * Touched and freed first, the memory the next server allocates is backed for every column.
 */
const WARM_GIB = 4;

/** A timed operation: its milliseconds, or why it did not succeed. */
export type Timing = { ms: number } | { error: string };

export interface BigResult {
  set: Timing[];
  get: Timing[];
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A connection to the column's server. With several shards, one held by a shard that does not
 * own `key` (a client id names its shard: id mod shards), so the value always crosses the mesh:
 * the kernel spreads connections over the shards, and a value that happened to be local made
 * runs of the same build differ by 5x.
 */
async function connectAcross(c: Column, key: string): Promise<Wire> {
  const port = c.server.port;
  if (c.redis || c.shards < 2) return await Wire.connect(port);
  const owner = new SlotMap(c.shards).ownerOfLatin1(key);
  for (let tries = 0; tries < 100; tries++) {
    const w = await Wire.connect(port);
    await w.write(encode(["CLIENT", "ID"]));
    const id = await w.reply();
    if (typeof id === "number" && id % c.shards !== owner) return w;
    w.close();
  }
  throw new Error(`no connection off the shard owning ${key} in 100 tries`);
}

/** `SET key <size bytes of "x">` as one RESP request. */
function setRequest(key: string, size: number): Uint8Array {
  const head = new TextEncoder().encode(
    `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${size}\r\n`,
  );
  const req = new Uint8Array(head.length + size + 2);
  req.set(head);
  req.fill(FILL, head.length, head.length + size);
  req.set([13, 10], head.length + size);
  return req;
}

/**
 * Times from the first byte written to +OK. The reply is read while the request is still
 * being written, so a server that refuses the value early (and closes) is reported as such.
 */
async function timedSet(c: Column, key: string, size: number): Promise<Timing> {
  const req = setRequest(key, size);
  const w = await connectAcross(c, key);
  try {
    const t0 = performance.now();
    const reply = w.reply();
    const wrote = w.write(req).then(() => null, (e: unknown) => message(e));
    let r;
    try {
      r = await withTimeout(reply, TIMEOUT_MS, `SET ${key}`, () => w.close());
    } catch (e) {
      const werr = await wrote;
      return { error: message(e) + (werr === null ? "" : ` (write: ${werr})`) };
    }
    const t1 = performance.now();
    if (r !== "OK") return { error: `replied ${r instanceof ReplyError ? r : String(r)}` };
    return { ms: t1 - t0 };
  } finally {
    w.close();
  }
}

/**
 * Times from the first byte of GET written to the last byte of the reply read, and checks the
 * reply: its length, and the first and last byte of every piece read (a check of every byte
 * would put seconds of client work into the time measured).
 */
async function timedGet(c: Column, key: string, size: number): Promise<Timing> {
  const chunk = new Uint8Array(16 * MiB);
  const w = await connectAcross(c, key);
  try {
    const t0 = performance.now();
    await w.write(encode(["GET", key]));
    let wrong = 0;
    const read = async () => {
      const head = await w.line();
      if (head !== `$${size}`) return `replied ${head.slice(0, 200)}`;
      await w.readThrough(size, chunk, (piece) => {
        if (piece.length > 0 && (piece[0] !== FILL || piece[piece.length - 1] !== FILL)) wrong++;
      });
      return await w.line() === "" ? null : "no CRLF after the value";
    };
    const bad = await withTimeout(read(), TIMEOUT_MS, `GET ${key}`, () => w.close());
    const t1 = performance.now();
    if (bad !== null) return { error: bad };
    if (wrong > 0) return { error: "the value read back differs from the one written" };
    return { ms: t1 - t0 };
  } catch (e) {
    return { error: message(e) };
  } finally {
    w.close();
  }
}

/** Touch `gib` GiB in a process of its own, which then exits and frees it (see WARM_GIB). */
async function warmMemory(gib: number): Promise<void> {
  const code = `const kept = []; ` +
    `for (let i = 0; i < ${gib * 2}; i++) kept.push(new Uint8Array(1 << 29).fill(i + 1));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`warming ${gib} GiB of memory failed`);
}

/**
 * Memory warmed; RSS; SET and GET each big value; DEL them, wait 2 s, MEMORY PURGE, wait 1 s,
 * RSS again.
 */
export async function bigValues(c: Column): Promise<BigResult> {
  const { port, proc } = c.server;
  await warmMemory(WARM_GIB);
  await delay(1000);
  const rssBefore = await rss(proc.pid);
  const peak = rssPeak(proc.pid);
  const set: Timing[] = [];
  const get: Timing[] = [];
  let rssMax = 0;
  try {
    for (const { key, size } of BIG_VALUES) {
      const s = await timedSet(c, key, size);
      set.push(s);
      get.push("ms" in s ? await timedGet(c, key, size) : { error: "not stored" });
      const how = (t: Timing) => "ms" in t ? `${t.ms.toFixed(0)} ms` : t.error;
      console.error(
        `  ${c.label} ${key} (${size / MiB} MiB): SET ${how(s)}, GET ${how(get.at(-1)!)}`,
      );
    }
    await call(port, "DEL", ...BIG_VALUES.map((b) => b.key));
    await delay(2000);
    await call(port, "MEMORY", "PURGE");
    await delay(1000);
  } finally {
    rssMax = await peak.stop();
  }
  const rssAfter = await rss(proc.pid);
  return { set, get, rssBefore, rssPeak: Math.max(rssMax, rssAfter), rssAfter };
}

function timing(t: Timing): string {
  return "ms" in t ? ms(t.ms) : t.error;
}

export function bigTable(heads: Head[], rs: BigResult[]): string {
  const rows: Array<Row | null> = [];
  BIG_VALUES.forEach(({ size }, i) => {
    const mb = `${size / MiB} MiB`;
    for (const op of ["set", "get"] as const) {
      const ts = rs.map((r) => r[op][i]);
      const name = `${op.toUpperCase()} ${mb}`;
      rows.push([`${name} ms`, ts.map(timing)]);
      rows.push(ratioRow(`${name} Skua/Redis`, heads, ts.map((t) => "ms" in t ? t.ms : NaN)));
    }
  });
  rows.push(
    ["RSS before MiB", rs.map((r) => mib(r.rssBefore))],
    ["RSS peak MiB", rs.map((r) => mib(r.rssPeak))],
    ["RSS after MiB", rs.map((r) => mib(r.rssAfter))],
    ["RSS back within 10%", rs.map((r) => r.rssAfter <= 1.1 * r.rssBefore ? "yes" : "no")],
  );
  return table("bigvalues: one 100 MiB and one 512 MiB string", heads, rows);
}

/** How the bigvalues table was measured, for the report. */
export function bigMethod(): string {
  return `A freshly started server per column, alone; a helper process touches and frees ` +
    `${WARM_GIB} GiB (on a VM the first touch of memory the host has not backed yet cost ` +
    `several times a warm page, and went to whichever column came first); 1 s, RSS; with ` +
    `several shards every SET and GET below comes on a connection held by a shard that does ` +
    `not own the key, so the value crosses shards; SET big1 with a 100 MiB value ` +
    `from one prebuilt RESP request, timed from its first byte written to +OK; GET big1, timed ` +
    `until the whole reply is read (its length and bytes sampled from every piece checked); ` +
    `the same for big2 with 512 MiB (the default proto-max-bulk-len, the largest value ` +
    `allowed); DEL both, 2 s, MEMORY PURGE, 1 s, RSS. Peak is the highest RSS sampled every ` +
    `20 ms. Skua/Redis above 1: Skua is slower.`;
}
