/**
 * The hashtable encoding's table (store/hash_dict.ts): random writes through both entry
 * points (strings, bytes) against a Map model, with values that grow, shrink and cross the
 * big-entry size, enough churn to compact the pool and renumber the slots; HSCAN returning
 * every field present for the whole scan while the table grows and shrinks; uniform random
 * picks, also after deletes leave free slots.
 */
import assert from "node:assert/strict";
import { Dict } from "../src/store/hash_dict.ts";
import type { StringValue } from "../src/store/types.ts";
import { rng } from "./helpers/rng.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);

function contents(d: Dict): Map<string, StringValue> {
  const f: string[] = [], v: StringValue[] = [];
  d.entries(f, v);
  assert.equal(new Set(f).size, f.length, "no field twice");
  return new Map(f.map((x, i) => [x, v[i]]));
}

function valueOf(r: () => number, step: number): string {
  const x = r();
  if (x < 0.6) return `v${step}`.repeat(1 + Math.floor(r() * 3));
  if (x < 0.8) return "w".repeat(Math.floor(r() * 200));
  if (x < 0.9) return "";
  return "B".repeat(1000 + Math.floor(r() * 3000)); // a big entry (JS values)
}

Deno.test("hash dict: random writes as strings and bytes match a Map", () => {
  const r = rng(3);
  for (let round = 0; round < 6; round++) {
    const d = new Dict();
    const model = new Map<string, StringValue>();
    const span = [50, 3000][round % 2];
    for (let step = 0; step < 20000; step++) {
      const f = r() < 0.05 ? "F".repeat(1100) + (step % 7) : `f${Math.floor(r() * span)}\x00\xff`;
      const x = r();
      if (x < 0.45) {
        const v = valueOf(r, step);
        const added = r() < 0.5 ? d.set(f, v) : d.setBytes(bytes(f), bytes(v));
        assert.equal(added, !model.has(f), `step ${step}`);
        model.set(f, v);
      } else if (x < 0.75 || (x < 0.85 && step % 4000 > 3000)) {
        assert.equal(d.delete(f), model.delete(f));
      } else {
        const want = model.get(f);
        assert.equal(d.get(f), want);
        assert.equal(d.has(f), want !== undefined);
        const i = d.findBytes(bytes(f));
        assert.equal(i !== 0, want !== undefined);
        if (i !== 0) {
          assert.equal(d.valueLength(i), want!.length);
          const o = d.valueOffset(i);
          const got = o < 0 ? d.valueAt(i) : text(d.bytes.subarray(o, o + d.valueLength(i)));
          assert.equal(got, want);
        }
      }
      assert.equal(d.count, model.size);
      // every so often drop almost everything: the buckets shrink and the slots renumber
      if (step % 5000 === 4999) {
        for (const k of [...model.keys()].slice(3)) {
          assert.ok(d.delete(k));
          model.delete(k);
        }
        assert.ok(d.capacity <= 8, `shrunk to ${d.capacity}`);
      }
    }
    assert.deepEqual(contents(d), model);
  }
});

Deno.test("hash dict: HSCAN returns every field present for the whole scan", () => {
  const r = rng(17);
  for (let round = 0; round < 20; round++) {
    const d = new Dict();
    const stable = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const f = `s${i}`;
      if (i % 2 === 0) d.set(f, "v");
      else d.setBytes(bytes(f), bytes("x".repeat(i % 40)));
      stable.add(f);
    }
    let churn = 0;
    const seen = new Set<string>();
    let cursor = 0;
    let calls = 0;
    do {
      const f: string[] = [], v: StringValue[] = [];
      cursor = d.scan(cursor, 1 + Math.floor(r() * 20), f, v);
      for (const x of f) seen.add(x);
      if (r() < 0.5) { for (let k = 0; k < 300; k++) d.set(`c${churn++}`, "y".repeat(k % 50)); }
      else for (let k = 0; k < churn; k++) d.delete(`c${k}`);
      // stable fields' values change size too (they move in the pool, not in the table)
      d.set(`s${Math.floor(r() * 500)}`, "z".repeat(Math.floor(r() * 100)));
      assert.ok(++calls < 100_000);
    } while (cursor !== 0);
    for (const s of stable) assert.ok(seen.has(s), `round ${round}: ${s} missed`);
  }
});

Deno.test("hash dict: random picks are uniform, also with freed slots", () => {
  const d = new Dict();
  for (let i = 0; i < 1000; i++) d.set(`f${i}`, `v${i}`);
  // keep 130 fields: 870 of the 1000 slots are free (1024 buckets shrink below 128 fields)
  for (let i = 130; i < 1000; i++) d.delete(`f${i}`);
  assert.equal(d.capacity, 1024);
  const counts = new Map<string, number>();
  const f: string[] = [], v: StringValue[] = [];
  const picks = 390_000;
  d.randomPairs(picks, f, v);
  f.forEach((x, i) => {
    assert.equal(v[i], "v" + x.slice(1));
    counts.set(x, (counts.get(x) ?? 0) + 1);
  });
  assert.equal(counts.size, 130);
  // 3000 expected per field, sd ~55: 10% is over 5 sd
  for (const [x, n] of counts) assert.ok(Math.abs(n - 3000) < 300, `${x}: ${n}`);
  for (const count of [1, 5, 40, 43, 129]) {
    const uf: string[] = [], uv: StringValue[] = [];
    d.randomUnique(count, uf, uv);
    assert.equal(new Set(uf).size, count);
    uf.forEach((x, i) => assert.equal(uv[i], "v" + x.slice(1)));
  }
});

Deno.test("hash dict: a few fields rewritten, deleted and re-added keep their bytes", () => {
  // few live bytes, much churn: the pool compacts again and again, and reused slots must not
  // bring the bytes of their former entries along
  const r = rng(23);
  const d = new Dict();
  const model = new Map<string, string>();
  for (let step = 0; step < 30000; step++) {
    const f = `k${Math.floor(r() * 3)}`;
    if (r() < 0.2) {
      assert.equal(d.delete(f), model.delete(f));
    } else {
      const v = String.fromCharCode(97 + (step % 26)).repeat(Math.floor(r() * 1200));
      d.setBytes(bytes(f), bytes(v));
      model.set(f, v);
    }
    const k = `k${step % 3}`;
    assert.equal(d.get(k), model.get(k));
  }
  assert.deepEqual(contents(d), model);
  // one field whose values keep outgrowing their room: the only live bytes are being moved
  const one = new Dict();
  for (let step = 0; step < 3000; step++) {
    const v = "x".repeat(500 + Math.floor(r() * 500));
    one.set("only", v);
    assert.equal(one.get("only"), v);
  }
});

Deno.test("hash dict: a clone is a copy, independent of the original", () => {
  const d = new Dict();
  for (let i = 0; i < 300; i++) d.set(`f${i}`, i % 50 === 0 ? "B".repeat(2000) : `v${i}`);
  for (let i = 0; i < 100; i++) d.delete(`f${i * 3}`);
  const want = contents(d);
  const c = d.clone();
  assert.deepEqual(contents(c), want);
  d.set("f1", "changed");
  d.delete("f2");
  c.set("new", "x");
  assert.equal(c.get("f1"), want.get("f1"));
  assert.equal(c.get("f2"), want.get("f2"));
  assert.equal(d.get("new"), undefined);
  assert.equal(c.count, want.size + 1);
});
