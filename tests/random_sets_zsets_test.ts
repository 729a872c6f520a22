/**
 * Randomized tests of sets and sorted sets:
 * - seeded random sequences of set and sorted-set commands over a small key set, sent to
 *   redis-server and to Skua with 1 and 3 shards: every reply and the full final state (type,
 *   contents, scores, encoding, TTL of every key) must match; half of the seeds run with tiny
 *   encoding limits so conversions happen often;
 * - full SSCAN / ZSCAN walks of large sets (COUNT, MATCH) return the same members as
 *   redis-server;
 * - ZSetValue against a sorted-array model under random ZADD flags, removals and pops.
 * Lex ranges only run on keys whose scores are all 0: with differing scores a lex range is
 * undefined in Redis (its skiplist answer depends on random node levels).
 */

import assert from "node:assert/strict";
import { setItems, type Target, withDiffTargets } from "./helpers/diff.ts";
import { type Arg, parse, type Reply, RespConn, toLatin1 } from "./helpers/resp.ts";
import { ZADD_GT, ZADD_INCR, ZADD_LT, ZADD_NX, ZADD_XX, ZSetValue } from "../src/store/zset.ts";
import { ZCursor } from "../src/store/zset_tree.ts";
import { rng } from "./helpers/rng.ts";
import { compareOutcomes } from "./helpers/random.ts";

const TAGS = ["{a}", "{b}"];
const PER_TAG = 2;
/** S: sets, Z: sorted sets, X: sorted sets with score 0 only (lex), T: strings */
const KINDS = ["S", "Z", "X", "T"];
const OPS = 600;
const SEEDS = [21, 22, 23, 24, 25, 26];
const WIDE_SEEDS = [31, 32, 33];
const LONG = "l".repeat(65);
const MEMBERS = ["a", "b", "c", "d", "e", "f", "1", "2", "10", "-3", "", LONG, "\x00\xff"];
const INTS = ["1", "2", "3", "5", "8", "13", "-1", "100"];
const SCORES = ["0", "1", "2", "-1", "2.5", "0.1", "-0", "1e-3", "inf", "-inf", "7", "3"];
const SCORE_BOUNDS = ["-inf", "+inf", "0", "(0", "1", "(2.5", "3", "(7", "-1"];
const LEX_BOUNDS = ["-", "+", "[a", "(b", "[c", "(e", "[", "(1", "[\x00"];

interface Step {
  args: Arg[];
  /** the reply's order is the hash table's: compare it sorted */
  unordered?: boolean;
}

