/**
 * HyperLogLog: unit tests of the hash and the representation, then PFADD, PFCOUNT and PFMERGE
 * compared byte for byte with redis-server (RESP2 and RESP3, Skua with 1 and 3 shards).
 * Besides the replies, GET of every HLL after the writes checks that the stored bytes are
 * Redis's: header, sparse opcodes, the promotion to dense at hll-sparse-max-bytes, and the
 * cached cardinality PFCOUNT writes back. Multi-key commands use keys of one hash tag.
 */

import assert from "node:assert/strict";
import { assertSame, type Cmd, nonStringMaker, withDiffTargets } from "./helpers/diff.ts";
import { HLL_REGISTERS, murmurHash64A, patIndex, patLen } from "../src/store/hll_math.ts";
import {
  hllAdd,
  hllCount,
  hllCountRaw,
  hllCreate,
  hllInvalidate,
  hllMergeInto,
  hllToDense,
  hllValid,
} from "../src/store/hll.ts";
import { xorshift32 } from "./helpers/rng.ts";

// ---- unit tests ---------------------------------------------------------------------------

const M = 0xc6a4a7935bd1e995n;
const MASK = (1n << 64n) - 1n;

/** MurmurHash64A in bigints, straight from its definition. */
function murmurRef(d: Uint8Array, seed: bigint): bigint {
  const len = d.length;
  let h = (seed ^ (BigInt(len) * M)) & MASK;
  const end = len - (len & 7);
  let i = 0;
  for (; i < end; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(d[i + j]);
    k = (k * M) & MASK;
    k ^= k >> 47n;
    k = (k * M) & MASK;
    h ^= k;
    h = (h * M) & MASK;
  }
  const r = len & 7;
  if (r !== 0) {
    for (let j = r - 1; j >= 0; j--) h ^= BigInt(d[i + j]) << BigInt(8 * j);
    h = (h * M) & MASK;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK;
  h ^= h >> 47n;
  return h;
}

function randomBytes(next: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = next() & 0xff;
  return b;
}

Deno.test("hll: MurmurHash64A and the pattern length match their bigint definitions", () => {
  const next = xorshift32(7);
  for (let t = 0; t < 3000; t++) {
    const d = randomBytes(next, next() % 40);
    const h = murmurRef(d, 0xadc83b19n);
    assert.equal(murmurHash64A(d), h);
    // register = low 14 bits; count = trailing zeros of the rest (bit 50 set) + 1
    let rest = (h >> 14n) | (1n << 50n);
    let count = 1;
    while ((rest & 1n) === 0n) {
      rest >>= 1n;
      count++;
    }
    assert.equal(patLen(d), count);
    assert.equal(patIndex, Number(h & 0x3fffn));
  }
});

Deno.test("hll: sparse and dense hold the same registers and count the same", () => {
  const next = xorshift32(99);
  const sparse = hllCreate();
  const dense = hllCreate();
  assert.ok(hllToDense(dense));
  for (let i = 0; i < 5000; i++) {
    const e = randomBytes(next, 1 + (next() % 12));
    hllAdd(sparse, e, 1 << 30);
    hllAdd(dense, e, 1 << 30);
  }
  assert.equal(sparse.buf[4], 1, "still sparse");
  hllInvalidate(sparse);
  hllInvalidate(dense);
  assert.ok(hllValid(sparse.view()) && hllValid(dense.view()));
  const a = new Uint8Array(HLL_REGISTERS), b = new Uint8Array(HLL_REGISTERS);
  assert.ok(hllMergeInto(a, sparse.view()));
  assert.ok(hllMergeInto(b, dense.view()));
  assert.deepEqual(a, b);
  const c1 = hllCount(sparse), c2 = hllCount(dense);
  assert.equal(c1, c2);
  assert.equal(hllCountRaw(a), c1);
  // about 5000 within HLL's error
  assert.ok(Math.abs(Number(c1) - 5000) < 250, `count ${c1}`);
  // the sparse form converts to exactly the dense one (the headers differ only by encoding)
  assert.ok(hllToDense(sparse));
  assert.deepEqual(sparse.view().subarray(16), dense.view().subarray(16));
});

Deno.test("hll: corrupt sparse data is detected", () => {
  const h = hllCreate();
  // XZERO covering 16383 registers instead of 16384
  h.buf[h.len - 1] = 0xfe;
  h.buf[15] |= 0x80;
  assert.equal(hllCount(h), null);
  assert.equal(hllMergeInto(new Uint8Array(HLL_REGISTERS), h.view()), false);
  assert.equal(hllToDense(h), false);
  assert.ok(!hllValid(new Uint8Array([72, 89, 76, 76, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
  assert.ok(!hllValid(new Uint8Array([72, 89, 76, 76, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
});

// ---- differential -------------------------------------------------------------------------

const [H1, H2, H3, H4, H5] = ["{h}1", "{h}2", "{h}3", "{h}4", "{h}5"];

function elements(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** Adds n elements in chunks, with a GET (the exact bytes) and sometimes a PFCOUNT after each. */
function grow(key: string, prefix: string, n: number, chunk: number): Cmd[] {
  const out: Cmd[] = [];
  for (let i = 0; i < n; i += chunk) {
    out.push(["PFADD", key, ...elements(prefix, n).slice(i, i + chunk)]);
    out.push(["STRLEN", key], ["GET", key]);
    if ((i / chunk) % 3 === 0) out.push(["PFCOUNT", key], ["GET", key]);
  }
  return out;
}

const HDR_DENSE = "HYLL\x00\x00\x00\x00";
const HDR_SPARSE = "HYLL\x01\x00\x00\x00";
const STALE = "\x00\x00\x00\x00\x00\x00\x00\x80";
/** An empty dense HLL with the given cached cardinality bytes. */
const denseWith = (card: string) => HDR_DENSE + card + "\x00".repeat(12288);

const GROUPS: Record<string, Cmd[]> = {
  "PFADD, PFCOUNT and the cached cardinality": [
    ["PFADD", H1, "a", "b", "c"],
    ["GET", H1],
    ["PFADD", H1, "a"],
    ["PFADD", H1, "a", "b", "c", "d"],
    ["GET", H1],
    ["PFCOUNT", H1],
    ["GET", H1],
    ["PFCOUNT", H1],
    ["PFADD", H1, "a"],
    ["GET", H1],
    ["PFADD", H1],
    ["PFADD", H2],
    ["GET", H2],
    ["PFCOUNT", H2],
    ["GET", H2],
    ["PFADD", H2],
    ["PFCOUNT", H3],
    ["EXISTS", H3],
    ["PFADD", H3, "", "\x00", "\xff\xfe", "bin\r\nary", "x".repeat(1000)],
    ["GET", H3],
    ["PFCOUNT", H3],
    ["TYPE", H3],
    ["SET", H4, "v", "EX", "100"],
    ["DEL", H4],
    ["PFADD", H4, "x"],
    ["TTL", H4],
    ["PFADD"],
    ["PFCOUNT"],
  ],
  "sparse grows and turns dense at 3000 bytes": [
    ...grow(H1, "e", 2600, 200),
    ["PFCOUNT", H1],
    ["GET", H1],
  ],
  "the promotion happens at the same element": [
    // with elements e0, e1, ... Redis turns dense at e1683: watch every size around it
    ["PFADD", H1, ...elements("e", 1600)],
    ...elements("e", 1720).slice(1600).flatMap((e): Cmd[] => [["PFADD", H1, e], ["STRLEN", H1]]),
    ["GET", H1],
  ],
  "long elements": [
    ...grow(H2, "a-longer-element-".repeat(5), 400, 40),
  ],
  "hll-sparse-max-bytes": [
    ["CONFIG", "SET", "hll-sparse-max-bytes", "0"],
    ["PFADD", H1, "a"],
    ["STRLEN", H1],
    ["CONFIG", "SET", "hll-sparse-max-bytes", "100"],
    ...grow(H2, "s", 300, 15),
    ["CONFIG", "SET", "hll-sparse-max-bytes", "20"],
    ["PFADD", H3],
    ["PFADD", H3, "a"],
    ["GET", H3],
    ["PFADD", H3, "b", "c"],
    ["GET", H3],
    ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"],
  ],
  "PFCOUNT of several keys": [
    ["PFADD", H1, ...elements("a", 100)],
    ["PFADD", H2, ...elements("a", 50), ...elements("b", 50)],
    ["PFADD", H3, ...elements("c", 3000)],
    ["PFCOUNT", H1, H2],
    ["PFCOUNT", H1, H2, H3],
    ["PFCOUNT", H1, H1],
    ["PFCOUNT", H1, "{h}none"],
    ["PFCOUNT", "{h}none", "{h}none2"],
    ["GET", H1],
    ["GET", H2],
    ["SET", H4, "not an hll"],
    ["PFCOUNT", H1, H4],
    ["PFCOUNT", H4, H1],
  ],
  "PFMERGE": [
    ["PFADD", H1, ...elements("a", 100)],
    ["PFADD", H2, ...elements("b", 200)],
    ["PFMERGE", H3, H1, H2],
    ["GET", H3],
    ["PFCOUNT", H3],
    ["GET", H3],
    ["PFMERGE", H3, H1],
    ["GET", H3],
    ["PFMERGE", H1, H2],
    ["GET", H1],
    ["PFMERGE", H4],
    ["GET", H4],
    ["PFMERGE", H4, "{h}none"],
    ["GET", H4],
    ["PFADD", H5, ...elements("c", 4000)],
    ["PFMERGE", H4, H1, H5],
    ["GET", H4],
    ["PFCOUNT", H4],
    ["PFMERGE", H2, H2],
    ["GET", H2],
    ["PFMERGE", H5, H1],
    ["GET", H5],
    ["PFMERGE", "{h}new", H1, H2, H5],
    ["GET", "{h}new"],
    ["PFCOUNT", "{h}new", H1],
    ["SET", H2, "v", "EX", "100"],
    ["PFMERGE", H2, H1],
    ["SET", "{h}str", "not an hll"],
    ["PFMERGE", "{h}str", H1],
    ["PFMERGE", H1, "{h}str"],
    ["GET", "{h}str"],
    ["PFMERGE"],
  ],
  "invalid and corrupt values": [
    ["SET", H1, "hello"],
    ["PFADD", H1, "a"],
    ["PFCOUNT", H1],
    ["SET", H1, "123456789012345678"],
    ["PFADD", H1, "a"],
    ["SET", H1, "HYLL"],
    ["PFCOUNT", H1],
    ["SET", H1, HDR_SPARSE + STALE.slice(0, 7)],
    ["PFCOUNT", H1],
    ["SET", H1, "HYLL\x02\x00\x00\x00" + STALE],
    ["PFCOUNT", H1],
    ["SET", H1, "hyll\x01\x00\x00\x00" + STALE + "\x7f\xff"],
    ["PFCOUNT", H1],
    ["SET", H1, HDR_DENSE + STALE],
    ["PFCOUNT", H1],
    ["PFADD", H1, "a"],
    ["SET", H1, denseWith(STALE) + "x"],
    ["PFCOUNT", H1],
    // a sparse value covering 16383 registers: corrupt, found when counted
    ["SET", H2, HDR_SPARSE + STALE + "\x7f\xfe"],
    ["PFCOUNT", H2],
    ["PFCOUNT", H2, H3],
    ["PFMERGE", H3, H2],
    ["EXISTS", H3],
    ["PFADD", H2, "a", "b", "c"],
    ["GET", H2],
    // a sparse value with nothing after the header, and one covering too many registers
    ["SET", H2, HDR_SPARSE + STALE],
    ["PFADD", H2, "a"],
    ["PFCOUNT", H2],
    ["SET", H2, HDR_SPARSE + STALE + "\x7f\xff\x00"],
    ["PFCOUNT", H2],
    ["PFADD", H2, "a"],
    ["SET", H2, HDR_SPARSE + STALE + "\x7f\xfe\x80\x80"],
    ["PFCOUNT", H2],
    ["GET", H2],
    // a VAL opcode running past the last register, after all 16384 were covered
    ["SET", H2, HDR_SPARSE + STALE + "\x7f\xff\x80"],
    ["PFCOUNT", H2],
    ["PFCOUNT", H2, H3],
    ["PFMERGE", H3, H2],
    ["PFADD", H2, "a"],
    ["GET", H2],
    ["CONFIG", "SET", "hll-sparse-max-bytes", "0"],
    ["SET", H2, HDR_SPARSE + STALE + "\x7f\xff\x80"],
    ["PFADD", H2, "a"],
    ["GET", H2],
    ["SET", H2, HDR_SPARSE + STALE + "\x7f\xfe\x80"],
    ["PFADD", H2, "a"],
    ["GET", H2],
    ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"],
    // a valid cached cardinality is believed whatever the registers say
    ["SET", H3, HDR_SPARSE + "\x07\x00\x00\x00\x00\x00\x00\x00" + "\x7f\xfe"],
    ["PFCOUNT", H3],
    ["SET", H3, denseWith("\x01\x02\x03\x04\x05\x06\x07\x08")],
    ["PFCOUNT", H3],
    ["SET", H3, denseWith("\xff\xff\xff\xff\xff\xff\xff\x7f")],
    ["PFCOUNT", H3],
    ["SET", H3, denseWith("\xff\xff\xff\xff\xff\xff\x1f\x00")],
    ["PFCOUNT", H3],
    ["PFADD", H3, "x"],
    ["PFCOUNT", H3],
    ["GET", H3],
    // registers above 51 in a dense value
    ["SET", H4, HDR_DENSE + STALE + "\xff".repeat(12288)],
    ["PFCOUNT", H4],
    ["GET", H4],
    ["SET", H4, HDR_DENSE + STALE + "\x7d".repeat(12288)],
    ["PFCOUNT", H4],
    ["PFADD", H4, "x", "y"],
    ["PFMERGE", H5, H4],
    ["PFCOUNT", H5],
    ["GET", H5],
  ],
  "HLL values through string commands": [
    ["PFADD", H1, "a", "b"],
    ["APPEND", H1, "\x00"],
    ["PFCOUNT", H1],
    ["PFADD", H1, "c"],
    ["GET", H1],
    ["PFADD", H2, ...elements("x", 2000)],
    ["SETRANGE", H2, "16", "\x00\x00"],
    ["PFCOUNT", H2],
    ["GET", H2],
    ["SETBIT", H2, "100", "1"],
    ["PFADD", H2, "y"],
    ["PFCOUNT", H2],
    ["GET", H2],
    ["GETRANGE", H2, "0", "15"],
    ["BITCOUNT", H2],
  ],
};

function wrongTypeSteps(make: (key: string) => string[]): Cmd[] {
  const L = "{h}list";
  return [
    make(L),
    ["PFADD", L, "a"],
    ["PFADD", L],
    ["PFCOUNT", L],
    ["PFADD", H1, "a"],
    ["PFCOUNT", H1, L],
    ["PFMERGE", L, H1],
    ["PFMERGE", H2, L],
    ["EXISTS", H2],
  ];
}

Deno.test("differential: HyperLogLog commands match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, cmds));
    }
    const make = await nonStringMaker(targets[1]);
    if (make !== null) {
      await t.step("WRONGTYPE", () => assertSame(targets, wrongTypeSteps(make)));
    }
  });
});
