import assert from "node:assert/strict";
import { RING_HEADER_BYTES, SpscRing } from "../src/mesh/ring.ts";
import {
  createMeshInit,
  CTRL_EPOCH,
  CTRL_STOP,
  Mesh,
  parkedWord,
  wakeWord,
} from "../src/mesh/mesh.ts";

function newRing(capacity: number, startCounter = 0): SpscRing {
  const sab = new SharedArrayBuffer(SpscRing.byteLength(capacity));
  // head at word 0, tail at word 16: start both counters anywhere to exercise their wrap.
  const words = new Int32Array(sab, 0, RING_HEADER_BYTES >> 2);
  words[0] = startCounter;
  words[16] = startCounter;
  return new SpscRing(sab);
}

/** Deterministic bytes: record `id` of length `len`. */
function pattern(id: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (id * 2654435761 + 12345) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Writes the whole record, draining the ring into `sink` whenever it is full. */
function writeAll(ring: SpscRing, rec: Uint8Array, sink: Uint8Array[]): void {
  let pos = 0;
  for (let guard = 0;; guard++) {
    assert.ok(guard < 1_000_000, "writeAll made no progress");
    const r = ring.write(rec, pos);
    if (r === rec.length) return;
    if (r >= 0) pos = r;
    drain(ring, sink);
  }
}

function drain(ring: SpscRing, sink: Uint8Array[]): void {
  for (let rec = ring.read(); rec !== null; rec = ring.read()) sink.push(rec.slice());
}

Deno.test("ring: empty ring reads null and reports empty", () => {
  const ring = newRing(64);
  assert.equal(ring.read(), null);
  assert.ok(ring.isEmpty());
  assert.equal(ring.freeBytes(), 64);
  assert.equal(ring.write(pattern(1, 3)), 3);
  assert.ok(!ring.isEmpty());
  assert.deepEqual(ring.read(), pattern(1, 3));
  assert.ok(ring.isEmpty());
  assert.equal(ring.read(), null);
});

Deno.test("ring: FIFO order of many records", () => {
  const ring = newRing(1024);
  const got: Uint8Array[] = [];
  const sent: Uint8Array[] = [];
  for (let i = 0; i < 500; i++) {
    const rec = pattern(i, (i * 37) % 200);
    sent.push(rec);
    writeAll(ring, rec, got);
  }
  drain(ring, got);
  assert.equal(got.length, sent.length);
  for (let i = 0; i < sent.length; i++) assert.deepEqual(got[i], sent[i], `record ${i}`);
});

Deno.test("ring: zero-length records", () => {
  const ring = newRing(16);
  const empty = new Uint8Array(0);
  for (let i = 0; i < 4; i++) assert.equal(ring.write(empty), 0);
  assert.equal(ring.freeBytes(), 0);
  assert.equal(ring.write(empty), -1, "a full ring accepts not even an empty record");
  for (let i = 0; i < 4; i++) assert.equal(ring.read()?.length, 0);
  assert.equal(ring.read(), null);
  assert.equal(ring.write(empty), 0);
  assert.equal(ring.write(pattern(9, 5)), 5);
  assert.equal(ring.read()?.length, 0);
  assert.deepEqual(ring.read(), pattern(9, 5));
});

Deno.test("ring: full ring refuses, then accepts after a read", () => {
  const ring = newRing(64);
  const rec = pattern(2, 12); // 16 bytes per record with its length word
  for (let i = 0; i < 4; i++) assert.equal(ring.write(rec), 12);
  assert.equal(ring.freeBytes(), 0);
  assert.equal(ring.write(rec), -1);
  assert.equal(ring.write(pattern(3, 1)), -1);
  assert.deepEqual(ring.read(), rec);
  assert.equal(ring.freeBytes(), 16);
  assert.equal(ring.write(pattern(3, 12)), 12);
  for (let i = 0; i < 3; i++) assert.deepEqual(ring.read(), rec);
  assert.deepEqual(ring.read(), pattern(3, 12));
  assert.equal(ring.read(), null);
});

Deno.test("ring: wrap-around at every offset and every length", () => {
  const cap = 64;
  for (const start of [0, 0x7fffff00 | 0, -256]) {
    for (let lead = 0; lead < cap; lead++) {
      const ring = newRing(cap, start);
      // Advance head/tail so the next record starts at a different place each time.
      assert.equal(ring.write(pattern(lead, lead % (cap - 4))), lead % (cap - 4));
      assert.equal(ring.read()?.length, lead % (cap - 4));
      for (let len = 0; len <= cap - 4; len++) {
        const rec = pattern(lead * 1000 + len, len);
        assert.equal(ring.write(rec), len, `lead ${lead} len ${len}`);
        assert.deepEqual(ring.read(), rec, `lead ${lead} len ${len}`);
        assert.ok(ring.isEmpty());
      }
    }
  }
});

Deno.test("ring: counters wrap past 2^31 and 2^32", () => {
  for (const start of [0x7fffffc0 | 0, -64]) {
    const ring = newRing(64, start);
    const got: Uint8Array[] = [];
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      const rec = pattern(i, i % 50);
      sent.push(rec);
      writeAll(ring, rec, got);
    }
    drain(ring, got);
    assert.deepEqual(got, sent);
  }
});

