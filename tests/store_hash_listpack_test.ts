/**
 * A small hash's listpack blob (store/hash_listpack.ts through HashValue's view mode): random
 * operations against a Map model; after each write the blob's bytes must be exactly the
 * listpack Redis would hold (the model's pairs in insertion order, built with LpBuilder), and
 * conversion must hand the same instance to the record with every pair.
 */
import assert from "node:assert/strict";
import { Arena } from "../src/store/arena.ts";
import { Blob, type BlobOwner } from "../src/store/blob.ts";
import { HashValue } from "../src/store/hash.ts";
import { LP_EMPTY, LpBuilder, lpBytes } from "../src/store/listpack.ts";
import type { CollectionValue, StringValue } from "../src/store/types.ts";

class Owner implements BlobOwner {
  readonly arena = new Arena();
  converted: CollectionValue | null = null;
  blobToObject(_record: number, obj: CollectionValue): void {
    this.converted = obj;
  }
}

/** A record-like block whose first 4 bytes hold the ref of a blob holding LP_EMPTY. */
function emptyHash(o: Owner): Blob {
  const a = o.arena;
  const rec = a.alloc(16);
  const ref = a.alloc(LP_EMPTY.length);
  a.u8.set(LP_EMPTY, ref * 8);
  const slot = rec * 8;
  new DataView(a.buf).setUint32(slot, ref, true);
  return new Blob(o, rec, slot);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const builder = new LpBuilder();

function expectedBytes(model: Map<string, StringValue>): Uint8Array {
  builder.begin();
  for (const [f, v] of model) {
    builder.add(f);
    builder.add(v as string);
  }
  const n = builder.end();
  return builder.buf.slice(0, n);
}

function blobBytes(b: Blob): Uint8Array {
  const at = b.at;
  return b.u8.slice(at, at + lpBytes(b.u8, at));
}

/** Values of every listpack entry shape: small/13/16/24/32/64-bit ints, 6/12/32-bit strings. */
function valueOf(r: () => number, step: number): string {
  const k = Math.floor(r() * 12);
  switch (k) {
    case 0:
      return String(Math.floor(r() * 128));
    case 1:
      return String(Math.floor(r() * 8000) - 4000);
    case 2:
      return String(Math.floor(r() * 60000) - 30000);
    case 3:
      return String(Math.floor(r() * 16e6) - 8e6);
    case 4:
      return String(Math.floor(r() * 4e9) - 2e9);
    case 5:
      return r() < 0.5 ? "9223372036854775807" : "-9223372036854775808";
    case 6:
      return "x".repeat(64 + Math.floor(r() * 200)); // 12-bit length, 2-byte backlen
    case 7:
      return "y".repeat(4096 + Math.floor(r() * 100)); // 32-bit length
    case 8:
      return "007"; // not canonical: a string
    case 9:
      return "";
    default:
      return `v${step}\x00\xff`;
  }
}

Deno.test("hash listpack blob: random operations match a Map, bytes are Redis's listpack", () => {
  const r = rng(5);
  for (let round = 0; round < 20; round++) {
    const o = new Owner();
    const b = emptyHash(o);
    const model = new Map<string, StringValue>();
    for (let step = 0; step < 400; step++) {
      const h = HashValue.view(b); // a fresh view per "command", as db.object makes them
      const f = r() < 0.2 ? String(Math.floor(r() * 40)) : `f${Math.floor(r() * 40)}`;
      const x = r();
      if (x < 0.55) {
        const v = valueOf(r, step);
        assert.deepEqual(h.set(f, v), !model.has(f));
        model.set(f, v);
      } else if (x < 0.8) {
        assert.deepEqual(h.delete(f), model.delete(f));
      } else {
        assert.deepEqual(h.get(f), model.get(f));
        assert.deepEqual(h.has(f), model.has(f));
        assert.deepEqual(h.strlen(f), (model.get(f) ?? "").length);
      }
      assert.deepEqual(h.size, model.size);
      assert.deepEqual(h.encoding(), "listpack");
      assert.deepEqual(blobBytes(b), expectedBytes(model), `round ${round} step ${step}`);
    }
    const h = HashValue.view(b);
    const fs: string[] = [], vs: StringValue[] = [];
    assert.deepEqual(h.scan(99, 1, fs, vs), 0);
    assert.deepEqual(fs, [...model.keys()]);
    assert.deepEqual(vs, [...model.values()]);
    const c = h.clone();
    assert(c.blob === null);
    assert.deepEqual(c.encoding(), "listpack");
    h.convert();
    assert(o.converted === h, "the record holds the converted instance");
    assert.deepEqual(h.encoding(), "hashtable");
    assert(h.blob === null);
    h.set("after", "convert");
    model.set("after", "convert");
    const got = new Map<string, StringValue>();
    h.forEach((f, v) => got.set(f, v), null);
    assert.deepEqual(got, model);
    const cf: string[] = [], cv: StringValue[] = [];
    c.entries(cf, cv);
    model.delete("after");
    assert.deepEqual(cf, [...model.keys()]);
  }
});

Deno.test("hash listpack blob: random picks are members; unique picks distinct, in order", () => {
  const o = new Owner();
  const b = emptyHash(o);
  const h = HashValue.view(b);
  for (let i = 0; i < 40; i++) h.set(`f${i}`, `v${i}`);
  for (const count of [1, 5, 13, 14, 39]) {
    const f: string[] = [], v: StringValue[] = [];
    h.randomUnique(count, f, v);
    assert.deepEqual(f.length, count);
    assert.deepEqual(new Set(f).size, count);
    const idx = f.map((x) => Number(x.slice(1)));
    assert.deepEqual(idx, [...idx].sort((a, b) => a - b), "listpack order");
    f.forEach((x, i) => assert.deepEqual(v[i], "v" + x.slice(1)));
  }
  const f: string[] = [], v: StringValue[] = [];
  h.randomWithRepeats(2000, f, v);
  assert.deepEqual(f.length, 2000);
  f.forEach((x, i) => assert.deepEqual(h.get(x), v[i]));
  assert.deepEqual(new Set(f).size, 40, "every field gets picked");
});

Deno.test("hash listpack blob: a value only bytes can hold leaves the blob, still a listpack", () => {
  const o = new Owner();
  const b = emptyHash(o);
  const h = HashValue.view(b);
  h.set("a", "1");
  h.set("b", new Uint8Array([1, 2, 3]));
  assert(o.converted === h);
  assert.deepEqual(h.encoding(), "listpack");
  assert.deepEqual(h.get("a"), "1");
  assert.deepEqual(h.get("b"), new Uint8Array([1, 2, 3]));
});
