/**
 * Squashed pipelines (src/shard/squash.ts): the split commands of one read of a pipeline run
 * under one transaction, their parts behind one lock (or one single hop) per shard.
 *
 * - Seeded random pipelines of runs of MGET and MSET over 3 shards, broken by commands that
 *   end a squash (a DEL split over shards, a single-key GET or SET, an MGET whose keys share a
 *   shard) and by errors answered while a squash is open (MGET without a key, MSET with a key
 *   and no value): every reply is the same as redis-server's, byte for byte, in order. Runs of
 *   one command run as one part per shard (Command.merge), with keys of other types among them.
 * - Connections that write groups of keys on every shard with MSET and read them with MGET, all
 *   pipelined over the same groups (their locks conflict, so squashes also wait for locks by
 *   messages): every MGET sees a group written by one MSET, never a mix.
 */
import assert from "node:assert/strict";
import { type Arg, parse, type Reply, RespConn, show, str } from "./helpers/resp.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { type ServerHandle, startRedis, startSkua } from "./helpers/server.ts";
import { keyOn } from "./helpers/shards.ts";
import { rng } from "./helpers/rng.ts";

const SHARDS = 3;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function pipelineOf(rand: () => number, keys: string[], oneShard: string[]): Arg[][] {
  const pick = (n: number) =>
    Array.from({ length: n }, () => keys[Math.floor(rand() * keys.length)]);
  const cmds: Arg[][] = [];
  const len = 1 + Math.floor(rand() * 40);
  let run = rand() < 0.5 ? "MGET" : "MSET";
  while (cmds.length < len) {
    const r = rand();
    if (r < 0.1) run = run === "MGET" ? "MSET" : "MGET";
    if (r < 0.03) cmds.push(["MGET"]);
    else if (r < 0.06) cmds.push(["MSET", pick(1)[0]]);
    else if (r < 0.09) cmds.push(["DEL", ...pick(2)]);
    else if (r < 0.12) cmds.push(["SET", pick(1)[0], `s${Math.floor(rand() * 1000)}`]);
    else if (r < 0.15) cmds.push(["GET", pick(1)[0]]);
    else if (r < 0.18) cmds.push(["MGET", ...oneShard]);
    // a key of another type: MGET reads it as nil, MSET overwrites it, GET says WRONGTYPE
    else if (r < 0.2) cmds.push(["RPUSH", pick(1)[0], "l"]);
    else if (run === "MGET") cmds.push(["MGET", ...pick(1 + Math.floor(rand() * 8))]);
    else {
      const args: Arg[] = ["MSET"];
      for (const k of pick(1 + Math.floor(rand() * 5))) {
        args.push(k, `v${Math.floor(rand() * 1e6)}`);
      }
      cmds.push(args);
    }
  }
  return cmds;
}

Deno.test("squashed pipelines: MGET and MSET runs answer as redis-server's", async () => {
  const seed = Number(Deno.env.get("SKUA_TEST_SEED") ?? Date.now() % 100000);
  const rand = rng(seed);
  const keys = spreadKeys("mq:", 30);
  const oneShard = [keyOn("one:", 1, SHARDS), keyOn("one:a", 1, SHARDS)];
  let skua: ServerHandle | null = null, redis: ServerHandle | null = null;
  const conns: RespConn[] = [];
  try {
    [skua, redis] = await Promise.all([startSkua({ shards: SHARDS }), startRedis()]);
    const a = await RespConn.connect(skua.port), b = await RespConn.connect(redis.port);
    conns.push(a, b);
    for (let round = 0; round < 150; round++) {
      const cmds = pipelineOf(rand, keys, oneShard);
      const [got, want] = await Promise.all([a.pipeline(cmds), b.pipeline(cmds)]);
      for (let i = 0; i < cmds.length; i++) {
        assert.equal(
          show(got[i]),
          show(want[i]),
          `seed ${seed}, round ${round}, command ${i}: ${cmds[i].join(" ")}`,
        );
      }
    }
    const all: Arg[] = ["MGET", ...keys, ...oneShard];
    assert.deepEqual(
      await a.call(...all),
      await b.call(...all),
      `seed ${seed}: the keys at the end`,
    );
  } finally {
    for (const c of conns) c.close();
    await skua?.stop();
    await redis?.stop();
  }
});

Deno.test("squashed pipelines: MGETs of groups written by pipelined MSETs never see a mix", async () => {
  const skua = await startSkua({ shards: SHARDS });
  const groups = Array.from({ length: 8 }, (_, g) => spreadKeys(`grp${g}:`, 4));
  const failures: string[] = [];
  let reads = 0;
  const until = Date.now() + 2_000;
  const worker = async (id: number) => {
    const c = await RespConn.connect(skua.port);
    const rand = rng(id + 1);
    try {
      for (let n = 0; Date.now() < until && failures.length === 0; n++) {
        const cmds: Arg[][] = [];
        const reading: boolean[] = [];
        // runs of the same command, so that they merge
        const write = rand() < 0.5;
        for (let i = 0; i < 16; i++) {
          const g = groups[Math.floor(rand() * groups.length)];
          if (write) cmds.push(["MSET", ...g.flatMap((k) => [k, `c${id}-${n}-${i}`])]);
          else cmds.push(["MGET", ...g]);
          reading.push(!write);
        }
        const replies = await c.pipeline(cmds);
        for (let i = 0; i < cmds.length; i++) {
          const r = parse(replies[i]);
          if (!reading[i]) {
            if (text(replies[i]) !== "+OK\r\n") failures.push(`MSET replied ${show(replies[i])}`);
            continue;
          }
          reads++;
          const vals = (r as Reply[]).map((v) => v === null ? null : str(v));
          if (vals.some((v) => v !== vals[0])) failures.push(`MGET saw a mix: ${vals.join(" ")}`);
        }
      }
    } finally {
      c.close();
    }
  };
  try {
    await Promise.all([0, 1, 2, 3, 4, 5].map(worker));
    assert.deepEqual(failures.slice(0, 5), []);
    assert.ok(reads > 100, `only ${reads} group reads`);
    const info = str(await (await RespConn.connect(skua.port)).call("INFO", "shards"));
    const sum = (f: string) =>
      [...info.matchAll(new RegExp(`${f}=(\\d+)`, "g"))].reduce((s, m) => s + Number(m[1]), 0);
    // some squashes met a held key and took their locks by messages
    assert.ok(sum("transactions") > sum("single_hop"), info);
  } finally {
    await skua.stop();
  }
});
