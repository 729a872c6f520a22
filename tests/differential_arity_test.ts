/**
 * Wrong number of arguments for every implemented command and subcommand, compared with
 * redis-server byte for byte (RESP2 and RESP3) against Skua with 1 and 3 shards. The arities
 * come from the reference server's own COMMAND INFO, so this follows Redis, not a copy of it.
 * Each bad call is followed by a PING: an arity error must not disturb the connection.
 */

import assert from "node:assert/strict";
import { assertSame, type Cmd, withDiffTargets } from "./helpers/diff.ts";
import { IMPLEMENTED, IMPLEMENTED_SUB } from "./helpers/commands.ts";
import { type Reply, withConn } from "./helpers/resp.ts";

/** Arity of `name` (`get`, `client|id`) from the server's COMMAND INFO. */
async function arities(port: number, names: string[]): Promise<Map<string, number>> {
  return await withConn(port, async (c) => {
    const info = await c.call("COMMAND", "INFO", ...names) as Reply[];
    const out = new Map<string, number>();
    names.forEach((n, i) => {
      const entry = info[i] as Reply[] | null;
      assert.ok(Array.isArray(entry), `reference server lacks ${n}`);
      out.set(n, entry[1] as number);
    });
    return out;
  });
}

/** Calls with a wrong argument count: for arity n, n-1 and n+1 args; for -n, n-1 args. */
function wrongCalls(name: string, arity: number): string[][] {
  const prefix = name.split("|").map((p) => p.toUpperCase());
  const counts = arity > 0 ? [arity - 1, arity + 1] : [-arity - 1];
  const calls: string[][] = [];
  for (const total of counts) {
    if (total < prefix.length) continue; // e.g. PING (arity -1) cannot be called with too few
    const args = [...prefix];
    // Filler that is valid where it matters least: a key-like word, then numbers.
    for (let i = args.length; i < total; i++) args.push(i === prefix.length ? "k" : "1");
    calls.push(args);
  }
  return calls;
}

Deno.test("differential: wrong arity errors match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    const table = await arities(targets[0].port, [...IMPLEMENTED, ...IMPLEMENTED_SUB]);
    for (const group of [IMPLEMENTED, IMPLEMENTED_SUB]) {
      const cmds: Cmd[] = [];
      for (const name of group) {
        // QUIT would close the connection; its arity (-1) has no wrong call anyway.
        if (name === "quit") continue;
        for (const call of wrongCalls(name, table.get(name)!)) cmds.push(call, ["PING"]);
      }
      await t.step(group === IMPLEMENTED ? "commands" : "subcommands", async () => {
        assert.ok(cmds.length >= 10, "too few wrong-arity calls generated");
        await assertSame(targets, cmds);
      });
    }
  });
});
