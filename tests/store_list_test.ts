/** Unit tests of the list value (src/store/list.ts) against a plain array model. */

import assert from "node:assert/strict";
import { ListValue, sameValue, setQuicklistFill } from "../src/store/list.ts";
import type { StringValue } from "../src/store/types.ts";
import { rng } from "./helpers/rng.ts";

Deno.test("list: push and pop at both ends keep order", () => {
  const l = new ListValue();
  for (let i = 0; i < 10; i++) l.pushBack(`b${i}`);
  for (let i = 0; i < 10; i++) l.pushFront(`f${i}`);
  assert.equal(l.size, 20);
  assert.equal(l.at(0), "f9");
  assert.equal(l.at(9), "f0");
  assert.equal(l.at(10), "b0");
  assert.equal(l.at(19), "b9");
  assert.equal(l.popFront(), "f9");
  assert.equal(l.popBack(), "b9");
  assert.equal(l.size, 18);
  assert.deepEqual(l.toArray().slice(0, 3), ["f8", "f7", "f6"]);
});

Deno.test("list: quicklist nodes fill by list-max-listpack-size and go when emptied", () => {
  setQuicklistFill(4);
  const l = new ListValue();
  for (let i = 0; i < 10; i++) l.pushBack(String(i));
  assert.equal(l.nodeCount, 3); // 4 + 4 + 2, as quicklist.c's pushes fill them
  for (let i = 0; i < 5; i++) l.popFront();
  assert.equal(l.nodeCount, 2);
  setQuicklistFill(1);
  for (let i = 10; i < 1000; i++) l.pushBack(String(i));
  assert.equal(l.nodeCount, 992); // one element a node: the ring of nodes grew past 512
  for (let i = 0; i < 985; i++) l.popFront();
  assert.equal(l.nodeCount, 10);
  assert.deepEqual(l.toArray(), [
    "990",
    "991",
    "992",
    "993",
    "994",
    "995",
    "996",
    "997",
    "998",
    "999",
  ]);
  setQuicklistFill(-2);
});

Deno.test("list: wrap-around indexing after mixed pushes and pops", () => {
  const l = new ListValue(8);
  const model: string[] = [];
  for (let round = 0; round < 50; round++) {
    l.pushBack(`x${round}`);
    model.push(`x${round}`);
    l.pushFront(`y${round}`);
    model.unshift(`y${round}`);
    if (round % 3 === 0) {
      assert.equal(l.popBack(), model.pop());
      assert.equal(l.popFront(), model.shift());
    }
  }
  assert.deepEqual(l.toArray(), model);
  for (let i = 0; i < model.length; i++) assert.equal(l.at(i), model[i]);
});

Deno.test("list: insert, setAt, removeRange, trim, clear", () => {
  const l = new ListValue();
  for (const s of ["a", "b", "c", "d", "e"]) l.pushBack(s);
  l.insert(0, "start");
  l.insert(6, "end");
  l.insert(3, "mid");
  assert.deepEqual(l.toArray(), ["start", "a", "b", "mid", "c", "d", "e", "end"]);
  l.setAt(3, "MID");
  assert.equal(l.at(3), "MID");
  l.removeRange(1, 2);
  assert.deepEqual(l.toArray(), ["start", "MID", "c", "d", "e", "end"]);
  l.removeRange(3, 2);
  assert.deepEqual(l.toArray(), ["start", "MID", "c", "end"]);
  l.trim(1, 2);
  assert.deepEqual(l.toArray(), ["MID", "c"]);
  l.clear();
  assert.equal(l.size, 0);
  l.pushFront("z");
  assert.deepEqual(l.toArray(), ["z"]);
});

