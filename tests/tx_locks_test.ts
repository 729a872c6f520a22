/**
 * The lock table (shared and exclusive key locks, whole-shard locks, what plain commands wait
 * for), lock keys that every shard computes alike, and the cross-shard counters of INFO shards
 * under a pipelined MGET/MSET load on 2 shards: one transaction per split command, and far
 * fewer wake-ups than forwarded commands.
 */
import assert from "node:assert/strict";
import { LOCK_ALL, LOCK_SHARED, type LockReq, LockTable, WaitSet } from "../src/shard/locks.ts";
import { lockHash } from "../src/shard/plan.ts";
import { LockKeys } from "../src/shard/lock_keys.ts";
import { slotOf } from "../src/shard/key_locks.ts";
import { SlotMap } from "../src/cluster/slots.ts";
import { cli, runTool, type ServerHandle, startSkua, withServers } from "./helpers/server.ts";
import { type Reply, RespConn, str } from "./helpers/resp.ts";
import { connectOn, keyOn } from "./helpers/shards.ts";

const enc = new TextEncoder();
let nextTxid = 1;
const none = new WaitSet();

function req(keys: string[], flags = 0): LockReq {
  return {
    txid: nextTxid++,
    source: 0,
    client: 1,
    flags,
    keys: keys.map((k) => lockHash(0, enc.encode(k))),
    slots: null,
  };
}

Deno.test("lock key table: random adds, sets and deletes agree with a Map, through growth and shrinking", () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const t = new LockKeys();
  const model = new Map<number, number>();
  for (let round = 0; round < 6; round++) {
    // breathe: grow to thousands of keys (a few colliding in the low bits), then drain
    const span = round % 2 === 0 ? 5000 : 300;
    for (let i = 0; i < 20000; i++) {
      const k = rand(span) * (round % 3 === 0 ? 1024 : 1) & 0x3fffffff;
      const op = rand(4);
      if (op === 0) {
        t.set(k, 7 + i);
        model.set(k, 7 + i);
      } else if (op === 1) {
        t.delete(k);
        model.delete(k);
      } else {
        const d = op === 2 ? 1 : -1;
        t.add(k, d);
        const n = (model.get(k) ?? 0) + d;
        if (n === 0) model.delete(k);
        else model.set(k, n);
      }
      if (i % 997 === 0) {
        // the shard's tick trims: capacity halves while under 1/16 full
        if (i % 1994 === 0) t.trim();
        assert.equal(t.size, model.size);
        for (const [mk, mv] of model) assert.equal(t.get(mk), mv);
      }
    }
    if (round % 3 === 2) {
      // the deferred pass's scratch set is cleared, not drained
      t.clear();
      for (const k of model.keys()) assert.ok(!t.has(k));
      model.clear();
    }
    for (const k of [...model.keys()]) {
      assert.ok(t.has(k));
      t.delete(k);
      model.delete(k);
      assert.ok(!t.has(k));
    }
    assert.equal(t.size, 0);
    t.trim();
  }
});

Deno.test("lock keys: same key and database alike, databases apart, Smi-sized", () => {
  const a = lockHash(0, enc.encode("user:1"));
  assert.equal(lockHash(0, enc.encode("user:1")), a);
  assert.notEqual(lockHash(1, enc.encode("user:1")), a);
  assert.notEqual(lockHash(0, enc.encode("user:2")), a);
  for (let i = 0; i < 1000; i++) {
    const h = lockHash(i % 16, enc.encode(`k${i}`));
    assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 30, `hash ${h} out of range`);
  }
});

Deno.test("lock table: readers share, writers exclude, waiting requests keep their place", () => {
  const t = new LockTable();
  const r1 = req(["a", "b"], LOCK_SHARED);
  const r2 = req(["b", "c"], LOCK_SHARED);
  assert.ok(t.grantable(r1, none));
  assert.ok(t.tryGrant(r1));
  assert.ok(t.grantable(r2, none), "two readers of b");
  assert.ok(t.tryGrant(r2));
  const w = req(["b"]);
  assert.equal(t.grantable(w, none), false, "a writer waits for the readers");
  // plain commands: a read passes readers, a write waits
  const b = [lockHash(0, enc.encode("b"))];
  assert.equal(t.blocks(b, false), false);
  assert.equal(t.blocks(b, true), true);
  t.release(r1.txid);
  assert.equal(t.grantable(w, none), false, "one reader left");
  t.release(r2.txid);
  assert.ok(t.grantable(w, none));
  // a reader arriving after a waiting writer waits behind it
  const r3 = req(["b"], LOCK_SHARED);
  const waiting = new WaitSet();
  waiting.add(w);
  assert.equal(t.grantable(r3, waiting), false);
  assert.ok(t.grantable(req(["z"], LOCK_SHARED), waiting), "other keys do not wait");
  waiting.remove(w);
  assert.ok(t.grantable(r3, waiting) && t.grantable(req(["z"]), waiting), "nothing waits any more");
  assert.ok(t.tryGrant(w));
  assert.equal(t.blocks(b, false), true, "a read waits for a writer");
  assert.equal(t.grantable(r3, none), false);
  t.release(w.txid);
  assert.equal(t.active, false);
  assert.equal(t.blocks(b, true), false);
});