/** `wide`: members from a pool of 500 and bulk adds, so sets grow to hundreds of members. */
function program(seed: number, wide: boolean): Step[] {
  const r = rng(seed);
  const bulk = wide ? 25 : 4;
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (lo: number, hi: number) => String(lo + Math.floor(r() * (hi - lo + 1)));
  const tag = () => pick(TAGS);
  // reads sometimes hit another kind (WRONGTYPE paths); writes never touch the X keys
  const kindKey = (kind: string, t: string, read = false) =>
    `${t}${read && r() < 0.07 ? pick(["S", "Z", "T"]) : kind}${Math.floor(r() * PER_TAG)}`;
  const sk = (t = tag(), read = false) => kindKey("S", t, read);
  const zk = (t = tag(), read = false) => kindKey("Z", t, read);
  const xk = (t = tag()) => kindKey("X", t);
  const member = () =>
    wide && r() < 0.8 ? `w${Math.floor(r() * 500)}` : r() < 0.3 ? pick(INTS) : pick(MEMBERS);
  const steps: Step[] = [];
  const push = (args: Arg[], unordered = false) => steps.push({ args, unordered });
  for (let i = 0; i < OPS; i++) {
    const x = r();
    const t = tag();
    if (x < 0.08) {
      const args: Arg[] = ["SADD", sk()];
      for (let n = 1 + Math.floor(r() * bulk); n > 0; n--) args.push(member());
      push(args);
    } else if (x < 0.11) push(["SREM", sk(), member(), member()]);
    else if (x < 0.13) push([pick(["SCARD", "SMEMBERS"]), sk(tag(), true)], true);
    else if (x < 0.15) push(["SISMEMBER", sk(tag(), true), member()]);
    else if (x < 0.16) push(["SMISMEMBER", sk(tag(), true), member(), member()]);
    else if (x < 0.17) push(["SPOP", sk(), "100000"], true);
    else if (x < 0.18) push(["SRANDMEMBER", sk(tag(), true), "100000"], true);
    else if (x < 0.20) push(["SMOVE", sk(t), sk(t), member()]);
    else if (x < 0.23) push([pick(["SINTER", "SUNION", "SDIFF"]), sk(t, true), sk(t, true)], true);
    else if (x < 0.26) {
      push([pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), sk(t), sk(t, true), sk(t, true)]);
    } else if (x < 0.27) push(["SINTERCARD", "2", sk(t, true), sk(t, true), "LIMIT", int(0, 3)]);
    else if (x < 0.28) push(["SSCAN", sk(tag(), true), "0", "COUNT", "1000"], true);
    else if (x < 0.38) {
      const args: Arg[] = ["ZADD", zk()];
      const flags = ["NX", "XX", "GT", "LT", "CH", "INCR"];
      for (const f of flags) if (r() < 0.12) args.push(f);
      for (let n = 1 + Math.floor(r() * bulk); n > 0; n--) args.push(pick(SCORES), member());
      push(args);
    } else if (x < 0.41) push(["ZINCRBY", zk(), pick(SCORES), member()]);
    else if (x < 0.44) push(["ZREM", zk(), member(), member()]);
    else if (x < 0.46) push([pick(["ZSCORE", "ZRANK", "ZREVRANK"]), zk(tag(), true), member()]);
    else if (x < 0.47) push(["ZMSCORE", zk(tag(), true), member(), member()]);
    else if (x < 0.48) push(["ZCARD", zk(tag(), true)]);
    else if (x < 0.51) {
      const span = wide ? 200 : 4;
      const args: Arg[] = ["ZRANGE", zk(tag(), true), int(-span, span), int(-span, span + 2)];
      if (r() < 0.3) args.push("REV");
      if (r() < 0.5) args.push("WITHSCORES");
      push(args);
    } else if (x < 0.55) {
      const rev = r() < 0.4;
      const args: Arg[] = [
        rev ? "ZREVRANGEBYSCORE" : "ZRANGEBYSCORE",
        zk(tag(), true),
        pick(SCORE_BOUNDS),
        pick(SCORE_BOUNDS),
      ];
      if (r() < 0.5) args.push("WITHSCORES");
      if (r() < 0.4) args.push("LIMIT", int(-1, 3), int(-1, 3));
      push(args);
    } else if (x < 0.57) push(["ZCOUNT", zk(tag(), true), pick(SCORE_BOUNDS), pick(SCORE_BOUNDS)]);
    else if (x < 0.60) {
      const args: Arg[] = ["ZADD", xk()];
      for (let n = 1 + Math.floor(r() * bulk); n > 0; n--) args.push("0", member());
      push(args);
    } else if (x < 0.63) {
      const args: Arg[] = [pick(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), xk(), pick(LEX_BOUNDS)];
      args.push(pick(LEX_BOUNDS));
      if (r() < 0.4) args.push("LIMIT", int(-1, 3), int(-1, 3));
      push(args);
    } else if (x < 0.64) push(["ZLEXCOUNT", xk(), pick(LEX_BOUNDS), pick(LEX_BOUNDS)]);
    else if (x < 0.65) push(["ZREMRANGEBYLEX", xk(), pick(LEX_BOUNDS), pick(LEX_BOUNDS)]);
    else if (x < 0.67) push(["ZREMRANGEBYSCORE", zk(), pick(SCORE_BOUNDS), pick(SCORE_BOUNDS)]);
    else if (x < 0.68) {
      const span = wide ? 60 : 3;
      push(["ZREMRANGEBYRANK", zk(), int(-span, span), int(-span, span)]);
    } else if (x < 0.70) {
      const args: Arg[] = [pick(["ZPOPMIN", "ZPOPMAX"]), pick([zk(), xk()])];
      if (r() < 0.5) args.push(int(0, 3));
      push(args);
    } else if (x < 0.71) {
      push(["ZMPOP", "2", zk(t), zk(t), pick(["MIN", "MAX"]), "COUNT", int(1, 3)]);
    } else if (x < 0.72) push(["ZRANDMEMBER", zk(tag(), true), "100000", "WITHSCORES"]);
    else if (x < 0.76) {
      const op = pick(["ZUNION", "ZINTER", "ZDIFF"]);
      const args: Arg[] = [op, "2", pick([zk(t, true), sk(t, true)]), zk(t, true)];
      if (op !== "ZDIFF" && r() < 0.4) args.push("WEIGHTS", pick(SCORES), pick(SCORES));
      if (op !== "ZDIFF" && r() < 0.4) args.push("AGGREGATE", pick(["SUM", "MIN", "MAX"]));
      if (r() < 0.6) args.push("WITHSCORES");
      push(args);
    } else if (x < 0.79) {
      const op = pick(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
      const args: Arg[] = [op, zk(t), "2", pick([zk(t, true), sk(t, true)]), zk(t, true)];
      if (op !== "ZDIFFSTORE" && r() < 0.4) args.push("WEIGHTS", pick(SCORES), pick(SCORES));
      if (op !== "ZDIFFSTORE" && r() < 0.4) args.push("AGGREGATE", pick(["SUM", "MIN", "MAX"]));
      push(args);
    } else if (x < 0.80) push(["ZINTERCARD", "2", zk(t, true), zk(t, true), "LIMIT", int(0, 2)]);
    else if (x < 0.82) {
      const args: Arg[] = ["ZRANGESTORE", zk(t), zk(t, true)];
      if (r() < 0.5) args.push(int(-3, 3), int(-3, 3));
      else args.push(pick(SCORE_BOUNDS), pick(SCORE_BOUNDS), "BYSCORE");
      if (r() < 0.3) args.push("REV");
      push(args);
    } else if (x < 0.83) push(["ZSCAN", pick([zk(tag(), true), xk()]), "0", "COUNT", "1000"], true);
    else if (x < 0.86) push(["SET", kindKey("T", tag()), member()]);
    else if (x < 0.89) push(["DEL", kindKey(pick(KINDS), tag())]);
    else if (x < 0.91) push(["EXPIRE", kindKey(pick(KINDS), tag()), int(1000, 2000)]);
    else if (x < 0.94) push(["TYPE", kindKey(pick(KINDS), tag())]);
    else push(["OBJECT", "ENCODING", kindKey(pick(KINDS), tag())]);
  }
  return steps;
}

