/**
 * redis-benchmark against Skua with 1, 2 and 4 shards must run to completion, and the data it
 * leaves behind must be exactly right: every INCR counted, every SET/MSET value intact.
 */

import assert from "node:assert/strict";
import { cli, runTool, type ServerHandle, startUnderTest, withServers } from "./helpers/server.ts";

const N = 50_000;
const VALUE_SIZE = 17;

/** Parses `--csv` output into test name -> requests per second. */
function parseCsv(out: string): Map<string, number> {
  const rps = new Map<string, number>();
  for (const line of out.split("\n")) {
    const m = /^"([^"]+)","([\d.]+)"/.exec(line);
    if (m) rps.set(m[1], Number(m[2]));
  }
  return rps;
}

async function benchmark(port: number, args: string[]): Promise<Map<string, number>> {
  const r = await runTool("redis-benchmark", ["-p", String(port), ...args, "--csv"]);
  assert.equal(r.code, 0, `redis-benchmark ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return parseCsv(r.stdout);
}

async function fixedKeys(port: number): Promise<void> {
  await cli(port, "flushall");
  // Without -r, redis-benchmark uses the literal keys key:__rand_int__ and counter:__rand_int__.
  const args = ["-t", "set,get,incr,mset", "-c", "50", "-P", "16", "-n", String(N), "-d"];
  const rps = await benchmark(port, [...args, String(VALUE_SIZE)]);
  for (const test of ["SET", "GET", "INCR", "MSET (10 keys)"]) {
    assert.ok((rps.get(test) ?? 0) > 0, `no result for ${test}: ${[...rps.entries()]}`);
  }
  assert.equal(await cli(port, "get", "counter:__rand_int__"), `${N}\n`);
  assert.equal(await cli(port, "strlen", "key:__rand_int__"), `${VALUE_SIZE}\n`);
  assert.equal(await cli(port, "dbsize"), "2\n");
}

/** With -r, INCRs land on up to 10000 counters across all shards; they must add up to N. */
async function randomKeys(port: number): Promise<void> {
  await cli(port, "flushall");
  await benchmark(port, ["-t", "incr,set", "-c", "50", "-P", "16", "-n", String(N), "-r", "10000"]);
  const keys = (await cli(port, "--scan", "--pattern", "counter:*")).split("\n").filter(Boolean);
  assert.ok(keys.length > 1000, `only ${keys.length} counters`);
  let total = 0;
  for (let i = 0; i < keys.length; i += 500) {
    const values = await cli(port, "mget", ...keys.slice(i, i + 500));
    for (const v of values.split("\n").filter(Boolean)) total += Number(v);
  }
  assert.equal(total, N, "INCRs lost or duplicated");
  const sets = (await cli(port, "--scan", "--pattern", "key:*")).split("\n").filter(Boolean);
  assert.ok(sets.length > 1000, `only ${sets.length} SET keys`);
  assert.equal(await cli(port, "strlen", sets[0]), "3\n");
}

for (const shards of [1, 2, 4]) {
  Deno.test(`redis-benchmark against skua --shards ${shards}`, async (t) => {
    await withServers([() => startUnderTest({ shards })], async ([s]: ServerHandle[]) => {
      await t.step("set,get,incr,mset with fixed keys", () => fixedKeys(s.port));
      await t.step("incr,set with -r 10000", () => randomKeys(s.port));
    });
  });
}
