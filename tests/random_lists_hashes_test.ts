/**
 * Randomized tests of lists and hashes:
 * - seeded random sequences of list and hash commands over a small key set, sent to
 *   redis-server and to Skua with 1 and 3 shards: every reply and the full final state (type,
 *   contents, encoding, TTL of every key) must match;
 * - full HSCANs of a 2000-field hash (COUNT, MATCH) return the same fields as redis-server;
 * - the hash value against a Map model (both encodings, conversion), HSCAN never missing a
 *   field present for the whole scan while the table grows and shrinks, and the random picks.
 */

import assert from "node:assert/strict";
import { mapEntries, type Target, withDiffTargets } from "./helpers/diff.ts";
import { type Arg, parse, type Reply, RespConn, toLatin1 } from "./helpers/resp.ts";
import { HashValue } from "../src/store/hash.ts";
import type { StringValue } from "../src/store/types.ts";
import { rng } from "./helpers/rng.ts";
import { compareOutcomes } from "./helpers/random.ts";

const TAGS = ["{a}", "{b}"];
const PER_TAG = 2;
const KINDS = ["L", "H", "S"];
const OPS = 500;
const SEEDS = [11, 12, 13, 14];
const ELEMS = ["a", "b", "c", "", "1", "-2", "x".repeat(70), "\x00\xff\r\n"];
const FIELDS = ["f", "g", "h", "", "10", "y".repeat(70)];

interface Step {
  args: Arg[];
  /** the reply's order is the hash table's: compare it sorted */
  unordered?: boolean;
}

function program(seed: number): Step[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (lo: number, hi: number) => String(lo + Math.floor(r() * (hi - lo + 1)));
  const tag = () => pick(TAGS);
  // mostly a key of the command's own kind, sometimes any key (WRONGTYPE paths)
  const kindKey = (kind: string, t: string) =>
    `${t}${r() < 0.93 ? kind : pick(KINDS)}${Math.floor(r() * PER_TAG)}`;
  const key = (t = tag()) => kindKey(pick(KINDS), t);
  const lkey = (t = tag()) => kindKey("L", t);
  const hkey = (t = tag()) => kindKey("H", t);
  const side = () => pick(["LEFT", "RIGHT"]);
  const steps: Step[] = [];
  for (let i = 0; i < OPS; i++) {
    const x = r();
    const t = tag();
    let args: Arg[];
    let unordered = false;
    if (x < 0.10) {
      args = [pick(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), lkey()];
      for (let n = 1 + Math.floor(r() * 4); n > 0; n--) args.push(pick(ELEMS));
    } else if (x < 0.16) {
      args = [pick(["LPOP", "RPOP"]), lkey()];
      if (r() < 0.5) args.push(int(0, 4));
    } else if (x < 0.20) args = ["LRANGE", lkey(), int(-5, 5), int(-5, 5)];
    else if (x < 0.23) args = ["LINDEX", lkey(), int(-6, 6)];
    else if (x < 0.26) args = ["LSET", lkey(), int(-4, 4), pick(ELEMS)];
    else if (x < 0.29) {
      args = ["LINSERT", lkey(), pick(["BEFORE", "AFTER"]), pick(ELEMS), pick(ELEMS)];
    } else if (x < 0.32) args = ["LREM", lkey(), int(-2, 2), pick(ELEMS)];
    else if (x < 0.34) args = ["LTRIM", lkey(), int(-4, 3), int(-4, 6)];
    else if (x < 0.37) {
      args = ["LPOS", lkey(), pick(ELEMS)];
      if (r() < 0.5) args.push("RANK", pick(["1", "2", "-1", "-2"]));
      if (r() < 0.5) args.push("COUNT", int(0, 3));
      if (r() < 0.3) args.push("MAXLEN", int(0, 4));
    } else if (x < 0.41) args = ["LMOVE", lkey(t), lkey(t), side(), side()];
    else if (x < 0.43) args = ["RPOPLPUSH", lkey(t), lkey(t)];
    else if (x < 0.46) {
      args = ["LMPOP", "2", lkey(t), lkey(t), side()];
      if (r() < 0.5) args.push("COUNT", int(1, 3));
    } else if (x < 0.49) args = ["LLEN", lkey()];
    else if (x < 0.57) {
      args = ["HSET", hkey()];
      for (let n = 1 + Math.floor(r() * 3); n > 0; n--) args.push(pick(FIELDS), pick(ELEMS));
    } else if (x < 0.60) args = ["HSETNX", hkey(), pick(FIELDS), pick(ELEMS)];
    else if (x < 0.64) args = ["HDEL", hkey(), pick(FIELDS), pick(FIELDS)];
    else if (x < 0.67) args = ["HGET", hkey(), pick(FIELDS)];
    else if (x < 0.69) args = ["HMGET", hkey(), pick(FIELDS), pick(FIELDS)];
    else if (x < 0.72) args = ["HINCRBY", hkey(), pick(FIELDS), int(-5, 5)];
    else if (x < 0.74) args = ["HINCRBYFLOAT", hkey(), pick(FIELDS), pick(["1.5", "-0.25", "3"])];
    else if (x < 0.77) {
      args = [pick(["HGETALL", "HKEYS", "HVALS"]), hkey()];
      unordered = true;
    } else if (x < 0.79) {
      args = ["HSCAN", hkey(), "0"];
      unordered = true;
    } else if (x < 0.82) args = [pick(["HLEN", "HSTRLEN", "HEXISTS"]), hkey(), pick(FIELDS)];
    else if (x < 0.84) args = ["HRANDFIELD", hkey(), "100"];
    else if (x < 0.86) args = ["SET", kindKey("S", tag()), pick(ELEMS)];
    else if (x < 0.89) args = ["DEL", key()];
    else if (x < 0.92) args = ["EXPIRE", key(), int(1000, 2000)];
    else if (x < 0.95) args = ["TYPE", key()];
    else args = ["OBJECT", "ENCODING", key()];
    if (args[0] === "HLEN" || args[0] === "LLEN") args = args.slice(0, 2);
    if (args[0] === "HRANDFIELD") unordered = true;
    steps.push({ args, unordered });
  }
  return steps;
}

