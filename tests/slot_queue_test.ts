/**
 * The reply queue of a client (SlotQueue): random pushes and shifts agree with a plain array
 * through emptying (indexes back to 0) and compaction (past 1024 shifted slots).
 */
import assert from "node:assert/strict";
import { Slot, SlotQueue } from "../src/shard/client.ts";

Deno.test("slot queue: random pushes and shifts agree with an array, after() included", () => {
  let seed = 99;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const q = new SlotQueue();
  const model: Slot[] = [];
  for (let i = 0; i < 60000; i++) {
    // bursts: long pipelines (compaction) and short ones (emptied again and again)
    const pushBias = Math.floor(i / 5000) % 2 === 0 ? 6 : 3;
    if (rand(10) < pushBias || model.length === 0) {
      const s = new Slot();
      q.push(s);
      model.push(s);
    } else {
      assert.equal(q.first(), model[0]);
      q.shift();
      model.shift();
    }
    assert.equal(q.length, model.length);
    assert.equal(q.first(), model[0]);
    if (i % 101 === 0 && model.length > 0) {
      const at = rand(model.length);
      assert.deepEqual(q.after(model[at]), model.slice(at + 1));
      assert.deepEqual(q.after(new Slot()), model);
    }
  }
});
