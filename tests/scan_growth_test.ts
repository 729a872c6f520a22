/**
 * SCAN's guarantee while the keyspace changes under it: a full iteration returns every key
 * that was present from its start to its end (at least once), returns no key that never
 * existed, and ends. Checked while the key index grows through several doublings (keys added
 * between SCAN calls), while it shrinks (mass deletes), and over seeded random sequences of
 * adds and deletes with random COUNTs, on Skua with 1 and 3 shards (one cursor across all the
 * shards) and on redis-server (which shows the scenario holds for Redis's dictScan too).
 * Which keys a page holds differs between any two servers, so nothing is compared byte for byte.
 */

import assert from "node:assert/strict";
import { onAll, withTargets } from "./helpers/targets.ts";
import { type Arg, parse, type Reply, RespConn, show, toLatin1 } from "./helpers/resp.ts";
import { rng } from "./helpers/rng.ts";

/** SCAN calls after which a scan is taken to be endless. */
const MAX_CALLS = 20_000;

/** Sends `cmds` in pipelined batches; every reply must be a success. */
async function send(c: RespConn, cmds: Arg[][]): Promise<void> {
  for (let i = 0; i < cmds.length; i += 200) {
    const replies = await c.pipeline(cmds.slice(i, i + 200));
    replies.forEach((r, j) => {
      assert.ok(r[0] !== 45, `${cmds[i + j].join(" ")}: ${show(r)}`);
    });
  }
}

const setAll = (keys: string[]): Arg[][] => keys.map((k) => ["SET", k, "v"]);
const delAll = (keys: string[]): Arg[][] => keys.map((k) => ["DEL", k]);

/** One SCAN call: the next cursor and the page's keys. */
async function scanPage(c: RespConn, cursor: string, count: number): Promise<[string, string[]]> {
  const r = parse(await c.send("SCAN", cursor, "COUNT", count));
  assert.ok(Array.isArray(r) && r.length === 2, `SCAN ${cursor}: ${JSON.stringify(r)}`);
  const [next, keys] = r as [Reply, Reply[]];
  assert.ok(next instanceof Uint8Array && /^\d+$/.test(toLatin1(next)), `cursor ${String(next)}`);
  assert.ok(Array.isArray(keys), `SCAN ${cursor}: keys ${JSON.stringify(keys)}`);
  return [toLatin1(next), keys.map((k) => toLatin1(k as Uint8Array))];
}

/**
 * A full scan, calling `between(step)` after every page (the keyspace changes there) until
 * the cursor comes back to 0. Returns every key seen and how many calls it took.
 */
async function scanWhile(
  c: RespConn,
  label: string,
  count: (step: number) => number,
  between: (step: number) => Promise<void>,
): Promise<{ seen: Set<string>; calls: number }> {
  const seen = new Set<string>();
  let cursor = "0";
  let calls = 0;
  do {
    const [next, keys] = await scanPage(c, cursor, count(calls));
    for (const k of keys) seen.add(k);
    cursor = next;
    calls++;
    assert.ok(calls < MAX_CALLS, `${label}: the scan did not end after ${MAX_CALLS} calls`);
    if (cursor !== "0") await between(calls);
  } while (cursor !== "0");
  return { seen, calls };
}

