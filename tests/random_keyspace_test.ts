/**
 * Randomized: seeded random sequences of SET / DEL / EXPIRE / PERSIST / RENAME / RENAMENX /
 * COPY / MOVE / SWAPDB / SELECT (and a few reads) over a small key set in 4 databases, sent
 * to redis-server and to Skua with 1 and 3 shards. Every reply must match, and so must the
 * full final state: every database's keys, values and whether each key has a TTL.
 * Keys carry one of two hash tags, so multi-key commands stay on one shard while the two
 * groups (usually) live on different shards of the 3-shard server. TTLs are long (or <= 0,
 * which deletes at once), so nothing expires during a run.
 */

import assert from "node:assert/strict";
import { type Cmd, type Target, withDiffTargets } from "./helpers/diff.ts";
import { ENC_RAW, Keyspace } from "../src/store/keyspace.ts";
import { idleSeconds, lruClock } from "../src/store/access.ts";
import { ConfigStore } from "../src/config/mod.ts";
import { type Arg, parse, type Reply, RespConn, str, toLatin1 } from "./helpers/resp.ts";
import { rng } from "./helpers/rng.ts";
import { compareOutcomes } from "./helpers/random.ts";

const TAGS = ["{a}", "{b}"];
const PER_TAG = 4;
const DBS = 4;
const OPS = 400;
const SEEDS = [1, 2, 3, 4, 5];
const VALUES = ["v", "", "0", "12", "-7", "9999", "10000", "abc", "x".repeat(50), "\x00\xff\r\n"];

interface Step {
  args: Arg[];
  /** RANDOMKEY: only whether a key came back is comparable */
  anyKey?: boolean;
}

function program(seed: number): Step[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const tag = () => pick(TAGS);
  const key = (t = tag()) => `${t}${Math.floor(r() * PER_TAG)}`;
  const db = () => String(Math.floor(r() * DBS));
  const ttl = () => String(1000 + Math.floor(r() * 1000));
  const steps: Step[] = [];
  for (let i = 0; i < OPS; i++) {
    const t = tag();
    const x = r();
    let args: Arg[];
    if (x < 0.18) {
      args = ["SET", key(), pick(VALUES)];
      if (r() < 0.3) args.push("EX", ttl());
    } else if (x < 0.24) args = ["DEL", key()];
    else if (x < 0.30) args = ["EXPIRE", key(), r() < 0.15 ? pick(["0", "-1"]) : ttl()];
    else if (x < 0.34) args = ["PERSIST", key()];
    else if (x < 0.42) args = [r() < 0.7 ? "RENAME" : "RENAMENX", key(t), key(t)];
    else if (x < 0.52) {
      args = ["COPY", key(t), key(t)];
      if (r() < 0.5) args.push("DB", db());
      if (r() < 0.4) args.push("REPLACE");
    } else if (x < 0.60) args = ["MOVE", key(), db()];
    else if (x < 0.65) args = ["SWAPDB", db(), db()];
    else if (x < 0.75) args = ["SELECT", db()];
    else if (x < 0.82) args = ["GET", key()];
    else if (x < 0.86) args = ["EXISTS", key(), key()];
    else if (x < 0.90) args = ["APPEND", key(), pick(VALUES)];
    else if (x < 0.93) args = ["INCR", key()];
    else if (x < 0.96) args = ["DBSIZE"];
    else {
      steps.push({ args: ["RANDOMKEY"], anyKey: true });
      continue;
    }
    steps.push({ args });
  }
  return steps;
}

function render(raw: Uint8Array, s: Step): string {
  if (s.anyKey) {
    const r = parse(raw);
    if (r instanceof Uint8Array) return "<a key>";
  }
  return toLatin1(raw);
}

/** Runs the program and dumps the state: per db, sorted `key=value ttl?` lines. */
async function run(port: number, steps: Step[]): Promise<{ replies: string[]; state: string[] }> {
  const c = await RespConn.connect(port);
  try {
    await c.send("FLUSHALL");
    const raws = await c.pipeline(steps.map((s) => s.args));
    const replies = raws.map((raw, i) => render(raw, steps[i]));
    const state: string[] = [];
    for (let d = 0; d < DBS; d++) {
      await c.send("SELECT", String(d));
      const keys = (await c.call("KEYS", "*") as Reply[]).map(str).sort();
      const cmds: Cmd[] = [];
      for (const k of keys) cmds.push(["GET", k], ["PTTL", k]);
      const got = await c.pipeline(cmds as Arg[][]);
      keys.forEach((k, i) => {
        const pttl = Number(parse(got[2 * i + 1]));
        const ttl = pttl > 0 ? "ttl" : String(pttl);
        state.push(`db${d} ${JSON.stringify(k)}=${toLatin1(got[2 * i])} ${ttl}`);
      });
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

Deno.test("randomized: keyspace operations leave the same state as redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const seed of SEEDS) await t.step(`seed ${seed}`, () => compare(targets, seed));
  });
});

