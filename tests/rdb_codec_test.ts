/**
 * The RDB codec's primitives and value reader, without a server: CRC-64 (Redis's check value,
 * incremental = one-shot), LZF round trips (random, incompressible, all-same input, corrupt
 * streams), RDB length and string encodings against the bytes rdb.c writes, doubles, and the
 * reader on hostile input: every truncation of a valid value and random payloads / mutations
 * of valid ones must end in RdbError (or a value), never another exception. Byte-exactness
 * against redis-server itself is tests/differential_dump_test.ts.
 */
import assert from "node:assert/strict";
import {
  crc64BigInt,
  crc64Bytes,
  crc64Init,
  crc64Of,
  crc64Update,
} from "../src/persist/rdb/crc64.ts";
import { lzfCompress, lzfCompressedLength, lzfDecompress } from "../src/util/lzf.ts";
import { RdbWriter } from "../src/persist/rdb/writer.ts";
import { RdbError, RdbReader } from "../src/persist/rdb/reader.ts";
import {
  isEmptyLoaded,
  loadedCopy,
  type LoadLimits,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
  readValue,
  writeCopy,
  writeValue,
} from "../src/persist/rdb/value.ts";
import { ConfigStore } from "../src/config/mod.ts";
import {
  type CollectionValue,
  type StringValue,
  TYPE_HASH,
  TYPE_LIST,
  TYPE_SET,
  TYPE_STRING,
  TYPE_ZSET,
} from "../src/store/types.ts";
import { type Db, Keyspace } from "../src/store/keyspace.ts";
import { installEntry } from "../src/store/transfer.ts";
import { BLOB_INTSET, BLOB_LISTPACK } from "../src/store/record.ts";
import { HashValue } from "../src/store/hash.ts";
import { ZSetValue } from "../src/store/zset.ts";
import { ListValue } from "../src/store/list.ts";
import { SetValue } from "../src/store/set.ts";
import { rng } from "./helpers/rng.ts";

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const LIMITS: LoadLimits = {
  hashEntries: 512,
  hashValue: 64,
  setIntsetEntries: 512,
  zsetEntries: 128,
  zsetValue: 64,
};
const config = new ConfigStore();

Deno.test("crc64: Redis's check value, incremental equals one-shot, little-endian bytes", () => {
  const s = crc64Of(ascii("123456789"));
  assert.equal(crc64BigInt(s), 0xe9c6d914c4b8d9can);
  assert.deepEqual([...crc64Bytes(s)], [0xca, 0xd9, 0xb8, 0xc4, 0x14, 0xd9, 0xc6, 0xe9]);
  assert.equal(crc64BigInt(crc64Of(new Uint8Array(0))), 0n);
  const r = rng(1);
  const data = Uint8Array.from({ length: 5000 }, () => Math.floor(r() * 256));
  const whole = crc64BigInt(crc64Of(data));
  for (let t = 0; t < 50; t++) {
    const st = crc64Init();
    let p = 0;
    while (p < data.length) {
      const q = Math.min(data.length, p + Math.floor(r() * 40));
      crc64Update(st, data, p, q);
      p = q;
    }
    assert.equal(crc64BigInt(st), whole);
  }
  // the bitwise definition, for a few lengths around the 8-byte folding
  for (let n = 0; n < 20; n++) {
    let crc = 0n;
    for (let i = 0; i < n; i++) {
      crc ^= BigInt(data[i]);
      for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ 0x95ac9329ac4bc9b5n : crc >> 1n;
    }
    assert.equal(crc64BigInt(crc64Of(data, 0, n)), crc, `length ${n}`);
  }
});

