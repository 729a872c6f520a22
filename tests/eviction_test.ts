/**
 * maxmemory and the eviction policies, as contracts: every scenario runs on Skua with 1 and 3
 * shards and on redis-server, and each property is asserted on all three (Redis passing shows
 * the property is Redis's behaviour, and that the scenario really exercises it).
 * Which keys a sampling policy evicts is random on any server, so the properties are about
 * proportions, with margins wide enough for sampling: hot keys survive an LRU/LFU eviction,
 * volatile-* never touch keys without a TTL, volatile-ttl takes the nearest expiries first.
 * noeviction's refusal is exact: Redis's error text, for the same commands.
 * With 3 shards each shard has maxmemory/3 to itself (keys are spread over all three).
 */

import assert from "node:assert/strict";
import { onAll, type Target, withTargets } from "./helpers/targets.ts";
import { type Arg, parse, RespConn, show, toLatin1 } from "./helpers/resp.ts";
import { spreadKeys } from "./helpers/keys.ts";

const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
const VALUE = "v".repeat(1000);

/** One INFO field as a number. */
async function infoNum(c: RespConn, section: string, field: string): Promise<number> {
  const text = toLatin1(parse(await c.send("INFO", section)) as Uint8Array);
  const m = new RegExp(`^${field}:(\\d+)`, "m").exec(text);
  if (m === null) throw new Error(`INFO ${section} has no ${field}:\n${text}`);
  return Number(m[1]);
}

const used = (c: RespConn) => infoNum(c, "memory", "used_memory");
const evicted = (c: RespConn) => infoNum(c, "stats", "evicted_keys");

/** Sends the commands in pipelined batches; returns every reply as text. */
async function run(c: RespConn, cmds: Arg[][], batch = 25): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < cmds.length; i += batch) {
    for (const r of await c.pipeline(cmds.slice(i, i + batch))) out.push(toLatin1(r));
  }
  return out;
}

/** Writes `keys` with 1000-byte values (and `EX ttl` when given); every write must succeed. */
async function fill(c: RespConn, keys: string[], ttl?: (i: number) => number): Promise<void> {
  const cmds = keys.map((k, i) => ttl ? ["SET", k, VALUE, "EX", ttl(i)] : ["SET", k, VALUE]);
  const replies = await run(c, cmds);
  const bad = replies.findIndex((r) => r !== "+OK\r\n");
  assert.equal(bad, -1, `SET ${keys[bad]}: ${show(replies[bad] ?? "")}`);
}

/** How many of `keys` exist. */
async function present(c: RespConn, keys: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < keys.length; i += 100) {
    n += parse(await c.send("EXISTS", ...keys.slice(i, i + 100))) as number;
  }
  return n;
}

/**
 * Slack for used_memory over maxmemory once eviction is done: a server evicts before a command
 * runs, and the INFO that reads used_memory counts its own reply and the connection's buffers
 * (Redis's query buffer alone is 16 kB).
 */
const SLACK = 32 * 1024;

/** Waits (up to 3 s) until used_memory is at most maxmemory (+SLACK); true if it got there. */
async function settled(c: RespConn, max: number): Promise<boolean> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    if (await used(c) <= max + SLACK) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** A clean server: no keys, no limit, the given policy and default LFU settings. */
async function reset(c: RespConn, policy = "noeviction"): Promise<void> {
  await run(c, [
    ["CONFIG", "SET", "maxmemory", "0"],
    ["FLUSHALL"],
    ["CONFIG", "SET", "maxmemory-policy", policy],
    ["CONFIG", "SET", "lfu-log-factor", "10"],
    ["CONFIG", "SET", "lfu-decay-time", "1"],
    ["CONFIG", "SET", "maxmemory-samples", "5"],
  ]);
}

const pct = (n: number, of: number) => Math.round((100 * n) / of);

// ---- noeviction -------------------------------------------------------------------------------

