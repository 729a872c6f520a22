/**
 * Expiry guarantees, on 1 and 3 shards:
 * - 100,000 volatile keys all disappear through active expiry alone (no client touches them),
 *   within a few seconds, while the shard keeps answering PING promptly;
 * - expired keys are never visible to KEYS, SCAN, RANDOMKEY, EXISTS or GET, even before the
 *   active cycle removed them (DBSIZE counts them until then, as in Redis);
 * - INFO keyspace reports keys, expires and avg_ttl per database, summed over the shards.
 * The timing bounds are deliberately generous (the machine is shared with other test runs).
 */

import assert from "node:assert/strict";
import { type Reply, RespConn, str, withConn } from "./helpers/resp.ts";
import { startUnderTest, withServers } from "./helpers/server.ts";
import { spreadKeys } from "./helpers/keys.ts";

const VOLATILE = 100_000;
const PURGE_DEADLINE_MS = 15_000;
const PING_BOUND_MS = 500;

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** INFO keyspace as { db0: { keys, expires, avg_ttl }, ... }. */
async function keyspace(c: RespConn): Promise<Record<string, Record<string, number>>> {
  const text = str(await c.call("INFO", "keyspace"));
  const out: Record<string, Record<string, number>> = {};
  for (const line of text.split("\r\n")) {
    const m = /^(db\d+):(.*)$/.exec(line);
    if (m === null) continue;
    const fields: Record<string, number> = {};
    for (const kv of m[2].split(",")) {
      const [k, v] = kv.split("=");
      fields[k] = Number(v);
    }
    out[m[1]] = fields;
  }
  return out;
}

async function infoField(c: RespConn, section: string, field: string): Promise<number> {
  const text = str(await c.call("INFO", section));
  const m = new RegExp(`^${field}:(\\d+)`, "m").exec(text);
  assert.ok(m, `INFO ${section} has no ${field}: ${text}`);
  return Number(m[1]);
}

/** Loads `n` keys with a TTL of `ttlMs`: half by SET PX, half by SET then PEXPIRE. */
async function loadVolatile(c: RespConn, n: number, ttlMs: number): Promise<void> {
  const chunk = 5000;
  for (let i = 0; i < n; i += chunk) {
    const cmds: string[][] = [];
    for (let j = i; j < Math.min(n, i + chunk); j++) {
      if (j % 2 === 0) cmds.push(["SET", `vol:${j}`, "v", "PX", String(ttlMs)]);
      else cmds.push(["SET", `vol:${j}`, "v"], ["PEXPIRE", `vol:${j}`, String(ttlMs)]);
    }
    const replies = await c.pipeline(cmds, 30_000);
    assert.equal(new TextDecoder().decode(replies[0]), "+OK\r\n");
  }
}

/**
 * Pings on its own connection every few ms until stopped; returns the worst round trip.
 * A shard that purges in one long burst would show here.
 */
function pingWatch(port: number): { stop: () => Promise<number> } {
  let running = true;
  let worst = 0;
  const done = (async () => {
    const c = await RespConn.connect(port);
    try {
      while (running) {
        const t0 = performance.now();
        assert.equal(await c.call("PING"), "PONG");
        worst = Math.max(worst, performance.now() - t0);
        await delay(5);
      }
    } finally {
      c.close();
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return worst;
    },
  };
}

async function purgeAll(shards: number): Promise<void> {
  await withServers([() => startUnderTest({ shards })], async ([s]) => {
    await withConn(s.port, async (c) => {
      await c.send("FLUSHALL");
      await c.send("SET", "persistent", "stays");
      const watch = pingWatch(s.port);
      let worstPing: number;
      const t0 = Date.now();
      let size = -1;
      try {
        await loadVolatile(c, VOLATILE, 500);
        const loaded = Date.now() - t0;
        // nothing reads the keys from here on: only DBSIZE / INFO, which do not touch them
        for (;;) {
          size = Number(await c.call("DBSIZE"));
          if (size === 1 || Date.now() - t0 > loaded + PURGE_DEADLINE_MS) break;
          await delay(50);
        }
      } finally {
        worstPing = await watch.stop();
      }
      assert.equal(
        size,
        1,
        `${shards} shard(s): ${size - 1} volatile keys left after the deadline`,
      );
      const ks = await keyspace(c);
      assert.deepEqual(ks, { db0: { keys: 1, expires: 0, avg_ttl: 0 } });
      assert.ok(
        await infoField(c, "stats", "expired_keys") >= VOLATILE,
        "expired_keys counts the purged keys",
      );
      assert.ok(
        worstPing < PING_BOUND_MS,
        `${shards} shard(s): a PING took ${worstPing.toFixed(0)} ms during the purge`,
      );
      assert.equal(str(await c.call("GET", "persistent")), "stays");
    });
  });
}

for (const shards of [1, 3]) {
  Deno.test(`expiry: ${VOLATILE} volatile keys are purged without access (${shards} shard(s))`, () =>
    purgeAll(shards));
}

/** Every key of a full SCAN. */
async function scanAll(c: RespConn): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const r = await c.call("SCAN", cursor, "COUNT", "100") as Reply[];
    cursor = str(r[0]);
    for (const k of r[1] as Reply[]) keys.push(str(k));
  } while (cursor !== "0");
  return keys;
}

