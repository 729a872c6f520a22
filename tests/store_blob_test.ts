/**
 * What goes around a small collection's blob, at the store level (blobs made with db.setBlob,
 * so no family's code is involved): shipping a key to another shard moves the blob's exact
 * bytes and installs a blob again; defragmentation moves blobs out of evacuated pages; keys
 * with blobs are renamed, moved, swapped, flushed, evicted and deleted with every block given
 * back, and the keyspace's used bytes count each blob's block.
 */
import assert from "node:assert/strict";
import { Keyspace } from "../src/store/keyspace.ts";
import type { Db } from "../src/store/db.ts";
import { BLOB_INTSET, BLOB_LISTPACK } from "../src/store/record.ts";
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_ZSET } from "../src/store/types.ts";
import { LpBuilder } from "../src/store/listpack.ts";
import {
  copyOf,
  decodeEntries,
  decodeStore,
  encodeEntries,
  encodeStore,
  installEntry,
} from "../src/store/transfer.ts";
import { Defragger } from "../src/store/defrag.ts";
import { PAGE_BYTES } from "../src/store/arena.ts";
import { EVICT_FAIL, EVICT_OK, Evictor } from "../src/store/eviction.ts";
import { rng } from "./helpers/rng.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);
const NOW = 1_000_000_000;

/** A listpack of `n` entries (field/value-like strings and integers). */
function listpack(n: number, seed: number): Uint8Array {
  const lb = new LpBuilder();
  lb.begin();
  for (let i = 0; i < n; i++) lb.add(i % 3 === 0 ? String(seed * 1000 + i) : `e${seed}:${i}`);
  return lb.buf.slice(0, lb.end());
}

/** An intset of 16-bit values 0, 3, 6, ... */
function intset(n: number): Uint8Array {
  const out = new Uint8Array(8 + 2 * n);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 2, true);
  dv.setUint32(4, n, true);
  for (let i = 0; i < n; i++) dv.setInt16(8 + 2 * i, 3 * i, true);
  return out;
}

/** The blob bytes of key k, checked against the record's own idea of its length. */
function blobOf(db: Db, k: string): Uint8Array {
  const r = db.peek(b(k), NOW);
  assert.notEqual(r, 0, `${k} exists`);
  assert.ok(db.isBlob(r), `${k} holds a blob`);
  const at = db.blobOffset(r);
  return db.arena.u8.slice(at, at + db.blobLength(r));
}

function putBlob(db: Db, k: string, type: number, bytes: Uint8Array): number {
  const format = type === TYPE_SET ? BLOB_INTSET : BLOB_LISTPACK;
  return db.setBlob(b(k), type, format, bytes, 0, bytes.length, NOW);
}

Deno.test("blob: the length is the listpack's header, or an intset's 8 + encoding × length", () => {
  const ks = new Keyspace(1);
  const db = ks.dbs[0];
  const lp = listpack(9, 1), is = intset(5);
  const r1 = putBlob(db, "h", TYPE_HASH, lp);
  const r2 = putBlob(db, "s", TYPE_SET, is);
  assert.equal(db.blobLength(r1), lp.length);
  assert.equal(db.blobLength(r2), 18);
  assert.deepEqual(blobOf(db, "h"), lp);
  assert.deepEqual(blobOf(db, "s"), is);
  assert.equal(db.encOf(r2), BLOB_INTSET);
  // the arena counts the record's block and the blob's block
  assert.equal(
    ks.arena.liveBytes,
    ks.arena.blockBytes(r1) + ks.arena.blockBytes(db.blobOffset(r1) / 8) +
      ks.arena.blockBytes(r2) + ks.arena.blockBytes(db.blobOffset(r2) / 8),
  );
  assert.equal(ks.usedBytes(), ks.arena.liveBytes + ks.tableBytes, "no object estimate");
});

Deno.test("blob: a shipped key travels as its bytes and lands as a blob", () => {
  const from = new Keyspace(2), to = new Keyspace(2);
  const src = from.dbs[0], dst = to.dbs[1];
  const cases: [string, number, Uint8Array][] = [
    ["h", TYPE_HASH, listpack(20, 2)],
    ["z", TYPE_ZSET, listpack(8, 3)],
    ["l", TYPE_LIST, listpack(30, 4)],
    ["s", TYPE_SET, intset(40)],
    ["big", TYPE_HASH, listpack(1500, 5)], // past a small block: a span of pages
  ];
  for (const [k, t, bytes] of cases) {
    const r = putBlob(src, k, t, bytes);
    src.setExpire(r, NOW + 5000);
    src.setLru(r, 1234);
  }
  // a fetch (deep copies) and a store (shared copies) both carry bytes, never views
  for (const share of [false, true]) {
    to.flushAll();
    const keys = cases.map(([k]) => b(k));
    const copies = keys.map((k) => copyOf(src, src.peek(k, NOW), share));
    for (const c of copies) {
      assert.ok(c.blob);
      assert.ok(c.value instanceof Uint8Array);
      assert.notEqual(c.value.buffer, from.arena.buf, "a copy, not a window on the arena");
    }
    const decoded = share
      ? decodeStore(encodeStore(keys, copies))[1]
      : decodeEntries(encodeEntries(copies));
    for (let i = 0; i < keys.length; i++) installEntry(dst, keys[i], decoded[i], NOW);
    for (const [k, t, bytes] of cases) {
      const r = dst.peek(b(k), NOW);
      assert.equal(dst.typeOf(r), t);
      assert.equal(dst.encOf(r), t === TYPE_SET ? BLOB_INTSET : BLOB_LISTPACK);
      assert.equal(dst.expireAt(r), NOW + 5000);
      assert.equal(dst.lruOf(r), 1234);
      assert.deepEqual(blobOf(dst, k), bytes, `${k} arrives byte for byte`);
    }
  }
  // the copies do not share the source's blocks: rewriting the source leaves them be
  putBlob(src, "h", TYPE_HASH, listpack(3, 9));
  assert.deepEqual(blobOf(dst, "h"), cases[0][2]);
  // a deleted key ships as null and is deleted at home
  installEntry(dst, b("h"), null, NOW);
  assert.equal(dst.peek(b("h"), NOW), 0);
});