function bulks(r: Reply): string[] | null {
  const list = Array.isArray(r) ? r : setItems(r);
  if (list === null || !list.every((x) => x instanceof Uint8Array)) return null;
  return list.map((x) => toLatin1(x as Uint8Array));
}

/** A reply in a comparable form: unordered ones as their sorted elements (pairs kept). */
function render(raw: Uint8Array, s: Step): string {
  if (!s.unordered) return toLatin1(raw);
  let r = parse(raw);
  const scan = s.args[0] === "SSCAN" || s.args[0] === "ZSCAN";
  let cursor = "";
  if (scan && Array.isArray(r)) {
    cursor = toLatin1(r[0] as Uint8Array);
    r = r[1];
  }
  const items = bulks(r);
  if (items === null) return toLatin1(raw);
  const out: string[] = [];
  const pairs = s.args[0] === "ZSCAN";
  for (let i = 0; i < items.length; i += pairs ? 2 : 1) {
    out.push(pairs ? `${items[i]}=${items[i + 1]}` : items[i]);
  }
  return `${toLatin1(raw)[0]}${cursor}|${out.sort().join("|")}`;
}

const SMALL_LIMITS: Arg[][] = [
  ["CONFIG", "SET", "set-max-intset-entries", "4"],
  ["CONFIG", "SET", "zset-max-listpack-entries", "4"],
];
const DEFAULT_LIMITS: Arg[][] = [
  ["CONFIG", "SET", "set-max-intset-entries", "512"],
  ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
];

async function run(port: number, steps: Step[], small: boolean) {
  const c = await RespConn.connect(port);
  try {
    await c.send("FLUSHALL");
    if (small) await c.pipeline(SMALL_LIMITS);
    const raws = await c.pipeline(steps.map((s) => s.args));
    const replies = raws.map((raw, i) => render(raw, steps[i]));
    const state: string[] = [];
    for (const t of TAGS) {
      for (const kind of KINDS) {
        for (let n = 0; n < PER_TAG; n++) {
          const key = `${t}${kind}${n}`;
          const type = toLatin1(await c.send("TYPE", key)).trim();
          const ttl = Number(parse(await c.send("PTTL", key))) > 0 ? "ttl" : "no-ttl";
          let body = "";
          if (type === "+set") {
            body = bulks(parse(await c.send("SMEMBERS", key)))!.sort().join("|");
          } else if (type === "+zset") {
            body = toLatin1(await c.send("ZRANGE", key, "0", "-1", "WITHSCORES"));
          } else if (type === "+string") body = toLatin1(await c.send("GET", key));
          const enc = type === "+none" ? "" : toLatin1(await c.send("OBJECT", "ENCODING", key));
          state.push(`${key} ${type} ${ttl} ${enc.trim()} ${body}`);
        }
      }
    }
    if (small) await c.pipeline(DEFAULT_LIMITS);
    return { replies, state };
  } finally {
    c.close();
  }
}

function compare(
  targets: Target[],
  seed: number,
  small: boolean,
  wide: boolean,
): Promise<void> {
  const steps = program(seed, wide);
  return compareOutcomes(targets, `seed ${seed}`, steps, (port) => run(port, steps, small));
}

