/**
 * All-to-all stress of the ring mesh with real Workers over small rings, so wrap-around, ring-full
 * spills into backlogs, fragmentation of records larger than the ring and park/wake all happen
 * constantly. Two workers park synchronously (Atomics.wait), two asynchronously (waitAsync).
 */
import assert from "node:assert/strict";
import { createMeshInit, Mesh } from "../src/mesh/mesh.ts";
import {
  STAT_BIG_SENT,
  STAT_DONE,
  STAT_EMPTY_RECEIVED,
  STAT_EMPTY_SENT,
  STAT_ERRORS,
  STAT_PARKS,
  STAT_RECEIVED,
  STAT_SENT,
  STAT_SPILLS,
  STAT_STRIDE,
  type StressInit,
} from "./fixtures/mesh_stress_worker.ts";

const SHARDS = 4;
const RING_CAPACITY = 4096;
const PER_PEER = Number(Deno.env.get("MESH_STRESS_PER_PEER") ?? 100_000);
const STALL_MS = 10_000;
const DEADLINE_MS = 120_000;

interface WorkerMessage {
  type: "error" | "exit";
  shard: number;
  msg?: string;
  errors?: number;
}

function sum(stats: Int32Array, word: number): number {
  let total = 0;
  for (let i = 0; i < SHARDS; i++) total += Atomics.load(stats, i * STAT_STRIDE + word);
  return total;
}

Deno.test("mesh stress: 4 workers all-to-all over 4 KiB rings", async () => {
  const { rings, control } = createMeshInit(SHARDS, RING_CAPACITY);
  const stats = new Int32Array(new SharedArrayBuffer(SHARDS * STAT_STRIDE * 4));
  const errors: string[] = [];
  const exited = new Set<number>();
  let exitAll: () => void = () => {};
  const allExited = new Promise<void>((resolve) => (exitAll = resolve));
  const workers: Worker[] = [];
  for (let self = 0; self < SHARDS; self++) {
    const w = new Worker(new URL("./fixtures/mesh_stress_worker.ts", import.meta.url), {
      type: "module",
    });
    w.onmessage = (e: MessageEvent<WorkerMessage>) => {
      if (e.data.type === "error") errors.push(`shard ${e.data.shard}: ${e.data.msg}`);
      if (e.data.type === "exit") {
        exited.add(e.data.shard);
        if (exited.size === SHARDS) exitAll();
      }
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      errors.push(`shard ${self} threw: ${e.message}`);
    };
    const init: StressInit = {
      self,
      n: SHARDS,
      rings,
      control,
      stats: stats.buffer as SharedArrayBuffer,
      perPeer: PER_PEER,
      seed: 1000 + self,
      park: self % 2 === 0 ? "sync" : "async",
    };
    w.postMessage(init);
    workers.push(w);
  }

  const t0 = performance.now();
  let lastProgress = -1;
  let lastChange = t0;
  let failure: string | null = null;
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const now = performance.now();
      if (errors.length > 0) {
        failure = errors[0];
        break;
      }
      if (sum(stats, STAT_DONE) === SHARDS) break;
      const progress = sum(stats, STAT_SENT) + sum(stats, STAT_RECEIVED);
      if (progress !== lastProgress) {
        lastProgress = progress;
        lastChange = now;
      } else if (now - lastChange > STALL_MS) {
        failure = `no progress for ${STALL_MS} ms (sent ${sum(stats, STAT_SENT)}, received ${
          sum(stats, STAT_RECEIVED)
        })`;
        break;
      }
      if (now - t0 > DEADLINE_MS) {
        failure = `not done after ${DEADLINE_MS} ms`;
        break;
      }
    }
    // Stop through the control SAB: workers must see the flag even while parked.
    Mesh.requestStop(control, SHARDS);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopTimer = new Promise<string>((r) => (timer = setTimeout(() => r("timeout"), 5_000)));
    const how = await Promise.race([allExited.then(() => "exited"), stopTimer]);
    clearTimeout(timer);
    if (failure === null && how !== "exited") failure = "workers did not exit after stop";
  } finally {
    for (const w of workers) w.terminate();
  }
  const elapsed = performance.now() - t0;

  assert.equal(failure, null, failure ?? "");
  assert.deepEqual(errors, []);
  const expected = SHARDS * (SHARDS - 1) * PER_PEER;
  assert.equal(sum(stats, STAT_ERRORS), 0);
  assert.equal(sum(stats, STAT_SENT), expected);
  assert.equal(sum(stats, STAT_RECEIVED), expected);
  for (let i = 0; i < SHARDS; i++) {
    assert.equal(Atomics.load(stats, i * STAT_STRIDE + STAT_RECEIVED), (SHARDS - 1) * PER_PEER);
  }
  assert.equal(sum(stats, STAT_EMPTY_RECEIVED), sum(stats, STAT_EMPTY_SENT));
  // The run must actually have exercised the interesting paths.
  assert.ok(sum(stats, STAT_SPILLS) > 0, "no backlog spills happened");
  assert.ok(sum(stats, STAT_BIG_SENT) > 0, "no record larger than the ring was sent");
  assert.ok(sum(stats, STAT_EMPTY_SENT) > 0, "no empty records were sent");
  console.log(
    `mesh stress: ${expected} records in ${(elapsed / 1000).toFixed(1)} s; spills ${
      sum(stats, STAT_SPILLS)
    }, records > ring ${sum(stats, STAT_BIG_SENT)}, empty ${sum(stats, STAT_EMPTY_SENT)}, parks ${
      sum(stats, STAT_PARKS)
    }`,
  );
});
