/**
 * The real redis-cli against Skua with 1 and 3 shards, compared with the same redis-cli run
 * against redis-server where the output is deterministic: commands from stdin in the default
 * (raw), --no-raw and RESP3 (-3) output modes, -r repeats, -n database selection, -x, --scan,
 * --pipe with thousands of commands, and the --bigkeys summary.
 */

import assert from "node:assert/strict";
import { type Target, withDiffTargets } from "./helpers/diff.ts";
import { cli, runTool } from "./helpers/server.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { encode } from "./helpers/resp.ts";
import { concat } from "../src/util/bytes.ts";

const enc = new TextEncoder();

/** Commands whose replies do not depend on the server (no ids, times, versions, orders). */
const SCRIPT = [
  "flushall",
  "set a 1",
  'set "with space" "v a l"',
  'mget a nokey "with space"',
  "incr a",
  "incrby a -10",
  "incrbyfloat f 1.5",
  "incrbyfloat f 1e3",
  "append a xyz",
  "get a",
  "strlen a",
  "exists a nokey a",
  "set e v ex 1000",
  "persist e",
  "ttl e",
  "expiretime e",
  "type a",
  "keys with*",
  "config get maxmemory",
  "config get hz",
  "dbsize",
  "echo 'multi word' ",
  "ping",
  "get nokey",
  "incr a",
  "nosuchcommand x",
  "set a b c",
  'del a "with space" nokey',
  "select 3",
  "dbsize",
  "command getkeys mset a 1 b 2",
  "command info get",
].join("\n") + "\n";

async function outputsMatch(targets: Target[], modeArgs: string[]): Promise<void> {
  const outs: string[] = [];
  for (const t of targets) {
    const r = await runTool("redis-cli", ["-p", String(t.port), ...modeArgs], enc.encode(SCRIPT));
    outs.push(r.stdout);
  }
  for (let i = 1; i < targets.length; i++) {
    assert.equal(outs[i], outs[0], `${targets[i].name}: redis-cli ${modeArgs.join(" ")} output`);
  }
}

async function repeatsAndDatabases(t: Target): Promise<void> {
  const p = String(t.port);
  await cli(t.port, "flushall");
  const out = await cli(t.port, "-r", "100", "incr", "counter");
  assert.equal(out, Array.from({ length: 100 }, (_, i) => `${i + 1}\n`).join(""));
  assert.equal(await cli(t.port, "get", "counter"), "100\n");
  assert.equal(await cli(t.port, "-n", "2", "set", "counter", "in-db-2"), "OK\n");
  assert.equal(await cli(t.port, "-n", "2", "get", "counter"), "in-db-2\n");
  assert.equal(await cli(t.port, "-n", "0", "get", "counter"), "100\n");
  // -x: the last argument comes from stdin, byte for byte.
  const payload = new Uint8Array([0, 1, 2, 13, 10, 255, 128, 65]);
  const x = await runTool("redis-cli", ["-p", p, "-x", "set", "fromstdin"], payload);
  assert.equal(x.stdout, "OK\n");
  const strlen = await cli(t.port, "strlen", "fromstdin");
  assert.equal(strlen, `${payload.length}\n`);
  assert.equal(await cli(t.port, "-3", "strlen", "fromstdin"), `${payload.length}\n`);
}

async function scanMode(t: Target): Promise<void> {
  await cli(t.port, "flushall");
  const users = spreadKeys("user:", 1000);
  const others = spreadKeys("other:", 100);
  const pipe = [...users, ...others].map((k) => encode(["SET", k, "x"]));
  const r = await runTool("redis-cli", ["-p", String(t.port), "--pipe"], concat(pipe));
  assert.equal(r.code, 0, r.stderr);
  // (redis-cli 7.0 has no --count for --scan.)
  const out = await cli(t.port, "--scan", "--pattern", "user:*");
  const got = out.split("\n").filter((l) => l !== "");
  assert.equal(got.length, 1000, `${t.name}: --scan returned ${got.length} keys`);
  assert.deepEqual(got.sort(), [...users].sort());
  const all = (await cli(t.port, "--scan")).split("\n").filter((l) => l !== "");
  assert.equal(all.length, 1100);
}

/** --pipe with a few thousand mixed commands, including some that fail. */
async function pipeMode(t: Target): Promise<void> {
  await cli(t.port, "flushall");
  const cmds: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) cmds.push(encode(["SET", `p:${i}`, String(i)]));
  for (let i = 0; i < 1000; i++) cmds.push(encode(["INCR", "p:counter"]));
  for (let i = 0; i < 500; i++) cmds.push(encode(["INCRBY", `p:${i}`, "1000"]));
  for (let i = 0; i < 10; i++) cmds.push(encode(["INCR", "p:notanumber"]));
  cmds.unshift(encode(["SET", "p:notanumber", "abc"]));
  // Inline commands are accepted in the same stream.
  cmds.push(enc.encode("SET p:inline 'hello world'\r\n"));
  const r = await runTool("redis-cli", ["-p", String(t.port), "--pipe"], concat(cmds));
  // redis-cli --pipe exits 1 when any reply was an error (the 10 INCRs of "abc").
  assert.equal(r.code, 1, `${t.name}: redis-cli --pipe: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /errors: 10, replies: 4512/, `${t.name}: ${r.stdout}`);
  assert.equal(await cli(t.port, "dbsize"), "3003\n");
  assert.equal(await cli(t.port, "get", "p:counter"), "1000\n");
  assert.equal(await cli(t.port, "get", "p:7"), "1007\n");
  assert.equal(await cli(t.port, "get", "p:2999"), "2999\n");
  assert.equal(await cli(t.port, "get", "p:inline"), "hello world\n");
}

/** The --bigkeys summary (SCAN + TYPE + STRLEN under the hood) matches redis-server's. */
async function bigkeys(targets: Target[]): Promise<void> {
  const summaries: string[] = [];
  for (const t of targets) {
    await cli(t.port, "flushall");
    const cmds = spreadKeys("big:", 60).map((k, i) => encode(["SET", k, "x".repeat(i * 7 + 1)]));
    await runTool("redis-cli", ["-p", String(t.port), "--pipe"], concat(cmds));
    const out = await cli(t.port, "--bigkeys");
    const at = out.indexOf("-------- summary -------");
    assert.ok(at >= 0, `${t.name}: --bigkeys printed no summary:\n${out}`);
    summaries.push(out.slice(at));
  }
  for (let i = 1; i < targets.length; i++) {
    assert.equal(summaries[i], summaries[0], `${targets[i].name}: --bigkeys summary`);
  }
}

Deno.test("redis-cli against skua matches redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    await t.step("stdin commands, raw output", () => outputsMatch(targets, []));
    await t.step("stdin commands, --no-raw output", () => outputsMatch(targets, ["--no-raw"]));
    await t.step("stdin commands, RESP3 (-3)", () => outputsMatch(targets, ["-3", "--no-raw"]));
    await t.step("stdin commands, RESP3 raw", () => outputsMatch(targets, ["-3"]));
    await t.step("--bigkeys summary", () => bigkeys(targets));
    for (const target of targets.slice(1)) {
      await t.step(`${target.name}: -r, -n and -x`, () => repeatsAndDatabases(target));
      await t.step(`${target.name}: --scan`, () => scanMode(target));
      await t.step(`${target.name}: --pipe`, () => pipeMode(target));
    }
  });
});