Deno.test("list: removeEqual from head, from tail, with and without a limit", () => {
  const make = () => {
    const l = new ListValue();
    for (const s of ["a", "b", "a", "c", "a", "b", "a"]) l.pushBack(s);
    return l;
  };
  let l = make();
  assert.equal(l.removeEqual("a", 2, false), 2);
  assert.deepEqual(l.toArray(), ["b", "c", "a", "b", "a"]);
  l = make();
  assert.equal(l.removeEqual("a", 2, true), 2);
  assert.deepEqual(l.toArray(), ["a", "b", "a", "c", "b"]);
  l = make();
  assert.equal(l.removeEqual("a", 0, true), 4);
  assert.deepEqual(l.toArray(), ["b", "c", "b"]);
  l = make();
  assert.equal(l.removeEqual("zz", 0, false), 0);
  assert.equal(l.size, 7);
  assert.equal(l.indexOf("c"), 3);
  assert.equal(l.indexOf("zz"), -1);
});

Deno.test("list: byte-array elements compare by content", () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array([1, 2, 3]);
  assert.ok(sameValue(a, b));
  assert.ok(!sameValue(a, new Uint8Array([1, 2])));
  assert.ok(!sameValue(a, "\x01\x02\x03"));
  assert.ok(sameValue("x", "x"));
  const l = new ListValue();
  l.pushBack(a);
  l.pushBack("q");
  assert.equal(l.indexOf(b), 0);
  assert.equal(l.removeEqual(b, 0, false), 1);
  assert.deepEqual(l.toArray(), ["q"]);
});

Deno.test("list: clone is deep", () => {
  const l = new ListValue();
  for (let i = 0; i < 100; i++) l.pushFront(String(i));
  const c = l.clone();
  l.popBack();
  l.setAt(0, "changed");
  assert.equal(c.size, 100);
  assert.equal(c.at(0), "99");
  assert.equal(c.at(99), "0");
  assert.equal(c.encoding(), "quicklist");
});

Deno.test("list: random operations match an array model", () => {
  const rand = rng(12345);
  const l = new ListValue();
  const model: StringValue[] = [];
  const vals = ["a", "b", "c", "d"];
  for (let step = 0; step < 20000; step++) {
    const r = rand();
    const v = vals[(rand() * vals.length) | 0];
    const n = model.length;
    if (r < 0.2) {
      l.pushBack(v);
      model.push(v);
    } else if (r < 0.4) {
      l.pushFront(v);
      model.unshift(v);
    } else if (r < 0.5 && n > 0) {
      assert.equal(l.popFront(), model.shift());
    } else if (r < 0.6 && n > 0) {
      assert.equal(l.popBack(), model.pop());
    } else if (r < 0.68) {
      const i = (rand() * (n + 1)) | 0;
      l.insert(i, v);
      model.splice(i, 0, v);
    } else if (r < 0.74 && n > 0) {
      const s = (rand() * n) | 0;
      const k = (rand() * (n - s + 1)) | 0;
      l.removeRange(s, k);
      model.splice(s, k);
    } else if (r < 0.78 && n > 0) {
      const s = (rand() * n) | 0;
      const k = (rand() * (n - s + 1)) | 0;
      l.trim(s, k);
      model.splice(0, model.length, ...model.slice(s, s + k));
    } else if (r < 0.84) {
      const limit = (rand() * 3) | 0;
      const fromTail = rand() < 0.5;
      let removed = 0;
      if (!fromTail) {
        for (let i = 0; i < model.length; i++) {
          if (model[i] === v && (limit === 0 || removed < limit)) {
            model.splice(i--, 1);
            removed++;
          }
        }
      } else {
        for (let i = model.length - 1; i >= 0; i--) {
          if (model[i] === v && (limit === 0 || removed < limit)) {
            model.splice(i, 1);
            removed++;
          }
        }
      }
      assert.equal(l.removeEqual(v, limit, fromTail), removed);
    } else if (r < 0.9 && n > 0) {
      const i = (rand() * n) | 0;
      l.setAt(i, v + "!");
      model[i] = v + "!";
    } else if (r < 0.92) {
      // a burst of pushes, to cross growth boundaries
      for (let k = 0; k < 50; k++) {
        l.pushBack(`${v}${k}`);
        model.push(`${v}${k}`);
      }
    }
    assert.equal(l.size, model.length);
    if (step % 97 === 0) assert.deepEqual(l.toArray(), model);
  }
  assert.deepEqual(l.toArray(), model);
});
