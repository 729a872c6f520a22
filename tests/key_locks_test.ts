/**
 * Key locks in shared memory (src/shard/key_locks.ts), as two shards see them over one control
 * SAB: a coordinator's take is all or nothing, readers share and writers exclude, only the
 * owner gives slots back, the lock table of the message protocol and the single hops see each
 * other, and a whole-shard lock and a take in flight never both win. A coordinator's single hops
 * stack on its own marks until something waits for the slot, and a Worker racing the owner's
 * waits, grants and give-backs leaves every slot free (a WANTED bit set by a blind OR after a
 * failed take's give-back was left alone in a free slot: this test caught it in 5 runs of 5).
 * Single-hop readers count in their pair's tables, never in the slots, and a Worker taking
 * reader sets never holds one while the owner holds a writer's grant on it.
 */
import assert from "node:assert/strict";
import { controlByteLength, readersWord } from "../src/mesh/mesh.ts";
import { KeyLocks } from "../src/shard/key_locks.ts";
import { LOCK_ALL, LOCK_SHARED, type LockReq, LockTable, WaitSet } from "../src/shard/locks.ts";
import { lockHash } from "../src/shard/plan.ts";
import {
  QUEUE_BASE,
  QUEUE_CAPACITY,
  QUEUE_DONE,
  QUEUE_HEAD,
  QUEUE_TAIL,
  QUEUE_WIDTH,
  queueBytes,
  raceHashes,
  type RaceInit,
} from "./fixtures/key_locks_race_worker.ts";
import { rng } from "./helpers/rng.ts";

const enc = new TextEncoder();
const h = (k: string) => lockHash(0, enc.encode(k));

function twoShards(): [KeyLocks, KeyLocks] {
  const words = new Int32Array(new SharedArrayBuffer(controlByteLength(2)));
  return [new KeyLocks(words, 2, 0), new KeyLocks(words, 2, 1)];
}

Deno.test("key locks: a take is all or nothing, and only what it took comes back", () => {
  const [s0, s1] = twoShards();
  const a = s0.slotsOf(0, [h("a"), h("b")], false);
  const b = s0.slotsOf(1, [h("c")], false);
  assert.ok(s0.tryTake([0, 1], [a, b], false));
  assert.equal(s0.heldHere(), 0, "the coordinator's own slots are looked at, not taken");
  assert.equal(s1.heldHere(), 1, "shard 1 counts the slot taken there");
  assert.equal(s0.blocks([h("a")], true), false);
  assert.ok(s1.blocks([h("c")], true));
  // another take that needs one held slot takes nothing at all: here its own shard's
  const free0 = s1.slotsOf(0, [h("z")], false);
  const held1 = s1.slotsOf(1, [h("c")], false);
  assert.equal(s1.tryTake([0, 1], [free0, held1], false), false);
  assert.equal(s0.blocks([h("z")], true), false, "the free slot it got first was given back");
  assert.equal(s0.heldHere(), 0);
  assert.equal(s1.heldHere(), 1);
  // the owner gives back its part's slots after running it
  s1.releaseHeld(b, false, 0);
  assert.equal(s0.heldHere() + s1.heldHere(), 0);
  assert.equal(s1.blocks([h("c")], true), false);
  assert.ok(s1.tryTake([0, 1], [free0, held1], false), "now it goes through");
  assert.equal(s0.heldHere(), 1);
});

Deno.test("key locks: a coordinator's own slots held by a peer's take stop it", () => {
  const [s0, s1] = twoShards();
  // shard 1 coordinates a writer on "x", owned by shard 0, whose part has not run there yet
  const hop = s1.slotsOf(0, [h("x")], false);
  assert.ok(s1.tryTake([0], [hop], false));
  // shard 0 coordinates a command over "x" (its own) and "y" (shard 1's)
  const y = s0.slotsOf(1, [h("y")], false);
  assert.equal(s0.tryTake([0, 1], [s0.slotsOf(0, [h("x")], true), y], true), false);
  assert.equal(s1.blocks([h("y")], true), false, "what it took on shard 1 was given back");
  assert.equal(s1.heldHere(), 0);
  s0.releaseHeld(hop, false, 1);
  // readers pass readers: a peer's reader on "x" does not stop a local reader of "x"
  const rd = s1.slotsOf(0, [h("x")], true);
  assert.ok(s1.tryTake([0], [rd], true));
  assert.ok(s0.tryTake([0, 1], [s0.slotsOf(0, [h("x")], true), y], true));
  assert.equal(
    s0.tryTake([0, 1], [s0.slotsOf(0, [h("x")], false), s0.slotsOf(1, [h("w")], false)], false),
    false,
    "but a local writer waits for it",
  );
  assert.equal(s1.blocks([h("w")], true), false);
});

