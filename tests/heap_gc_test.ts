/**
 * When a shard runs a full collection of V8's heap (INFO memory `vm_heap_collections` counts
 * them). Such a collection reduces the heap, and V8 throws away with it the optimised code
 * built on the maps no live object has: the next traffic runs in the interpreter while it is
 * compiled again. So lulls between bursts of cross-shard traffic (which grow the young
 * generation to its maximum and leave small buffers to give back) must not collect; dropped big
 * values and MEMORY PURGE still do.
 */

import assert from "node:assert/strict";
import { cli, runTool, startSkua } from "./helpers/server.ts";
import { RespConn, str } from "./helpers/resp.ts";

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collections(port: number): Promise<number> {
  const m = /^vm_heap_collections:(\d+)\r?$/m.exec(await cli(port, "info", "memory"));
  assert.ok(m !== null, "INFO memory has vm_heap_collections");
  return Number(m[1]);
}

const TEN = Array.from({ length: 10 }, (_, i) => `k${i}:__rand_int__`);

Deno.test({
  name: "heap collections: lulls between cross-shard bursts do not collect, big drops do",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const s = await startSkua({ shards: 2 });
    try {
      assert.equal(await collections(s.port), 0);
      // bursts of 10-key MSETs and MGETs over two shards (every one a cross-shard transaction),
      // each followed by a few quiet ticks (hz 10): every burst leaves buffers to give back, and
      // the young generation at its maximum
      for (let burst = 0; burst < 8; burst++) {
        const cmd = burst % 2 === 0 ? "mset" : "mget";
        const args = cmd === "mset" ? TEN.flatMap((k) => [k, "v"]) : TEN;
        const r = await runTool("redis-benchmark", [
          ...["-p", String(s.port), "-c", "50", "-P", "16", "-r", "100000", "-n", "250000"],
          ...["-q", cmd, ...args],
        ]);
        assert.equal(r.code, 0, r.stderr);
        await delay(400);
      }
      await delay(1000);
      assert.equal(await collections(s.port), 0, "a lull after a burst collected the heap");

      // 48 MiB dropped: the next quiet tick collects (src/shard/shard.ts GC_AFTER_RELEASED)
      const c = await RespConn.connect(s.port);
      try {
        assert.equal(str(await c.call("SET", "big", new Uint8Array(48 * 1024 * 1024))), "OK");
        assert.equal(await c.call("DEL", "big"), 1);
      } finally {
        c.close();
      }
      await delay(1000);
      const dropped = await collections(s.port);
      assert.ok(dropped >= 1, `a dropped big value was not collected (${dropped})`);

      assert.equal((await cli(s.port, "memory", "purge")).trim(), "OK");
      assert.equal(await collections(s.port), dropped + 2, "MEMORY PURGE collects on each shard");
    } finally {
      await s.stop();
    }
  },
});