/** Every member (with its score for a zset) of a full scan, deduplicated. */
async function fullScan(port: number, cmd: string, key: string, opts: string[]) {
  const c = await RespConn.connect(port);
  try {
    const out = new Set<string>();
    let cursor = "0";
    let calls = 0;
    do {
      const r = await c.call(cmd, key, cursor, ...opts) as Reply[];
      cursor = toLatin1(r[0] as Uint8Array);
      const items = bulks(r[1])!;
      const step = cmd === "ZSCAN" ? 2 : 1;
      for (let i = 0; i < items.length; i += step) {
        out.add(step === 2 ? `${items[i]}=${items[i + 1]}` : items[i]);
      }
      assert.ok(++calls < 100_000, `${cmd} does not end`);
    } while (cursor !== "0");
    return [...out].sort();
  } finally {
    c.close();
  }
}

Deno.test("random: set and sorted-set command sequences match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const seed of SEEDS) {
      const small = seed % 2 === 0;
      await t.step(
        `seed ${seed}${small ? " (small encoding limits)" : ""}`,
        () => compare(targets, seed, small, false),
      );
    }
    for (const seed of WIDE_SEEDS) {
      await t.step(`seed ${seed} (hundreds of members)`, () => compare(targets, seed, false, true));
    }
    await t.step("full SSCAN / ZSCAN of large sets", async () => {
      const fill: Arg[][] = [["FLUSHALL"]];
      for (let i = 0; i < 2000; i += 500) {
        const sadd: Arg[] = ["SADD", "big:s"], zadd: Arg[] = ["ZADD", "big:z"];
        for (let j = i; j < i + 500; j++) {
          sadd.push(`m${j}`);
          zadd.push(String(j / 4), `m${j}`);
        }
        fill.push(sadd, zadd);
      }
      const want: string[][] = [];
      const cases: [string, string, string[]][] = [
        ["SSCAN", "big:s", []],
        ["SSCAN", "big:s", ["COUNT", "7", "MATCH", "m1*"]],
        ["ZSCAN", "big:z", ["COUNT", "100"]],
        ["ZSCAN", "big:z", ["MATCH", "*5"]],
      ];
      for (const [i, target] of targets.entries()) {
        const c = await RespConn.connect(target.port);
        await c.pipeline(fill);
        c.close();
        for (const [k, [cmd, key, opts]] of cases.entries()) {
          const got = await fullScan(target.port, cmd, key, opts);
          if (i === 0) want[k] = got;
          else assert.deepEqual(got, want[k], `${target.name}: ${cmd} ${opts.join(" ")}`);
        }
      }
    });
  });
});

Deno.test("ZSetValue: random ZADD flags, removals and pops against a model", () => {
  const r = rng(99);
  const z = new ZSetValue();
  const model = new Map<string, number>();
  const FLAGS = [0, ZADD_NX, ZADD_XX, ZADD_GT, ZADD_LT, ZADD_INCR, ZADD_XX | ZADD_GT];
  for (let step = 0; step < 20000; step++) {
    const m = `k${Math.floor(r() * 200)}`;
    const x = r();
    if (x < 0.6) {
      const score = Math.floor(r() * 40) - 20;
      const f = FLAGS[Math.floor(r() * FLAGS.length)];
      z.add(score, m, f, 128, 64);
      const cur = model.get(m);
      if (cur === undefined) {
        if (!(f & ZADD_XX)) model.set(m, score);
      } else if (!(f & ZADD_NX)) {
        const next = f & ZADD_INCR ? cur + score : score;
        if (!((f & ZADD_GT && next <= cur) || (f & ZADD_LT && next >= cur))) model.set(m, next);
      }
    } else if (x < 0.85) {
      assert.equal(z.remove(m), model.delete(m));
    } else if (z.size > 0) {
      // a pop from either end
      const c = new ZCursor();
      const min = r() < 0.5;
      if (min) z.tree.first(c);
      else z.tree.last(c);
      assert.equal(model.get(c.member), c.score);
      model.delete(c.member);
      assert.equal(z.removeRange(min ? 0 : z.size - 1, 1), 1);
    }
    if (step % 500 === 0) {
      const want = [...model.entries()].sort((a, b) =>
        a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1
      );
      const members: string[] = [], scores: number[] = [];
      z.entries(members, scores);
      assert.deepEqual(members.map((m, i) => [m, scores[i]]), want);
      assert.equal(z.members.length, model.size);
      for (const [m, sc] of model) assert.equal(z.score(m), sc);
      for (const [i, [mm]] of want.entries()) assert.equal(z.rank(mm, false), i);
    }
  }
});