Deno.test("lzf: round trips; incompressible and all-same inputs; lengths agree", () => {
  const r = rng(2);
  const inputs: Uint8Array[] = [
    new Uint8Array(10000).fill(97),
    Uint8Array.from({ length: 4096 }, () => Math.floor(r() * 256)),
    ascii("abcabcabcabcabcabcabcabcabcabcabcabc"),
    new Uint8Array(1),
    new Uint8Array(3),
  ];
  for (let t = 0; t < 300; t++) {
    const n = 1 + Math.floor(r() * 3000), alpha = 1 + Math.floor(r() * 20);
    inputs.push(Uint8Array.from({ length: n }, (_, i) => r() < 0.7 ? i % alpha : r() * alpha));
  }
  for (const inp of inputs) {
    const out = new Uint8Array(inp.length + (inp.length >> 5) + 64); // LZF's worst case
    const c = lzfCompress(inp, out);
    assert.equal(c, lzfCompressedLength(inp, out.length));
    assert.ok(c > 0);
    const back = new Uint8Array(inp.length);
    assert.equal(lzfDecompress(out.subarray(0, c), back), inp.length);
    assert.deepEqual(back, inp);
  }
  // all-same input compresses to a few bytes; random input does not fit in len - 4
  const same = new Uint8Array(100000).fill(7);
  assert.ok(lzfCompressedLength(same, same.length) < 1300);
  const noise = inputs[1];
  assert.equal(lzfCompress(noise, new Uint8Array(noise.length), noise.length - 4), 0);
  // corrupt streams: a back reference before the start, a literal run past the input
  assert.equal(lzfDecompress(Uint8Array.of(0x20, 0x05), new Uint8Array(10)), -1);
  assert.equal(lzfDecompress(Uint8Array.of(0x05, 1, 2), new Uint8Array(10)), -1);
  assert.equal(lzfDecompress(Uint8Array.of(0x02, 1, 2, 3), new Uint8Array(2)), -1);
});

Deno.test("writer: rdbSaveLen widths and the reader's inverse", () => {
  const cases: [number, number][] = [
    [0, 1],
    [63, 1],
    [64, 2],
    [16383, 2],
    [16384, 5],
    [0xffffffff, 5],
    [0x100000000, 9],
    [2 ** 40 + 5, 9],
  ];
  for (const [n, bytes] of cases) {
    const w = new RdbWriter();
    w.len(n);
    const b = w.take();
    assert.equal(b.length, bytes, `len ${n}`);
    const rd = new RdbReader(b);
    assert.equal(rd.len(), n);
    assert.equal(rd.remaining, 0);
  }
  const w = new RdbWriter();
  w.len(300);
  assert.deepEqual([...w.take()], [0x41, 0x2c]);
  w.len(70000);
  assert.deepEqual([...w.take()], [0x80, 0, 1, 0x11, 0x70]);
});

Deno.test("writer: strings as rdbSaveRawString encodes them", () => {
  const enc = (v: string | Uint8Array, compression = true) => {
    const w = new RdbWriter({ compression });
    w.string(v);
    return [...w.take()];
  };
  assert.deepEqual(enc("123"), [0xc0, 123]);
  assert.deepEqual(enc("-128"), [0xc0, 0x80]);
  assert.deepEqual(enc("-129"), [0xc1, 0x7f, 0xff]);
  assert.deepEqual(enc("32768"), [0xc2, 0, 0x80, 0, 0]);
  assert.deepEqual(enc("-2147483648"), [0xc2, 0, 0, 0, 0x80]);
  assert.deepEqual(enc("2147483648"), [10, ...ascii("2147483648")]);
  assert.deepEqual(enc("0123"), [4, ...ascii("0123")]);
  assert.deepEqual(enc("-0"), [2, ...ascii("-0")]);
  assert.deepEqual(enc("+1"), [2, ...ascii("+1")]);
  assert.deepEqual(enc(""), [0]);
  assert.deepEqual(enc(ascii("77")), [0xc0, 77]);
  const long = "a".repeat(100);
  const c = enc(long);
  assert.equal(c[0], 0xc3); // LZF
  assert.deepEqual(enc(long, false), [0x40, 100, ...ascii(long)]);
  // twenty bytes are never compressed
  assert.deepEqual(enc("a".repeat(20)), [20, ...ascii("a".repeat(20))]);
  for (const v of ["123", "-129", "2147483648", long, "", "x".repeat(70000)]) {
    const w = new RdbWriter();
    w.string(v);
    const rd = new RdbReader(w.take());
    assert.deepEqual(rd.string(), ascii(v));
    assert.equal(rd.remaining, 0);
  }
  const w = new RdbWriter();
  w.longLong(2 ** 40);
  w.longLong(-5);
  w.longLong(-(2n ** 63n));
  const rd = new RdbReader(w.take());
  assert.deepEqual(rd.string(), ascii(String(2 ** 40)));
  assert.equal(rd.stringOrInt(), -5);
  assert.deepEqual(rd.string(), ascii(String(-(2n ** 63n))));
});

