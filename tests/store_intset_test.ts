/**
 * A small set's blob (store/intset.ts, store/set_blob.ts through SetValue's view mode):
 * - the intset bytes are exactly Redis's: the same adds and removals sent to redis-server
 *   (`rdbcompression no`) give a DUMP payload of RDB type 11 (intset) whose string is our blob,
 *   byte for byte, through every encoding upgrade (16 -> 32 -> 64 bits, negatives first,
 *   the int64 limits) and removals (which never narrow);
 * - random operations against a model cross every conversion (intset -> listpack -> object,
 *   intset -> object), and the view keeps answering after each one.
 */
import assert from "node:assert/strict";
import { Arena } from "../src/store/arena.ts";
import { Blob, type BlobOwner } from "../src/store/blob.ts";
import { BLOB_INTSET, BLOB_LISTPACK, ENC_SHIFT, W_META } from "../src/store/record.ts";
import { INTSET_EMPTY } from "../src/store/intset.ts";
import { lpBytes } from "../src/store/listpack.ts";
import { SetValue } from "../src/store/set.ts";
import type { CollectionValue } from "../src/store/types.ts";
import { parse, RespConn } from "./helpers/resp.ts";
import { startRedis } from "./helpers/server.ts";
import { rng } from "./helpers/rng.ts";

class Owner implements BlobOwner {
  readonly arena = new Arena();
  converted: CollectionValue | null = null;
  blobToObject(_record: number, obj: CollectionValue): void {
    this.converted = obj;
  }
}

/** A record-like block (its meta word says BLOB_INTSET) naming a blob holding an empty intset. */
function emptySet(o: Owner): Blob {
  const a = o.arena;
  const rec = a.alloc(16);
  const ref = a.alloc(INTSET_EMPTY.length);
  a.u8.set(INTSET_EMPTY, ref * 8);
  a.u32[rec * 2 + W_META] = BLOB_INTSET << ENC_SHIFT;
  const slot = rec * 8;
  a.u8.fill(0, slot, slot + 4);
  new DataView(a.buf).setUint32(slot, ref, true);
  return new Blob(o, rec, slot);
}

function intsetBytes(b: Blob): Uint8Array {
  const u8 = b.u8, at = b.at;
  const len = 8 + u8[at] * new DataView(u8.buffer).getUint32(at + 4, true);
  return u8.slice(at, at + len);
}

/** The intset inside a DUMP payload: type 11, an RDB length, the bytes, 10 bytes of trailer. */
function dumpedIntset(payload: Uint8Array): Uint8Array {
  assert.equal(payload[0], 11, "RDB_TYPE_SET_INTSET");
  let p = 1;
  let len: number;
  const b = payload[p];
  if (b >> 6 === 0) {
    len = b & 63;
    p += 1;
  } else if (b >> 6 === 1) {
    len = ((b & 63) << 8) | payload[p + 1];
    p += 2;
  } else {
    assert.equal(b, 0x80, "a 32-bit length");
    len = new DataView(payload.buffer, payload.byteOffset).getUint32(p + 1, false);
    p += 5;
  }
  assert.equal(p + len + 10, payload.length, "2 bytes of version and 8 of CRC64 follow");
  return payload.slice(p, p + len);
}

const I64_MAX = "9223372036854775807";
const I64_MIN = "-9223372036854775808";

/** Operations: "+v" adds v, "-v" removes it. */
const CASES: string[][] = [
  ["+1"],
  ["+3", "+1", "+2", "+-7", "+32767", "+-32768"],
  ["+1", "+2", "+32768"],
  ["+5", "+-40000", "+70000", "+-2147483648", "+2147483647"],
  ["+5", "+2147483648"],
  ["+5", "+-5", "+0", "+-5000000000"],
  ["+5", "+-5", "+0", "+5000000000", `+${I64_MAX}`, `+${I64_MIN}`, "+4294967295", "+-4294967296"],
  ["+1", "+100000", "+2", "-100000", "-1"],
  ["+1", `+${I64_MIN}`, `-${I64_MIN}`, "+3", "-1", "-3", "+9"],
  ["+9007199254740993", "+-9007199254740993", "+9007199254740992", "+-1"],
];