Deno.test("ring: records larger than the capacity are fragmented and reassembled", () => {
  const ring = newRing(64);
  for (const len of [61, 64, 100, 1000, 10_007]) {
    const rec = pattern(len, len);
    let pos = 0;
    let out: Uint8Array | null = null;
    let rounds = 0;
    while (out === null) {
      if (pos < len) {
        const r = ring.write(rec, pos);
        if (r >= 0) pos = r;
        assert.equal(ring.partial, pos < len);
      }
      out = ring.read();
      if (out === null) assert.ok(pos < len, "complete record must be readable");
      rounds++;
    }
    assert.equal(pos, len);
    assert.deepEqual(out, rec);
    assert.ok(rounds > 1);
    assert.equal(ring.read(), null);
  }
});

Deno.test("ring: partial write is resumed later", () => {
  const ring = newRing(256);
  const small = pattern(1, 100);
  assert.equal(ring.write(small), 100); // 104 bytes used, 152 free
  const big = pattern(2, 300);
  const r1 = ring.write(big);
  assert.ok(r1 > 0 && r1 < 300, `partial write, got ${r1}`);
  assert.ok(ring.partial);
  assert.equal(ring.write(big, r1), -1, "ring is full now");
  assert.deepEqual(ring.read(), small);
  assert.equal(ring.read(), null, "only part of the big record is in");
  const r2 = ring.write(big, r1);
  assert.ok(r2 > r1);
  let out = ring.read();
  let pos = r2;
  while (out === null) {
    const r = ring.write(big, pos);
    if (r >= 0) pos = r;
    out = ring.read();
  }
  assert.equal(pos, 300);
  assert.ok(!ring.partial);
  assert.deepEqual(out, big);
});

Deno.test("ring: a partial write does not leave tiny fragments", () => {
  const ring = newRing(1024);
  assert.equal(ring.write(pattern(1, 1000)), 1000); // 20 bytes free
  assert.equal(ring.write(pattern(2, 100)), -1);
  assert.equal(ring.write(pattern(3, 16)), 16, "a whole small record still fits");
});

Deno.test("ring: randomized interleaving against a model", () => {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (const cap of [16, 32, 64, 256, 4096]) {
    const ring = newRing(cap, rand(2) ? -rand(10_000) * 4 : 0);
    const sent: Uint8Array[] = [];
    const got: Uint8Array[] = [];
    let cur: Uint8Array | null = null;
    let pos = 0;
    for (let step = 0; step < 20_000; step++) {
      if (rand(3) !== 0) {
        if (cur === null) {
          cur = pattern(step, rand(4) === 0 ? rand(cap * 3) : rand(Math.min(cap, 40)));
          pos = 0;
        }
        const r = ring.write(cur, pos);
        if (r >= 0) pos = r;
        if (pos === cur.length && r >= 0) {
          sent.push(cur);
          cur = null;
        }
      } else {
        const rec = ring.read();
        if (rec) got.push(rec.slice());
      }
    }
    while (cur !== null) {
      const r = ring.write(cur, pos);
      if (r >= 0) pos = r;
      if (pos === cur.length && r >= 0) {
        sent.push(cur);
        cur = null;
      }
      drain(ring, got);
    }
    drain(ring, got);
    assert.equal(got.length, sent.length, `capacity ${cap}`);
    for (let i = 0; i < sent.length; i++) assert.deepEqual(got[i], sent[i], `cap ${cap} #${i}`);
  }
});

