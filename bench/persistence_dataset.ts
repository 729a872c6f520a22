/**
 * The round trip's dataset: K keys of every type in both of each type's Redis 7.0 encodings
 * (strings int/embstr/raw and one long compressible value; lists of one node and of many;
 * hashes and sorted sets as listpack and as hashtable/skiplist, by count and by value size;
 * sets as intset, as hashtable of strings, and an intset grown past set-max-intset-entries),
 * every tenth key with an absolute expiry a day ahead, 1% of the small keys in database 1.
 * Made without Lua: RESP requests for `redis-cli --pipe`, deterministic by seed.
 *
 * The big collections are scaled so that K = 1,000,000 stays within a few minutes end to end:
 * one big collection of each kind per 2,000 keys (lists of 1,000 items, hashes of 600 fields
 * (hash-max-listpack-entries is 512 in 7.0), sorted sets of 200 members, sets of 300 strings or
 * 400 integers) and one oversized-value key per 10,000.
 */

import { rng } from "../tests/helpers/rng.ts";
import { resp } from "./persistence_env.ts";

/** The key kinds, with how many of K each gets (big ones: a count; small ones: a weight). */
interface Plan {
  name: string;
  count: number;
}

const SMALL: Array<[string, number]> = [
  ["str:int", 20],
  ["str:raw", 20],
  ["list:small", 12],
  ["hash:small", 12],
  ["set:int", 10],
  ["set:small", 8],
  ["zset:small", 12],
];

export function plan(k: number): Plan[] {
  const big = Math.max(1, Math.round(k / 2000));
  const rare = Math.max(1, Math.round(k / 10000));
  const bigs: Plan[] = [
    { name: "list:big", count: big },
    { name: "list:hugeitem", count: rare },
    { name: "hash:big", count: big },
    { name: "hash:longvalue", count: rare },
    { name: "set:big", count: big },
    { name: "set:bigint", count: big },
    { name: "set:overint", count: rare },
    { name: "zset:big", count: big },
    { name: "zset:longmember", count: rare },
    { name: "str:huge", count: rare },
  ];
  const left = Math.max(0, k - bigs.reduce((a, p) => a + p.count, 0));
  const weight = SMALL.reduce((a, [, w]) => a + w, 0);
  const smalls = SMALL.map(([name, w]) => ({ name, count: Math.floor(left * w / weight) }));
  smalls[0].count += left - smalls.reduce((a, p) => a + p.count, 0);
  return [...smalls, ...bigs];
}

/** What plan(k) makes, for the report: "name count" pairs. */
export function describePlan(k: number): string {
  return plan(k).map((p) => `${p.name} ${p.count.toLocaleString("en-US")}`).join(", ");
}