Deno.test("blob: rename, move, copy, swap, flush and delete give every block back", () => {
  const ks = new Keyspace(3);
  const [d0, d1, d2] = ks.dbs;
  const lp = listpack(12, 6), is = intset(7);
  putBlob(d0, "a", TYPE_HASH, lp);
  putBlob(d0, "b", TYPE_SET, is);
  // RENAME a -> c (same database), COPY b -> d1 "b2", MOVE b -> d2
  d0.putFrom(b("c"), d0, d0.peek(b("a"), NOW), NOW, false);
  d0.delete(b("a"), NOW);
  d1.putFrom(b("b2"), d0, d0.peek(b("b"), NOW), NOW, true);
  d2.putFrom(b("b"), d0, d0.peek(b("b"), NOW), NOW, false);
  d0.delete(b("b"), NOW);
  assert.deepEqual(blobOf(d0, "c"), lp);
  assert.deepEqual(blobOf(d1, "b2"), is);
  assert.deepEqual(blobOf(d2, "b"), is);
  // overwriting a blob with a blob, and with a string, frees the old blob
  putBlob(d0, "c", TYPE_ZSET, listpack(2, 7));
  d1.setString(b("b2"), b("x"), 0, 1, NOW);
  d0.swapWith(d2);
  assert.deepEqual(blobOf(d0, "b"), is);
  assert.deepEqual(blobOf(d2, "c"), listpack(2, 7));
  d0.flush();
  d2.delete(b("c"), NOW);
  d1.delete(b("b2"), NOW);
  assert.equal(ks.keys, 0);
  assert.equal(ks.arena.liveBytes, 0, "every record and blob block was freed");
});

Deno.test("blob: defragmentation moves blobs out of the pages it empties", () => {
  const ks = new Keyspace(1);
  const db = ks.dbs[0];
  const rnd = rng(5);
  const model = new Map<string, Uint8Array>();
  // strings and blobs of the same size classes, interleaved, then most of them deleted
  for (let i = 0; i < 30_000; i++) {
    if (i % 2 === 0) {
      const v = b(`v${i}`.padEnd(40 + (i % 50), "x"));
      db.setString(b(`s${i}`), v, 0, v.length, NOW);
    } else {
      const bytes = i % 10 === 1 ? intset(4 + (i % 30)) : listpack(2 + (i % 12), i);
      putBlob(db, `k${i}`, i % 10 === 1 ? TYPE_SET : TYPE_HASH, bytes);
      model.set(`k${i}`, bytes);
    }
  }
  for (let i = 0; i < 30_000; i++) {
    if (rnd() < 0.9) {
      const k = i % 2 === 0 ? `s${i}` : `k${i}`;
      db.delete(b(k), NOW);
      model.delete(k);
    }
  }
  const before = new Map<string, number>();
  for (const k of model.keys()) before.set(k, db.blobOffset(db.peek(b(k), NOW)));
  const live = ks.arena.liveBytes, pagesBefore = ks.arena.usedPageBytes;
  const d = new Defragger(ks);
  d.compactAll();
  assert.equal(ks.arena.liveBytes, live, "moving frees as much as it takes");
  let moved = 0;
  for (const [k, bytes] of model) {
    assert.deepEqual(blobOf(db, k), bytes, `${k} intact`);
    if (db.blobOffset(db.peek(b(k), NOW)) !== before.get(k)) moved++;
  }
  assert.ok(moved > model.size / 2, `most blobs moved (${moved} of ${model.size})`);
  // the sparse pages were emptied: what is left is what is live plus, at most, one part-filled
  // page per size class
  const pagesAfter = ks.arena.usedPageBytes;
  assert.ok(
    pagesAfter < pagesBefore / 3 && pagesAfter <= live + 16 * PAGE_BYTES,
    `pages ${pagesBefore} -> ${pagesAfter} for ${live} live bytes`,
  );
  // a second cycle finds nothing in sparse pages: the walk still reads every blob right
  d.compactAll();
  for (const [k, bytes] of model) assert.deepEqual(blobOf(db, k), bytes);
});

Deno.test("blob: eviction removes keys with blobs and gives their blocks back", () => {
  for (const policy of ["allkeys-random", "allkeys-lru", "volatile-ttl"]) {
    const ks = new Keyspace(2);
    for (let i = 0; i < 2000; i++) {
      const db = ks.dbs[i % 2];
      const r = putBlob(
        db,
        `k${i}`,
        i % 3 === 0 ? TYPE_SET : TYPE_ZSET,
        i % 3 === 0 ? intset(9) : listpack(10, i),
      );
      if (policy === "volatile-ttl") db.setExpire(r, NOW + 1000 + i);
    }
    const ev = new Evictor(ks);
    const used = () => ks.usedBytes();
    const half = used() / 2;
    assert.equal(ev.perform(half, used, policy, 5, 100, NOW), EVICT_OK, policy);
    assert.ok(used() <= half);
    assert.ok(ev.evictedKeys > 0 && ev.evictedKeys < 2000);
    // to nothing: every block comes back
    assert.equal(ev.perform(0, used, policy, 5, 100, NOW), EVICT_FAIL);
    assert.equal(ks.keys, 0, policy);
    assert.equal(ks.arena.liveBytes, 0, `${policy}: no blob left behind`);
  }
});
