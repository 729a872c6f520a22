/**
 * Differential testing: the same command sequence goes to redis-server (the reference) and to
 * Skua with 1 and 3 shards, in RESP2 and in RESP3, and every reply is compared byte for byte.
 * Only what legitimately differs between two servers is normalized, per command, by the
 * sequence itself (see the `norm` helpers below); everything else must be identical.
 */

import { AssertionError } from "node:assert/strict";
import { type Arg, encode, parse, type Reply, RespConn, show, toLatin1, withConn } from "./resp.ts";
import { type ServerHandle, startRedis, startUnderTest, withServers } from "./server.ts";

/** Maps raw reply bytes to the form that is compared. */
export type Normalizer = (raw: Uint8Array) => string;

export interface Step {
  args: Arg[];
  /** applied to the reply of both servers before comparing */
  norm?: Normalizer;
}

export type Cmd = Arg[] | Step;

export interface Target {
  name: string;
  port: number;
}

export interface RunOptions {
  /** run with HELLO 3 first */
  resp3?: boolean;
  /** send all commands in one write, then read the replies */
  pipelined?: boolean;
}

function stepOf(c: Cmd): Step {
  return Array.isArray(c) ? { args: c } : c;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function label(args: Arg[]): string {
  return args.map((a) => typeof a === "string" ? show(a, 60) : String(a)).join(" ");
}

/**
 * Runs `cmds` on a new connection, after a FLUSHALL; returns the replies (normalized where the
 * step says so). A missing reply (the server closed the connection) ends the list.
 */
async function runOn(port: number, cmds: Cmd[], opts: RunOptions): Promise<string[]> {
  const c = await RespConn.connect(port);
  try {
    if (opts.resp3) await c.hello3();
    await c.send("FLUSHALL");
    const out: string[] = [];
    // Replies are read while the pipeline is still being written: a server that stops reading
    // until its replies are consumed must not deadlock the test.
    const writing = opts.pipelined
      ? c.writeRaw(concat(cmds.map((cmd) => encode(stepOf(cmd).args)))).catch((e: Error) => e)
      : null;
    for (const cmd of cmds) {
      const s = stepOf(cmd);
      let raw: Uint8Array;
      try {
        raw = opts.pipelined ? await c.readRaw() : await c.send(...s.args);
      } catch (e) {
        out.push(`<no reply: ${(e as Error).message}>`);
        break;
      }
      out.push(s.norm ? s.norm(raw) : toLatin1(raw));
    }
    await writing;
    return out;
  } finally {
    c.close();
  }
}

/** Compares every target against targets[0]; returns one line per differing reply. */
export async function differences(
  targets: Target[],
  cmds: Cmd[],
  opts: RunOptions = {},
): Promise<string[]> {
  const [ref, ...rest] = targets;
  const want = await runOn(ref.port, cmds, opts);
  const diffs: string[] = [];
  for (const t of rest) {
    const got = await runOn(t.port, cmds, opts);
    for (let i = 0; i < Math.max(want.length, got.length); i++) {
      if (want[i] === got[i]) continue;
      const args = i < cmds.length ? label(stepOf(cmds[i]).args) : "?";
      const mode = `${opts.resp3 ? "resp3" : "resp2"}${opts.pipelined ? " pipelined" : ""}`;
      diffs.push(
        `[${t.name} ${mode}] #${i} ${args}\n` +
          `    ${ref.name}: ${show(want[i] ?? "<none>")}\n    ${t.name}: ${
            show(got[i] ?? "<none>")
          }`,
      );
    }
  }
  return diffs;
}

/**
 * Asserts identical replies in RESP2 and in RESP3, one command at a time, and once more with
 * the whole sequence pipelined in one write (RESP2).
 */
export async function assertSame(targets: Target[], cmds: Cmd[]): Promise<void> {
  const diffs: string[] = [];
  diffs.push(...await differences(targets, cmds, {}));
  diffs.push(...await differences(targets, cmds, { resp3: true }));
  diffs.push(...await differences(targets, cmds, { pipelined: true }));
  if (diffs.length > 0) {
    throw new AssertionError({
      message: `${diffs.length} replies differ from redis-server:\n${diffs.join("\n")}`,
    });
  }
}

/**
 * Starts redis-server, Skua with 1 shard and Skua with 3 shards, runs `fn` with them as targets
 * (redis-server first: it is the reference), and stops all three.
 * With SKUA_TEST_REFERENCE=1 the two "Skua" targets are more redis-servers: that checks the
 * tests themselves are deterministic (any difference then is a flaw in the test, not Skua).
 */
export async function withDiffTargets(fn: (targets: Target[]) => Promise<void>): Promise<void> {
  await withServers(
    [() => startRedis(), () => startUnderTest({ shards: 1 }), () => startUnderTest({ shards: 3 })],
    async (s: ServerHandle[]) => {
      await fn([
        { name: "redis", port: s[0].port },
        { name: "skua1", port: s[1].port },
        { name: "skua3", port: s[2].port },
      ]);
    },
  );
}

// ---- normalizers: each says what legitimately differs ------------------------------------

/** Any integer reply becomes `:<int>`: for values that depend on the server (ids, clocks). */
export const anyInt: Normalizer = (raw) => toLatin1(raw).replace(/^:-?\d+\r\n$/, ":<int>\r\n");

/** Integer reply within `tol` of `center` (TTLs counting down) shown as `:~center`. */
export function near(center: number, tol: number): Normalizer {
  return (raw) => {
    const m = /^:(-?\d+)\r\n$/.exec(toLatin1(raw));
    if (m && Math.abs(Number(m[1]) - center) <= tol) return `:~${center}`;
    return toLatin1(raw);
  };
}

/**
 * Array/set of bulk strings compared as a sorted list: for replies whose order depends on the
 * hash table layout (KEYS, SCAN pages), which differs between any two servers.
 */
export const sorted: Normalizer = (raw) => {
  const r = parse(raw);
  const items = Array.isArray(r) ? r : setItems(r);
  if (items === null) return toLatin1(raw);
  const head = toLatin1(raw).slice(0, 1);
  return `${head}${items.map(render).sort().join(",")}`;
};

/** CONFIG GET replies: the (name, value) pairs as a sorted list; the order is dict order. */
export const sortedPairs: Normalizer = (raw) => {
  const r = parse(raw);
  const pairs: string[] = [];
  if (Array.isArray(r)) {
    for (let i = 0; i + 1 < r.length; i += 2) pairs.push(`${render(r[i])}=${render(r[i + 1])}`);
  } else if (mapEntries(r) !== null) {
    for (const [k, v] of mapEntries(r)!) pairs.push(`${render(k)}=${render(v)}`);
  } else return toLatin1(raw);
  return `${toLatin1(raw).slice(0, 1)}${pairs.sort().join(",")}`;
};

function isObj(r: Reply): r is Exclude<Reply, Uint8Array | Reply[]> & object {
  return r !== null && typeof r === "object" && !(r instanceof Uint8Array) && !Array.isArray(r);
}

/** Elements of a RESP3 set reply, else null. */
export function setItems(r: Reply): Reply[] | null {
  return isObj(r) && "set" in r ? r.set : null;
}

/** Entries of a RESP3 map reply, else null. */
export function mapEntries(r: Reply): [Reply, Reply][] | null {
  return isObj(r) && "map" in r ? r.map : null;
}

/** A compact, type-revealing text form of a parsed reply (for normalizers). */
export function render(r: Reply): string {
  if (r === null) return "nil";
  if (r instanceof Uint8Array) return `$${JSON.stringify(toLatin1(r))}`;
  if (typeof r === "string") return `+${r}`;
  if (typeof r === "number" || typeof r === "bigint") return `:${r}`;
  if (typeof r === "boolean") return `#${r}`;
  if (Array.isArray(r)) return `[${r.map(render).join(",")}]`;
  if ("error" in r) return `-${r.error}`;
  if ("map" in r) return `{${r.map.map(([k, v]) => `${render(k)}:${render(v)}`).join(",")}}`;
  if ("set" in r) return `~[${r.set.map(render).join(",")}]`;
  if ("double" in r) return `,${r.double}`;
  if ("verbatim" in r) return `=${JSON.stringify(r.verbatim)}`;
  if ("push" in r) return `>[${r.push.map(render).join(",")}]`;
  return `(${r.big}`;
}

/** A single bulk reply that is one of `from` becomes `<member>` (random picks); else as is. */
export function oneOf(from: string[]): Normalizer {
  return (raw) => {
    const r = parse(raw);
    return r instanceof Uint8Array && from.includes(toLatin1(r)) ? "<member>" : toLatin1(raw);
  };
}

/** A command creating a non-string value at a key, on a target that has one (WRONGTYPE tests). */
export async function nonStringMaker(t: Target): Promise<((key: string) => string[]) | null> {
  const candidates: [string, (k: string) => string[]][] = [
    ["lpush", (k) => ["LPUSH", k, "x"]],
    ["sadd", (k) => ["SADD", k, "x"]],
    ["hset", (k) => ["HSET", k, "f", "v"]],
    ["zadd", (k) => ["ZADD", k, "1", "x"]],
  ];
  for (const [name, make] of candidates) if (await hasCommand(t, name)) return make;
  return null;
}

/** Does the target know the command (COMMAND INFO)? */
export async function hasCommand(t: Target, name: string): Promise<boolean> {
  const r = await withConn(t.port, async (c) => parse(await c.send("COMMAND", "INFO", name)));
  return Array.isArray(r) && r.length === 1 && r[0] !== null;
}
