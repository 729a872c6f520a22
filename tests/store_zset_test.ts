/**
 * Unit tests of the sorted-set and set stores: the order-statistic B+tree (order, counts,
 * separators, fill, leaf chain, ranks, seeks, range removals, in-place score updates) checked
 * against a plain sorted array along random operation sequences, lex ranges in both
 * encodings, and the encoding bookkeeping of ZSetValue / SetValue.
 */
import assert from "node:assert/strict";
import { LEX_MAX, LEX_MIN, LEX_VALUE, type LexRange } from "../src/store/zset_range.ts";
import { ZCursor, ZTree } from "../src/store/zset_tree.ts";
import { ZADD_GT, ZADD_INCR, ZADD_NX, ZADD_OUT_NAN, ZSetValue } from "../src/store/zset.ts";
import { deleteRangeByLex, firstInLex, lastInLex } from "../src/store/zset_query.ts";
import { isIntMember, SetValue } from "../src/store/set.ts";

interface El {
  m: string;
  s: number;
}

const cmp = (a: El, b: El) =>
  a.s !== b.s ? (a.s < b.s ? -1 : 1) : a.m < b.m ? -1 : a.m > b.m ? 1 : 0;
const lt = (a: El, b: El) => cmp(a, b) < 0;

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

/** The tree's nodes, seen structurally (the classes are internal). */
interface AnyNode {
  leaf: boolean;
  n: number;
  sc: Float64Array;
  m: string[];
  ch: AnyNode[];
  cnt: Float64Array;
  ks: Float64Array;
  km: string[];
  prev: AnyNode | null;
  next: AnyNode | null;
}

/**
 * Checks every invariant: counts, separators (bounds of their children), fill (non-root nodes
 * hold at least 16), equal leaf depth, the leaf chain both ways, head, tail, size, and the
 * contents against the model.
 */
function validate(t: ZTree, model: El[]): void {
  assert.equal(t.size, model.length);
  const leaves: AnyNode[] = [];
  let leafDepth = -1;
  const walk = (x: AnyNode, d: number, lo: El | null, hi: El | null): number => {
    if (x !== (t.root as unknown as AnyNode)) assert.ok(x.n >= 16, `underfull node (${x.n})`);
    if (x.leaf) {
      if (leafDepth < 0) leafDepth = d;
      assert.equal(d, leafDepth, "leaves at different depths");
      assert.equal(x.m.length, x.n);
      for (let i = 0; i < x.n; i++) {
        const e = { m: x.m[i], s: x.sc[i] };
        if (i > 0) assert.ok(lt({ m: x.m[i - 1], s: x.sc[i - 1] }, e), "leaf out of order");
        if (lo !== null) assert.ok(!lt(e, lo), "key below its separator");
        if (hi !== null) assert.ok(lt(e, hi), "key not below the next separator");
      }
      leaves.push(x);
      return x.n;
    }
    assert.equal(x.ch.length, x.n);
    assert.equal(x.km.length, x.n);
    let total = 0;
    for (let i = 0; i < x.n; i++) {
      const clo = i === 0 ? lo : { m: x.km[i], s: x.ks[i] };
      const chi = i + 1 < x.n ? { m: x.km[i + 1], s: x.ks[i + 1] } : hi;
      const c = walk(x.ch[i], d + 1, clo, chi);
      assert.equal(x.cnt[i], c, "child count");
      total += c;
    }
    return total;
  };
  assert.equal(walk(t.root as unknown as AnyNode, 0, null, null), model.length);
  assert.equal(leaves[0], t.head as unknown as AnyNode);
  assert.equal(leaves[leaves.length - 1], t.tail as unknown as AnyNode);
  for (let i = 0; i < leaves.length; i++) {
    assert.equal(leaves[i].prev, i > 0 ? leaves[i - 1] : null);
    assert.equal(leaves[i].next, i + 1 < leaves.length ? leaves[i + 1] : null);
  }
  const got: El[] = [];
  const c = new ZCursor();
  for (t.first(c); c.valid; c.next()) got.push({ m: c.member, s: c.score });
  assert.deepEqual(got, model);
  const back: El[] = [];
  for (t.last(c); c.valid; c.prev()) back.push({ m: c.member, s: c.score });
  assert.deepEqual(back.reverse(), model);
}

const sink = { dropped: (_m: string) => {} };