/** A reply in a comparable form: unordered ones as their sorted elements (pairs kept). */
function render(raw: Uint8Array, s: Step): string {
  if (!s.unordered) return toLatin1(raw);
  let r = parse(raw);
  // HSCAN: [cursor, items]
  if (s.args[0] === "HSCAN" && Array.isArray(r)) r = r[1];
  const entries = mapEntries(r);
  const items: Reply[] | null = Array.isArray(r) ? r : entries !== null ? entries.flat() : null;
  if (items === null) return toLatin1(raw);
  const pairs = s.args[0] === "HGETALL" || s.args[0] === "HSCAN";
  const out: string[] = [];
  for (let i = 0; i < items.length; i += pairs ? 2 : 1) {
    const f = toLatin1(items[i] as Uint8Array);
    out.push(pairs ? `${f}=${toLatin1(items[i + 1] as Uint8Array)}` : f);
  }
  return `${toLatin1(raw)[0]}${out.sort().join("|")}`;
}

async function run(port: number, steps: Step[]): Promise<{ replies: string[]; state: string[] }> {
  const c = await RespConn.connect(port);
  try {
    await c.send("FLUSHALL");
    const raws = await c.pipeline(steps.map((s) => s.args));
    const replies = raws.map((raw, i) => render(raw, steps[i]));
    const state: string[] = [];
    for (const t of TAGS) {
      for (let k = 0; k < PER_TAG * KINDS.length; k++) {
        const key = `${t}${KINDS[k % KINDS.length]}${Math.floor(k / KINDS.length)}`;
        const type = toLatin1(await c.send("TYPE", key));
        const ttl = Number(parse(await c.send("PTTL", key))) > 0 ? "ttl" : "no-ttl";
        let body = "";
        if (type === "+list\r\n") body = toLatin1(await c.send("LRANGE", key, "0", "-1"));
        else if (type === "+hash\r\n") {
          body = render(await c.send("HGETALL", key), { args: ["HGETALL"], unordered: true });
        } else if (type === "+string\r\n") body = toLatin1(await c.send("GET", key));
        const enc = type === "+none\r\n" ? "" : toLatin1(await c.send("OBJECT", "ENCODING", key));
        state.push(`${key} ${type.trim()} ${ttl} ${enc.trim()} ${body}`);
      }
    }
    return { replies, state };
  } finally {
    c.close();
  }
}

function compare(targets: Target[], seed: number): Promise<void> {
  const steps = program(seed);
  return compareOutcomes(targets, `seed ${seed}`, steps, (port) => run(port, steps));
}

/** HSET key f<from> v<from> ... (n pairs) */
function hsetMany(key: string, n: number, from: number): string[] {
  const args = ["HSET", key];
  for (let i = from; i < from + n; i++) args.push(`f${i}`, `v${i}`);
  return args;
}

function str(r: Reply): string | null {
  return r instanceof Uint8Array ? toLatin1(r) : null;
}

/** Every field of a full HSCAN (cursor back to 0), with its value, deduplicated. */
async function fullScan(port: number, key: string, opts: string[]): Promise<Map<string, string>> {
  const c = await RespConn.connect(port);
  try {
    const out = new Map<string, string>();
    let cursor = "0";
    let calls = 0;
    do {
      const r = await c.call("HSCAN", key, cursor, ...opts) as Reply[];
      cursor = str(r[0])!;
      const items = r[1] as Reply[];
      for (let i = 0; i < items.length; i += 2) out.set(str(items[i])!, str(items[i + 1])!);
      assert.ok(++calls < 100_000, "HSCAN does not end");
    } while (cursor !== "0");
    return out;
  } finally {
    c.close();
  }
}

