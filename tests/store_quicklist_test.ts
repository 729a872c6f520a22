/**
 * Unit tests of the quicklist (src/store/quicklist.ts), the object mode of a large list,
 * against an array model: every operation at several node fills (list-max-listpack-size), so
 * lists span many nodes and edits cross node boundaries, split full nodes and drop emptied ones.
 */

import assert from "node:assert/strict";
import { type ElementSink, ListValue, setQuicklistFill } from "../src/store/list.ts";
import type { StringValue } from "../src/store/types.ts";
import { rng } from "./helpers/rng.ts";

class Sink implements ElementSink {
  out: string[] = [];
  bulkRange(src: Uint8Array, off: number, n: number): void {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(src[off + i]);
    this.out.push(s);
  }
  bulkStr(s: string): void {
    this.out.push(s);
  }
  bulkValue(v: StringValue): void {
    this.out.push(typeof v === "string" ? v : "<bytes>");
  }
}

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function element(r: () => number): string {
  const k = Math.floor(r() * 8);
  if (k < 2) return String(Math.floor(r() * 2e6) - 1e6);
  if (k === 2) return ["9223372036854775807", "-9223372036854775808", "007", "-0", "v"][k % 5];
  if (k === 3) return "\x00\xff\r\n" + "x".repeat(Math.floor(r() * 300));
  return "e" + Math.floor(r() * 20);
}

for (const fill of [1, 2, 3, 7, -1]) {
  Deno.test(`quicklist: random operations match an array model (fill ${fill})`, () => {
    setQuicklistFill(fill);
    const r = rng(fill + 77);
    const l = new ListValue();
    const model: string[] = [];
    let maxNodes = 0;
    for (let step = 0; step < 6000; step++) {
      let op = Math.floor(r() * 16);
      // removals turn into pushes often enough for the list to grow over many nodes
      if ([5, 6, 9, 10, 11, 12].includes(op) && r() < 0.55) op = op % 5;
      const v = element(r);
      const n = model.length;
      const asBytes = r() < 0.5;
      if (op < 5 || n === 0) {
        // pushes (half of them as argument bytes) outweigh removals: the list grows
        const front = op % 2 === 0;
        l.push(asBytes ? enc(v) : v, front);
        if (front) model.unshift(v);
        else model.push(v);
      } else if (op === 5) {
        assert.equal(l.popFront(), model.shift());
      } else if (op === 6) {
        assert.equal(l.popBack(), model.pop());
      } else if (op === 7) {
        const i = Math.floor(r() * (n + 1));
        l.insert(i, asBytes ? enc(v) : v);
        model.splice(i, 0, v);
      } else if (op === 8) {
        const i = Math.floor(r() * n);
        l.setAt(i, asBytes ? enc(v) : v);
        model[i] = v;
      } else if (op === 9) {
        const s = Math.floor(r() * n);
        const k = Math.floor(r() * Math.min(n - s, 30));
        l.removeRange(s, k);
        model.splice(s, k);
      } else if (op === 10) {
        const t = model[Math.floor(r() * n)];
        const limit = Math.floor(r() * 3);
        const tail = r() < 0.5;
        const idx: number[] = [];
        model.forEach((x, i) => x === t && idx.push(i));
        const take = limit === 0 ? idx : tail ? idx.slice(-limit) : idx.slice(0, limit);
        for (let q = take.length - 1; q >= 0; q--) model.splice(take[q], 1);
        assert.equal(l.removeEqual(asBytes ? enc(t) : t, limit, tail), take.length);
      } else if (op === 11) {
        const k = 1 + Math.floor(r() * Math.min(n, 4));
        const front = r() < 0.5;
        const sink = new Sink();
        l.popTo(sink, k, front);
        const want = front ? model.splice(0, k) : model.splice(n - k, k).reverse();
        assert.deepEqual(sink.out, want);
      } else if (op === 12) {
        // trims keep most of the list, so it stays long enough to span nodes
        const s = Math.floor(r() * Math.min(n, 5));
        const k = Math.max(0, n - s - Math.floor(r() * 5));
        l.trim(s, k);
        model.splice(0, n, ...model.slice(s, s + k));
      } else if (op === 13) {
        const t = model[Math.floor(r() * n)];
        assert.equal(l.indexOf(asBytes ? enc(t) : t), model.indexOf(t));
      } else if (op === 14) {
        // reads in order and at random, with the read cache
        for (let i = 0; i < n; i += 1 + Math.floor(r() * 3)) assert.equal(l.at(i), model[i]);
        for (let i = n - 1; i >= 0; i -= 1 + Math.floor(r() * 3)) {
          assert.ok(l.equalsAt(i, model[i]));
          assert.ok(l.equalsAt(i, enc(model[i])));
        }
      } else {
        const a = Math.floor(r() * n), b = a + Math.floor(r() * (n - a));
        const sink = new Sink();
        l.writeRange(sink, a, b);
        assert.deepEqual(sink.out, model.slice(a, b + 1));
      }
      assert.equal(l.size, model.length);
      maxNodes = Math.max(maxNodes, l.nodeCount);
      if (step % 50 === 0) {
        assert.deepEqual(l.toArray(), model);
        const c = l.clone();
        assert.deepEqual(c.toArray(), model);
      }
      if (model.length > 400 && r() < 0.01) {
        l.clear();
        model.length = 0;
      }
    }
    assert.deepEqual(l.toArray(), model);
    assert.ok(maxNodes >= 3, `the list spanned ${maxNodes} nodes`);
    setQuicklistFill(-2);
  });
}

Deno.test("quicklist: an element bigger than any node gets a node of its own", () => {
  setQuicklistFill(-2);
  const big = new Uint8Array(70_000).fill(0x61);
  big[0] = 0;
  const text = String.fromCharCode(...big.subarray(0, 1)) + "a".repeat(69_999);
  const l = new ListValue();
  l.push("x", false);
  l.push(big, false);
  l.push("y", false);
  l.push(big, true);
  assert.equal(l.nodeCount, 4); // [big] [x] [big] [y]
  assert.deepEqual(l.toArray(), [text, "x", text, "y"]);
  assert.ok(l.equalsAt(2, big));
  assert.equal(l.removeEqual(big, 1, true), 1);
  assert.deepEqual(l.toArray(), [text, "x", "y"]);
  assert.equal(l.popFront(), text);
  assert.equal(l.nodeCount, 2);
  assert.deepEqual(l.toArray(), ["x", "y"]);
});