Deno.test("writer/reader: doubles, times, drain and checksum", () => {
  const w = new RdbWriter({ crc: true });
  for (const d of [0, -0, 1.5, Infinity, -Infinity, 1e-300]) w.binaryDouble(d);
  w.msTime(1700000000123);
  const first = w.drain().slice();
  w.byte(253);
  w.byte(254);
  w.byte(255);
  w.byte(4);
  w.rawLatin1("3.25");
  const rest = w.view().slice();
  const sum = w.checksum();
  const all = new Uint8Array(first.length + rest.length);
  all.set(first);
  all.set(rest, first.length);
  assert.deepEqual(sum, crc64Bytes(crc64Of(all)));
  assert.equal(w.written, all.length);
  const rd = new RdbReader(all);
  for (const d of [0, -0, 1.5, Infinity, -Infinity, 1e-300]) {
    assert.ok(Object.is(rd.binaryDouble(), d));
  }
  assert.equal(rd.msTime(), 1700000000123);
  assert.ok(Number.isNaN(rd.asciiDouble()));
  assert.equal(rd.asciiDouble(), Infinity);
  assert.equal(rd.asciiDouble(), -Infinity);
  assert.equal(rd.asciiDouble(), 3.25);
});

/** A hand-built ziplist (Redis before 7) of the entries, strings and small integers. */
function ziplist(entries: (string | number)[]): Uint8Array {
  const parts: number[] = [];
  let prev = 0, tail = 10;
  for (const e of entries) {
    const start = 10 + parts.length;
    const body: number[] = [];
    if (typeof e === "number") body.push(0xf1 + e); // 0..12 immediate
    else body.push(e.length, ...ascii(e));
    const entry = [prev, ...body];
    parts.push(...entry);
    prev = entry.length;
    tail = start;
  }
  const total = 10 + parts.length + 1;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, total, true);
  dv.setUint32(4, tail, true);
  dv.setUint16(8, entries.length, true);
  out.set(parts, 10);
  out[total - 1] = 0xff;
  return out;
}

/** A hand-built zipmap of the pairs. */
function zipmap(pairs: [string, string][]): Uint8Array {
  const b: number[] = [pairs.length];
  for (const [k, v] of pairs) b.push(k.length, ...ascii(k), v.length, 0, ...ascii(v));
  b.push(0xff);
  return Uint8Array.from(b);
}

function payload(type: number, body: (w: RdbWriter) => void): Uint8Array {
  const w = new RdbWriter();
  w.byte(type);
  body(w);
  return w.take();
}

function read(p: Uint8Array) {
  const rd = new RdbReader(p);
  return readValue(rd, rd.byte(), LIMITS);
}