Deno.test("key locks: readers share a slot, a writer waits for all of them", () => {
  const [s0, s1] = twoShards();
  const r = s1.slotsOf(0, [h("k"), h("k")], true);
  assert.equal(r.length, 2, "readers count once per key, taken and given back alike");
  assert.ok(s1.tryTake([0], [r], true));
  assert.ok(s1.tryTake([0], [s1.slotsOf(0, [h("k")], true)], true), "a second reader");
  assert.equal(s0.blocks([h("k")], false), false, "a plain read passes readers");
  assert.ok(s0.blocks([h("k")], true), "a plain write waits");
  const w = s1.slotsOf(0, [h("k"), h("k")], false);
  assert.equal(w.length, 1, "a writer takes its slot once, however often the key appears");
  assert.equal(s1.tryTake([0], [w], false), false);
  s0.releaseHeld(r, true, 1);
  assert.equal(s1.tryTake([0], [w], false), false, "one reader left");
  s0.releaseHeld(s1.slotsOf(0, [h("k")], true), true, 1);
  assert.ok(s1.tryTake([0], [w], false));
  assert.equal(s1.tryTake([0], [s1.slotsOf(0, [h("k")], true)], true), false, "a writer holds");
});

function req(keys: string[], flags: number, txid: number): LockReq {
  return { txid, source: 0, client: 1, flags, keys: keys.map(h), slots: null };
}

Deno.test("key locks: the message protocol's grants and the single hops exclude each other", () => {
  const [s0, s1] = twoShards();
  const table = new LockTable(s0);
  const none = new WaitSet();
  // a single hop from shard 1 holds "a" on shard 0: a lock request for it is not grantable
  const hop = s1.slotsOf(0, [h("a")], false);
  assert.ok(s1.tryTake([0], [hop], false));
  assert.ok(table.active, "plain commands must look: a split command holds a key here");
  const r = req(["a"], 0, 1);
  assert.equal(table.grantable(r, none), false);
  s0.releaseHeld(hop, false, 1);
  assert.equal(table.active, false);
  assert.ok(table.grantable(r, none) && table.tryGrant(r));
  // and a granted lock keeps single hops off its keys until released
  assert.equal(s1.tryTake([0], [s1.slotsOf(0, [h("a")], true)], true), false);
  table.release(1);
  assert.ok(s1.tryTake([0], [s1.slotsOf(0, [h("a")], true)], true));
  // a grant that loses the race for a slot takes nothing, and the request keeps waiting
  const r2 = req(["b", "a"], 0, 2);
  assert.equal(table.tryGrant(r2), false);
  assert.equal(table.holds(2), false);
  assert.equal(s0.blocks([h("b")], true), false, "its first slot was given back");
  const shared = req(["a"], LOCK_SHARED, 3);
  assert.ok(table.tryGrant(shared), "readers share with the single hop's readers");
});

Deno.test("key locks: a whole-shard lock and a take in flight never both hold", () => {
  const [s0, s1] = twoShards();
  const table = new LockTable(s0);
  const none = new WaitSet();
  const all = req([], LOCK_ALL, 9);
  // a single hop holds a slot on shard 0: the whole shard cannot be locked
  const hop = s1.slotsOf(0, [h("x")], false);
  assert.ok(s1.tryTake([0], [hop], false));
  assert.equal(table.grantable(all, none), false);
  assert.equal(s0.tryAllHere(), false, "and the raced grant backs off");
  s0.releaseHeld(hop, false, 1);
  assert.ok(table.grantable(all, none) && table.tryGrant(all));
  // while it holds, a single hop over that shard takes nothing (on any shard)
  const elsewhere = s1.slotsOf(1, [h("y")], false);
  assert.equal(s1.tryTake([0, 1], [s1.slotsOf(0, [h("x")], false), elsewhere], false), false);
  assert.equal(s0.heldHere() + s1.heldHere(), 0, "its announced counts were taken back");
  assert.equal(s1.blocks([h("y")], true), false);
  table.release(9);
  assert.ok(s1.tryTake([0, 1], [s1.slotsOf(0, [h("x")], false), elsewhere], false));
});