Deno.test("tree: random inserts, removals, updates and range removals keep every invariant", () => {
  const rand = rng(42);
  const t = new ZTree();
  const scoreOf = new Map<string, number>();
  let model: El[] = [];
  for (let step = 0; step < 40000; step++) {
    // grow for a while, then shrink, then grow again: splits and merges at every level
    const phase = Math.floor(step / 8000) % 2;
    const m = `m${Math.floor(rand() * 6000)}`;
    const s = Math.floor(rand() * 50) - 25;
    const op = rand();
    const cur = scoreOf.get(m);
    if (cur === undefined) {
      if (phase === 0 || op < 0.3) {
        t.insert(s, m);
        scoreOf.set(m, s);
        model.push({ m, s });
      }
    } else if (op < (phase === 0 ? 0.2 : 0.7)) {
      assert.ok(t.remove(cur, m));
      scoreOf.delete(m);
      model = model.filter((e) => e.m !== m);
    } else if (op < 0.97 || t.size < 10) {
      t.update(cur, m, s);
      scoreOf.set(m, s);
      model.find((e) => e.m === m)!.s = s;
    } else {
      const start = Math.floor(rand() * t.size);
      const count = 1 + Math.floor(rand() * 300);
      model.sort(cmp);
      const gone = model.splice(start, count);
      for (const e of gone) scoreOf.delete(e.m);
      assert.equal(t.removeRange(start, count, sink), gone.length);
    }
    model.sort(cmp);
    if (step % 997 === 0) validate(t, model);
  }
  validate(t, model);
  for (let i = 0; i < model.length; i += 7) {
    assert.equal(t.rank(model[i].s, model[i].m), i);
    const c = new ZCursor();
    t.seekRank(c, i);
    assert.equal(c.member, model[i].m);
  }
  assert.equal(t.rank(0, "absent"), -1);
  assert.ok(!t.remove(0, "absent"));
  // removing everything leaves a valid empty tree
  assert.equal(t.removeRange(0, t.size, sink), model.length);
  validate(t, []);
});

Deno.test("tree: score and lex seeks match a scan of the sorted model", () => {
  const rand = rng(7);
  const t = new ZTree();
  const model: El[] = [];
  for (let i = 0; i < 3000; i++) {
    const s = Math.floor(rand() * 500) / 2;
    t.insert(s, `k${i}`);
    model.push({ m: `k${i}`, s });
  }
  model.sort(cmp);
  const c = new ZCursor();
  for (let q = 0; q < 2000; q++) {
    const v = Math.floor(rand() * 560) / 2 - 10;
    const ex = rand() < 0.5;
    const want = model.findIndex((e) => ex ? e.s > v : e.s >= v);
    const got = t.seekScore(c, v, ex);
    assert.equal(got, want < 0 ? model.length : want);
    assert.equal(c.valid ? c.member : null, want < 0 ? null : model[want].m);
  }
  const lex = new ZTree();
  const words: string[] = [];
  for (let i = 0; i < 2000; i++) words.push(`w${(i * 7919) % 10007}`);
  for (const w of words) lex.insert(0, w);
  words.sort();
  for (let q = 0; q < 1000; q++) {
    const b = `w${Math.floor(rand() * 10007)}`;
    const ex = rand() < 0.5;
    const want = words.findIndex((w) => ex ? w > b : w >= b);
    assert.equal(lex.seekLex(c, b, LEX_VALUE, ex), want < 0 ? words.length : want);
  }
  assert.equal(lex.seekLex(c, "", LEX_MIN, true), 0);
  assert.equal(lex.seekLex(c, "", LEX_MAX, true), words.length);
});

Deno.test("zset: lex ranges in both encodings", () => {
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
  const letters = "abcdefghijklmnop".split("");
  for (const listpack of [true, false]) {
    const mk = () => {
      const z = new ZSetValue();
      z.listpack = listpack;
      for (const l of letters) z.insert(l, 0);
      return z;
    };
    const z = mk();
    const c = new ZCursor();
    assert.equal(firstInLex(z, r("", "", LEX_MIN, LEX_MAX, true, true), c), 0);
    assert.equal(lastInLex(z, r("", "", LEX_MIN, LEX_MAX, true, true), c), 15);
    assert.equal(firstInLex(z, r("c", "f", LEX_VALUE, LEX_VALUE, true), c), 3);
    assert.equal(c.member, "d");
    assert.equal(lastInLex(z, r("c", "f", LEX_VALUE, LEX_VALUE, false, true), c), 4);
    assert.equal(c.member, "e");
    assert.equal(firstInLex(z, r("x", "z"), c), -1);
    assert.equal(firstInLex(z, r("", "", LEX_MIN, LEX_MIN, true, true), c), -1);
    assert.equal(firstInLex(z, r("c", "c", LEX_VALUE, LEX_VALUE, true), c), -1);
    assert.equal(deleteRangeByLex(z, r("c", "f"), c), 4);
    assert.equal(z.size, 12);
    assert.equal(z.rank("g", false), 2);
  }
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
  const page: number[] = [];
  let cur = 0;
  do {
    cur = z.scanStep(cur, 2, page);
  } while (cur !== 0);
  for (const i of page) seen.add(z.members[i]);
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