Deno.test("ring: bad capacities are rejected", () => {
  assert.throws(() => SpscRing.byteLength(100));
  assert.throws(() => SpscRing.byteLength(4));
  assert.throws(() => new SpscRing(new SharedArrayBuffer(RING_HEADER_BYTES + 100)));
  assert.equal(new SpscRing(new SharedArrayBuffer(RING_HEADER_BYTES + 512)).capacity, 512);
});

function pair(capacity: number, waker?: (t: number) => void): [Mesh, Mesh, SharedArrayBuffer] {
  const { rings, control } = createMeshInit(2, capacity);
  return [
    new Mesh({ self: 0, n: 2, rings, control }, waker),
    new Mesh({ self: 1, n: 2, rings, control }),
    control,
  ];
}

function collect(mesh: Mesh, out: Uint8Array[], sources?: number[]): number {
  return mesh.poll((src, rec) => {
    out.push(rec.slice());
    sources?.push(src);
  });
}

Deno.test("mesh: records sent while a backlog exists stay behind it", () => {
  const [a, b] = pair(64);
  const sent: Uint8Array[] = [];
  const buf = new Uint8Array(200);
  for (let i = 0; i < 50; i++) {
    const len = (i * 13) % 200;
    const rec = pattern(i, len);
    buf.set(rec);
    a.send(1, buf.subarray(0, len));
    buf.fill(0xee); // the mesh must have copied what it could not write
    sent.push(rec);
  }
  assert.ok(a.backlogCount(1) > 0);
  assert.ok(a.backlogBytes(1) > 0);
  const got: Uint8Array[] = [];
  const sources: number[] = [];
  for (let guard = 0; guard < 10_000 && got.length < sent.length; guard++) {
    collect(b, got, sources);
    a.flush();
  }
  assert.equal(a.flush(), false);
  assert.equal(a.backlogCount(1), 0);
  assert.equal(a.backlogBytes(1), 0);
  assert.deepEqual(got, sent);
  assert.ok(sources.every((s) => s === 0));
});

Deno.test("mesh: poll honours max and round-robins over sources", () => {
  const { rings, control } = createMeshInit(3, 1024);
  const m = [0, 1, 2].map((self) => new Mesh({ self, n: 3, rings, control }));
  for (let i = 0; i < 5; i++) {
    m[0].send(2, pattern(i, 4));
    m[1].send(2, pattern(100 + i, 4));
  }
  const sources: number[] = [];
  assert.equal(m[2].poll((s) => sources.push(s), 3), 3);
  assert.equal(m[2].poll((s) => sources.push(s)), 7);
  assert.equal(m[2].poll((s) => sources.push(s)), 0);
  assert.equal(sources.filter((s) => s === 0).length, 5);
  assert.equal(sources.filter((s) => s === 1).length, 5);
  assert.throws(() => m[0].send(0, pattern(1, 1)), "no ring to self");
});

Deno.test("mesh: parkAsync returns at once when data is waiting", async () => {
  const [a, b, control] = pair(256);
  a.send(1, pattern(1, 10));
  await b.parkAsync(10_000);
  assert.equal(Atomics.load(new Int32Array(control), parkedWord(1)), 0);
  const got: Uint8Array[] = [];
  collect(b, got);
  assert.equal(got.length, 1);
});