Deno.test("key locks: each shard counts the slots writers hold, and readers rely on it", () => {
  const [s0, s1] = twoShards();
  const table = new LockTable(s0);
  // a writer from shard 1 over "x" (shard 0's) and "y" (its own)
  const x = s1.slotsOf(0, [h("x"), h("x2")], false);
  assert.ok(s1.tryTake([0, 1], [x, s1.slotsOf(1, [h("y")], false)], false));
  assert.equal(s0.writersHere(), 2);
  assert.equal(s1.writersHere(), 0, "a coordinator's own slots are only looked at");
  // a reader coordinated on shard 0 over its own "x" must still see the writer there
  const y1 = s0.slotsOf(1, [h("z")], true);
  assert.equal(s0.tryTake([0, 1], [s0.slotsOf(0, [h("x")], true), y1], true), false);
  assert.equal(s0.blocks([h("x")], false), true, "a plain read of it waits too");
  assert.ok(s0.tryTake([0, 1], [s0.slotsOf(0, [h("q")], true), y1], true), "another key passes");
  s1.releaseHeld(y1, true, 0);
  // a writer that fails gives its count back
  assert.equal(s0.tryTake([0, 1], [[], s0.slotsOf(1, [h("z")], false)], false), true);
  assert.equal(s1.writersHere(), 1);
  assert.equal(s1.tryTake([0], [s1.slotsOf(0, [h("x")], false)], false), false);
  assert.equal(s0.writersHere(), 2, "the failed take left the count as it was");
  s0.releaseHeld(x, false, 1);
  s1.releaseHeld(s0.slotsOf(1, [h("z")], false), false, 0);
  assert.equal(s0.writersHere() + s1.writersHere(), 0);
  assert.equal(s0.blocks([h("x")], false), false);
  // the message protocol's writers count as well; its readers do not
  const w = req(["a", "b"], 0, 1);
  assert.ok(table.tryGrant(w));
  assert.equal(s0.writersHere(), 2);
  assert.equal(s0.blocks([h("a")], false), true);
  assert.equal(table.tryGrant(req(["c", "a"], 0, 2)), false, "a grant that loses a slot");
  assert.equal(s0.writersHere(), 2, "gives back its count with its slots");
  assert.ok(table.tryGrant(req(["d"], LOCK_SHARED, 3)));
  assert.equal(s0.writersHere(), 2);
  table.release(1);
  table.release(3);
  assert.equal(s0.writersHere(), 0);
  assert.equal(s0.blocks([h("d")], true), false);
});

Deno.test("key locks: a coordinator's single hops stack on their own marks, until one waits", () => {
  const words = new Int32Array(new SharedArrayBuffer(controlByteLength(3)));
  const [s0, s1, s2] = [0, 1, 2].map((i) => new KeyLocks(words, 3, i));
  const table = new LockTable(s0);
  const none = new WaitSet();
  // shard 1's hops over "x" (shard 0's): the ring to shard 0 keeps them in order
  const x = () => s1.slotsOf(0, [h("x")], false);
  assert.ok(s1.tryTake([0], [x()], false));
  assert.ok(s1.tryTake([0], [x()], false), "its second hop takes the slot its first holds");
  assert.equal(s1.stacked, 1);
  assert.equal(s0.heldHere(), 2);
  assert.equal(s2.tryTake([0], [s2.slotsOf(0, [h("x")], false)], false), false, "no one else");
  assert.equal(s1.tryTake([0], [s1.slotsOf(0, [h("x")], true)], true), false, "nor a reader");
  // the owner runs the first hop's part and gives its take back: the second still holds
  s0.releaseHeld(x(), false, 1);
  assert.equal(s0.heldHere(), 1);
  assert.equal(s2.tryTake([0], [s2.slotsOf(0, [h("x")], false)], false), false);
  s0.releaseHeld(x(), false, 1);
  assert.equal(s0.blocks([h("x")], true), false);
  assert.equal(s0.heldHere() + s0.writersHere(), 0);
  assert.ok(s2.tryTake([0], [s2.slotsOf(0, [h("x")], false)], false), "free for anyone again");
  s0.releaseHeld(s2.slotsOf(0, [h("x")], false), false, 2);
  // a failed take gives back only its own take of a stacked slot
  assert.ok(s1.tryTake([0], [x()], false));
  const blocked = s2.slotsOf(2, [h("held")], false);
  assert.ok(s0.tryTake([2], [blocked], false));
  assert.equal(s1.tryTake([0, 2], [x(), s1.slotsOf(2, [h("held")], false)], false), false);
  assert.equal(s0.heldHere(), 1, "the first take still holds");
  // something waits here for the slot: no more stacking, and the count runs down
  assert.ok(s1.tryTake([0], [x()], false));
  assert.equal(table.grantable(req(["x"], 0, 1), none), false);
  assert.equal(s1.tryTake([0], [x()], false), false, "the waiting request is not overtaken");
  s0.releaseHeld(x(), false, 1);
  assert.equal(s1.tryTake([0], [x()], false), false);
  s0.releaseHeld(x(), false, 1);
  assert.ok(table.grantable(req(["x"], 0, 1), none) && table.tryGrant(req(["x"], 0, 1)));
  // a lock granted by messages is never stacked on, not even by its owner's peers' hops
  assert.equal(s1.tryTake([0], [x()], false), false);
  table.release(1);
  assert.ok(s1.tryTake([0], [x()], false), "and the mark WANTED went with the last take");
  assert.ok(s1.tryTake([0], [x()], false));
});

