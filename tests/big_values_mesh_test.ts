/**
 * Big values that cross shards give their memory back. A 64 MiB SET or GET on a connection
 * whose shard does not own the key travels the mesh as a record of its own; once the keys are
 * deleted and MEMORY PURGE ran, the process must be back near its starting RSS (Redis goes back
 * to where it started). Before the fix, the last record each shard read and the grown reply
 * buffer of the owner stayed alive: hundreds of MiB after two 64 MiB values.
 */

import assert from "node:assert/strict";
import { startSkua } from "./helpers/server.ts";
import { RespConn, str } from "./helpers/resp.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { connectOn } from "./helpers/shards.ts";
import { SlotMap } from "../src/cluster/slots.ts";

const MiB = 1024 * 1024;
const SHARDS = 3;
const SIZE = 64 * MiB;
/** RSS the process may keep above its start: allocator slack, code warmed up by the run. */
const KEPT_MB = 48;

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m === null ? 0 : Number(m[1]) / 1024;
}

/** A connection held by a shard other than `key`'s owner. */
function across(port: number, key: string): Promise<RespConn> {
  return connectOn(port, (new SlotMap(SHARDS).ownerOfLatin1(key) + 1) % SHARDS, SHARDS);
}

Deno.test({
  name: "big values across shards: SET, GET, DEL and MEMORY PURGE give the memory back",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const s = await startSkua({ shards: SHARDS });
    try {
      await delay(500);
      const before = rssMB(s.proc.pid);
      const keys = spreadKeys("bigmesh:", SHARDS);
      for (const [i, key] of keys.entries()) {
        const value = new Uint8Array(SIZE).fill(0x61 + i);
        const c = await across(s.port, key);
        try {
          assert.equal(str(await c.call("SET", key, value)), "OK");
          const reply = await c.send("GET", key);
          const head = `$${SIZE}\r\n`;
          assert.equal(reply.length, head.length + SIZE + 2);
          for (const at of [head.length, head.length + SIZE / 2, head.length + SIZE - 1]) {
            assert.equal(reply[at], 0x61 + i, `${key}: byte ${at - head.length} of the value`);
          }
        } finally {
          c.close();
        }
      }
      const peak = rssMB(s.proc.pid);
      const c = await RespConn.connect(s.port);
      try {
        assert.equal(await c.call("DEL", ...keys), keys.length);
        await delay(500);
        assert.equal(str(await c.call("MEMORY", "PURGE")), "OK");
      } finally {
        c.close();
      }
      await delay(500);
      const after = rssMB(s.proc.pid);
      assert.ok(
        after <= before + KEPT_MB,
        `RSS ${before.toFixed(0)} MB at the start, ${peak.toFixed(0)} MB with the values, ` +
          `${after.toFixed(0)} MB after DEL and MEMORY PURGE`,
      );
    } finally {
      await s.stop();
    }
  },
});
