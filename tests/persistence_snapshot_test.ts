/**
 * The background snapshot's bookkeeping in process: RefBitmap against a Set, and a part written
 * a few keys a step while random writes (creations, overwrites that keep or move the record,
 * in-place and moving resizes, deletions, TTLs) hit the keyspace between the steps; the part
 * must hold every key of the snapshot point exactly once, with its value of that point.
 */
import assert from "node:assert/strict";
import { Keyspace } from "../src/store/keyspace.ts";
import { ConfigStore } from "../src/config/store.ts";
import { ShardSnapshot } from "../src/persist/snapshot.ts";
import { RefBitmap } from "../src/persist/ref_bitmap.ts";
import { RdbWriter } from "../src/persist/rdb/writer.ts";
import { eofBytes, loadRdb, writeHeader } from "../src/persist/rdb/file.ts";
import { rng } from "./helpers/rng.ts";

const enc = new TextEncoder();
const latin1 = (u: Uint8Array) => {
  let s = "";
  for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);
  return s;
};

Deno.test("snapshot: RefBitmap agrees with a Set and grows only as far as its refs", () => {
  const rnd = rng(5);
  const bits = new RefBitmap();
  const model = new Set<number>();
  for (let i = 0; i < 50_000; i++) {
    const ref = 1 + Math.floor(rnd() * (i < 40_000 ? 1 << 20 : 1 << 26));
    assert.equal(bits.add(ref), !model.has(ref));
    model.add(ref);
    const probe = 1 + Math.floor(rnd() * (1 << 27));
    assert.equal(bits.has(probe), model.has(probe));
  }
  for (const ref of model) assert.ok(bits.has(ref));
  assert.ok(bits.bytes <= (1 << 26) / 8 + (1 << 20));
  bits.clear();
  assert.equal(bits.bytes, 0);
  assert.ok(!bits.has(1));
  assert.ok(bits.add(1));
});

/** Every key of a part (RDB records after a header), as "db:key" → value; throws on a repeat. */
function readPart(part: Uint8Array): Map<string, string> {
  const w = new RdbWriter();
  writeHeader(w, { redisVersion: "7.0.15", ctime: 0, usedMem: 0 });
  w.raw(part);
  w.raw(eofBytes(null));
  const out = new Map<string, string>();
  loadRdb(w.take(), {
    databases: 2,
    checksum: false,
    onKey: (k, r) => {
      assert.equal(k.type, 0);
      const name = `${k.db}:${latin1(k.key)}`;
      assert.ok(!out.has(name), `${name} written twice`);
      out.set(name, latin1(r.string()));
    },
  });
  return out;
}

for (const seed of [1, 2, 3]) {
  Deno.test(`snapshot: a part written under random writes is the snapshot point (seed ${seed})`, () => {
    const rnd = rng(seed);
    const ks = new Keyspace(2);
    const now = 1_000_000;
    const value = () => "v".repeat(Math.floor(rnd() ** 3 * 300)) + Math.floor(rnd() * 1e6);
    const model = new Map<string, string>();
    for (let i = 0; i < 6000; i++) {
      const db = i % 7 === 0 ? 1 : 0;
      const key = `k${i}`, v = value();
      ks.dbs[db].setString(enc.encode(key), enc.encode(v), 0, v.length, now);
      model.set(`${db}:${key}`, v);
    }
    const dir = Deno.makeTempDirSync();
    try {
      const path = `${dir}/part`;
      const snap = new ShardSnapshot(ks.dbs, new ConfigStore());
      assert.ok(snap.begin(path, now, true));
      let steps = 0;
      while (!snap.step(1 + Math.floor(rnd() * 60))) {
        steps++;
        for (let n = 0; n < 40; n++) {
          const db = rnd() < 0.15 ? 1 : 0;
          const d = ks.dbs[db];
          const key = enc.encode(`k${Math.floor(rnd() * 9000)}`);
          // what a write command's dispatch does first (execute.ts)
          snap.beforeWrite(db, key);
          const op = rnd();
          const ref = d.find(key);
          if (op < 0.4) {
            const v = value();
            d.setString(key, enc.encode(v), 0, v.length, now);
          } else if (op < 0.6 && ref !== 0) {
            d.resizeString(ref, Math.floor(rnd() * 600));
          } else if (op < 0.8) {
            d.delete(key, now);
          } else if (ref !== 0) {
            d.setExpire(ref, now + 100_000);
          }
        }
        // writes that reach only the Db hooks (a creation and an overwrite, no beforeWrite)
        const v = value();
        ks.dbs[0].setString(enc.encode(`k${Math.floor(rnd() * 9000)}`), enc.encode(v), 0, 1, now);
      }
      assert.ok(steps > 50, `only ${steps} steps`);
      assert.equal(snap.error, null);
      assert.equal(snap.keysWritten, model.size);
      assert.deepEqual(readPart(Deno.readFileSync(path)), model);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}