// ---- unit tests of the keyspace pieces these commands rest on ------------------------------

const enc = new TextEncoder();
const b = (x: string) => enc.encode(x);
/** Sets key to a string value in db. */
function setStr(db: Keyspace["dbs"][number], key: string, v: string, now: number): number {
  const vb = b(v);
  return db.setString(b(key), vb, 0, vb.length, now);
}

Deno.test("Db.randomKey never returns a key removed while the table shrank", () => {
  for (let round = 0; round < 20; round++) {
    const db = new Keyspace(1).dbs[0];
    const now = Date.now();
    // the table shrinks as keys go; expired keys must never come back
    for (let i = 0; i < 1100; i++) setStr(db, `k${i}`, "v", now);
    for (let i = 256; i < 1100; i++) db.delete(b(`k${i}`), now);
    for (let i = 3; i < 256; i++) db.setExpire(db.find(b(`k${i}`)), now - 1);
    const k = db.randomKey(now);
    assert.ok(k === "k0" || k === "k1" || k === "k2", `got ${k}`);
  }
});

Deno.test("Db.swapWith swaps contents, keeps each index's watch hook, signals both sides", () => {
  const ks = new Keyspace(2);
  const [a, bd] = ks.dbs;
  const now = Date.now();
  setStr(a, "x", "1", now);
  const e = setStr(bd, "y", "2", now);
  bd.setExpire(e, now + 100_000);
  const seenA: string[] = [], seenB: string[] = [];
  const hookA = (k: string) => seenA.push(k), hookB = (k: string) => seenB.push(k);
  a.onTouch = hookA;
  bd.onTouch = hookB;
  a.swapWith(bd);
  const keysOf = (d: typeof a) => {
    const out: string[] = [];
    d.forEachLive(now, (r) => out.push(d.keyLatin1(r)));
    return out;
  };
  assert.deepEqual(keysOf(a), ["y"]);
  assert.deepEqual(keysOf(bd), ["x"]);
  assert.equal(a.volatileCount, 1);
  assert.equal(bd.volatileCount, 0);
  assert.equal(a.onTouch, hookA);
  assert.equal(bd.onTouch, hookB);
  assert.deepEqual(seenA.sort(), ["x", "y"]);
  assert.deepEqual(seenB.sort(), ["x", "y"]);
  const out: string[] = [];
  assert.equal(a.scan(0, 100, now, {}, out), 0);
  assert.deepEqual(out, ["y"]);
});

Deno.test("Db.putFrom carries TTL, access field and encoding hint", () => {
  const ks = new Keyspace(2);
  const [src, dst] = ks.dbs;
  const now = Date.now();
  const e = setStr(src, "a", "hello", now);
  src.setExpire(e, now + 5000, undefined);
  src.setEnc(e, ENC_RAW);
  src.setLru(e, 1234);
  setStr(dst, "b", "old", now);
  const c = dst.putFrom(b("b"), src, e, now, false);
  assert.equal(new TextDecoder().decode(dst.str(c)), "hello");
  assert.equal(dst.expireAt(c), now + 5000);
  assert.equal(dst.encOf(c), ENC_RAW);
  assert.equal(dst.lruOf(c), 1234);
  assert.equal(dst.volatileCount, 1);
});

Deno.test("access tracking: LRU idle seconds, LFU counter growth and decay", () => {
  const ks = new Keyspace(1);
  const db = ks.dbs[0];
  const t0 = Date.UTC(2030, 0, 1);
  const e = setStr(db, "k", "v", t0);
  assert.equal(db.lruOf(e), lruClock(t0));
  assert.equal(idleSeconds(db.lruOf(e), t0 + 7_400), 7);
  db.lookup(b("k"), t0 + 10_000);
  assert.equal(idleSeconds(db.lruOf(e), t0 + 10_000), 0);
  ks.access.sync(new ConfigStore(new Map([["maxmemory-policy", "allkeys-lfu"]])));
  const a = ks.access;
  const f = setStr(db, "f", "v", t0);
  assert.equal(a.counter(db.lruOf(f), t0), 5);
  db.lookup(b("f"), t0);
  assert.equal(a.counter(db.lruOf(f), t0), 6);
  // one point lost per elapsed lfu-decay-time minute
  assert.equal(a.counter(db.lruOf(f), t0 + 3 * 60_000), 3);
  assert.equal(a.counter(db.lruOf(f), t0 + 60 * 60_000), 0);
  for (let i = 0; i < 10_000; i++) db.lookup(b("f"), t0);
  const n = a.counter(db.lruOf(f), t0);
  // Redis's LFULogIncr with lfu-log-factor 10: hit k of the climb from 5 succeeds with p =
  // 1/(10(c-5)+1), so 10k hits reach about 5 + sqrt(2 * 10k / 10) ~ 50, sd ~ 4
  assert.ok(n > 30 && n < 75, `logarithmic growth: ${n} after 10k hits`);
});