interface RaceRun {
  /** the Worker's counts: sets taken, takes that failed, takes stacked on its own marks */
  worker: { taken: number; failed: number; stacked?: number };
  waited: number;
  granted: number;
  /** sets given back that named a slot the owner held for a writer's grant */
  overlaps: number;
  words: Int32Array;
  owner: KeyLocks;
  hashes: number[];
}

/**
 * A Worker coordinating single hops on shard 0's slots (writer sets, or reader sets when
 * `shared`) races the owner, which gives back each set in the order taken, finds keys it must
 * wait for (blocks: WANTED on stacked marks) with probability `wait`, and grants writers' locks
 * by messages with `grant` (up to two held, released with `release`).
 */
async function race(
  shared: boolean,
  seeds: [number, number],
  p: { wait: number; grant: number; release: number },
): Promise<RaceRun> {
  const control = new SharedArrayBuffer(controlByteLength(2));
  const queue = new SharedArrayBuffer(queueBytes());
  const q = new Int32Array(queue);
  const owner = new KeyLocks(new Int32Array(control), 2, 0);
  const KEYS = 6;
  const hashes = raceHashes(KEYS);
  const worker = new Worker(new URL("./fixtures/key_locks_race_worker.ts", import.meta.url), {
    type: "module",
  });
  let result: RaceRun["worker"] | null = null;
  const finished = new Promise<void>((resolve, reject) => {
    worker.onmessage = (e) => {
      result = e.data;
      resolve();
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
  });
  const init: RaceInit = { control, queue, takes: 400_000, keys: KEYS, seed: seeds[0], shared };
  worker.postMessage(init);
  const rand = rng(seeds[1]);
  const grants: number[][] = [];
  let waited = 0, granted = 0, overlaps = 0, spins = 0;
  for (;;) {
    const tail = Atomics.load(q, QUEUE_TAIL);
    if (tail < Atomics.load(q, QUEUE_HEAD)) {
      const at = QUEUE_BASE + (tail % QUEUE_CAPACITY) * QUEUE_WIDTH;
      const slots = Array.from({ length: q[at] }, (_, s) => q[at + 1 + s]);
      Atomics.store(q, QUEUE_TAIL, tail + 1);
      Atomics.notify(q, QUEUE_TAIL);
      for (const g of grants) if (slots.includes(g[0])) overlaps++;
      owner.releaseHeld(slots, shared, 1);
    } else if (Atomics.load(q, QUEUE_DONE) === 1) break;
    const r = rand();
    const h = hashes[Math.floor(rand() * KEYS)];
    if (r < p.wait && owner.blocks([h], true)) waited++;
    else if (r < p.grant && grants.length < 2) {
      const slots = owner.slotsOf(0, [h], false);
      if (owner.takeHere(slots, false)) {
        grants.push(slots);
        granted++;
      }
    } else if (r < p.release && grants.length > 0) owner.releaseHere(grants.shift()!, false);
    // let the worker's message in now and then
    if (++spins % 4096 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await finished;
  worker.terminate();
  for (const g of grants) owner.releaseHere(g, false);
  return {
    worker: result!,
    waited,
    granted,
    overlaps,
    words: new Int32Array(control),
    owner,
    hashes,
  };
}

Deno.test("key locks: a coordinator stacking, failing and giving back races the owner's waits and grants", async () => {
  const run = await race(false, [7, 11], { wait: 0.5, grant: 0.55, release: 0.65 });
  const { worker: r, owner, words } = run;
  assert.ok(r.taken > 1000 && r.failed > 1000 && r.stacked! > 1000, JSON.stringify(r));
  assert.ok(run.waited > 1000 && run.granted > 100, `waited ${run.waited}, granted ${run.granted}`);
  assert.equal(run.overlaps, 0, "a hop held a slot the owner had granted");
  // every take came back: each slot is free (a WANTED bit left alone would read as readers)
  for (const s of owner.slotsOf(0, run.hashes, false)) assert.equal(words[s], 0, `slot ${s}`);
  assert.equal(owner.heldHere(), 0);
  assert.equal(owner.writersHere(), 0);
});

Deno.test("key locks: single-hop readers count in their pair's tables, and every writer sees them", () => {
  const words = new Int32Array(new SharedArrayBuffer(controlByteLength(2)));
  const [s0, s1] = [new KeyLocks(words, 2, 0), new KeyLocks(words, 2, 1)];
  const table = new LockTable(s0);
  const k = s1.slotsOf(0, [h("k")], true);
  assert.ok(s1.tryTake([0], [k], true));
  assert.equal(words[k[0]], 0, "the slot itself is not written");
  assert.equal(words[readersWord(2, 1, 0)], 1);
  // a peer's single hop, the owner's own split writer, a grant and a plain write all wait
  assert.equal(s1.tryTake([0], [s1.slotsOf(0, [h("k")], false)], false), false);
  const q = s0.slotsOf(1, [h("q")], false);
  assert.equal(s0.tryTake([0, 1], [s0.slotsOf(0, [h("k")], false), q], false), false);
  assert.equal(s1.writersHere(), 0, "the failed take gave back its count on shard 1");
  assert.equal(table.tryGrant(req(["k"], 0, 1)), false);
  assert.ok(s0.blocks([h("k")], true));
  assert.equal(s0.blocks([h("k")], false), false, "a plain read passes");
  assert.equal(words[k[0]], 0, "and every writer that backed off left the slot free");
  s0.releaseHeld(k, true, 1);
  assert.equal(words[readersWord(2, 1, 0)], 0);
  assert.equal(s0.blocks([h("k")], true), false);
  // a reader that meets a writer backs off and leaves no count behind
  assert.ok(table.tryGrant(req(["k"], 0, 2)));
  assert.equal(s1.tryTake([0], [s1.slotsOf(0, [h("k")], true)], true), false);
  assert.equal(words[readersWord(2, 1, 0)], 0);
  assert.equal(s0.heldHere(), 0);
  table.release(2);
  assert.equal(s0.blocks([h("k")], true), false);
  assert.ok(s0.tryTake([0, 1], [s0.slotsOf(0, [h("k")], false), q], false));
  s1.releaseHeld(q, false, 0);
});

Deno.test("key locks: a Worker's single-hop readers race the owner's grants and never overlap them", async () => {
  const run = await race(true, [5, 13], { wait: 0.3, grant: 0.5, release: 0.6 });
  const { worker: r, owner, words } = run;
  assert.ok(r.taken > 1000 && r.failed > 1000, JSON.stringify(r));
  assert.ok(run.waited > 1000 && run.granted > 100, `waited ${run.waited}, granted ${run.granted}`);
  assert.equal(run.overlaps, 0, "a reader held a slot the owner had granted to a writer");
  for (const s of owner.slotsOf(0, run.hashes, false)) assert.equal(words[s], 0, `slot ${s}`);
  assert.equal(words[readersWord(2, 1, 0)], 0);
  assert.equal(owner.heldHere() + owner.writersHere(), 0);
  for (const h of run.hashes) assert.equal(owner.blocks([h], true), false, "no reader count left");
});
