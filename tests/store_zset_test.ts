/**
 * Unit tests of the sorted-set and set stores: the skip list (order, spans, ranks, ranges,
 * range deletions, in-place score updates) checked against a plain sorted array after every
 * step of random operation sequences, and the encoding bookkeeping of ZSetValue / SetValue.
 */
import assert from "node:assert/strict";
import {
  LEX_MAX,
  LEX_MIN,
  LEX_VALUE,
  type LexRange,
  type ScoreRange,
  SkipList,
  type ZNode,
} from "../src/store/skiplist.ts";
import { ZADD_GT, ZADD_INCR, ZADD_NX, ZADD_OUT_NAN, ZSetValue } from "../src/store/zset.ts";
import { isIntMember, SetValue } from "../src/store/set.ts";

interface El {
  m: string;
  s: number;
}

const cmp = (a: El, b: El) =>
  a.s !== b.s ? (a.s < b.s ? -1 : 1) : a.m < b.m ? -1 : a.m > b.m ? 1 : 0;

/** A seeded PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** Checks order, backward links, tail, length and every span of every level. */
function validate(zsl: SkipList, model: El[]): void {
  assert.equal(zsl.length, model.length);
  const nodes: ZNode[] = [];
  let prev: ZNode | null = null;
  for (let n = zsl.first; n !== null; n = n.next[0]) {
    assert.equal(n.backward, prev);
    nodes.push(n);
    prev = n;
  }
  assert.equal(zsl.tail, prev);
  assert.deepEqual(nodes.map((n) => ({ m: n.member, s: n.score })), model);
  const rank = new Map<ZNode, number>();
  nodes.forEach((n, i) => rank.set(n, i + 1));
  for (let lv = 0; lv < zsl.level; lv++) {
    let x: ZNode = zsl.header;
    let r = 0;
    while (x.next[lv] !== null) {
      const f = x.next[lv]!;
      assert.equal(x.span[lv], rank.get(f)! - r, `span at level ${lv}`);
      r = rank.get(f)!;
      x = f;
    }
  }
}

Deno.test("skiplist: random inserts, removals and score updates keep order and spans", () => {
  const rand = rng(42);
  const zsl = new SkipList();
  const byMember = new Map<string, ZNode>();
  let model: El[] = [];
  for (let step = 0; step < 3000; step++) {
    const m = `m${Math.floor(rand() * 300)}`;
    const s = Math.floor(rand() * 20) - 10;
    const op = rand();
    const n = byMember.get(m);
    if (n === undefined) {
      byMember.set(m, zsl.insert(s, m));
      model.push({ m, s });
    } else if (op < 0.4) {
      zsl.remove(n);
      byMember.delete(m);
      model = model.filter((e) => e.m !== m);
    } else {
      zsl.updateScore(n, s);
      model.find((e) => e.m === m)!.s = s;
    }
    model.sort(cmp);
    if (step % 50 === 0) validate(zsl, model);
  }
  validate(zsl, model);
  for (let i = 0; i < model.length; i++) {
    assert.equal(zsl.rank(model[i].s, model[i].m), i + 1);
    assert.equal(zsl.byRank(i + 1)!.member, model[i].m);
  }
  assert.equal(zsl.rank(0, "absent"), 0);
  assert.equal(zsl.byRank(0), null);
  assert.equal(zsl.byRank(model.length + 1), null);
});

Deno.test("skiplist: score ranges match a scan of the sorted model", () => {
  const rand = rng(7);
  const zsl = new SkipList();
  const model: El[] = [];
  for (let i = 0; i < 400; i++) {
    const s = Math.floor(rand() * 50) / 2;
    zsl.insert(s, `k${i}`);
    model.push({ m: `k${i}`, s });
  }
  model.sort(cmp);
  for (let t = 0; t < 500; t++) {
    const r: ScoreRange = {
      min: Math.floor(rand() * 60) / 2 - 3,
      max: Math.floor(rand() * 60) / 2 - 3,
      minex: rand() < 0.5,
      maxex: rand() < 0.5,
    };
    const inR = model.filter((e) =>
      (r.minex ? e.s > r.min : e.s >= r.min) && (r.maxex ? e.s < r.max : e.s <= r.max)
    );
    const first = zsl.firstInRange(r), last = zsl.lastInRange(r);
    assert.equal(first?.member ?? null, inR.length ? inR[0].m : null);
    assert.equal(last?.member ?? null, inR.length ? inR[inR.length - 1].m : null);
  }
});

