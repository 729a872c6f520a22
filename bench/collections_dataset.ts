/**
 * The collections dataset of bench/collections.ts: `count` keys of each of hashes of 10 fields
 * (8-byte names, 16-byte values), sets of 10 members, sorted sets of 10 members and lists of 10
 * items, written as one RESP stream and loaded with `redis-cli --pipe` (what users do to bulk
 * load). Members and values are 8/16-byte strings that are not integers, so Redis holds hashes
 * and sorted sets as listpacks, lists as one-node quicklists and sets as hashtables.
 */

import { runTool } from "../tests/helpers/server.ts";
import { call, dbsize, delay, flushAndPurge, infoField, rss } from "./keyspace_wire.ts";
import type { Column } from "./report.ts";

export const KINDS = ["hash", "set", "zset", "list", "mixed"] as const;
export type Kind = typeof KINDS[number];

const enc = new TextEncoder();

function command(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/** Eight characters for j (0..9) of key i: never an integer. */
function name8(prefix: string, i: number, j: number): string {
  return (prefix + String.fromCharCode(97 + j) + (i % 100000).toString(36)).padEnd(8, "_")
    .slice(0, 8);
}

function value16(i: number, j: number): string {
  return `v${j}:${i.toString(16)}`.padEnd(16, "x");
}

/** The commands that build key i of one type. */
function build(kind: Exclude<Kind, "mixed">, i: number): string {
  const key = `${kind}:${String(i).padStart(9, "0")}`;
  const a: string[] = [];
  switch (kind) {
    case "hash":
      a.push("HSET", key);
      for (let j = 0; j < 10; j++) a.push(name8("f", i, j), value16(i, j));
      break;
    case "set":
      a.push("SADD", key);
      for (let j = 0; j < 10; j++) a.push(name8("m", i, j));
      break;
    case "zset":
      a.push("ZADD", key);
      for (let j = 0; j < 10; j++) a.push(String(j * 1.5 + (i % 7)), name8("z", i, j));
      break;
    case "list":
      a.push("RPUSH", key);
      for (let j = 0; j < 10; j++) a.push(value16(i, j));
      break;
  }
  return command(a);
}

/** Writes the RESP stream for `kind` (count keys of each type for "mixed") to a temp file. */
export async function datasetFile(kind: Kind, count: number): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: `skua-collections-${kind}-`, suffix: ".resp" });
  const f = await Deno.open(path, { write: true, truncate: true });
  try {
    const kinds = kind === "mixed" ? (["hash", "set", "zset", "list"] as const) : [kind];
    let chunk = "";
    for (const k of kinds) {
      for (let i = 0; i < count; i++) {
        chunk += build(k, i);
        if (chunk.length > 1 << 20) {
          await f.write(enc.encode(chunk));
          chunk = "";
        }
      }
    }
    await f.write(enc.encode(chunk));
  } finally {
    f.close();
  }
  return path;
}

export interface DatasetResult {
  keys: number;
  rssBefore: number;
  rssAfter: number;
  usedBefore: number;
  usedAfter: number;
  loadSeconds: number;
}

/** Loads the file into the column's (fresh) server and measures what the keys cost. */
export async function loadDataset(c: Column, file: string): Promise<DatasetResult> {
  const { port, proc } = c.server;
  await flushAndPurge(port);
  await delay(1000);
  const rssBefore = await rss(proc.pid);
  const usedBefore = await infoField(port, "memory", "used_memory");
  const t0 = performance.now();
  const input = await Deno.readFile(file);
  const r = await runTool("redis-cli", ["-p", String(port), "--pipe"], input);
  const loadSeconds = (performance.now() - t0) / 1000;
  if (r.code !== 0 || !/errors: 0,/.test(r.stdout)) {
    throw new Error(`redis-cli --pipe into ${c.label}: ${r.stdout}${r.stderr}`);
  }
  const keys = await dbsize(port);
  await delay(1500);
  const rssAfter = await rss(proc.pid);
  const usedAfter = await infoField(port, "memory", "used_memory");
  await call(port, "FLUSHALL");
  return { keys, rssBefore, rssAfter, usedBefore, usedAfter, loadSeconds };
}
