/**
 * SetTable (store/set_table.ts), a large set's members as bytes in typed arrays: random adds
 * and removals against a Set model (through growth, shrinking, heap compaction and
 * backward-shift deletion), byte and string forms agreeing, a scan from the end returning
 * every member present for the whole scan while others come and go, and positions picked
 * uniformly (SPOP / SRANDMEMBER fairness).
 */
import assert from "node:assert/strict";
import { SetTable } from "../src/store/set_table.ts";
import { rng } from "./helpers/rng.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function check(t: SetTable, model: Set<string>): void {
  assert.equal(t.n, model.size);
  const seen = new Set<string>();
  for (let d = 0; d < t.n; d++) seen.add(t.at(d));
  assert.equal(seen.size, model.size, "no member twice");
  for (const m of model) assert.ok(seen.has(m) && t.has(m), `missing ${m}`);
}

Deno.test("SetTable: random adds and removals against a model", () => {
  for (const seed of [1, 2, 3]) {
    const r = rng(seed);
    const t = new SetTable();
    const model = new Set<string>();
    const member = () => {
      const x = r();
      if (x < 0.05) return "";
      if (x < 0.1) return "\x00\xff" + "z".repeat(Math.floor(r() * 200));
      return `element:${Math.floor(r() * 3000)}`;
    };
    for (let i = 0; i < 40000; i++) {
      const m = member();
      // grow, then shrink to a few members, then grow again
      const phase = Math.floor(i / 10000) % 2;
      if (r() < (phase === 0 ? 0.7 : 0.25)) {
        const viaBytes = r() < 0.5;
        const added = viaBytes ? t.addBytes(bytes(m), 0, m.length) : t.add(m);
        assert.equal(added, !model.has(m));
        model.add(m);
      } else if (r() < 0.5) {
        assert.equal(t.remove(m), model.delete(m));
      } else if (t.n > 0) {
        const d = Math.floor(r() * t.n);
        model.delete(t.at(d));
        t.removeAt(d);
      }
      if (i % 997 === 0) check(t, model);
      const probe = member();
      assert.equal(t.hasBytes(bytes(probe), 0, probe.length), model.has(probe));
    }
    check(t, model);
    const c = t.clone();
    check(c, model);
    while (t.n > 0) t.removeAt(t.n - 1);
    assert.equal(t.n, 0);
    check(c, model);
  }
});

Deno.test("SetTable: a scan from the end sees every member present throughout", () => {
  const r = rng(9);
  const t = new SetTable();
  for (let i = 0; i < 5000; i++) t.add(`m${i}`);
  const seen = new Set<string>();
  const removed = new Set<string>();
  let cur = t.n;
  while (cur > 0) {
    const stop = Math.max(0, Math.min(cur, t.n) - 37);
    for (let d = Math.min(cur, t.n) - 1; d >= stop; d--) seen.add(t.at(d));
    cur = stop;
    for (let k = 0; k < 20; k++) {
      const m = `m${Math.floor(r() * 5000)}`;
      if (t.remove(m)) removed.add(m);
      t.add(`new${Math.floor(r() * 1e9)}`);
    }
  }
  for (let i = 0; i < 5000; i++) {
    const m = `m${i}`;
    if (!removed.has(m)) assert.ok(seen.has(m), `${m} was skipped`);
  }
});

Deno.test("SetTable: positions are uniform picks", () => {
  const t = new SetTable();
  for (let i = 0; i < 10; i++) t.add(String(i));
  t.remove("3");
  t.add("x");
  const counts = new Map<string, number>();
  const N = 90000;
  for (let i = 0; i < N; i++) {
    const m = t.at(Math.floor(Math.random() * t.n));
    counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  assert.equal(counts.size, 10);
  for (const [m, c] of counts) assert.ok(Math.abs(c - N / 10) < N / 10 * 0.1, `${m}: ${c}`);
});
