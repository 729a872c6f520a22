/**
 * Real client libraries against Skua with 1 and 3 shards: ioredis (RESP2) and node-redis v5
 * (RESP2 and RESP3), used the way applications use them: pipelines, multi-key commands whose
 * keys live on different shards, SCAN iteration, SELECT, expiry, client names, INFO.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { createClient } from "redis";
import {
  AGAINST_REFERENCE,
  type ServerHandle,
  startUnderTest,
  withServers,
} from "./helpers/server.ts";
import { spreadKeys } from "./helpers/keys.ts";

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ioredis(port: number, db = 0, name?: string): Redis {
  return new Redis({
    host: "127.0.0.1",
    port,
    db,
    connectionName: name,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}

async function ioredisSuite(port: number): Promise<void> {
  const r = ioredis(port);
  const r1 = ioredis(port, 1, "db-one");
  try {
    await r.connect();
    await r1.connect();
    await r.flushall();

    assert.equal(await r.set("greeting", "hello"), "OK");
    assert.equal(await r.get("greeting"), "hello");
    assert.equal(await r.get("missing"), null);
    const bin = Buffer.from([0, 1, 2, 255, 13, 10, 128]);
    await r.set(Buffer.from([0xff, 0x00]), bin);
    assert.deepEqual(await r.getBuffer(Buffer.from([0xff, 0x00])), bin);
    assert.equal(await r.set("greeting", "x", "NX"), null);
    assert.equal(await r.set("greeting", "bye", "XX", "GET"), "hello");

    // MSET/MGET over keys owned by different shards.
    const keys = spreadKeys("io:", 60);
    await r.mset(Object.fromEntries(keys.map((k, i) => [k, `v${i}`])));
    assert.deepEqual(await r.mget(...keys, "io:none"), [...keys.map((_, i) => `v${i}`), null]);
    assert.equal(await r.exists(...keys), 60);
    assert.equal(await r.del(...keys.slice(0, 30)), 30);
    assert.equal(await r.dbsize(), 32);

    // A pipeline of 3000 commands; replies come back in order.
    const p = r.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`pipe:${i}`, String(i)).incr(`pipe:${i}`).get(`pipe:${i}`);
    const res = await p.exec();
    assert.ok(res !== null && res.length === 3000);
    for (let i = 0; i < 1000; i++) {
      assert.deepEqual(res[i * 3], [null, "OK"]);
      assert.deepEqual(res[i * 3 + 1], [null, i + 1]);
      assert.deepEqual(res[i * 3 + 2], [null, String(i + 1)]);
    }
    // An error inside a pipeline does not disturb the commands around it.
    const p2 = await r.pipeline().set("s", "abc").incr("s").get("s").exec();
    assert.deepEqual(p2?.[0], [null, "OK"]);
    assert.match(String(p2?.[1][0]), /value is not an integer or out of range/);
    assert.deepEqual(p2?.[2], [null, "abc"]);

    assert.equal(await r.incrbyfloat("f", "10.5"), "10.5");
    assert.equal(await r.incrbyfloat("f", "0.1"), "10.6");
    assert.equal(await r.append("f", "x"), 5);
    assert.equal(await r.strlen("f"), 5);

    // SELECT isolation: r1 was created with db 1.
    await r1.set("greeting", "from db1");
    assert.equal(await r.get("greeting"), "bye");
    assert.equal(await r1.get("greeting"), "from db1");
    assert.equal(await r1.dbsize(), 1);
    assert.equal(await r1.client("GETNAME"), "db-one");

    // Expiry.
    await r.set("short", "v", "PX", 150);
    assert.equal(await r.exists("short"), 1);
    assert.ok((await r.pttl("short")) > 0);
    await r.set("long", "v", "EX", 1000);
    assert.ok((await r.ttl("long")) > 990);
    assert.equal(await r.persist("long"), 1);
    assert.equal(await r.ttl("long"), -1);
    await delay(400);
    assert.equal(await r.get("short"), null);
    assert.equal(await r.exists("short"), 0);

    // scanStream collects every key exactly once.
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = r.scanStream({ match: "pipe:*", count: 37 });
      s.on("data", (batch: string[]) => seen.push(...batch));
      s.on("end", resolve);
      s.on("error", reject);
    });
    assert.equal(seen.length, 1000);
    assert.equal(new Set(seen).size, 1000);

    assert.match(await r.info("keyspace"), /^# Keyspace\r\ndb0:keys=\d+,expires=\d+/);
    assert.equal(await r.ping(), "PONG");
    assert.equal(await r.type("greeting"), "string");
    await assert.rejects(r.call("NOSUCHCMD", "a"), /unknown command 'NOSUCHCMD'/);
  } finally {
    r.disconnect();
    r1.disconnect();
  }
}

async function nodeRedisSuite(port: number, resp: 2 | 3): Promise<void> {
  const c = createClient({
    socket: { host: "127.0.0.1", port, reconnectStrategy: false },
    RESP: resp,
  });
  const c1 = createClient({
    socket: { host: "127.0.0.1", port, reconnectStrategy: false },
    RESP: resp,
    database: 1,
  });
  c.on("error", () => {});
  c1.on("error", () => {});
  try {
    await c.connect();
    await c1.connect();
    await c.flushAll();

    assert.equal(await c.set("k", "v"), "OK");
    assert.equal(await c.get("k"), "v");
    assert.equal(await c.get("nokey"), null);
    assert.equal(await c.set("k", "w", { condition: "NX" }), null);

    const keys = spreadKeys("nr:", 45);
    await c.mSet(keys.map((k, i) => [k, String(i)] as [string, string]));
    assert.deepEqual(await c.mGet([...keys, "nr:none"]), [...keys.map((_, i) => String(i)), null]);
    assert.equal(await c.del(keys), 45);

    // Concurrent commands are pipelined by the client; all 2000 must be applied.
    await Promise.all(Array.from({ length: 2000 }, () => c.incr("counter")));
    assert.equal(await c.get("counter"), "2000");
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => c.echo(`e${i}`)));
    replies.forEach((r, i) => assert.equal(r, `e${i}`));
    assert.equal(await c.incrBy("counter", -5000), -3000);
    assert.equal(await c.decrBy("counter", 1), -3001);

    await c1.set("k", "db1");
    assert.equal(await c.get("k"), "v");
    assert.equal(await c1.get("k"), "db1");
    assert.equal(await c1.dbSize(), 1);

    await c.set("exp", "1", { expiration: { type: "PX", value: 150 } });
    assert.ok((await c.pTTL("exp")) > 0);
    assert.equal(await c.expire("k", 1000), 1);
    assert.ok((await c.ttl("k")) > 990);
    await delay(400);
    assert.equal(await c.exists("exp"), 0);

    for (let i = 0; i < 300; i++) await c.set(`it:${i}`, "x");
    const seen: string[] = [];
    for await (const batch of c.scanIterator({ MATCH: "it:*", COUNT: 20 })) seen.push(...batch);
    assert.equal(seen.length, 300);
    assert.equal(new Set(seen).size, 300);

    assert.equal(await c.sendCommand(["PING"]), "PONG");
    await c.clientSetName("nr-client");
    assert.equal(await c.clientGetName(), "nr-client");
    assert.equal(typeof await c.clientId(), "number");
    await assert.rejects(c.sendCommand(["NOSUCHCMD"]), /unknown command 'NOSUCHCMD'/);
  } finally {
    c.destroy();
    c1.destroy();
  }
}

/** The INFO shards section covers all slots contiguously and its key counts add up. */
async function infoShards(port: number, shards: number): Promise<void> {
  const r = ioredis(port);
  try {
    await r.connect();
    await r.flushall();
    await r.mset(Object.fromEntries(spreadKeys("info:", 99).map((k) => [k, "1"])));
    const all = await r.info("all");
    for (const section of ["Server", "Clients", "Memory", "Stats", "Keyspace", "Shards"]) {
      assert.match(all, new RegExp(`^# ${section}\\r$`, "m"), `INFO all lacks # ${section}`);
    }
    assert.match(await r.info(), /^# Server\r$/m);
    // Redis 7 takes several sections at once.
    const two = await r.call("INFO", "keyspace", "shards") as string;
    assert.match(two, /^# Keyspace\r$/m);
    assert.match(two, /^# Shards\r$/m);
    assert.doesNotMatch(two, /^# Server\r$/m);
    const info = await r.info("shards");
    const lines = [
      ...info.matchAll(
        /^shard_(\d+):slots=(\d+)-(\d+),keys=(\d+),connections=(\d+),used_memory=(\d+),maxmemory=(\d+),forwarded=(\d+),transactions=(\d+),split_commands=(\d+),single_hop=(\d+),stacked_hops=(\d+),lock_waits=(\d+),deferred=(\d+),parks=(\d+),wakes=(\d+),lent=(\d+),held=(\d+)\r$/gm,
      ),
    ];
    assert.equal(lines.length, shards, `INFO shards section:\n${info}`);
    let nextSlot = 0;
    let keys = 0;
    lines.forEach((m, i) => {
      assert.equal(Number(m[1]), i);
      assert.equal(Number(m[2]), nextSlot, "slot ranges must be contiguous");
      nextSlot = Number(m[3]) + 1;
      keys += Number(m[4]);
      if (shards === 3) assert.equal(Number(m[4]), 33, "spread keys: 33 per third");
      assert.ok(Number(m[6]) > 0, "each shard reports the bytes it uses");
      // one shard forwards nothing; on three the MSET of 99 keys is split from the client's shard
      if (shards === 1) {
        assert.equal(Number(m[8]) + Number(m[9]), 0, "1 shard: no cross-shard work");
      }
      // no big value is stored: nothing is lent or held by address
      assert.equal(Number(m[17]) + Number(m[18]), 0, "no big value lent or held");
    });
    if (shards > 1) {
      const tx = lines.reduce((n, m) => n + Number(m[9]), 0);
      assert.ok(tx >= 1, "the spread MSET ran as a cross-shard transaction");
    }
    assert.equal(nextSlot, 16384);
    assert.equal(keys, 99);
    assert.equal(await r.dbsize(), 99);
  } finally {
    r.disconnect();
  }
}

for (const shards of [1, 3]) {
  Deno.test(`clients: ioredis and node-redis against skua --shards ${shards}`, async (t) => {
    await withServers([() => startUnderTest({ shards })], async ([s]: ServerHandle[]) => {
      await t.step("ioredis", () => ioredisSuite(s.port));
      await t.step("node-redis RESP2", () => nodeRedisSuite(s.port, 2));
      await t.step("node-redis RESP3", () => nodeRedisSuite(s.port, 3));
      // The shards section is Skua's own: redis-server (SKUA_TEST_REFERENCE=1) has none.
      if (!AGAINST_REFERENCE) {
        await t.step("INFO sections and shards", () => infoShards(s.port, shards));
      }
    });
  });
}