/** Every key of `stable` was seen; every key seen is one of `universe`. */
function checkScan(label: string, seen: Set<string>, stable: string[], universe: Set<string>) {
  const missed = stable.filter((k) => !seen.has(k));
  assert.deepEqual(
    missed.slice(0, 20),
    [],
    `${label}: ${missed.length} of ${stable.length} keys present throughout were never returned`,
  );
  const phantom = [...seen].filter((k) => !universe.has(k));
  assert.deepEqual(phantom.slice(0, 20), [], `${label}: keys returned that never existed`);
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

Deno.test("SCAN returns every key present throughout while the keyspace grows", async () => {
  await withTargets(async (servers) => {
    await onAll(servers, async (c, s) => {
      await c.send("FLUSHALL");
      const stable = names("stable:", 600);
      const doomed = names("doomed:", 400);
      await send(c, setAll([...stable, ...doomed]));
      const universe = new Set([...stable, ...doomed]);
      // 40 steps of 100 new keys: 1000 keys become 5000, three doublings of the index
      let added = 0;
      const { seen, calls } = await scanWhile(c, s.name, () => 10, async (step) => {
        if (step > 40) return;
        const fresh = names(`grow:${step}:`, 100);
        for (const k of fresh) universe.add(k);
        added += fresh.length;
        await send(c, [...setAll(fresh), ...delAll(doomed.slice((step - 1) * 10, step * 10))]);
      });
      assert.equal(added, 4000, `${s.name}: the scan ended after ${calls} calls, before growing`);
      assert.equal(parse(await c.send("DBSIZE")), 600 + 400 - 400 + 4000, s.name);
      checkScan(`${s.name} (growing, ${calls} calls)`, seen, stable, universe);
      await c.send("FLUSHALL");
    });
  });
});

Deno.test("SCAN returns every key present throughout while the keyspace shrinks", async () => {
  await withTargets(async (servers) => {
    await onAll(servers, async (c, s) => {
      await c.send("FLUSHALL");
      const stable = names("stable:", 200);
      const doomed = names("doomed:", 5000);
      await send(c, setAll([...stable, ...doomed]));
      const universe = new Set([...stable, ...doomed]);
      let deleted = 0;
      const { seen, calls } = await scanWhile(c, s.name, () => 10, async (step) => {
        if (step <= 20) {
          // 250 keys a step: the index ends under 1/10 full and shrinks (Redis shrinks it from
          // its cron, a pause lets that happen while the scan is under way)
          const gone = doomed.slice((step - 1) * 250, step * 250);
          deleted += gone.length;
          await send(c, delAll(gone));
        } else if (step === 21) await new Promise((r) => setTimeout(r, 250));
      });
      assert.equal(
        deleted,
        5000,
        `${s.name}: the scan ended after ${calls} calls, before shrinking`,
      );
      assert.equal(parse(await c.send("DBSIZE")), 200, s.name);
      checkScan(`${s.name} (shrinking, ${calls} calls)`, seen, stable, universe);
      await c.send("FLUSHALL");
    });
  });
});

/**
 * A seeded random scan: between pages, keys are added (bursts of up to 150), deleted (a few,
 * or half of the mortal ones at once) or left alone, for the first 80 pages; then the scan
 * runs to its end. Each page asks for a random COUNT (mostly small, so the scan outlasts the
 * changes). Stable keys are never touched. The changes and the COUNTs come from two generators,
 * so every server sees the same changes whatever its pages hold.
 */
async function randomScan(c: RespConn, label: string, seed: number): Promise<void> {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const rc = rng(seed + 1000);
  const count = () => 1 + Math.floor(rc() * (rc() < 0.1 ? 100 : 15));
  await c.send("FLUSHALL");
  const stable = names(`s${seed}:`, 200 + int(800));
  let mortal = names(`m${seed}:`, int(3000));
  await send(c, setAll([...stable, ...mortal]));
  const universe = new Set([...stable, ...mortal]);
  let next = 0;
  const { seen, calls } = await scanWhile(c, label, count, async (step) => {
    if (step > 80) return;
    const x = r();
    const cmds: Arg[][] = [];
    if (x < 0.45) {
      const fresh = names(`n${seed}:${next++}:`, 1 + int(150));
      for (const k of fresh) universe.add(k);
      mortal.push(...fresh);
      cmds.push(...setAll(fresh));
    } else if (x < 0.75) {
      // a few deletes, anywhere among the mortal keys
      for (let i = int(40); i > 0 && mortal.length > 0; i--) {
        const j = int(mortal.length);
        cmds.push(["DEL", mortal[j]]);
        mortal[j] = mortal[mortal.length - 1];
        mortal.pop();
      }
    } else if (x < 0.82) {
      // a mass delete: half of the mortal keys
      const keep: string[] = [];
      for (const k of mortal) {
        if (r() < 0.5) keep.push(k);
        else cmds.push(["DEL", k]);
      }
      mortal = keep;
    }
    // else: no change
    await send(c, cmds);
  });
  assert.equal(parse(await c.send("DBSIZE")), stable.length + mortal.length, label);
  checkScan(`${label} (${calls} calls)`, seen, stable, universe);
  await c.send("FLUSHALL");
}

const SEEDS = [1, 2, 3, 4, 5, 6];

Deno.test("SCAN under random adds and deletes (seeded) returns every stable key", async (t) => {
  await withTargets(async (servers) => {
    for (const seed of SEEDS) {
      await t.step(
        `seed ${seed}`,
        () => onAll(servers, (c, s) => randomScan(c, `${s.name} seed ${seed}`, seed)),
      );
    }
  });
});
