import assert from "node:assert/strict";
import {
  allCommandNames,
  commandDocsBytes,
  commandInfoBytes,
  commandMeta,
  META_REDIS_VERSION,
  topLevelCommandNames,
} from "../src/commands/meta.ts";
import { parseResp, RefRedis, type Resp, RespClient } from "../tools/gen_meta.ts";

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function parseAll(b: Uint8Array): Resp {
  const r = parseResp(b, 0, b.length);
  assert.ok(r, "encoded reply is incomplete");
  assert.equal(r[1], b.length, "encoded reply has trailing bytes");
  return r[0];
}

function nameOf(r: Resp): string {
  return r.t === "array" && r.v[0].t === "bulk" ? r.v[0].v : "";
}

/** Subcommand order is a random dict order in Redis: sort it on both sides. */
function sortInfoSubs(r: Resp): Resp {
  if (r.t !== "array" || r.v.length !== 10) return r;
  const subs = r.v[9];
  if (subs.t !== "array") return r;
  const sorted = subs.v.map(sortInfoSubs).sort((a, b) => nameOf(a) < nameOf(b) ? -1 : 1);
  return { t: "array", v: [...r.v.slice(0, 9), { t: "array", v: sorted }] };
}

function sortPairs(pairs: [Resp, Resp][]): [Resp, Resp][] {
  const key = (p: [Resp, Resp]) => (p[0].t === "bulk" ? p[0].v : "");
  return pairs.slice().sort((a, b) => key(a) < key(b) ? -1 : 1);
}

function sortDocsSubs(r: Resp): Resp {
  if (r.t === "map") {
    return {
      t: "map",
      v: r.v.map(([k, v]): [Resp, Resp] => {
        if (k.t === "bulk" && k.v === "subcommands" && v.t === "map") {
          return [k, { t: "map", v: sortPairs(v.v).map(([a, b]) => [a, sortDocsSubs(b)]) }];
        }
        return [k, sortDocsSubs(v)];
      }),
    };
  }
  if (r.t === "array") {
    // RESP2 flat map: a bulk "subcommands" followed by the flat subcommand map.
    const v = r.v.map(sortDocsSubs);
    for (let i = 0; i + 1 < v.length; i++) {
      const k = v[i], x = v[i + 1];
      if (k.t === "bulk" && k.v === "subcommands" && x.t === "array") {
        const pairs: [Resp, Resp][] = [];
        for (let j = 0; j < x.v.length; j += 2) pairs.push([x.v[j], x.v[j + 1]]);
        v[i + 1] = { t: "array", v: sortPairs(pairs).flat() };
      }
    }
    return { t: "array", v };
  }
  return r;
}

async function withRedis(fn: (c: RespClient) => Promise<void>): Promise<void> {
  const server = await RefRedis.start();
  const c = await server.client();
  try {
    await fn(c);
  } finally {
    c.close();
    await server.stop();
  }
}

Deno.test("meta.json covers every command of redis-server with its arity", async () => {
  await withRedis(async (c) => {
    assert.equal(META_REDIS_VERSION, "7.0.15");
    const list = await c.call("COMMAND", "LIST");
    assert.equal(list.t, "array");
    const names = list.v.map((x) => (x.t === "bulk" ? x.v : "")).sort();
    assert.deepEqual(allCommandNames(), names);
    const count = await c.call("COMMAND", "COUNT");
    assert.deepEqual(count, { t: "int", v: topLevelCommandNames().length });
    const infos = await c.call("COMMAND", "INFO", ...names);
    assert.equal(infos.t, "array");
    infos.v.forEach((info, i) => {
      assert.equal(info.t, "array");
      const m = commandMeta(names[i]);
      assert.ok(m, names[i]);
      assert.deepEqual(info.v[1], { t: "int", v: m.arity }, names[i]);
      assert.deepEqual(info.v[3], { t: "int", v: m.firstKey }, names[i]);
    });
    assert.equal(commandMeta("nosuchcommand"), undefined);
    assert.equal(commandMeta("get")?.arity, 2);
    assert.deepEqual(commandMeta("config")?.subcommands.includes("config|get"), true);
    assert.equal(commandMeta("config|get")?.arity, -3);
  });
});

for (const proto of [2, 3]) {
  Deno.test(`COMMAND INFO / COMMAND DOCS rebuilt from meta.json match redis (RESP${proto})`, async () => {
    await withRedis(async (c) => {
      await c.call("HELLO", String(proto));
      const resp3 = proto === 3;
      for (const name of allCommandNames()) {
        const info = await c.call("COMMAND", "INFO", name);
        const mine = parseAll(concat(ascii("*1\r\n"), commandInfoBytes(name, resp3)!));
        assert.deepEqual(
          sortInfoSubs(info.t === "array" ? info.v[0] : info),
          sortInfoSubs(mine.t === "array" ? mine.v[0] : mine),
          `COMMAND INFO ${name}`,
        );
        const docs = await c.call("COMMAND", "DOCS", name);
        const head = ascii(resp3 ? "%1\r\n" : "*2\r\n");
        const myDocs = parseAll(concat(head, commandDocsBytes(name, resp3)!));
        assert.deepEqual(sortDocsSubs(docs), sortDocsSubs(myDocs), `COMMAND DOCS ${name}`);
      }
    });
  });
}