Deno.test("reader: every old and new encoding loads into Redis 7.0's encoding", () => {
  // LIST of elements, LIST_ZIPLIST, QUICKLIST of ziplists: one node -> a listpack blob
  let v = read(payload(RDB_TYPE_LIST, (w) => {
    w.len(3);
    for (const e of ["a", "10", "c"]) w.string(e);
  }));
  assert.equal(v.type, TYPE_LIST);
  assert.ok(v.blob);
  v = read(payload(RDB_TYPE_LIST_ZIPLIST, (w) => w.string(ziplist(["a", 1, "b"]))));
  assert.ok(v.blob && v.type === TYPE_LIST);
  v = read(payload(RDB_TYPE_LIST_QUICKLIST, (w) => {
    w.len(2);
    w.string(ziplist(["a", 2]));
    w.string(ziplist(["x"]));
  }));
  assert.ok(!v.blob);
  assert.deepEqual((v.value as ListValue).toArray(), ["a", "2", "x"]);
  // sets: SET with integers -> intset; SET_LISTPACK with strings -> hashtable
  v = read(payload(RDB_TYPE_SET, (w) => {
    w.len(3);
    for (const m of ["3", "-1", "70000"]) w.string(m);
  }));
  assert.ok(v.blob && v.enc === BLOB_INTSET);
  const lp = (entries: string[]) => {
    const h = new HashValue();
    for (let i = 0; i < entries.length; i += 2) h.set(entries[i], entries[i + 1]);
    const w = new RdbWriter({ compression: false });
    writeCopy(
      w,
      loadedCopy(new Uint8Array(0), { type: TYPE_HASH, value: h, blob: false, enc: 0 }),
      config,
    );
    return w.take().subarray(2); // the listpack string's bytes (type byte, 1-byte length)
  };
  v = read(payload(RDB_TYPE_SET_LISTPACK, (w) => w.string(lp(["a", "b"]))));
  assert.equal(v.type, TYPE_SET);
  assert.equal(v.enc, BLOB_LISTPACK);
  // hashes: ZIPLIST and ZIPMAP become listpacks; HASH over the value limit a hashtable
  v = read(payload(RDB_TYPE_HASH_ZIPLIST, (w) => w.string(ziplist(["f", "v", "n", 5]))));
  assert.ok(v.blob && v.type === TYPE_HASH);
  v = read(payload(RDB_TYPE_HASH_ZIPMAP, (w) => w.string(zipmap([["f", "v"], ["g", "w"]]))));
  assert.ok(v.blob && v.type === TYPE_HASH);
  v = read(payload(RDB_TYPE_HASH, (w) => {
    w.len(2);
    w.string("f");
    w.string("x".repeat(65));
    w.string("g");
    w.string("1");
  }));
  assert.ok(!v.blob);
  assert.equal((v.value as HashValue).encoding(), "hashtable");
  v = read(payload(RDB_TYPE_HASH_LISTPACK, (w) => w.string(lp(["f", "v"]))));
  assert.ok(v.blob);
  // sorted sets: ZSET (text scores), ZSET_2, ZSET_ZIPLIST -> listpack; over the limit a skiplist
  v = read(payload(RDB_TYPE_ZSET, (w) => {
    w.len(2);
    w.string("b");
    w.byte(3);
    w.rawLatin1("2.5");
    w.string("a");
    w.byte(254);
  }));
  assert.ok(v.blob && v.type === TYPE_ZSET);
  v = read(payload(RDB_TYPE_ZSET_ZIPLIST, (w) => w.string(ziplist(["a", 1, "b", 2]))));
  assert.ok(v.blob && v.type === TYPE_ZSET);
  v = read(payload(RDB_TYPE_ZSET_2, (w) => {
    w.len(200);
    for (let i = 0; i < 200; i++) {
      w.string(`m${i}`);
      w.binaryDouble(i);
    }
  }));
  assert.equal((v.value as ZSetValue).encoding(), "skiplist");
  assert.equal((v.value as ZSetValue).size, 200);
  // empty collections are reported, not installed
  assert.ok(isEmptyLoaded(read(payload(RDB_TYPE_SET, (w) => w.len(0)))));
  assert.ok(isEmptyLoaded(read(payload(RDB_TYPE_LIST_QUICKLIST_2, (w) => w.len(0)))));
  assert.ok(!isEmptyLoaded(read(payload(RDB_TYPE_STRING, (w) => w.string("")))));
});

