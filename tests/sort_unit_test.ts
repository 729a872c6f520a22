/** SORT's pieces on their own: the pattern parse, patternHashSlot, STORE's position, pqsort. */
import assert from "node:assert/strict";
import { patternHashSlot, SortPattern, storeKeyPosition } from "../src/commands/sort/pattern.ts";
import { fullSort, pqsort, setSortOrder, SortItem } from "../src/commands/sort/pqsort.ts";
import { keySlotStr } from "../src/util/crc16.ts";
import { rng } from "./helpers/rng.ts";

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("sort: pattern parse, patternHashSlot, STORE position", () => {
  const p = new SortPattern(enc("h_*x->f->g"));
  assert.deepEqual([p.prefix, p.postfix, p.field, p.self, p.none], [
    "h_",
    "x",
    "f->g",
    false,
    false,
  ]);
  assert.equal(new SortPattern(enc("h_*->")).field, null);
  assert.equal(new SortPattern(enc("h_*->")).postfix, "->");
  assert.equal(new SortPattern(enc("h_->*")).field, null);
  assert.equal(new SortPattern(enc("w\x00*")).none, true);
  assert.equal(new SortPattern(enc("#\x00z")).self, true);
  assert.equal(new SortPattern(enc("##")).none, true);
  assert.equal(patternHashSlot(enc("{t}w_*")), keySlotStr("{t}"));
  assert.equal(patternHashSlot(enc("w_*{t}")), -1);
  assert.equal(patternHashSlot(enc("{}{t}*")), -1);
  assert.equal(patternHashSlot(enc("fixed")), keySlotStr("fixed"));
  const argv = (...a: string[]) => a.map(enc);
  const pos = (...a: string[]) => storeKeyPosition(argv(...a), a.length);
  assert.equal(pos("SORT", "k", "STORE", "d"), 3);
  assert.equal(pos("SORT", "k", "GET", "store", "LIMIT", "0", "1"), -1);
  assert.equal(pos("SORT", "k", "STORE", "a", "store", "b"), 5);
  assert.equal(pos("SORT", "k", "STORE"), -1);
});

Deno.test("sort: pqsort puts the range where a full sort does", () => {
  const r = rng(7);
  setSortOrder(false, false, true);
  for (let round = 0; round < 300; round++) {
    const n = 1 + Math.floor(r() * 120);
    const items = Array.from({ length: n }, (_, i) => {
      const it = new SortItem();
      it.score = Math.floor(r() * n * 4);
      it.obj = `e${i}`;
      return it;
    });
    const want = items.slice();
    fullSort(want);
    const lo = Math.floor(r() * n), hi = Math.min(n - 1, lo + Math.floor(r() * 10));
    const got = items.slice();
    pqsort(got, n, lo, hi);
    assert.deepEqual(got.slice(lo, hi + 1), want.slice(lo, hi + 1));
  }
});
