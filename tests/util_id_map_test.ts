/**
 * IdMap against a JS Map under random churn: every get, has, size and the set of entries agree
 * after each operation batch, through growth and backward-shift deletions of colliding ids.
 */
import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { IdMap } from "../src/util/id_map.ts";
import { rng } from "./helpers/rng.ts";

function entries(m: IdMap<number>): [number, number][] {
  const out: [number, number][] = [];
  m.forEach((v, id) => out.push([id, v]));
  return out.sort((a, b) => a[0] - b[0]);
}

for (const [name, span] of [["dense ids", 300], ["sparse u32 ids", 2 ** 32 - 1]] as const) {
  Deno.test(`IdMap agrees with Map under churn (${name})`, () => {
    const r = rng(span === 300 ? 7 : 11);
    const m = new IdMap<number>();
    const ref = new Map<number, number>();
    for (let op = 0; op < 50_000; op++) {
      const id = 1 + Math.floor(r() * span);
      const x = r();
      if (x < 0.45) {
        m.set(id, op);
        ref.set(id, op);
      } else if (x < 0.9) {
        assertEquals(m.delete(id), ref.delete(id));
      } else {
        assertEquals(m.get(id), ref.get(id));
        assertEquals(m.has(id), ref.has(id));
      }
      assertEquals(m.size, ref.size);
      if (op % 5000 === 0) {
        assertEquals(entries(m), [...ref.entries()].sort((a, b) => a[0] - b[0]));
      }
    }
    for (const id of [...ref.keys()]) assertEquals(m.get(id), ref.get(id));
    for (const id of [...ref.keys()]) m.delete(id);
    assertEquals(m.size, 0);
    assertEquals(entries(m), []);
  });
}

Deno.test("IdMap refuses id 0 and ids beyond u32", () => {
  const m = new IdMap<string>();
  throws(() => m.set(0, "x"), RangeError);
  throws(() => m.set(2 ** 32, "x"), RangeError);
  m.set(2 ** 32 - 1, "top");
  assertEquals(m.get(2 ** 32 - 1), "top");
  assertEquals(m.get(0), undefined);
});
