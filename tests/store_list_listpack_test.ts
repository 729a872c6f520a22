/**
 * Unit tests of a small list as a listpack blob (src/store/list_listpack.ts) in a real
 * keyspace: random operations against an array model, the blob converting to the object
 * exactly when a push would open a second quicklist node (_quicklistNodeAllowInsert), and
 * never converting back.
 */

import assert from "node:assert/strict";
import { Keyspace } from "../src/store/keyspace.ts";
import {
  type ElementSink,
  ListValue,
  setQuicklistFill,
  storeList,
  storeNewList,
} from "../src/store/list.ts";
import { lpEntrySize } from "../src/store/listpack.ts";
import type { StringValue } from "../src/store/types.ts";
import { rng } from "./helpers/rng.ts";

const KEY = new TextEncoder().encode("l");
const NOW = 1_000_000;
const LIMITS = [4096, 8192, 16384, 32768, 65536];

/** Collects what a list writes to a sink, as strings. */
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

/** Redis's rule: can a node of `bytes`/`count` take an element of sz bytes? */
function allow(fill: number, bytes: number, count: number, sz: number): boolean {
  const n = bytes + sz + 8;
  if (fill < 0) return n <= LIMITS[Math.min(-fill, 5) - 1];
  return n <= 8192 && count < fill;
}

const nodeBytes = (model: string[]) => 7 + model.reduce((a, s) => a + lpEntrySize(s), 0);

function element(r: () => number): string {
  const k = Math.floor(r() * 10);
  if (k < 3) return String(Math.floor(r() * 2e6) - 1e6); // listpack integers
  if (k === 3) return ["9223372036854775807", "-9223372036854775808", "0", "-0", "01"][k % 5];
  if (k === 4) return "\x00\xff\r\n" + "x".repeat(Math.floor(r() * 200));
  if (k === 5) return "y".repeat(Math.floor(r() * 3000));
  return "e" + Math.floor(r() * 50);
}

for (const fill of [-2, -1, 5, 128]) {
  Deno.test(`list blob: random operations match a model (fill ${fill})`, () => {
    setQuicklistFill(fill);
    const r = rng(fill + 1000);
    for (let round = 0; round < 30; round++) {
      const ks = new Keyspace(1);
      const db = ks.dbs[0];
      const first = element(r);
      const model: string[] = [first];
      storeNewList(db, KEY, [first], false, NOW);
      let blob = db.isBlob(db.find(KEY));
      for (let step = 0; step < 200 && model.length > 0; step++) {
        const ref = db.find(KEY);
        assert.equal(db.isBlob(ref), blob, "a list never goes back to a blob");
        const l = db.object<ListValue>(ref);
        // pushes weigh more, so lists grow past one node
        const op = Math.min(Math.floor(r() * 14), 9) === 9 && r() < 0.6 ? 2 : Math.floor(r() * 10);
        const v = element(r);
        const wasBlob = blob;
        const before = nodeBytes(model);
        if (op < 3) {
          const front = op === 0;
          if (blob && !allow(fill, before, model.length, v.length)) blob = false;
          if (front) {
            l.pushFront(v);
            model.unshift(v);
          } else {
            l.pushBack(v);
            model.push(v);
          }
        } else if (op === 3) {
          if (r() < 0.5) assert.equal(l.popFront(), model.shift());
          else assert.equal(l.popBack(), model.pop());
        } else if (op === 4) {
          const i = Math.floor(r() * model.length);
          const after = before - lpEntrySize(model[i]) + lpEntrySize(v);
          const bound = fill < 0 ? LIMITS[-fill - 1] : 8192;
          if (blob && after > bound) blob = false;
          l.setAt(i, v);
          model[i] = v;
        } else if (op === 5) {
          const i = Math.floor(r() * (model.length + 1));
          if (blob && !allow(fill, before, model.length, v.length)) blob = false;
          l.insert(i, v);
          model.splice(i, 0, v);
        } else if (op === 6) {
          const target = model[Math.floor(r() * model.length)];
          const limit = Math.floor(r() * 3);
          const tail = r() < 0.5;
          const want = removeModel(model, target, limit, tail);
          assert.equal(l.removeEqual(target, limit, tail), want);
        } else if (op === 7) {
          const s = Math.floor(r() * model.length);
          const n = Math.floor(r() * (model.length - s + 1));
          l.trim(s, n);
          model.splice(0, model.length, ...model.slice(s, s + n));
        } else if (op === 8) {
          const n = 1 + Math.floor(r() * Math.min(3, model.length));
          const front = r() < 0.5;
          const sink = new Sink();
          l.popTo(sink, n, front);
          const want = front ? model.splice(0, n) : model.splice(model.length - n, n).reverse();
          assert.deepEqual(sink.out, want);
        } else {
          const t = model[Math.floor(r() * model.length)];
          assert.equal(l.indexOf(t), model.indexOf(t));
        }
        assert.equal(l.size, model.length);
        if (model.length === 0) break;
        const ref2 = db.find(KEY);
        assert.equal(db.isBlob(ref2), blob, `op ${op} wasBlob ${wasBlob}`);
        const l2 = db.object<ListValue>(ref2);
        assert.deepEqual(l2.toArray(), model);
        const sink = new Sink();
        l2.writeRange(sink, 0, model.length - 1);
        assert.deepEqual(sink.out, model);
        for (let k = 0; k < 5; k++) {
          const i = Math.floor(r() * model.length);
          assert.equal(l2.at(i), model[i]);
          assert.ok(l2.equalsAt(i, model[i]));
        }
      }
    }
    setQuicklistFill(-2);
  });
}