/** Writes to new keys (spread over the shards) until 30 in a row are refused; returns the keys. */
async function fillUntilRefused(c: RespConn, label: string): Promise<string[]> {
  const keys = spreadKeys("oom:", 3000);
  const written: string[] = [];
  let refusedInARow = 0;
  for (let i = 0; i < keys.length && refusedInARow < 30; i += 10) {
    const batch = keys.slice(i, i + 10);
    const replies = await c.pipeline(batch.map((k) => ["SET", k, VALUE]));
    replies.forEach((raw, j) => {
      const r = toLatin1(raw);
      if (r === "+OK\r\n") {
        written.push(batch[j]);
        refusedInARow = 0;
      } else {
        assert.equal(r, OOM, `${label}: SET ${batch[j]}`);
        refusedInARow++;
      }
    });
  }
  assert.ok(refusedInARow >= 30, `${label}: ${written.length} keys written, still no refusals`);
  return written;
}

/** Commands and whether a server without memory to spare refuses them (Redis's denyoom). */
function oomCommands(keys: string[]): [Arg[], boolean][] {
  const [k0, k1, k2] = keys;
  const fresh = spreadKeys("oom:new:", 3);
  return [
    // denyoom: refused, on existing keys and new ones, on every shard
    ...fresh.map((k): [Arg[], boolean] => [["SET", k, "x"], true]),
    [["SET", k0, "x"], true],
    [["SETNX", fresh[0], "x"], true],
    [["SETEX", fresh[1], "100", "x"], true],
    [["APPEND", k1, "x"], true],
    [["INCR", fresh[2]], true],
    [["INCRBY", fresh[0], "5"], true],
    [["SETRANGE", k2, "0", "x"], true],
    [["SETBIT", fresh[1], "7", "1"], true],
    [["GETSET", k0, "x"], true],
    [["MSET", "{oom}a", "1", "{oom}b", "2"], true],
    [["RPUSH", fresh[0], "x"], true],
    [["LPUSH", fresh[1], "x"], true],
    [["SADD", fresh[2], "x"], true],
    [["HSET", fresh[0], "f", "v"], true],
    [["ZADD", fresh[1], "1", "m"], true],
    [["PFADD", fresh[2], "x"], true],
    // reads, and writes that never add memory, run
    [["GET", k0], false],
    [["MGET", k0, k1, k2], false],
    [["EXISTS", k0, k1, fresh[0]], false],
    [["STRLEN", k1], false],
    [["TYPE", k2], false],
    [["TTL", k2], false],
    [["DBSIZE"], false],
    [["SCAN", "0"], false],
    [["PING"], false],
    [["EXPIRE", k1, "1000"], false],
    [["PERSIST", k1], false],
    [["GETDEL", k2], false],
    [["DEL", k0], false],
    [["UNLINK", k1], false],
  ];
}

/** The noeviction contract on one server; returns which commands were refused, for comparing. */
async function noevictionStory(c: RespConn, s: Target): Promise<string[]> {
  await reset(c, "noeviction");
  const base = await used(c);
  // 1mb; an empty redis-server already uses about that: for it, 200 kB over what it uses
  const limit = Math.max(1024 * 1024, base + 200 * 1024);
  assert.equal(show(await c.send("CONFIG", "SET", "maxmemory", String(limit))), "+OK\\r\\n");
  const written = await fillUntilRefused(c, s.name);
  const room = Math.floor((limit - base) / 1024);
  assert.ok(written.length >= 50, `${s.name}: only ${written.length} writes fit in ${room} kB`);
  // a margin, so reads or buffers shrinking cannot bring the server back under the limit
  const now = await used(c);
  await c.send("CONFIG", "SET", "maxmemory", String(Math.max(base, now - 100 * 1024)));
  const out: string[] = [];
  for (const [cmd, refused] of oomCommands(written)) {
    const r = toLatin1(await c.send(...cmd));
    const label = `${s.name}: ${cmd.join(" ")} -> ${show(r, 60)}`;
    if (refused) assert.equal(r, OOM, label);
    else assert.ok(r !== OOM && !r.startsWith("-"), label);
    out.push(`${cmd[0]} ${r === OOM ? "refused" : "ran"}`);
  }
  assert.equal(toLatin1(await c.send("GET", written[5])), `$1000\r\n${VALUE}\r\n`, s.name);
  assert.equal(parse(await c.send("DBSIZE")), written.length - 3, `${s.name}: DBSIZE`);
  // no limit: writes work again, on every shard
  assert.equal(show(await c.send("CONFIG", "SET", "maxmemory", "0")), "+OK\\r\\n");
  for (const k of spreadKeys("oom:after:", 6)) {
    assert.equal(show(await c.send("SET", k, VALUE)), "+OK\\r\\n", `${s.name}: SET ${k} after`);
  }
  await reset(c);
  return out;
}

