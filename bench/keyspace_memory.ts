/**
 * What things cost in resident memory: scenario "memory" (RSS and used_memory per key of a
 * keyspace of small strings, loaded with redis-benchmark) and scenario "idle" (RSS per idle
 * client connection).
 */

import { runBench } from "./redis_benchmark.ts";
import type { Column } from "./report.ts";
import { fixed, type Head, int, Invocations, mib, ratioRow, table } from "./keyspace_report.ts";
import { call, dbsize, delay, flushAndPurge, infoField, rss } from "./keyspace_wire.ts";
import { fdLimit } from "../tests/helpers/fds.ts";

export interface MemoryResult {
  /** -n and -r of the load. */
  n: number;
  r: number;
  keys: number;
  rssBefore: number;
  rssAfter: number;
  usedBefore: number;
  usedAfter: number;
  loadSeconds: number;
  loadRps: number;
}

/**
 * Requests that leave at least `keys` distinct keys on average when drawn at random from
 * `range` keys: the expected count after n draws is range * (1 - exp(-n / range)).
 */
export function requestsFor(keys: number, range: number): number {
  if (keys >= range) throw new Error(`${keys} distinct keys cannot come from ${range}`);
  return Math.ceil(-range * Math.log1p(-keys / range));
}

/** redis-benchmark's arguments for a SET-only load: key:<12 digits> (16 bytes), 32-byte values. */
export function loadArgs(port: number, n: number, range: number): string[] {
  return [
    ...["-p", String(port), "-t", "set", "-n", String(n), "-r", String(range), "-d", "32"],
    ...["-c", "50", "-P", "16", "--csv"],
  ];
}

/** FLUSHALL + MEMORY PURGE, RSS; load about `keys` keys; DBSIZE, RSS again; FLUSHALL. */
export async function memoryPerKey(
  c: Column,
  keys: number,
  inv: Invocations,
): Promise<MemoryResult> {
  const { port, proc } = c.server;
  await flushAndPurge(port);
  await delay(1000);
  const rssBefore = await rss(proc.pid);
  const usedBefore = await infoField(port, "memory", "used_memory");
  const r = 10 * keys;
  const n = requestsFor(keys, r);
  const args = loadArgs(port, n, r);
  inv.add(args, `${c.label}, memory load`);
  const t0 = performance.now();
  const load = await runBench(args);
  const loadSeconds = (performance.now() - t0) / 1000;
  const stored = await dbsize(port);
  await delay(1000);
  const rssAfter = await rss(proc.pid);
  const usedAfter = await infoField(port, "memory", "used_memory");
  await call(port, "FLUSHALL");
  return {
    n,
    r,
    keys: stored,
    rssBefore,
    rssAfter,
    usedBefore,
    usedAfter,
    loadSeconds,
    loadRps: load.get("SET")?.rps ?? NaN,
  };
}

export function memoryTable(heads: Head[], rs: MemoryResult[]): string {
  const perKey = rs.map((r) => (r.rssAfter - r.rssBefore) / r.keys);
  const usedPerKey = rs.map((r) => (r.usedAfter - r.usedBefore) / r.keys);
  return table("memory: a keyspace of 16-byte keys with 32-byte values", heads, [
    ["keys (DBSIZE)", rs.map((r) => int(r.keys))],
    ["RSS before MiB", rs.map((r) => mib(r.rssBefore))],
    ["RSS after MiB", rs.map((r) => mib(r.rssAfter))],
    ["RSS bytes/key", perKey.map(int)],
    ratioRow("RSS/key Skua/Redis", heads, perKey),
    ["used_memory after MiB", rs.map((r) => mib(r.usedAfter))],
    ["used_memory bytes/key", usedPerKey.map(int)],
    ratioRow("used_memory/key Skua/Redis", heads, usedPerKey),
    ["load SET req/s", rs.map((r) => int(r.loadRps))],
    ["load seconds", rs.map((r) => fixed(r.loadSeconds, 1))],
  ]);
}

/** How the memory table was measured, for the report. */
export function memoryMethod(keys: number): string {
  return `A freshly started server per column, alone: FLUSHALL, MEMORY PURGE, 1 s, then VmRSS ` +
    `of the server process (/proc/<pid>/status; for Skua the deno process with all its shard ` +
    `threads) and INFO used_memory; then redis-benchmark SET with 16-byte keys (key:<12 ` +
    `digits>) and 32-byte values, -r ${10 * keys} and -n such that the expected distinct keys ` +
    `r(1-exp(-n/r)) ≥ ${keys}; DBSIZE, 1 s, RSS and used_memory again, then FLUSHALL. ` +
    `Bytes/key = (after − before) / DBSIZE; Skua/Redis below 1: Skua uses less. used_memory is ` +
    `each server's own accounting, RSS what the system sees.`;
}