Deno.test("reader: corrupt blobs, duplicates, NaN, streams are RdbErrors", () => {
  const bad: Uint8Array[] = [
    payload(RDB_TYPE_SET, (w) => {
      w.len(2);
      w.string("a");
      w.string("a");
    }),
    payload(RDB_TYPE_ZSET_2, (w) => {
      w.len(1);
      w.string("a");
      w.binaryDouble(NaN);
    }),
    payload(RDB_TYPE_HASH_ZIPLIST, (w) => w.string(ziplist(["f", "v", "f", "w"]))),
    payload(RDB_TYPE_HASH_ZIPLIST, (w) => w.string(ziplist(["f", "v", "g"]))),
    payload(
      RDB_TYPE_SET_INTSET,
      (w) => w.string(Uint8Array.of(2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0)),
    ),
    payload(RDB_TYPE_SET_INTSET, (w) => w.string(Uint8Array.of(3, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0))),
    payload(RDB_TYPE_SET_INTSET, (w) => w.string(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0))),
    payload(RDB_TYPE_LIST_QUICKLIST_2, (w) => {
      w.len(1);
      w.len(3); // no such container
      w.string(Uint8Array.of(7, 0, 0, 0, 0, 0, 0xff));
    }),
    payload(RDB_TYPE_LIST_QUICKLIST_2, (w) => {
      w.len(1);
      w.len(2);
      w.string(Uint8Array.of(9, 0, 0, 0, 1, 0, 0x61, 2, 0xff)); // backlen 2 for a 1-byte entry
    }),
    payload(RDB_TYPE_ZSET_LISTPACK, (w) => {
      // out of order: b 2, a 1
      const z = new ZSetValue();
      z.insert("b", 2);
      z.insert("a", 1);
      const ww = new RdbWriter({ compression: false });
      writeCopy(
        ww,
        loadedCopy(new Uint8Array(0), { type: TYPE_ZSET, value: z, blob: false, enc: 0 }),
        config,
      );
      const body = ww.take().subarray(2);
      // swap the pairs: a 1 b 2 -> build b 2 a 1 by hand
      const swapped = Uint8Array.from(body);
      swapped.set(body.subarray(6 + 4, 6 + 8), 6);
      swapped.set(body.subarray(6, 6 + 4), 6 + 4);
      w.string(swapped);
    }),
    Uint8Array.of(15, 0),
    Uint8Array.of(19, 0),
    Uint8Array.of(7, 0),
    Uint8Array.of(99),
  ];
  for (const p of bad) {
    assert.throws(() => read(p), RdbError, `payload ${[...p]}`);
  }
});

/** Reads a value whole through the store's own readers (a corrupt blob would break them). */
function readWhole(db: Db, r: number): void {
  const type = db.typeOf(r);
  if (type === TYPE_STRING) {
    db.str(r);
    return;
  }
  const v = db.object<CollectionValue>(r);
  if (v instanceof ListValue) {
    assert.equal(v.toArray().length, v.size);
  } else if (v instanceof HashValue) {
    const f: string[] = [], vals: StringValue[] = [];
    v.entries(f, vals);
    assert.equal(f.length, v.size);
    for (const name of f) assert.notEqual(v.get(name), undefined);
  } else if (v instanceof SetValue) {
    const m = v.members();
    assert.equal(m.length, v.size);
    for (const x of m) assert.ok(v.has(x));
  } else if (v instanceof ZSetValue) {
    const m: string[] = [], sc: number[] = [];
    v.entries(m, sc);
    assert.equal(m.length, v.size);
    for (let i = 0; i < m.length; i++) assert.equal(v.score(m[i]), sc[i]);
  }
}