async function scanCompare(targets: Target[]): Promise<void> {
  const key = "hash:scan";
  for (const t of targets) {
    const c = await RespConn.connect(t.port);
    await c.send("DEL", key);
    for (let i = 0; i < 2000; i += 250) await c.send(...hsetMany(key, 250, i));
    c.close();
  }
  for (
    const opts of [[], ["COUNT", "1"], ["COUNT", "37"], ["MATCH", "f1*"], [
      "MATCH",
      "*9",
      "COUNT",
      "5",
    ]]
  ) {
    const want = await fullScan(targets[0].port, key, opts);
    for (const t of targets.slice(1)) {
      const got = await fullScan(t.port, key, opts);
      assert.deepEqual([...got].sort(), [...want].sort(), `${t.name} HSCAN ${opts.join(" ")}`);
    }
  }
}

Deno.test("randomized: list and hash operations match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const seed of SEEDS) await t.step(`seed ${seed}`, () => compare(targets, seed));
    await t.step(
      "a full HSCAN of a hashtable returns what redis-server returns",
      () => scanCompare(targets),
    );
  });
});

// ---- the hash value ------------------------------------------------------------------------

function contents(h: HashValue): Map<string, StringValue> {
  const f: string[] = [], v: StringValue[] = [];
  h.entries(f, v);
  return new Map(f.map((x, i) => [x, v[i]]));
}

Deno.test("hash value: random operations match a Map, in both encodings", () => {
  const r = rng(7);
  for (const convertAt of [Infinity, 0, 50]) {
    const h = new HashValue();
    const model = new Map<string, StringValue>();
    for (let step = 0; step < 5000; step++) {
      if (step === convertAt) h.convert();
      const f = `k${Math.floor(r() * 300)}`;
      const x = r();
      if (x < 0.5) {
        const v = `v${step}`;
        assert.equal(h.set(f, v), !model.has(f));
        model.set(f, v);
      } else if (x < 0.8) {
        assert.equal(h.delete(f), model.delete(f));
      } else {
        assert.equal(h.get(f), model.get(f));
        assert.equal(h.has(f), model.has(f));
      }
      assert.equal(h.size, model.size);
    }
    assert.deepEqual(contents(h), model);
    assert.equal(h.encoding(), convertAt === Infinity ? "listpack" : "hashtable");
    const c = h.clone();
    h.set("new", "x");
    assert.deepEqual(contents(c), model);
    assert.equal(c.encoding(), h.encoding());
  }
});

Deno.test("hash value: a listpack keeps insertion order and scans in one call", () => {
  const h = new HashValue();
  for (const f of ["z", "a", "m"]) h.set(f, f.toUpperCase());
  h.set("a", "again");
  h.delete("z");
  h.set("z", "back");
  const f: string[] = [], v: StringValue[] = [];
  assert.equal(h.scan(12345, 1, f, v), 0);
  assert.deepEqual(f, ["a", "m", "z"]);
  assert.deepEqual(v, ["again", "M", "back"]);
});

Deno.test("hash value: HSCAN returns every field present for the whole scan", () => {
  const r = rng(99);
  for (let round = 0; round < 20; round++) {
    const h = new HashValue();
    h.convert();
    const stable = new Set<string>();
    for (let i = 0; i < 500; i++) {
      h.set(`s${i}`, "v");
      stable.add(`s${i}`);
    }
    let churn = 0;
    const seen = new Set<string>();
    let cursor = 0;
    let calls = 0;
    do {
      const f: string[] = [], v: StringValue[] = [];
      cursor = h.scan(cursor, 1 + Math.floor(r() * 20), f, v);
      for (const x of f) seen.add(x);
      // between calls: grow the table a lot, or shrink it back
      if (r() < 0.5) { for (let k = 0; k < 300; k++) h.set(`c${churn++}`, "v"); }
      else for (let k = 0; k < churn; k++) h.delete(`c${k}`);
      assert.ok(++calls < 100_000);
    } while (cursor !== 0);
    for (const s of stable) assert.ok(seen.has(s), `round ${round}: ${s} missed`);
  }
});

Deno.test("hash value: random picks are members, unique picks are distinct", () => {
  for (const big of [false, true]) {
    const h = new HashValue();
    for (let i = 0; i < 40; i++) h.set(`f${i}`, `v${i}`);
    if (big) h.convert();
    for (const count of [1, 5, 13, 14, 39]) {
      const f: string[] = [], v: StringValue[] = [];
      h.randomUnique(count, f, v);
      assert.equal(f.length, count);
      assert.equal(new Set(f).size, count);
      f.forEach((x, i) => assert.equal(v[i], "v" + x.slice(1)));
    }
    const f: string[] = [], v: StringValue[] = [];
    h.randomWithRepeats(500, f, v);
    assert.equal(f.length, 500);
    f.forEach((x, i) => assert.equal(h.get(x), v[i]));
    assert.ok(new Set(f).size > 20, "picks look random");
  }
});
