/**
 * Keyspace behaviour under realistic load against Skua with 1 and 3 shards: SCAN while other
 * clients add and remove keys, active expiry of keys nobody reads, reply order in deep
 * pipelines whose commands hop between shards, and many concurrent connections.
 */

import assert from "node:assert/strict";
import { type ServerHandle, startUnderTest, withServers } from "./helpers/server.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { type Arg, type Reply, RespConn, str, toLatin1, withConn } from "./helpers/resp.ts";

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Keys present for the whole scan are all returned, each exactly once, while a second client
 * keeps adding and deleting other keys; nothing is returned that never existed.
 */
async function scanUnderChurn(port: number): Promise<void> {
  await withConn(port, async (c) => {
    await c.send("FLUSHALL");
    const stable = spreadKeys("stable:", 3000);
    for (let i = 0; i < stable.length; i += 500) {
      await c.pipeline(stable.slice(i, i + 500).map((k) => ["SET", k, "1"]));
    }
    const churner = await RespConn.connect(port);
    let stop = false;
    let churned = 0;
    const churn = (async () => {
      while (!stop) {
        const batch: Arg[][] = [];
        for (let i = 0; i < 50; i++) {
          batch.push(["SET", `churn:${churned + i}`, "x"]);
          if (churned + i >= 100) batch.push(["DEL", `churn:${churned + i - 100}`]);
        }
        churned += 50;
        await churner.pipeline(batch);
      }
    })();
    const seen = new Map<string, number>();
    try {
      for (const count of ["10", "100"]) {
        seen.clear();
        let cursor = "0";
        let pages = 0;
        do {
          // The keyspace stays at about 3100 keys, so by Redis's termination guarantee the scan
          // must end: allow 20x the pages a quiet keyspace needs.
          const limit = (20 * 3100) / Number(count);
          if (++pages > limit) {
            // the keyspace stays bounded, so a scan must end even while keys come and go
            assert.fail(`SCAN COUNT ${count} did not end after ${limit} pages (cursor ${cursor})`);
          }
          const r = await c.call("SCAN", cursor, "COUNT", count) as Reply[];
          cursor = str(r[0]);
          for (const k of r[1] as Reply[]) seen.set(str(k), (seen.get(str(k)) ?? 0) + 1);
          await delay(0);
        } while (cursor !== "0");
        const missing = stable.filter((k) => !seen.has(k));
        assert.deepEqual(missing.slice(0, 10), [], `${missing.length} stable keys never returned`);
        const dup = stable.filter((k) => seen.get(k)! > 1);
        assert.deepEqual(dup.slice(0, 10), [], `${dup.length} stable keys returned twice`);
        for (const k of seen.keys()) assert.match(k, /^(stable|churn):\d+$/);
      }
    } finally {
      stop = true;
      await churn;
      churner.close();
    }
    assert.ok(churned >= 100, `the churner made too little progress (${churned})`);
  });
}

/** Keys with a short TTL that nobody touches are reclaimed by the active expiry cycle. */
async function activeExpiry(port: number): Promise<void> {
  await withConn(port, async (c) => {
    await c.send("FLUSHALL");
    const keys = spreadKeys("exp:", 1000);
    await c.pipeline(keys.map((k) => ["SET", k, "v", "PX", "100"]));
    await c.pipeline(spreadKeys("keep:", 30).map((k) => ["SET", k, "v"]));
    await c.send("SELECT", "4");
    await c.pipeline(keys.slice(0, 100).map((k) => ["SET", k, "v", "PX", "100"]));
    const deadline = Date.now() + 5000;
    let size = -1;
    while (Date.now() < deadline) {
      await c.send("SELECT", "0");
      size = await c.call("DBSIZE") as number;
      await c.send("SELECT", "4");
      const size4 = await c.call("DBSIZE") as number;
      if (size === 30 && size4 === 0) break;
      await delay(100);
    }
    assert.equal(size, 30, "expired keys were not reclaimed within 5s without being accessed");
    const info = toLatin1(await c.call("INFO", "stats") as Uint8Array);
    const expired = Number(/expired_keys:(\d+)/.exec(info)?.[1]);
    assert.ok(expired >= 1100, `INFO stats expired_keys=${expired}`);
  });
}