class Gen {
  private readonly r: () => number;
  private readonly pool: string;
  constructor(seed: number) {
    this.r = rng(seed);
    const chars: string[] = [];
    for (let i = 0; i < 1 << 20; i++) {
      chars.push(String.fromCharCode(32 + Math.floor(this.r() * 95)));
    }
    this.pool = chars.join("");
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  pick<T>(xs: T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }
  /** Printable ASCII (the RESP lengths are JS string lengths): a slice of a random pool. */
  text(len: number): string {
    const at = Math.floor(this.r() * (this.pool.length - len));
    return this.pool.slice(at, at + len);
  }
  /** An integer string as Redis stores them: small, 16/32/64-bit, extremes, non-canonical. */
  intString(): string {
    switch (this.int(0, 9)) {
      case 0:
        return this.pick(["9223372036854775807", "-9223372036854775808", "0", "-1", "007", "-0"]);
      case 1:
        return String(this.int(-(2 ** 31), 2 ** 31));
      case 2:
        return String(this.int(-(2 ** 52), 2 ** 52));
      case 3:
        return String(this.int(-40000, 40000));
      default:
        return String(this.int(-200, 200));
    }
  }
  /** An integer an intset can hold (no "007" or "-0", which make a set a hashtable). */
  setInt(): string {
    for (;;) {
      const s = this.intString();
      if (s !== "007" && s !== "-0") return s;
    }
  }
  item(): string {
    return this.r() < 0.3 ? this.intString() : this.text(this.int(1, 24));
  }
  score(): string {
    switch (this.int(0, 7)) {
      case 0:
        return this.pick(["inf", "-inf", "0", "-0", "1e300", "3.5e-300"]);
      case 1:
        return String(this.int(-1000, 1000));
      case 2:
        return (this.r() * 2 - 1).toString();
      default:
        return (this.r() * 1e6).toFixed(this.int(0, 4));
    }
  }
  /** `n` members distinct within one collection. */
  members(n: number, make: (i: number) => string): string[] {
    const seen = new Set<string>();
    for (let i = 0; seen.size < n; i++) seen.add(make(i));
    return [...seen];
  }
}

/** Adds a collection in commands of at most 100 elements each. */
function chunked(cmd: string, key: string, elems: string[][], out: string[][]): void {
  for (let i = 0; i < elems.length; i += 100) {
    out.push([cmd, key, ...elems.slice(i, i + 100).flat()]);
  }
}

function commands(g: Gen, kind: string, key: string, out: string[][]): void {
  const one = (xs: string[]) => xs.map((x) => [x]);
  switch (kind) {
    case "str:int":
      return void out.push(["SET", key, g.intString()]);
    case "str:raw": {
      const len = g.pick([1, 5, 20, 39, 44, 45, 60, 100, 300]);
      // every other long value repeats itself, so rdbcompression's LZF has work to do
      const v = len > 40 && g.int(0, 1) === 0 ? g.text(7).repeat(len).slice(0, len) : g.text(len);
      return void out.push(["SET", key, v]);
    }
    case "str:huge":
      return void out.push(["SET", key, g.text(50).repeat(2000)]);
    case "list:small":
      return chunked("RPUSH", key, one(Array.from({ length: g.int(1, 10) }, () => g.item())), out);
    case "list:big":
      return chunked("RPUSH", key, one(Array.from({ length: 1000 }, () => g.item())), out);
    case "list:hugeitem":
      return chunked("RPUSH", key, [["a"], [g.text(100).repeat(100)], ["b"]], out);
    case "hash:small":
      return chunked("HSET", key, hashFields(g, g.int(1, 10), 30), out);
    case "hash:big":
      return chunked("HSET", key, hashFields(g, 600, 30), out);
    case "hash:longvalue":
      return chunked("HSET", key, [...hashFields(g, 4, 20), ["long", g.text(100)]], out);
    case "set:int":
      return chunked("SADD", key, one(g.members(g.int(1, 10), () => g.setInt())), out);
    case "set:small":
      return chunked("SADD", key, one(g.members(g.int(1, 10), () => g.text(g.int(1, 20)))), out);
    case "set:big":
      return chunked("SADD", key, one(g.members(300, () => g.text(g.int(1, 20)))), out);
    case "set:bigint":
      return chunked("SADD", key, one(g.members(400, () => g.setInt())), out);
    case "set:overint":
      return chunked("SADD", key, one(g.members(600, (i) => String(i * 7 - 1000))), out);
    case "zset:small":
      return chunked("ZADD", key, zsetMembers(g, g.int(1, 10), 20), out);
    case "zset:big":
      return chunked("ZADD", key, zsetMembers(g, 200, 20), out);
    case "zset:longmember":
      return chunked("ZADD", key, [...zsetMembers(g, 2, 10), ["1.5", g.text(80)]], out);
  }
  throw new Error(`no such kind ${kind}`);
}

function hashFields(g: Gen, n: number, maxLen: number): string[][] {
  return g.members(n, () => g.text(g.int(1, 16))).map((f) => [f, g.text(g.int(0, maxLen))]);
}

function zsetMembers(g: Gen, n: number, maxLen: number): string[][] {
  return g.members(n, () => g.text(g.int(1, maxLen))).map((m) => [g.score(), m]);
}

/**
 * The dataset as chunks of RESP requests. `expireBase` (ms since the epoch) + i is the absolute
 * expiry of every tenth key.
 */
export function* roundtripDataset(
  k: number,
  expireBase: number,
  seed = 7,
): Generator<Uint8Array> {
  const g = new Gen(seed);
  let out: string[][] = [];
  let n = 0;
  let db = 0;
  for (const p of plan(k)) {
    const small = SMALL.some(([name]) => name === p.name);
    for (let i = 0; i < p.count; i++) {
      // the last 1% of each small kind goes to database 1
      const want = small && i >= p.count - Math.floor(p.count / 100) ? 1 : 0;
      if (want !== db) {
        out.push(["SELECT", String(want)]);
        db = want;
      }
      const key = `${p.name}:${i}`;
      commands(g, p.name, key, out);
      if (n++ % 10 === 0) out.push(["PEXPIREAT", key, String(expireBase + n)]);
      if (out.length >= 5000) {
        yield resp(out);
        out = [];
      }
    }
  }
  if (db !== 0) out.push(["SELECT", "0"]);
  if (out.length > 0) yield resp(out);
}
