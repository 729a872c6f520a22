/**
 * skipValue (a shard stepping over another shard's key at startup) ends exactly where
 * readValue ends, for every RDB type with its own layout (old ones too), and a truncated
 * value throws RdbError as reading it would.
 */
import assert from "node:assert/strict";
import { RdbWriter } from "../src/persist/rdb/writer.ts";
import { RdbError, RdbReader } from "../src/persist/rdb/reader.ts";
import { skipValue } from "../src/persist/rdb/skip_value.ts";
import { loadLimits, readValue } from "../src/persist/rdb/value.ts";
import { ConfigStore } from "../src/config/store.ts";

const limits = loadLimits(new ConfigStore());
const long = "x".repeat(300); // LZF-compressed when written

function payloads(): Array<[string, number, Uint8Array]> {
  const out: Array<[string, number, Uint8Array]> = [];
  const make = (name: string, type: number, f: (w: RdbWriter) => void) => {
    const w = new RdbWriter();
    f(w);
    out.push([name, type, w.take()]);
  };
  make("string raw", 0, (w) => w.string("hello"));
  make("string int", 0, (w) => w.string("-12345"));
  make("string lzf", 0, (w) => w.string(long));
  make("list", 1, (w) => {
    w.len(3);
    for (const s of ["a", "17", long]) w.string(s);
  });
  make("set", 2, (w) => {
    w.len(2);
    w.string("m1");
    w.string(long);
  });
  make("zset (text scores)", 3, (w) => {
    w.len(3);
    w.string("a");
    w.byte(3);
    w.raw(new TextEncoder().encode("1.5"));
    w.string("b");
    w.byte(254); // inf
    w.string(long);
    w.byte(1);
    w.raw(new TextEncoder().encode("7"));
  });
  make("hash", 4, (w) => {
    w.len(2);
    for (const s of ["f1", "v1", "f2", long]) w.string(s);
  });
  make("zset_2", 5, (w) => {
    w.len(2);
    w.string("a");
    w.binaryDouble(1.25);
    w.string(long);
    w.binaryDouble(-3);
  });
  return out;
}

Deno.test("rdb skip: skipValue ends where readValue ends", () => {
  for (const [name, type, bytes] of payloads()) {
    const a = new RdbReader(bytes), b = new RdbReader(bytes);
    readValue(a, type, limits);
    skipValue(b, type);
    assert.equal(a.pos, bytes.length, `${name}: readValue`);
    assert.equal(b.pos, bytes.length, `${name}: skipValue`);
  }
});

Deno.test("rdb skip: a truncated value throws RdbError", () => {
  for (const [name, type, bytes] of payloads()) {
    for (const cut of [1, Math.floor(bytes.length / 2), bytes.length - 1]) {
      assert.throws(
        () => skipValue(new RdbReader(bytes.subarray(0, cut)), type),
        RdbError,
        `${name} cut at ${cut}`,
      );
    }
  }
});