/** Valid payloads of every type, for truncation and mutation. */
function samples(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const r = rng(3);
  const word = () => {
    const n = Math.floor(r() * 30);
    let s = "";
    for (let i = 0; i < n; i++) {
      s += r() < 0.3
        ? String(Math.floor(r() * 1000))
        : String.fromCharCode(97 + Math.floor(r() * 4));
    }
    return s;
  };
  out.push(payload(RDB_TYPE_STRING, (w) => w.string("hello hello hello hello hello hello")));
  out.push(payload(RDB_TYPE_LIST, (w) => {
    w.len(5);
    for (let i = 0; i < 5; i++) w.string(word());
  }));
  out.push(payload(RDB_TYPE_ZSET, (w) => {
    w.len(3);
    for (let i = 0; i < 3; i++) {
      w.string(`m${i}`);
      w.byte(1);
      w.rawLatin1(String(i));
    }
  }));
  out.push(payload(RDB_TYPE_HASH_ZIPLIST, (w) => w.string(ziplist(["f", "v", "n", 5, "x", "yy"]))));
  out.push(payload(RDB_TYPE_HASH_ZIPMAP, (w) => w.string(zipmap([["f", "v"], ["g", "w"]]))));
  out.push(payload(RDB_TYPE_LIST_QUICKLIST, (w) => {
    w.len(2);
    w.string(ziplist(["a", 2, "ccc"]));
    w.string(ziplist([3]));
  }));
  // values written by the codec from store objects, in every Skua form
  const h = new HashValue();
  for (let i = 0; i < 6; i++) h.set(`f${i}`, word());
  const z = new ZSetValue();
  for (let i = 0; i < 6; i++) z.insert(`m${i}`, i * 1.5 - 2);
  const zs = new ZSetValue();
  zs.listpack = false;
  for (let i = 0; i < 6; i++) zs.insert(`m${i}`, i);
  const l = new ListValue();
  for (let i = 0; i < 600; i++) l.pushBack(word());
  const hh = new HashValue();
  hh.convert();
  for (let i = 0; i < 5; i++) hh.set(`f${i}`, word());
  const vals: [number, unknown][] = [
    [TYPE_HASH, h],
    [TYPE_HASH, hh],
    [TYPE_ZSET, z],
    [TYPE_ZSET, zs],
    [TYPE_LIST, l],
    [TYPE_SET, SetValue.fromMembers(["1", "5", "-70000"], true)],
    [TYPE_SET, SetValue.fromMembers(["a", "5", "bb"], false)],
  ];
  for (const [type, value] of vals) {
    for (const compression of [true, false]) {
      const w = new RdbWriter({ compression });
      writeCopy(
        w,
        loadedCopy(new Uint8Array(0), { type, value: value as HashValue, blob: false, enc: 0 }),
        config,
      );
      out.push(w.take());
    }
  }
  return out;
}

Deno.test("reader: written values read back; every truncation is an RdbError", () => {
  for (const p of samples()) {
    const v = read(p);
    assert.ok(!isEmptyLoaded(v));
    // written again from what was read, it reads back the same way
    const w = new RdbWriter();
    writeCopy(w, loadedCopy(new Uint8Array(0), v), config);
    const again = read(w.take());
    assert.equal(again.type, v.type);
    // every prefix of the small ones, a few hundred of the big ones
    const step = Math.max(1, Math.floor(p.length / 300));
    for (let n = 0; n < p.length; n += step) {
      assert.throws(() => read(p.subarray(0, n)), RdbError, `prefix ${n} of ${[...p]}`);
    }
  }
});

Deno.test("reader fuzz: random and mutated payloads throw nothing but RdbError", () => {
  const r = rng(4);
  const base = samples();
  const ks = new Keyspace(1);
  const db = ks.dbs[0];
  const key = ascii("k");
  let accepted = 0;
  const tryRead = (p: Uint8Array) => {
    let v;
    try {
      v = read(p);
    } catch (e) {
      if (!(e instanceof RdbError)) throw new Error(`payload [${[...p]}] threw ${e}`);
      return;
    }
    if (isEmptyLoaded(v)) return;
    // what is accepted must be safe to hold and read back whole
    accepted++;
    installEntry(db, key, loadedCopy(key, v), 0);
    const r = db.find(key);
    readWhole(db, r);
    const w = new RdbWriter();
    writeValue(w, db, r, config);
    const again = read(w.take());
    assert.equal(again.type, v.type);
  };
  for (let t = 0; t < 20000; t++) {
    if (t === 19999) assert.ok(accepted > 500, `only ${accepted} payloads were accepted`);
    let p: Uint8Array;
    if (t % 4 === 0) {
      p = Uint8Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256));
      if (p.length > 0) p[0] = Math.floor(r() * 22);
    } else {
      p = base[Math.floor(r() * base.length)].slice();
      const flips = 1 + Math.floor(r() * 4);
      for (let k = 0; k < flips; k++) {
        const i = Math.floor(r() * p.length);
        p[i] = r() < 0.5 ? Math.floor(r() * 256) : p[i] ^ (1 << Math.floor(r() * 8));
      }
    }
    tryRead(p);
  }
});