Deno.test("eviction: maxmemory with noeviction refuses writes and keeps serving reads", async () => {
  await withTargets(async (servers) => {
    const stories = new Map<string, string[]>();
    await onAll(servers, async (c, s) => {
      stories.set(s.name, await noevictionStory(c, s));
    });
    for (const s of servers.slice(1)) {
      assert.deepEqual(stories.get(s.name), stories.get("redis"), `${s.name} vs redis`);
    }
  });
});

// ---- the eviction policies --------------------------------------------------------------------

interface Outcome {
  /** evicted_keys grew by */
  evicted: number;
  /** survivors per key group, in % */
  survived: Record<string, number>;
  /** writes refused while filling */
  refused: number;
  /** used_memory came down to maxmemory */
  underLimit: boolean;
}

/**
 * The common scenario: write `groups` (name -> keys, with a TTL where `ttl` says), let
 * `between` run (reads that make keys hot), set maxmemory to `keep` of what the keys use, write
 * `extra` more keys without a TTL, and count what survived.
 */
async function evictionScenario(
  c: RespConn,
  policy: string,
  groups: Record<string, { keys: string[]; ttl?: (i: number) => number }>,
  keep: number,
  between: () => Promise<void> = () => Promise.resolve(),
  extra = 100,
): Promise<Outcome> {
  await reset(c, policy);
  const base = await used(c);
  const evicted0 = await evicted(c);
  for (const g of Object.values(groups)) await fill(c, g.keys, g.ttl);
  const full = await used(c);
  await between();
  const max = Math.floor(base + (full - base) * keep);
  await c.send("CONFIG", "SET", "maxmemory", String(max));
  const more = spreadKeys(`${policy}:extra:`, extra);
  const replies = await run(c, more.map((k) => ["SET", k, VALUE]), 10);
  const refused = replies.filter((r) => r !== "+OK\r\n").length;
  const underLimit = await settled(c, max);
  const survived: Record<string, number> = {};
  for (const [name, g] of Object.entries(groups)) {
    survived[name] = pct(await present(c, g.keys), g.keys.length);
  }
  survived.extra = pct(await present(c, more), more.length);
  const out = { evicted: (await evicted(c)) - evicted0, survived, refused, underLimit };
  await reset(c);
  return out;
}

