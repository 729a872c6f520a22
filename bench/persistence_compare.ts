/**
 * Reads every key of a server the same way on both sides of the round trip and compares: per
 * key its TYPE, PEXPIRETIME and value read by type (GET, LRANGE, HGETALL and SMEMBERS sorted,
 * ZRANGE WITHSCORES), reduced to a 53-bit digest; beside it OBJECT ENCODING and a digest of the
 * DUMP payload, which are reported but not counted as mismatches (a hashtable's DUMP follows
 * its iteration order, which differs between processes).
 */

import { Conn, ErrorReply, type Value } from "./persistence_resp.ts";

export interface KeyState {
  type: string;
  digest: number;
  enc: string;
  /** digest of the DUMP payload's bytes; -1 when DUMP failed */
  dump: number;
}

/** `${db} ${key}` -> state. */
export type Snapshot = Map<string, KeyState>;

export const DBS = [0, 1];

/** cyrb53 over a string's UTF-16 code units. */
export function hash53(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed, h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Every key of databases DBS, by SCAN. */
export async function keysOf(port: number): Promise<Array<[number, string]>> {
  const c = await Conn.connect(port);
  const out: Array<[number, string]> = [];
  try {
    for (const db of DBS) {
      await c.call("SELECT", String(db));
      let cursor = "0";
      do {
        const [next, keys] = await c.call("SCAN", cursor, "COUNT", "1000") as [string, string[]];
        for (const k of keys) out.push([db, k]);
        cursor = next;
      } while (cursor !== "0");
    }
  } finally {
    c.close();
  }
  return out;
}

export async function dbsizes(port: number): Promise<number[]> {
  const c = await Conn.connect(port);
  try {
    const out: number[] = [];
    for (const db of DBS) {
      await c.call("SELECT", String(db));
      out.push(await c.call("DBSIZE") as number);
    }
    return out;
  } finally {
    c.close();
  }
}

function readCommand(type: Value, key: string): string[] | null {
  switch (type) {
    case "string":
      return ["GET", key];
    case "list":
      return ["LRANGE", key, "0", "-1"];
    case "hash":
      return ["HGETALL", key];
    case "set":
      return ["SMEMBERS", key];
    case "zset":
      return ["ZRANGE", key, "0", "-1", "WITHSCORES"];
  }
  return null;
}

/** The value as one string, order-free where the type is unordered. */
function canonicalValue(type: Value, r: Value): string {
  if (type === "hash" && Array.isArray(r)) {
    const pairs: string[][] = [];
    for (let i = 0; i < r.length; i += 2) pairs.push([String(r[i]), String(r[i + 1])]);
    pairs.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    return JSON.stringify(pairs);
  }
  if (type === "set" && Array.isArray(r)) return JSON.stringify(r.map(String).sort());
  return JSON.stringify(r instanceof ErrorReply ? String(r) : r);
}

interface Seen {
  key: string;
  type: string;
  canonical: string;
  enc: string;
  /** the DUMP payload, one char per byte; "" when DUMP failed */
  dump: string;
}

/** Reads `keys` (any number of them) on one connection, pipelined in batches. */
async function readKeys(c: Conn, keys: string[], see: (s: Seen) => void): Promise<void> {
  const BATCH = 500;
  for (let at = 0; at < keys.length; at += BATCH) {
    const batch = keys.slice(at, at + BATCH);
    const meta = await c.run(batch.flatMap((k) => [
      ["TYPE", k],
      ["PEXPIRETIME", k],
      ["OBJECT", "ENCODING", k],
      ["DUMP", k],
    ]));
    const reads = batch.map((k, i) => readCommand(meta[4 * i], k));
    const values = await c.run(reads.filter((x): x is string[] => x !== null));
    let v = 0;
    batch.forEach((key, i) => {
      const [type, pexp, enc, dump] = meta.slice(4 * i, 4 * i + 4);
      const value = reads[i] === null ? "" : canonicalValue(type, values[v++]);
      see({
        key,
        type: String(type),
        canonical: `${String(type)}\u0000${String(pexp)}\u0000${value}`,
        enc: String(enc),
        dump: typeof dump === "string" ? dump : "",
      });
    });
  }
}

/** Reads every key of `keys` from `port`. */
export async function snapshot(port: number, keys: Array<[number, string]>): Promise<Snapshot> {
  const out: Snapshot = new Map();
  const c = await Conn.connect(port);
  try {
    for (const db of DBS) {
      await c.call("SELECT", String(db));
      const mine = keys.filter(([d]) => d === db).map(([, k]) => k);
      await readKeys(c, mine, (s) => {
        out.set(`${db} ${s.key}`, {
          type: s.type,
          digest: hash53(s.canonical),
          enc: s.enc,
          dump: s.dump === "" ? -1 : hash53(s.dump),
        });
      });
    }
  } finally {
    c.close();
  }
  return out;
}

/** One key's canonical text, for describing a mismatch. */
export async function describe(port: number, db: number, key: string): Promise<string> {
  const c = await Conn.connect(port);
  try {
    await c.call("SELECT", String(db));
    let text = "";
    await readKeys(c, [key], (s) => {
      text = `${s.canonical.replaceAll("\u0000", " | ")} (encoding ${s.enc})`;
    });
    return text;
  } finally {
    c.close();
  }
}

export interface Comparison {
  keys: number;
  missing: number;
  content: number;
  /** first mismatches: `${db} ${key}` and why */
  samples: Array<[string, string]>;
  /** `a -> b` encoding changes and their counts */
  encodings: Map<string, number>;
  /** per encoding (same on both sides): [DUMP byte-identical, keys] */
  dumps: Map<string, [number, number]>;
}

export function compare(a: Snapshot, b: Snapshot): Comparison {
  const c: Comparison = {
    keys: a.size,
    missing: 0,
    content: 0,
    samples: [],
    encodings: new Map(),
    dumps: new Map(),
  };
  for (const [k, x] of a) {
    const y = b.get(k);
    if (y === undefined || y.type === "none") {
      c.missing++;
      if (c.samples.length < 10) c.samples.push([k, `missing (${x.type}, ${x.enc})`]);
      continue;
    }
    if (x.digest !== y.digest) {
      c.content++;
      if (c.samples.length < 10) c.samples.push([k, `differs (${x.type}, ${x.enc})`]);
    }
    if (x.enc !== y.enc) {
      const t = `${x.type} ${x.enc} -> ${y.enc}`;
      c.encodings.set(t, (c.encodings.get(t) ?? 0) + 1);
    } else {
      const d = c.dumps.get(`${x.type} ${x.enc}`) ?? [0, 0];
      if (x.dump === y.dump && x.dump !== -1) d[0]++;
      d[1]++;
      c.dumps.set(`${x.type} ${x.enc}`, d);
    }
  }
  return c;
}
