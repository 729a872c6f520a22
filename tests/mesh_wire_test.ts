/**
 * The mesh's record format (src/shard/wire.ts): BatchReader.peekKeys, which finds the keys of
 * the requests ahead in a record for the prefetch, agrees with what next() reads item by item,
 * over records of every kind of item.
 */
import assert from "node:assert/strict";
import {
  BatchBuilder,
  BatchReader,
  ITEM_GIVE_BACK,
  ITEM_GRANT,
  ITEM_HELD,
  ITEM_RELEASE,
  ITEM_UNWATCH,
} from "../src/shard/wire.ts";
import { rng } from "./helpers/rng.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Req {
  db: number;
  argv: string[];
}

Deno.test("batch reader: peekKeys finds the key of every request ahead, stepping over the other items", () => {
  const rand = rng(99);
  const offs = new Int32Array(64), lens = new Int32Array(64);
  for (let round = 0; round < 200; round++) {
    const b = new BatchBuilder();
    // the items in order: a request, or null for anything else
    const items: (Req | null)[] = [];
    const count = 1 + Math.floor(rand() * 60);
    for (let i = 0; i < count; i++) {
      const r = rand();
      if (r < 0.6) {
        const argv = Array.from(
          { length: 1 + Math.floor(rand() * 4) },
          () => "x".repeat(Math.floor(rand() * 20)) + String(i),
        );
        const db = rand() < 0.8 ? 0 : 1;
        b.request(i, db, 2, argv.map((a) => enc.encode(a)), argv.length, null);
        items.push({ db, argv });
        continue;
      }
      if (r < 0.68) b.reply(i, enc.encode("$3\r\nabc\r\n"));
      else if (r < 0.74) b.lock(i, 7, 0, [1, 2, 3]);
      else if (r < 0.78) b.lock(i, 7, 0, [4], ITEM_HELD);
      else if (r < 0.82) b.small(ITEM_GRANT, i, 1);
      else if (r < 0.86) b.small(ITEM_RELEASE, i);
      else if (r < 0.89) b.small(ITEM_UNWATCH, i);
      else if (r < 0.92) b.small(ITEM_GIVE_BACK, i);
      else if (r < 0.96) b.lent(i, 0, 5, 0x1234_5678_9an, 100);
      else b.store(i, 0, enc.encode("entries"));
      items.push(null);
    }
    const rec = b.view().slice();
    const reader = new BatchReader();
    reader.reset(rec);
    for (let at = 0; reader.next() !== 0; at++) {
      if (items[at] === null) continue;
      // every request is read whole: an earlier peek moved nothing
      const argv = reader.argv.slice(0, reader.argc).map((a) => dec.decode(a));
      assert.deepEqual(argv, items[at]!.argv, `round ${round}, item ${at}`);
      const max = 1 + Math.floor(rand() * 20);
      const n = reader.peekKeys(max, offs, lens);
      const ahead = items.slice(at + 1).filter((x) => x !== null).slice(0, max) as Req[];
      assert.equal(n, ahead.length, `round ${round}, item ${at}`);
      for (let i = 0; i < n; i++) {
        const key = ahead[i].argv[1];
        if (key === undefined || ahead[i].db !== ahead[0].db) assert.equal(lens[i], -1);
        else {
          assert.equal(dec.decode(rec.subarray(offs[i], offs[i] + lens[i])), key);
          assert.equal(reader.peekDb, ahead[0].db);
        }
      }
    }
  }
});