Deno.test("lock table: a whole-shard lock excludes everything, and waits for everything", () => {
  const t = new LockTable();
  const k = req(["a"], LOCK_SHARED);
  assert.ok(t.tryGrant(k));
  const all = req([], LOCK_ALL);
  assert.equal(t.grantable(all, none), false);
  t.release(k.txid);
  assert.ok(t.grantable(all, none));
  assert.ok(t.tryGrant(all));
  assert.ok(t.holds(all.txid));
  assert.equal(t.grantable(req(["q"], LOCK_SHARED), none), false);
  assert.equal(t.blocks([lockHash(0, enc.encode("q"))], false), true);
  assert.equal(t.blocks([], false), true);
  t.release(all.txid);
  assert.equal(t.holds(all.txid), false);
  assert.ok(t.grantable(req(["q"]), none));
});

function shardStats(info: string): Map<string, number>[] {
  const out: Map<string, number>[] = [];
  for (const line of info.split("\n")) {
    if (!line.startsWith("shard_")) continue;
    const fields = new Map<string, number>();
    for (const kv of line.slice(line.indexOf(":") + 1).trim().split(",")) {
      const [k, v] = kv.split("=");
      fields.set(k, Number(v));
    }
    out.push(fields);
  }
  return out;
}

Deno.test("INFO shards: a pipeline's split commands share transactions, wake-ups stay far below forwards", async () => {
  await withServers([() => startSkua({ shards: 2 })], async ([s]: ServerHandle[]) => {
    await cli(s.port, "config", "resetstat");
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}:__rand_int__`);
    for (const args of [keys.flatMap((k) => [k, "v"]), keys]) {
      const cmd = args.length === 20 ? "mset" : "mget";
      const r = await runTool("redis-benchmark", [
        "-p",
        String(s.port),
        "-c",
        "20",
        "-P",
        "16",
        "-n",
        "20000",
        "-r",
        "100000",
        "-q",
        cmd,
        ...args,
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
    const stats = shardStats(await cli(s.port, "info", "shards"));
    assert.equal(stats.length, 2);
    const sum = (k: string) => stats.reduce((n, m) => n + (m.get(k) ?? NaN), 0);
    // nearly every 10-key command spans both shards: each split once, none lost or doubled
    const splits = sum("split_commands");
    assert.ok(splits > 39_000 && splits <= 40_000, `${splits}`);
    // a pipeline's split commands share transactions (squash.ts): far fewer than commands
    assert.ok(
      sum("transactions") >= 40_000 / 16 && sum("transactions") * 4 < splits,
      `${sum("transactions")} transactions for ${splits} split commands`,
    );
    // the MGETs never conflict: each of their transactions took its locks in one hop
    assert.ok(sum("single_hop") > 0 && sum("single_hop") <= sum("transactions"));
    // each transaction sends at least one part; a squash of MGETs (or of MSETs) sends each
    // shard one part for all of them (Command.merge)
    assert.ok(sum("forwarded") >= sum("transactions"), "each transaction sends a part");
    assert.ok(
      sum("forwarded") * 4 < splits,
      `${sum("forwarded")} parts forwarded for ${splits} split commands`,
    );
    for (const k of ["lock_waits", "deferred", "parks", "wakes"]) {
      assert.ok(Number.isInteger(sum(k)) && sum(k) >= 0, `${k} missing`);
    }
    assert.ok(
      sum("wakes") * 4 < sum("forwarded"),
      `${sum("wakes")} wake-ups for ${sum("forwarded")} forwarded commands`,
    );
    // the data is whole: every MSET wrote all ten keys of its round
    assert.equal(await cli(s.port, "exists", "k0:__rand_int__"), "0\n");
    const dbsize = Number(await cli(s.port, "dbsize"));
    assert.ok(dbsize > 1000, `dbsize ${dbsize}`);
  });
});

Deno.test("INFO shards: pipelined MSETs that meet held keys still share transactions", async () => {
  await withServers([() => startSkua({ shards: 2 })], async ([s]: ServerHandle[]) => {
    // 50 clients writing 10 random keys of 100,000 sixteen deep: a pipeline often meets a key
    // another one holds, and then waits for its locks by messages (tx.ts)
    const r = await runTool("redis-benchmark", [
      "-p",
      String(s.port),
      "-c",
      "50",
      "-P",
      "16",
      "-n",
      "40000",
      "-r",
      "100000",
      "-q",
      "-t",
      "mset",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const stats = shardStats(await cli(s.port, "info", "shards"));
    const sum = (k: string) => stats.reduce((n, m) => n + (m.get(k) ?? NaN), 0);
    const splits = sum("split_commands");
    assert.ok(splits > 39_000 && splits <= 40_000, `${splits}`);
    // the split commands behind one that waits join a squash too (at most 32 keys each, so
    // about four MSETs): one transaction per command was half of them
    assert.ok(
      sum("transactions") * 2.5 < splits,
      `${sum("transactions")} transactions for ${splits} split commands`,
    );
    assert.ok(sum("lock_waits") > 0, "the load met held keys");
    // a squash that meets a held key at its 32 keys takes in the rest of its read (widen): the
    // transactions by messages are few, and long (one per squash of 32 keys was over a quarter)
    const byMessages = sum("transactions") - sum("single_hop");
    assert.ok(byMessages * 10 < splits, `${byMessages} transactions by messages for ${splits}`);
    // most single hops that meet a taken slot meet their own shard's earlier ones, and take it
    // too (key_locks.ts): about 900 of 40,000 here, and a third fewer transactions by messages
    assert.ok(sum("stacked_hops") > 0, "single hops stacked on their shard's own marks");
  });
});

/** Two keys of shard `shard` (of `n`) whose lock hashes differ but share a key lock slot. */
function slotTwins(prefix: string, shard: number, n: number): [string, string] {
  const slots = new SlotMap(n);
  const first = new Map<number, { key: string; hash: number }>();
  for (let i = 0;; i++) {
    const key = `${prefix}${i}`;
    if (slots.ownerOfLatin1(key) !== shard) continue;
    const hash = lockHash(0, enc.encode(key));
    const twin = first.get(slotOf(hash));
    if (twin !== undefined && twin.hash !== hash) return [twin.key, key];
    first.set(slotOf(hash), { key, hash });
  }
}

Deno.test("wait set: requests on keys whose hashes share a lock slot wait for each other", () => {
  const [a, b] = slotTwins("twin:", 0, 1);
  const w = new WaitSet();
  const ra = req([a]);
  w.add(ra);
  assert.ok(w.conflicts(req([b])), "a writer on the twin key");
  assert.ok(w.conflicts(req([b], LOCK_SHARED)), "a reader on the twin key");
  w.remove(ra);
  assert.ok(!w.conflicts(req([b])));
});

Deno.test("pipelined MSETs whose keys share lock slots with the one before do not wait for a tick", async () => {
  // hz 1: a lock request that no release woke would wait up to a second for the next tick
  await withServers(
    [() => startSkua({ shards: 2, args: ["--hz", "1"] })],
    async ([s]: ServerHandle[]) => {
      const twins = [slotTwins("tw0:", 0, 2), slotTwins("tw1:", 1, 2)];
      // enough keys that each MSET is a transaction of its own (a squash takes at most 32),
      // each one on a twin of the key its predecessor wrote on both shards
      const cmds: string[][] = [];
      for (let j = 0; j < 12; j++) {
        const args = ["MSET", twins[0][j % 2], `v${j}`, twins[1][j % 2], `v${j}`];
        for (let k = 0; k < 40; k++) args.push(`fill:${j}:${k}`, "x");
        cmds.push(args);
      }
      const c = await RespConn.connect(s.port);
      try {
        const t0 = Date.now();
        const replies = await c.pipeline(cmds);
        const ms = Date.now() - t0;
        assert.deepEqual(
          replies.map((r) => new TextDecoder().decode(r)),
          cmds.map(() => "+OK\r\n"),
        );
        assert.ok(ms < 500, `12 MSETs took ${ms} ms`);
        assert.deepEqual(
          (await c.call("MGET", ...twins.flat())) as Reply[],
          ["v10", "v11", "v10", "v11"].map((v) => enc.encode(v)),
        );
      } finally {
        c.close();
      }
    },
  );
});

/** A command in RESP (ASCII arguments). */
function resp(args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
}

Deno.test("a client that leaves while its command waits for a lock still has it, and what it sent after, run", async () => {
  await withServers(
    [() => startSkua({ shards: 2, args: ["--enable-debug-command", "local"] })],
    async ([s]: ServerHandle[]) => {
      const x = await connectOn(s.port, 0, 2);
      const y = await connectOn(s.port, 1, 2);
      try {
        const a = keyOn("a", 0, 2), b = keyOn("b", 1, 2), after = keyOn("z", 1, 2);
        // x's EXEC holds b's lock on shard 1 while its own shard sleeps
        await x.writeRaw(
          [["MULTI"], ["SET", a, "x"], ["SET", b, "x"], ["DEBUG", "SLEEP", "0.6"], ["EXEC"]]
            .map(resp).join(""),
        );
        await new Promise((r) => setTimeout(r, 150));
        // y's SET of b waits for that lock, the SET behind it waits for y; then y leaves
        await y.writeRaw(resp(["SET", b, "y"]) + resp(["SET", after, "1"]));
        await new Promise((r) => setTimeout(r, 100));
        y.close();
        const replies: string[] = [];
        for (let i = 0; i < 5; i++) replies.push(new TextDecoder().decode(await x.readRaw(5000)));
        assert.equal(replies[4], "*3\r\n+OK\r\n+OK\r\n+OK\r\n", "EXEC ran");
        const deadline = Date.now() + 5000;
        while (str(await x.call("GET", b)) !== "y" && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(str(await x.call("GET", b)), "y", "the SET that waited for the lock ran last");
        assert.equal(await x.call("EXISTS", after), 1, "the SET behind it ran");
        assert.equal(str(await x.call("GET", a)), "x");
      } finally {
        x.close();
      }
    },
  );
});