function removeModel(model: string[], v: string, limit: number, tail: boolean): number {
  const idx: number[] = [];
  model.forEach((x, i) => x === v && idx.push(i));
  const take = limit === 0 ? idx : tail ? idx.slice(-limit) : idx.slice(0, limit);
  for (let k = take.length - 1; k >= 0; k--) model.splice(take[k], 1);
  return take.length;
}

Deno.test("list blob: a new list is a blob while one node takes it, else an object", () => {
  setQuicklistFill(-2);
  const ks = new Keyspace(1);
  const db = ks.dbs[0];
  storeNewList(db, KEY, ["a", "1", "-5"], true, NOW);
  assert.ok(db.isBlob(db.find(KEY)));
  assert.deepEqual(db.object<ListValue>(db.find(KEY)).toArray(), ["-5", "1", "a"]);
  storeNewList(db, KEY, ["x".repeat(9000)], false, NOW);
  assert.ok(!db.isBlob(db.find(KEY)));
  setQuicklistFill(1);
  storeNewList(db, KEY, ["a"], false, NOW);
  assert.ok(db.isBlob(db.find(KEY)));
  storeNewList(db, KEY, ["a", "b"], false, NOW);
  assert.ok(!db.isBlob(db.find(KEY)));
  // an object small enough for one node is stored as a blob (shipped or SORT STORE results)
  setQuicklistFill(-2);
  const o = new ListValue();
  o.pushBack("p");
  o.pushBack("12");
  storeList(db, KEY, o, NOW);
  assert.ok(db.isBlob(db.find(KEY)));
  assert.deepEqual(db.object<ListValue>(db.find(KEY)).toArray(), ["p", "12"]);
});

Deno.test("list blob: integers keep their exact text", () => {
  setQuicklistFill(-2);
  const ks = new Keyspace(1);
  const db = ks.dbs[0];
  const vals = [
    "0",
    "-1",
    "127",
    "128",
    "-4096",
    "4095",
    "-32769",
    "8388608",
    "2147483648",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "007",
    "-0",
    "+1",
    " 1",
  ];
  storeNewList(db, KEY, vals, false, NOW);
  const l = db.object<ListValue>(db.find(KEY));
  assert.deepEqual(l.toArray(), vals);
  const sink = new Sink();
  l.writeRange(sink, 0, vals.length - 1);
  assert.deepEqual(sink.out, vals);
  for (let i = 0; i < vals.length; i++) assert.ok(l.equalsAt(i, vals[i]), vals[i]);
});