Deno.test("expiry: expired keys are invisible before the active cycle removes them", async () => {
  await withServers([() => startUnderTest({ shards: 3 })], async ([s]) => {
    await withConn(s.port, async (c) => {
      await c.send("FLUSHALL");
      // one active cycle per second: the expired keys stay in memory for a while
      await c.send("CONFIG", "SET", "hz", "1");
      const live = spreadKeys("live:", 6);
      const gone = spreadKeys("gone:", 300);
      await c.pipeline(live.map((k) => ["SET", k, "v"]));
      await c.pipeline(gone.map((k) => ["SET", k, "v", "PX", "50"]));
      await delay(150);
      assert.deepEqual((await c.call("KEYS", "*") as Reply[]).map(str).sort(), live.sort());
      assert.deepEqual((await scanAll(c)).sort(), live.sort());
      for (let i = 0; i < 30; i++) {
        assert.ok(live.includes(str(await c.call("RANDOMKEY"))), "RANDOMKEY gave an expired key");
      }
      assert.equal(await c.call("EXISTS", ...gone.slice(0, 50)), 0);
      assert.equal(await c.call("GET", gone[0]), null);
      assert.ok(Number(await c.call("DBSIZE")) >= live.length);
      // ... and DBSIZE drops to the live keys once the cycle ran
      let size = -1;
      for (let i = 0; i < 100 && size !== live.length; i++) {
        size = Number(await c.call("DBSIZE"));
        if (size !== live.length) await delay(100);
      }
      assert.equal(size, live.length);
      assert.deepEqual(await keyspace(c), { db0: { keys: 6, expires: 0, avg_ttl: 0 } });
      await c.send("CONFIG", "SET", "hz", "10");
    });
  });
});

Deno.test("expiry: INFO keyspace sums keys, expires and avg_ttl over the shards", async () => {
  await withServers([() => startUnderTest({ shards: 3 })], async ([s]) => {
    await withConn(s.port, async (c) => {
      await c.send("FLUSHALL");
      const keys = spreadKeys("ks:", 30);
      await c.pipeline(
        keys.map((k, i) => i < 20 ? ["SET", k, "v", "EX", "1000"] : ["SET", k, "v"]),
      );
      await c.send("SELECT", "2");
      await c.pipeline(keys.slice(0, 5).map((k) => ["SET", k, "v", "PX", "500000"]));
      await c.send("SELECT", "0");
      // Redis estimates avg_ttl in its expiry cycle, so it may take a cycle to show
      let ks: Record<string, Record<string, number>> = {};
      for (let i = 0; i < 40; i++) {
        ks = await keyspace(c);
        if (ks.db0?.avg_ttl > 0 && ks.db2?.avg_ttl > 0) break;
        await delay(100);
      }
      assert.deepEqual(Object.keys(ks).sort(), ["db0", "db2"]);
      assert.equal(ks.db0.keys, 30);
      assert.equal(ks.db0.expires, 20);
      assert.ok(ks.db0.avg_ttl > 980_000 && ks.db0.avg_ttl <= 1_000_000, `db0 ${ks.db0.avg_ttl}`);
      assert.equal(ks.db2.keys, 5);
      assert.equal(ks.db2.expires, 5);
      assert.ok(ks.db2.avg_ttl > 480_000 && ks.db2.avg_ttl <= 500_000, `db2 ${ks.db2.avg_ttl}`);
      await c.send("PERSIST", keys[0]);
      await c.send("SWAPDB", "0", "2");
      ks = await keyspace(c);
      assert.equal(ks.db0.keys, 5);
      assert.equal(ks.db2.keys, 30);
      assert.equal(ks.db2.expires, 19);
    });
  });
});