/** 20k pipelined commands alternating between shards come back in request order. */
async function pipelineOrder(port: number): Promise<void> {
  await withConn(port, async (c) => {
    await c.send("FLUSHALL");
    const keys = spreadKeys("ord:", 300);
    await c.pipeline(keys.map((k) => ["SET", k, k]));
    const cmds: Arg[][] = [];
    for (let i = 0; i < 20_000; i++) {
      const k = keys[(i * 7) % keys.length];
      if (i % 5 === 4) cmds.push(["MGET", k, keys[(i * 11) % keys.length]]);
      else if (i % 5 === 3) cmds.push(["ECHO", `e${i}`]);
      else cmds.push(["GET", k]);
    }
    const replies = await c.pipeline(cmds, 30_000);
    replies.forEach((raw, i) => {
      const k = keys[(i * 7) % keys.length];
      const want = i % 5 === 4
        ? `*2\r\n$${k.length}\r\n${k}\r\n$${keys[(i * 11) % keys.length].length}\r\n${
          keys[(i * 11) % keys.length]
        }\r\n`
        : i % 5 === 3
        ? `$${`e${i}`.length}\r\ne${i}\r\n`
        : `$${k.length}\r\n${k}\r\n`;
      if (toLatin1(raw) !== want) {
        assert.fail(`reply #${i} out of order: got ${JSON.stringify(toLatin1(raw))}`);
      }
    });
  });
}

/** 40 connections, each pipelining INCRs on shared counters across shards. */
async function manyConnections(port: number): Promise<void> {
  const counters = spreadKeys("ctr:", 6);
  await withConn(port, (c) => c.send("DEL", ...counters));
  const conns = await Promise.all(Array.from({ length: 40 }, () => RespConn.connect(port)));
  try {
    await Promise.all(conns.map(async (c, ci) => {
      for (let round = 0; round < 5; round++) {
        const cmds = Array.from({ length: 100 }, (_, i) => ["INCR", counters[(ci + i) % 6]]);
        const replies = await c.pipeline(cmds);
        for (const r of replies) assert.match(toLatin1(r), /^:\d+\r\n$/);
      }
    }));
  } finally {
    for (const c of conns) c.close();
  }
  await withConn(port, async (c) => {
    const values = (await c.call("MGET", ...counters) as Reply[]).map((v) => Number(str(v)));
    assert.equal(values.reduce((a, b) => a + b, 0), 40 * 5 * 100);
    // Closed connections leave CLIENT LIST once the server has seen the close.
    let listed = 0;
    for (const deadline = Date.now() + 3000; Date.now() < deadline; await delay(50)) {
      listed = toLatin1(await c.call("CLIENT", "LIST") as Uint8Array).trim().split("\n").length;
      if (listed === 1) break;
    }
    assert.equal(listed, 1, "closed connections are still listed by CLIENT LIST");
  });
}

for (const shards of [1, 3]) {
  Deno.test(`keyspace under load: skua --shards ${shards}`, async (t) => {
    await withServers([() => startUnderTest({ shards })], async ([s]: ServerHandle[]) => {
      await t.step("SCAN while keys are added and removed", () => scanUnderChurn(s.port));
      await t.step("active expiry", () => activeExpiry(s.port));
      await t.step("pipeline reply order across shards", () => pipelineOrder(s.port));
      await t.step("many concurrent connections", () => manyConnections(s.port));
    });
  });
}

Deno.test("keyspace: QUIT after commands forwarded to other shards sends every reply, then closes", async () => {
  await withServers([() => startUnderTest({ shards: 3 })], async ([s]: ServerHandle[]) => {
    const keys = spreadKeys("q", 12);
    for (let round = 0; round < 20; round++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
      try {
        let req = keys.map((k) => `*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n`).join("");
        req += "*1\r\n$4\r\nQUIT\r\n";
        await c.write(new TextEncoder().encode(req));
        let got = "";
        const buf = new Uint8Array(4096);
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline) {
          const n = await Promise.race([
            c.read(buf).catch(() => null),
            new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now())),
          ]);
          if (n === null) break;
          got += new TextDecoder().decode(buf.subarray(0, n));
        }
        assert.equal(got, "$-1\r\n".repeat(keys.length) + "+OK\r\n", `round ${round}`);
      } finally {
        c.close();
      }
    }
  });
});