Deno.test("intset blob bytes are exactly Redis's (DUMP payload, rdbcompression no)", async () => {
  const redis = await startRedis(["--rdbcompression", "no"]);
  const c = await RespConn.connect(redis.port);
  try {
    const r = rng(7);
    const random: string[] = [];
    for (let i = 0; i < 300; i++) {
      const w = [100, 60000, 5e9, 9e15][Math.floor(r() * 4)];
      const v = String(Math.floor(r() * 2 * w - w));
      random.push(r() < 0.75 ? `+${v}` : `-${random.length ? random[i >> 1].slice(1) : v}`);
    }
    for (const ops of [...CASES, random]) {
      await c.send("DEL", "k");
      const o = new Owner();
      const b = emptySet(o);
      let any = false;
      for (const op of ops) {
        const m = op.slice(1);
        const s = SetValue.view(b, BLOB_INTSET);
        if (op[0] === "+") {
          await c.send("SADD", "k", m);
          s.add(m, 512);
          any = true;
        } else {
          await c.send("SREM", "k", m);
          // an emptied set leaves the keyspace in both: start over
          if (s.remove(m) && s.size === 0) {
            await c.send("DEL", "k");
            any = false;
            b.write(INTSET_EMPTY, INTSET_EMPTY.length);
          }
        }
        assert.equal(o.converted, null);
        if (!any) continue;
        const dump = parse(await c.send("DUMP", "k")) as Uint8Array;
        assert.deepEqual(intsetBytes(b), dumpedIntset(dump), `after ${op} of ${ops.join(" ")}`);
      }
    }
  } finally {
    c.close();
    await redis.stop();
  }
});

Deno.test("set view: random operations across every conversion, against a model", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const r = rng(seed);
    const o = new Owner();
    const b = emptySet(o);
    let obj: SetValue | null = null;
    const model = new Set<string>();
    const maxIntset = [8, 64, 200, 512][seed % 4];
    const set = () => obj ?? SetValue.view(b, b.format);
    for (let i = 0; i < 2000; i++) {
      const x = r();
      const m = x < 0.9
        ? String(Math.floor(r() * 300) - 100)
        : x < 0.97
        ? `s${Math.floor(r() * 200)}`
        : "L".repeat(60 + Math.floor(r() * 10));
      const s = set();
      // grow for a while, then mostly shrink (a hashtable never goes back to an intset)
      if (r() < (i < 1200 ? 0.7 : 0.3)) {
        assert.equal(s.add(m, maxIntset), !model.has(m));
        model.add(m);
      } else assert.equal(s.remove(m), model.delete(m));
      if (o.converted !== null && obj === null) {
        obj = o.converted as SetValue;
        assert.equal(obj, s, "the view itself becomes the object");
        assert.equal(obj.isView, false);
      }
      const now = set();
      assert.equal(now.size, model.size);
      if (i % 25 === 0) {
        assert.deepEqual([...now.members()].sort(), [...model].sort());
        for (const k of model) assert.ok(now.has(k));
        const ints = [...model].every((k) => /^(0|-?[1-9][0-9]*)$/.test(k));
        if (obj === null) {
          if (b.format === BLOB_INTSET) {
            assert.ok(ints && model.size <= maxIntset);
            const ms = now.members().map(Number);
            for (let j = 1; j < ms.length; j++) assert.ok(ms[j - 1] < ms[j], "sorted");
            assert.equal(now.encoding(), "intset");
          } else {
            assert.equal(b.format, BLOB_LISTPACK);
            assert.ok(model.size <= 128);
            assert.equal(lpBytes(b.u8, b.at) <= b.capacity, true);
            assert.equal(now.encoding(), "hashtable");
          }
        } else assert.equal(now.encoding(), "hashtable");
      }
    }
    assert.notEqual(obj, null, `seed ${seed} reached the object form`);
  }
});