Deno.test("mesh: parkAsync times out when idle", async () => {
  const [, b] = pair(256);
  const t0 = performance.now();
  await b.parkAsync(30);
  assert.ok(performance.now() - t0 >= 20);
});

Deno.test("mesh: a send to a parked shard wakes it once", async () => {
  const [a, b, control] = pair(256);
  const wake = Mesh.controlWord(control, wakeWord(1));
  const parked = b.parkAsync(10_000);
  assert.equal(Atomics.load(Mesh.controlWord(control, parkedWord(1)), 0), 1);
  a.send(1, pattern(1, 10));
  a.send(1, pattern(2, 10));
  const before = Atomics.load(wake, 0);
  a.wakePeers();
  a.wakePeers();
  assert.equal(Atomics.load(wake, 0), before + 1, "one wake per target per call");
  await parked;
  assert.equal(Atomics.load(Mesh.controlWord(control, parkedWord(1)), 0), 0);
  const got: Uint8Array[] = [];
  collect(b, got);
  assert.deepEqual(got, [pattern(1, 10), pattern(2, 10)]);
});

Deno.test("mesh: a producer parked on a full ring is woken when space frees", async () => {
  const [a, b] = pair(64);
  for (let i = 0; i < 10; i++) a.send(1, pattern(i, 40));
  assert.ok(a.flush());
  let woke = false;
  const parked = a.parkAsync(10_000).then(() => (woke = true));
  await Promise.resolve();
  assert.equal(woke, false, "nothing changed, so the producer sleeps");
  const got: Uint8Array[] = [];
  collect(b, got);
  b.wakePeers();
  await parked;
  assert.ok(woke);
  for (let guard = 0; guard < 1000 && got.length < 10; guard++) {
    a.flush();
    collect(b, got);
  }
  assert.equal(got.length, 10);
});

Deno.test("mesh: a custom waker replaces notify", () => {
  const woken: number[] = [];
  const [a, b, control] = pair(256, (t) => woken.push(t));
  assert.ok(b.beginPark(), "idle shard may sleep");
  const before = Atomics.load(Mesh.controlWord(control, wakeWord(1)), 0);
  a.send(1, pattern(1, 3));
  a.wakePeers();
  a.wakePeers();
  assert.deepEqual(woken, [1]);
  assert.equal(Atomics.load(Mesh.controlWord(control, wakeWord(1)), 0), before);
  b.endPark();
  a.send(1, pattern(2, 3));
  a.wakePeers();
  assert.deepEqual(woken, [1], "not parked: no wake");
});

Deno.test("mesh: stop flag and config epoch through the control SAB", () => {
  const [a, b, control] = pair(64);
  assert.equal(a.stopRequested, false);
  Atomics.store(Mesh.controlWord(control, CTRL_EPOCH), 0, 7);
  assert.equal(b.configEpoch, 7);
  Mesh.requestStop(control, 2);
  assert.equal(Atomics.load(Mesh.controlWord(control, CTRL_STOP), 0), 1);
  assert.ok(a.stopRequested && b.stopRequested);
  assert.equal(b.beginPark(), false, "a stopping shard does not sleep");
  b.parkSync(10_000); // returns at once
});

Deno.test("ring: a big record is assembled once, in a buffer of its own that the ring lets go", () => {
  const ring = newRing(1024);
  const big = pattern(5, 5 * 1024 * 1024 + 3);
  const small = pattern(6, 100);
  let pos = 0;
  let got: Uint8Array | null = null;
  while (pos < big.length) {
    const r = ring.write(big, pos);
    if (r >= 0) pos = r;
    const rec = ring.read();
    if (rec !== null) got = rec;
  }
  got ??= ring.read();
  assert.ok(got !== null);
  assert.ok(ring.detached);
  // allocated at the announced size: no doubling, no slack
  assert.equal(got.buffer.byteLength, big.length);
  assert.deepEqual(got, big);
  const keep = got.slice();
  assert.equal(ring.write(small), small.length);
  assert.deepEqual(ring.read(), small);
  assert.equal(ring.detached, false);
  // the big record's buffer is not written again
  assert.deepEqual(got, keep);
});