/** Runs a scenario on every server and checks `expect` on each outcome. */
async function policyCase(
  servers: Target[],
  scenario: (c: RespConn) => Promise<Outcome>,
  expect: (o: Outcome, label: string) => void,
): Promise<void> {
  const outcomes: [string, Outcome][] = [];
  await onAll(servers, async (c, s) => {
    outcomes.push([s.name, await scenario(c)]);
  });
  for (const [name, o] of outcomes) {
    const label = `${name}: ${JSON.stringify(o)}`;
    assert.ok(o.evicted > 0, `no evictions; ${label}`);
    assert.equal(o.refused, 0, `writes refused; ${label}`);
    assert.ok(o.underLimit, `used_memory stays above maxmemory; ${label}`);
    expect(o, label);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads every hot key `n` times. */
async function readHot(c: RespConn, hot: string[], n: number): Promise<void> {
  const cmds: Arg[][] = [];
  for (let i = 0; i < n; i++) for (const k of hot) cmds.push(["GET", k]);
  // small batches: a big pipelined reply grows the connection's buffers, which count as used
  // memory on both servers and would make them evict more than the keys need
  await run(c, cmds, 10);
}

Deno.test("eviction: each maxmemory-policy evicts what Redis's would", async (t) => {
  await withTargets(async (servers) => {
    await t.step("allkeys-lru keeps the keys read recently", () => {
      const cold = spreadKeys("lru:cold:", 400), hot = spreadKeys("lru:hot:", 100);
      return policyCase(
        servers,
        (c) =>
          evictionScenario(
            c,
            "allkeys-lru",
            { cold: { keys: cold }, hot: { keys: hot } },
            0.6,
            async () => {
              // the LRU clock counts seconds: the cold keys must be idle longer than that
              await sleep(2100);
              await readHot(c, hot, 2);
            },
          ),
        (o, label) => {
          assert.ok(o.survived.hot >= 80, `hot keys evicted; ${label}`);
          assert.ok(o.survived.cold <= 50, `cold keys kept; ${label}`);
        },
      );
    });
    await t.step("allkeys-lfu keeps the keys read often", () => {
      const cold = spreadKeys("lfu:cold:", 400), hot = spreadKeys("lfu:hot:", 100);
      return policyCase(
        servers,
        (c) =>
          evictionScenario(
            c,
            "allkeys-lfu",
            { cold: { keys: cold }, hot: { keys: hot } },
            0.6,
            () => readHot(c, hot, 20),
          ),
        (o, label) => {
          assert.ok(o.survived.hot >= 80, `hot keys evicted; ${label}`);
          assert.ok(o.survived.cold <= 60, `cold keys kept; ${label}`);
        },
      );
    });
    await t.step("allkeys-random evicts read and unread keys alike", () => {
      const cold = spreadKeys("rnd:cold:", 400), hot = spreadKeys("rnd:hot:", 100);
      return policyCase(
        servers,
        (c) =>
          evictionScenario(
            c,
            "allkeys-random",
            { cold: { keys: cold }, hot: { keys: hot } },
            0.6,
            () => readHot(c, hot, 20),
          ),
        (o, label) => {
          assert.ok(o.survived.hot < 90, `hot keys all kept; ${label}`);
          assert.ok(o.survived.cold < 90, `cold keys all kept; ${label}`);
        },
      );
    });
    for (const policy of ["volatile-lru", "volatile-lfu", "volatile-random"]) {
      await t.step(`${policy} never evicts a key without a TTL`, () => {
        const persistent = spreadKeys(`${policy}:p:`, 100);
        const volatile = spreadKeys(`${policy}:v:`, 400);
        return policyCase(
          servers,
          (c) =>
            evictionScenario(
              c,
              policy,
              {
                persistent: { keys: persistent },
                volatile: { keys: volatile, ttl: () => 100_000 },
              },
              0.6,
              () => readHot(c, persistent, 5),
              50,
            ),
          (o, label) => {
            assert.equal(o.survived.persistent, 100, `a key without TTL evicted; ${label}`);
            assert.equal(o.survived.extra, 100, `a key without TTL evicted; ${label}`);
            assert.ok(o.survived.volatile < 80, `volatile keys kept; ${label}`);
          },
        );
      });
    }
    await t.step("volatile-ttl evicts the nearest expiries first", () => {
      const persistent = spreadKeys("ttl:p:", 100);
      const short = spreadKeys("ttl:short:", 250), long = spreadKeys("ttl:long:", 250);
      return policyCase(
        servers,
        (c) =>
          evictionScenario(
            c,
            "volatile-ttl",
            {
              persistent: { keys: persistent },
              short: { keys: short, ttl: (i) => 1000 + i },
              long: { keys: long, ttl: (i) => 100_000 + i },
            },
            0.75,
            undefined,
            50,
          ),
        (o, label) => {
          assert.equal(o.survived.persistent, 100, `a key without TTL evicted; ${label}`);
          assert.ok(o.survived.long >= 80, `long TTLs evicted; ${label}`);
          assert.ok(o.survived.short <= 50, `short TTLs kept; ${label}`);
        },
      );
    });
    await t.step("volatile-* with no volatile keys left refuses writes with OOM", async () => {
      await onAll(servers, async (c, s) => {
        await reset(c, "volatile-lru");
        const base = await used(c);
        const evicted0 = await evicted(c);
        await c.send("CONFIG", "SET", "maxmemory", String(base + 100 * 1024));
        const keys = await fillUntilRefused(c, s.name);
        assert.ok(keys.length >= 20, `${s.name}: ${keys.length} keys written`);
        assert.equal(await evicted(c), evicted0, `${s.name}: keys without TTL evicted`);
        assert.equal(await present(c, keys), keys.length, s.name);
        await reset(c);
      });
    });
  });
});

Deno.test("eviction: CONFIG SET maxmemory takes effect at once", async () => {
  await withTargets(async (servers) => {
    await onAll(servers, async (c, s) => {
      await reset(c, "allkeys-lru");
      const base = await used(c);
      const keys = spreadKeys("now:", 300);
      await fill(c, keys);
      const full = await used(c);
      const evicted0 = await evicted(c);
      const max = Math.floor(base + (full - base) / 2);
      assert.equal(show(await c.send("CONFIG", "SET", "maxmemory", String(max))), "+OK\\r\\n");
      // the next write evicts (Redis already evicts in CONFIG SET: either way, by now)
      assert.equal(show(await c.send("SET", "now:next", "x")), "+OK\\r\\n", s.name);
      const n = await evicted(c) - evicted0;
      assert.ok(n > 0, `${s.name}: nothing evicted after the next write`);
      assert.ok(await settled(c, max), `${s.name}: used_memory stays above maxmemory ${max}`);
      const left = await present(c, keys);
      assert.ok(left < 220 && left > 50, `${s.name}: ${left} of 300 keys left`);
      // raising the limit stops the evictions
      await c.send("CONFIG", "SET", "maxmemory", String(full * 2));
      const evicted1 = await evicted(c);
      await fill(c, spreadKeys("now:more:", 50));
      assert.equal(await evicted(c), evicted1, `${s.name}: evictions under the limit`);
      await reset(c);
    });
  });
});

Deno.test("eviction: CONFIG RESETSTAT resets evicted_keys", async () => {
  await withTargets(async (servers) => {
    await onAll(servers, async (c, s) => {
      await reset(c, "allkeys-random");
      const base = await used(c);
      await fill(c, spreadKeys("rs:", 200));
      await c.send("CONFIG", "SET", "maxmemory", String(base + 50 * 1024));
      await c.send("SET", "rs:next", "x");
      assert.ok(await evicted(c) > 0, s.name);
      // an eviction past its time budget goes on from the tick (Redis's evictionTimeProc too)
      let last = -1;
      for (let n = await evicted(c); n !== last; n = await evicted(c)) {
        last = n;
        await new Promise((r) => setTimeout(r, 250));
      }
      await c.send("CONFIG", "RESETSTAT");
      assert.equal(await evicted(c), 0, `${s.name}: evicted_keys after CONFIG RESETSTAT`);
      await reset(c);
    });
  });
});

Deno.test({
  name: "eviction: after FLUSHALL or a higher maxmemory, writes are accepted at once",
  // with 3 shards, the other shards' published out-of-memory state must not go stale
  fn: async () => {
    await withTargets(async (servers) => {
      await onAll(servers, async (c, s) => {
        for (const after of [["FLUSHALL"], ["CONFIG", "SET", "maxmemory", "100mb"]]) {
          await reset(c, "noeviction");
          const base = await used(c);
          await c.send("CONFIG", "SET", "maxmemory", String(base + 200 * 1024));
          await fillUntilRefused(c, s.name);
          assert.equal(show(await c.send(...after)), "+OK\\r\\n");
          if (after[0] === "FLUSHALL") await sleep(500);
          for (const k of spreadKeys("stale:", 6)) {
            assert.equal(
              show(await c.send("SET", k, "x")),
              "+OK\\r\\n",
              `${s.name} ${after}: ${k}`,
            );
          }
        }
        await reset(c);
      });
    });
  },
});
