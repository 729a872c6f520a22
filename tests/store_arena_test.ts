/** The arena: blocks never overlap, accounting is exact, free memory goes back to the system. */
import assert from "node:assert/strict";
import {
  Arena,
  blockBytesFor,
  CLASS_BYTES,
  classOf,
  MAX_SMALL_BLOCK,
  PAGE_BYTES,
} from "../src/store/arena.ts";
import { xorshift32 as xorshift } from "./helpers/rng.ts";

Deno.test("arena: size classes cover every size with the smallest class", () => {
  for (let s = 1; s <= MAX_SMALL_BLOCK; s++) {
    const c = classOf(s);
    assert.ok(CLASS_BYTES[c] >= s, `class of ${s}`);
    assert.ok(c === 1 || CLASS_BYTES[c - 1] < s, `class of ${s} is the smallest`);
  }
  assert.equal(blockBytesFor(MAX_SMALL_BLOCK + 1), PAGE_BYTES);
  assert.equal(blockBytesFor(PAGE_BYTES * 3 + 1), PAGE_BYTES * 4);
});

Deno.test("arena: random alloc/free keeps blocks apart and accounting exact", () => {
  const rnd = xorshift(7);
  const a = new Arena();
  const live = new Map<number, { size: number; tag: number }>();
  let expectBytes = 0;
  const sizeOf = () => {
    const r = rnd() % 100;
    if (r < 70) return 1 + (rnd() % 200);
    if (r < 95) return 1 + (rnd() % 8000);
    if (r < 99) return 1 + (rnd() % MAX_SMALL_BLOCK);
    return MAX_SMALL_BLOCK + 1 + (rnd() % (4 * PAGE_BYTES));
  };
  const check = (ref: number, v: { size: number; tag: number }) => {
    const off = ref * 8;
    const n = Math.min(v.size, 64);
    for (let i = 0; i < n; i++) {
      assert.equal(a.u8[off + i], (v.tag + i) & 255, `block ${ref} intact`);
    }
    if (v.size > 64) assert.equal(a.u8[off + v.size - 1], (v.tag * 7) & 255);
  };
  for (let step = 0; step < 60_000; step++) {
    if (live.size > 0 && rnd() % 100 < 45) {
      // free a random block (check its bytes first)
      const keys = [...live.keys()];
      const ref = keys[rnd() % keys.length];
      const v = live.get(ref)!;
      check(ref, v);
      expectBytes -= blockBytesFor(v.size);
      live.delete(ref);
      a.free(ref);
    } else {
      const size = sizeOf();
      const ref = a.alloc(size);
      assert.ok(ref > 0);
      assert.ok(!live.has(ref), "a live block handed out twice");
      const tag = rnd() & 255;
      const off = ref * 8;
      for (let i = 0; i < Math.min(size, 64); i++) a.u8[off + i] = (tag + i) & 255;
      if (size > 64) a.u8[off + size - 1] = (tag * 7) & 255;
      assert.ok(off + size <= a.committedBytes, "block inside the buffer");
      live.set(ref, { size, tag });
      expectBytes += blockBytesFor(size);
      assert.equal(a.blockBytes(ref), blockBytesFor(size));
    }
    if (step % 5000 === 0) a.trim();
  }
  for (const [ref, v] of live) check(ref, v);
  assert.equal(a.liveBytes, expectBytes);
  assert.equal(a.blocks, live.size);
  for (const ref of live.keys()) a.free(ref);
  assert.equal(a.liveBytes, 0);
  a.trim(true);
  assert.ok(a.committedBytes <= 2 * PAGE_BYTES, `empty arena keeps ${a.committedBytes} bytes`);
});

Deno.test("arena: freeing the top gives memory back; evacuation marks stop reuse", () => {
  const a = new Arena();
  const refs: number[] = [];
  for (let i = 0; i < 100_000; i++) refs.push(a.alloc(64));
  const big = a.committedBytes;
  assert.ok(big >= 100_000 * 64);
  for (const r of refs.splice(1000)) a.free(r);
  a.trim();
  assert.ok(a.committedBytes < big / 4, `after frees: ${a.committedBytes} of ${big}`);
  // pages holding few blocks are marked; new blocks go elsewhere
  const marked = a.markEvacuation(0.5, a.compactTop());
  const before = new Set(refs.map((r) => (r * 8) >>> 16));
  const fresh = a.alloc(64);
  if (marked > 0) {
    for (const r of refs) {
      if (a.evacuating(r)) assert.notEqual((fresh * 8) >>> 16, (r * 8) >>> 16);
    }
  }
  assert.ok(before.size > 0);
  a.endEvacuation();
  a.reset();
  assert.equal(a.liveBytes, 0);
});
