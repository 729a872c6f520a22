/**
 * Prefetching (Dict.prefetch): a multi-key command and a pipeline's next commands load their
 * keys' buckets and records before they are looked up, once a database holds enough keys for
 * that to pay. It must change no reply: seeded random pipelines of key commands over 240,000
 * keys (past the threshold on each of 3 shards), written in pieces cut anywhere (so a prefetch
 * also looks at a command whose bytes are not all in), get the same replies from Skua on 1 and
 * 3 shards as from redis-server, byte for byte. Some MGETs and MSETs have more keys than one
 * prefetch takes (Db.prefetch goes in rounds).
 */
import assert from "node:assert/strict";
import { type Arg, encode, RespConn, show } from "./helpers/resp.ts";
import { type ServerHandle, startRedis, startSkua } from "./helpers/server.ts";
import { rng } from "./helpers/rng.ts";
import { concat } from "../src/util/bytes.ts";

const KEYS = 240_000;

async function load(c: RespConn): Promise<void> {
  const cmds: Arg[][] = [];
  for (let i = 0; i < KEYS; i += 100) {
    const args: Arg[] = ["MSET"];
    for (let j = i; j < i + 100; j++) args.push(`pf:${j}`, `v${j}`);
    cmds.push(args);
  }
  cmds.push(["RPUSH", "pf:list", "a", "b"], ["SET", "pf:n", "10"]);
  for (let i = 0; i < cmds.length; i += 200) {
    for (const r of await c.pipeline(cmds.slice(i, i + 200))) {
      assert.ok(r[0] !== 45, `loading: ${show(r)}`);
    }
  }
}

function pipelineOf(rand: () => number): Arg[][] {
  // most keys exist; some never do; a few hold a list or a number
  const key = () => {
    const r = rand();
    if (r < 0.02) return "pf:list";
    if (r < 0.05) return "pf:n";
    if (r < 0.1) return `pf:absent:${Math.floor(rand() * 1000)}`;
    return `pf:${Math.floor(rand() * KEYS)}`;
  };
  const keys = (n: number) => Array.from({ length: n }, key);
  const cmds: Arg[][] = [];
  const len = 1 + Math.floor(rand() * 64);
  while (cmds.length < len) {
    const r = rand();
    const v = `w${Math.floor(rand() * 1e6)}`;
    if (r < 0.3) cmds.push(["GET", key()]);
    else if (r < 0.4) cmds.push(["SET", key(), v]);
    else if (r < 0.5) cmds.push(["MGET", ...keys(1 + Math.floor(rand() * 12))]);
    else if (r < 0.55) {
      cmds.push(["MSET", ...keys(1 + Math.floor(rand() * 6)).flatMap((k) => [k, v])]);
    } else if (r < 0.58) {
      cmds.push(["MSETNX", ...keys(1 + Math.floor(rand() * 3)).flatMap((k) => [k, v])]);
    } else if (r < 0.63) cmds.push(["DEL", ...keys(1 + Math.floor(rand() * 4))]);
    else if (r < 0.68) cmds.push(["EXISTS", ...keys(1 + Math.floor(rand() * 6))]);
    else if (r < 0.7) cmds.push(["TOUCH", ...keys(1 + Math.floor(rand() * 6))]);
    else if (r < 0.74) cmds.push(["INCR", key()]);
    else if (r < 0.78) cmds.push(["TYPE", key()]);
    else if (r < 0.81) cmds.push(["TTL", key()]);
    else if (r < 0.83) cmds.push(["PING"]);
    else if (r < 0.85) cmds.push(["ECHO", v]);
    else if (r < 0.87) cmds.push(["SELECT", rand() < 0.5 ? "1" : "0"]);
    else if (r < 0.89) cmds.push(["GET"]);
    else if (r < 0.91) cmds.push(["STRLEN", key()]);
    else if (r < 0.94) cmds.push(["GETDEL", key()]);
    // more keys than one prefetch covers: looked up in rounds of PREFETCH_MAX
    else if (r < 0.955) cmds.push(["MGET", ...keys(65 + Math.floor(rand() * 90))]);
    else if (r < 0.965) {
      cmds.push(["MSET", ...keys(65 + Math.floor(rand() * 40)).flatMap((k) => [k, v])]);
    } else cmds.push(["APPEND", key(), v]);
  }
  cmds.push(["SELECT", "0"]);
  return cmds;
}

/** Writes the pipeline in pieces cut at random bytes, then reads one reply per command. */
async function pipelineInPieces(
  c: RespConn,
  cmds: Arg[][],
  cuts: number[],
): Promise<Uint8Array[]> {
  const all = concat(cmds.map(encode));
  let from = 0;
  for (const f of cuts) {
    const at = Math.floor(f * all.length);
    if (at <= from) continue;
    await c.writeRaw(all.subarray(from, at));
    await new Promise((r) => setTimeout(r, 1));
    from = at;
  }
  await c.writeRaw(all.subarray(from));
  const out: Uint8Array[] = [];
  for (let i = 0; i < cmds.length; i++) out.push(await c.readRaw());
  return out;
}

/**
 * After a mismatch, the values of the command's second argument in databases 0 and 1 on Skua and
 * on redis-server (the pipeline has gone on: these are the values at its end).
 */
async function whereKeys(skua: number, redis: number, cmd: Arg[]): Promise<string> {
  if (cmd.length < 2) return "no key";
  const out: string[] = [];
  for (const [name, port] of [["skua", skua], ["redis", redis]] as const) {
    const c = await RespConn.connect(port);
    try {
      for (const db of ["0", "1"]) {
        await c.call("SELECT", db);
        const v = await c.call("GET", cmd[1]);
        out.push(`${name} db ${db}: ${v instanceof Uint8Array ? show(v) : JSON.stringify(v)}`);
      }
    } finally {
      c.close();
    }
  }
  return out.join(", ");
}

Deno.test("prefetched pipelines over 240,000 keys answer as redis-server's (1 and 3 shards)", async () => {
  const seed = Number(Deno.env.get("SKUA_TEST_SEED") ?? Date.now() % 100000);
  const rand = rng(seed);
  const servers: ServerHandle[] = [];
  const conns: RespConn[] = [];
  try {
    servers.push(
      ...await Promise.all([startRedis(), startSkua({ shards: 1 }), startSkua({ shards: 3 })]),
    );
    for (const s of servers) conns.push(await RespConn.connect(s.port));
    await Promise.all(conns.map(load));
    for (let round = 0; round < 120; round++) {
      const cmds = pipelineOf(rand);
      const cuts = Array.from({ length: Math.floor(rand() * 4) }, rand).sort();
      const [want, ...got] = await Promise.all(
        conns.map((c) => pipelineInPieces(c, cmds, cuts)),
      );
      for (let s = 0; s < got.length; s++) {
        for (let i = 0; i < cmds.length; i++) {
          if (show(got[s][i]) === show(want[i])) continue;
          assert.equal(
            show(got[s][i]),
            show(want[i]),
            `seed ${seed}, round ${round}, ${s === 0 ? 1 : 3} shard(s), command ${i}: ` +
              cmds[i].join(" ") + ` (cuts ${cuts.join(" ")}; ` +
              await whereKeys(servers[s + 1].port, servers[0].port, cmds[i]) + ")",
          );
        }
      }
    }
    const dbsizes = await Promise.all(conns.map((c) => c.call("DBSIZE")));
    assert.deepEqual(dbsizes.slice(1), [dbsizes[0], dbsizes[0]]);
  } finally {
    for (const c of conns) c.close();
    for (const s of servers) await s.stop();
  }
});