export interface IdleResult {
  wanted: number;
  opened: number;
  rssBefore: number;
  rssAfter: number;
  /** INFO clients' connected_clients while they were open (counting the asking connection). */
  clients: number;
}

export const IDLE_CONNECTIONS = 5000;
const FD_HEADROOM = 1000;

/**
 * How many idle connections to open under fd limit `limit` (of this process and, inherited, of
 * the servers it starts): 5000 from a limit of 11000 on, fewer below, with headroom.
 */
export function idleCount(limit: number): number {
  return Math.max(0, Math.min(IDLE_CONNECTIONS, Math.floor((limit - FD_HEADROOM) / 2)));
}

function fdAdvice(limit: number): string {
  const need = 2 * IDLE_CONNECTIONS + FD_HEADROOM;
  return `this process's fd limit (ulimit -n) is ${limit}; raise it to ${need} ` +
    `(e.g. \`ulimit -n ${need}\` in the shell that runs the benchmark)`;
}

/** Connects and gets +PONG for a PING; a refusal says what to change. */
async function idleConn(port: number, limit: number): Promise<Deno.TcpConn> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch (e) {
    throw new Error(`connect failed (${(e as Error).message}): ${fdAdvice(limit)}`);
  }
  try {
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(256);
    let got = 0;
    while (got < 7) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    const reply = new TextDecoder().decode(buf.subarray(0, got));
    if (reply !== "+PONG\r\n") {
      throw new Error(`PING replied ${JSON.stringify(reply)}: ${fdAdvice(limit)}`);
    }
    return conn;
  } catch (e) {
    conn.close();
    throw e;
  }
}

/** RSS with `count` idle connections open minus RSS without, on an otherwise idle server. */
export async function idleConnections(c: Column, count: number): Promise<IdleResult> {
  const { port, proc } = c.server;
  const limit = fdLimit();
  (await idleConn(port, limit)).close(); // the first connection may set things up once
  await delay(1000);
  const rssBefore = await rss(proc.pid);
  const conns: Deno.TcpConn[] = [];
  try {
    while (conns.length < count) {
      const batch = Math.min(100, count - conns.length);
      const opened = await Promise.allSettled(
        Array.from({ length: batch }, () => idleConn(port, limit)),
      );
      for (const o of opened) if (o.status === "fulfilled") conns.push(o.value);
      const failed = opened.find((o) => o.status === "rejected");
      if (failed) {
        throw new Error(`after ${conns.length} idle connections: ${failed.reason.message}`);
      }
    }
    await delay(1000);
    const rssAfter = await rss(proc.pid);
    const clients = await infoField(port, "clients", "connected_clients");
    return { wanted: IDLE_CONNECTIONS, opened: conns.length, rssBefore, rssAfter, clients };
  } finally {
    for (const conn of conns) conn.close();
  }
}

export function idleTable(heads: Head[], rs: IdleResult[]): string {
  const perConn = rs.map((r) => (r.rssAfter - r.rssBefore) / r.opened);
  return table("idle: client connections that sent one PING", heads, [
    ["connections", rs.map((r) => int(r.opened))],
    ["connected_clients", rs.map((r) => int(r.clients))],
    ["RSS before MiB", rs.map((r) => mib(r.rssBefore))],
    ["RSS with them MiB", rs.map((r) => mib(r.rssAfter))],
    ["RSS bytes/connection", perConn.map(int)],
    ratioRow("bytes/connection Skua/Redis", heads, perConn),
  ]);
}

/** The report's sentence on the connection count, or null when it is the full 5000. */
export function idleShortfall(limit: number): string | null {
  const n = idleCount(limit);
  return n >= IDLE_CONNECTIONS
    ? null
    : `Only ${n} connections instead of ${IDLE_CONNECTIONS}: ${fdAdvice(limit)}.`;
}

/** How the idle table was measured, for the report. */
export function idleMethod(limit: number): string {
  return `A freshly started server per column, alone: one PING connection first, 1 s, RSS; then ` +
    `connections that each send PING and read +PONG (100 at a time), 1 s, RSS and INFO ` +
    `connected_clients (which counts the asking connection too); then they are closed. ` +
    `Bytes/connection = (with − before) / connections; Skua/Redis below 1: Skua uses less. The ` +
    `fd limit (ulimit -n) of this run was ${limit}. ${idleShortfall(limit) ?? ""}`;
}