Deno.test("skiplist: lex ranges and range deletions", () => {
  const letters = "abcdefghijklmnop".split("");
  const mk = () => {
    const zsl = new SkipList();
    for (const c of letters) zsl.insert(0, c);
    return zsl;
  };
  const zsl = mk();
  const r = (
    min: string,
    max: string,
    mink = LEX_VALUE,
    maxk = LEX_VALUE,
    minex = false,
    maxex = false,
  ): LexRange => ({
    min,
    max,
    minKind: mink,
    maxKind: maxk,
    minex,
    maxex,
  });
  for (const linear of [false, true]) {
    assert.equal(zsl.firstInLex(r("", "", LEX_MIN, LEX_MAX, true, true), linear)!.member, "a");
    assert.equal(zsl.lastInLex(r("", "", LEX_MIN, LEX_MAX, true, true), linear)!.member, "p");
    assert.equal(zsl.firstInLex(r("c", "f", LEX_VALUE, LEX_VALUE, true), linear)!.member, "d");
    assert.equal(
      zsl.lastInLex(r("c", "f", LEX_VALUE, LEX_VALUE, false, true), linear)!.member,
      "e",
    );
    assert.equal(zsl.firstInLex(r("x", "z"), linear), null);
    assert.equal(zsl.firstInLex(r("", "", LEX_MIN, LEX_MIN, true, true), linear), null);
    assert.equal(zsl.firstInLex(r("c", "c", LEX_VALUE, LEX_VALUE, true), linear), null);
  }
  const dropped: string[] = [];
  const sink = { dropped: (n: ZNode) => void dropped.push(n.member) };
  const a = mk();
  assert.equal(a.deleteRangeByLex(r("c", "f"), false, sink), 4);
  assert.deepEqual(dropped, ["c", "d", "e", "f"]);
  validate(a, letters.filter((c) => c < "c" || c > "f").map((m) => ({ m, s: 0 })));
  const b = mk();
  assert.equal(b.deleteRangeByLex(r("c", "f"), true, sink), 4);
  validate(b, letters.filter((c) => c < "c" || c > "f").map((m) => ({ m, s: 0 })));
  const c = mk();
  assert.equal(c.deleteRangeByRank(2, 5, sink), 4);
  validate(c, letters.filter((_, i) => i < 1 || i > 4).map((m) => ({ m, s: 0 })));
  const d = new SkipList();
  for (let i = 0; i < 100; i++) d.insert(i, `e${i}`);
  assert.equal(d.deleteRangeByScore({ min: 10, max: 20, minex: true, maxex: false }, sink), 10);
  assert.equal(d.length, 90);
  assert.equal(d.rank(21, "e21"), 12);
  assert.equal(r("", "", LEX_MAX, LEX_MIN).minKind, LEX_MAX);
});

Deno.test("zset: ZADD flags, listpack bookkeeping and -0", () => {
  const z = new ZSetValue();
  assert.equal(z.encoding(), "listpack");
  z.add(1, "a", 0, 3, 5);
  z.add(-0, "b", 0, 3, 5);
  assert.ok(Object.is(z.score("b"), 0), "a listpack keeps -0 as 0");
  assert.equal(z.add(5, "a", ZADD_NX, 3, 5) & ZADD_OUT_NAN, 0);
  assert.equal(z.score("a"), 1);
  z.add(0.5, "a", ZADD_GT, 3, 5);
  assert.equal(z.score("a"), 1);
  z.add(2, "a", ZADD_INCR, 3, 5);
  assert.equal(z.newScore, 3);
  assert.equal(z.add(-Infinity, "i", 0, 3, 5), 4);
  assert.equal(z.add(Infinity, "i", ZADD_INCR, 3, 5), ZADD_OUT_NAN);
  assert.equal(z.encoding(), "listpack");
  z.add(1, "toolong", 0, 10, 5);
  assert.equal(z.encoding(), "skiplist");
  z.add(-0, "c", 0, 10, 5);
  assert.ok(Object.is(z.score("c"), -0), "a skiplist keeps -0");
  z.remove("toolong");
  assert.equal(z.encoding(), "skiplist", "no conversion back");
  assert.equal(z.rank("i", false), 0);
  assert.equal(z.rank("a", true), 0);
  const copy = z.clone();
  assert.equal(copy.size, z.size);
  assert.equal(copy.encoding(), "skiplist");
  const seen = new Set<string>();
  const page: ZNode[] = [];
  let cur = 0;
  do {
    cur = z.scanStep(cur, 2, page);
  } while (cur !== 0);
  for (const n of page) seen.add(n.member);
  assert.equal(seen.size, z.size);
});

Deno.test("set: intset bookkeeping, order and scan", () => {
  assert.ok(isIntMember("-9223372036854775808"));
  assert.ok(!isIntMember("9223372036854775808"));
  assert.ok(!isIntMember("01"));
  assert.ok(!isIntMember("-0"));
  assert.ok(!isIntMember(""));
  const s = new SetValue();
  for (const m of ["10", "-5", "9223372036854775807", "3", "9223372036854775806"]) s.add(m, 5);
  assert.equal(s.encoding(), "intset");
  assert.deepEqual(s.members(), ["-5", "3", "10", "9223372036854775806", "9223372036854775807"]);
  s.add("7", 5);
  assert.equal(s.encoding(), "hashtable");
  s.remove("7");
  assert.equal(s.encoding(), "hashtable");
  const t = new SetValue();
  t.add("x", 512);
  assert.equal(t.encoding(), "hashtable");
  // a scan sees every member that stays, even when others are removed between pages
  const big = new SetValue();
  for (let i = 0; i < 1000; i++) big.add(`m${i}`, 512);
  const seen = new Set<string>();
  let cur = 0;
  let round = 0;
  do {
    const page: string[] = [];
    cur = big.scanStep(cur, 37, page);
    for (const m of page) seen.add(m);
    big.remove(`m${round * 7 % 1000}`);
    big.add(`new${round++}`, 512);
  } while (cur !== 0);
  for (let i = 0; i < 1000; i++) {
    if (big.has(`m${i}`)) assert.ok(seen.has(`m${i}`), `m${i} was skipped`);
  }
});
