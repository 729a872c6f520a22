/**
 * Generates src/commands/meta.json from a live redis-server 7.0.15:
 *
 *   deno task gen:meta   (= deno run -A tools/gen_meta.ts) [redis-server binary]
 *
 * It also exports the tiny reference-server harness (spawn redis-server on a free port, typed
 * RESP3 client) that the tests use to compare Skua against the real thing.
 *
 * Reply types are kept so the server can rebuild COMMAND INFO / COMMAND DOCS byte for byte:
 * every map/array/set/scalar in the captured replies is mapped to plain JSON, and the type
 * Redis used for each field is recorded once, per field path, in meta.json's "$types" (the
 * generator fails if one path is ever seen with two different types).
 */

/** A RESP3 value with its wire type preserved. Strings are latin1 (one char per byte). */
export type Resp =
  | { t: "simple"; v: string }
  | { t: "bulk"; v: string }
  | { t: "verbatim"; v: string }
  | { t: "err"; v: string }
  | { t: "int"; v: number | bigint }
  | { t: "double"; v: string }
  | { t: "bignum"; v: string }
  | { t: "bool"; v: boolean }
  | { t: "null" }
  | { t: "array" | "set" | "push"; v: Resp[] }
  | { t: "map"; v: [Resp, Resp][] };

const CR = 13;

function latin1(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode(...b.subarray(i, Math.min(end, i + 4096)));
  }
  return s;
}

/** Parses one RESP2/RESP3 value at `pos`; returns undefined when the buffer is incomplete. */
export function parseResp(b: Uint8Array, pos: number, len: number): [Resp, number] | undefined {
  let eol = pos;
  while (eol + 1 < len && b[eol] !== CR) eol++;
  if (eol + 1 >= len) return undefined;
  const type = String.fromCharCode(b[pos]);
  const line = latin1(b, pos + 1, eol);
  let p = eol + 2;
  const n = Number(line);
  switch (type) {
    case "+":
      return [{ t: "simple", v: line }, p];
    case "-":
      return [{ t: "err", v: line }, p];
    case ":":
      return [{ t: "int", v: Number.isSafeInteger(n) ? n : BigInt(line) }, p];
    case ",":
      return [{ t: "double", v: line }, p];
    case "(":
      return [{ t: "bignum", v: line }, p];
    case "#":
      return [{ t: "bool", v: line === "t" }, p];
    case "_":
      return [{ t: "null" }, p];
    case "$":
    case "=": {
      if (n < 0) return [{ t: "null" }, p];
      if (p + n + 2 > len) return undefined;
      const v = latin1(b, p, p + n);
      return [{ t: type === "$" ? "bulk" : "verbatim", v }, p + n + 2];
    }
    case "*":
    case "~":
    case ">": {
      if (n < 0) return [{ t: "null" }, p];
      const items: Resp[] = [];
      for (let i = 0; i < n; i++) {
        const r = parseResp(b, p, len);
        if (!r) return undefined;
        items.push(r[0]);
        p = r[1];
      }
      return [{ t: type === "*" ? "array" : type === "~" ? "set" : "push", v: items }, p];
    }
    case "%":
    case "|": {
      const pairs: [Resp, Resp][] = [];
      for (let i = 0; i < n; i++) {
        const k = parseResp(b, p, len);
        if (!k) return undefined;
        const v = parseResp(b, k[1], len);
        if (!v) return undefined;
        pairs.push([k[0], v[0]]);
        p = v[1];
      }
      // An attribute (`|`) precedes the real reply; skip it.
      if (type === "|") return parseResp(b, p, len);
      return [{ t: "map", v: pairs }, p];
    }
  }
  throw new Error(`bad RESP type byte ${JSON.stringify(type)}`);
}

function encodeCommand(args: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
  parts.push(ascii(`*${args.length}\r\n`));
  for (const a of args) {
    const bytes = typeof a === "string" ? ascii(a) : a;
    parts.push(ascii(`$${bytes.length}\r\n`), bytes, ascii("\r\n"));
  }
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A minimal sequential RESP client (one command in flight). Strings are sent as latin1. */
export class RespClient {
  #conn: Deno.Conn;
  #buf = new Uint8Array(1 << 16);
  #len = 0;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  static async connect(port: number): Promise<RespClient> {
    return new RespClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async call(...args: (string | Uint8Array)[]): Promise<Resp> {
    const out = encodeCommand(args);
    for (let o = 0; o < out.length;) o += await this.#conn.write(out.subarray(o));
    for (;;) {
      const r = this.#len > 0 ? parseResp(this.#buf, 0, this.#len) : undefined;
      if (r) {
        this.#buf.copyWithin(0, r[1], this.#len);
        this.#len -= r[1];
        return r[0];
      }
      if (this.#len === this.#buf.length) {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
      const n = await this.#conn.read(this.#buf.subarray(this.#len));
      if (n === null) throw new Error("connection closed by redis-server");
      this.#len += n;
    }
  }

  /** Calls and returns the reply as a latin1 string (bulk/simple/int/double); throws on error. */
  async str(...args: (string | Uint8Array)[]): Promise<string | null> {
    const r = await this.call(...args);
    switch (r.t) {
      case "err":
        throw new Error(r.v);
      case "null":
        return null;
      case "int":
        return String(r.v);
      case "simple":
      case "bulk":
      case "verbatim":
      case "double":
      case "bignum":
        return r.v;
    }
    throw new Error(`unexpected reply type ${r.t}`);
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** A redis-server child process on a free port, with a throwaway working directory. */
export class RefRedis {
  readonly port: number;
  #child: Deno.ChildProcess;
  #dir: string;

  private constructor(port: number, child: Deno.ChildProcess, dir: string) {
    this.port = port;
    this.#child = child;
    this.#dir = dir;
  }

  /** Starts redis-server; `extra` are extra command-line config args (e.g. cluster mode). */
  static async start(extra: string[] = [], binary = "redis-server"): Promise<RefRedis> {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const dir = await Deno.makeTempDir({ prefix: "skua-ref-redis-" });
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"];
    args.push("no", "--dir", dir, "--daemonize", "no", "--loglevel", "warning", ...extra);
    const child = new Deno.Command(binary, { args, stdout: "null", stderr: "null" }).spawn();
    const ref = new RefRedis(port, child, dir);
    for (let i = 0;; i++) {
      try {
        const c = await RespClient.connect(port);
        const pong = await c.call("PING");
        c.close();
        if (pong.t === "simple") return ref;
      } catch (e) {
        if (i > 100) {
          await ref.stop();
          throw e;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  client(): Promise<RespClient> {
    return RespClient.connect(this.port);
  }

  async stop(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.#child.status;
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

type Json = null | number | string | Json[] | { [k: string]: Json };

/** The generalized field path used as a key of meta.json's "$types" (see meta.ts). */
export function typePath(path: string): string {
  return path.replace(/(\.arguments\[\])+/g, ".arguments[]");
}

const INFO_FIELDS = [
  "name",
  "arity",
  "flags",
  "firstKey",
  "lastKey",
  "step",
  "aclCategories",
  "tips",
  "keySpecs",
  "subcommands",
];

class TypeRecorder {
  readonly types: Record<string, string> = {};

  note(path: string, t: string): void {
    const p = typePath(path);
    const seen = this.types[p];
    if (seen !== undefined && seen !== t) {
      throw new Error(`field ${p} seen as both ${seen} and ${t}: meta.json cannot type it`);
    }
    this.types[p] = t;
  }

  /** Converts a captured reply to plain JSON, noting the wire type of every field. */
  plain(r: Resp, path: string): Json {
    this.note(path, r.t);
    switch (r.t) {
      case "int":
        if (typeof r.v !== "number") throw new Error(`integer beyond 2^53 at ${path}`);
        return r.v;
      case "bulk":
      case "simple":
        return r.v;
      case "null":
        return null;
      case "array":
      case "set":
        return r.v.map((x) => this.plain(x, `${path}[]`));
      case "map": {
        const o: { [k: string]: Json } = {};
        for (const [k, v] of r.v) {
          if (k.t !== "bulk") throw new Error(`non-bulk map key at ${path}`);
          // Integer-like keys would be reordered by JSON.parse and lose Redis's field order.
          if (/^\d+$/.test(k.v)) throw new Error(`integer-like map key ${k.v} at ${path}`);
          o[k.v] = this.plain(v, `${path}.${k.v}`);
        }
        return o;
      }
    }
    throw new Error(`unexpected reply type ${r.t} at ${path}`);
  }
}

function asArray(r: Resp, what: string): Resp[] {
  if (r.t !== "array" && r.t !== "set") throw new Error(`${what}: expected an array, got ${r.t}`);
  return r.v;
}

function asMap(r: Resp, what: string): [Resp, Resp][] {
  if (r.t !== "map") throw new Error(`${what}: expected a map, got ${r.t}`);
  return r.v;
}

function bulkKey(r: Resp): string {
  if (r.t !== "bulk") throw new Error(`expected a bulk string, got ${r.t}`);
  return r.v;
}

interface Entry {
  [k: string]: Json;
}

/** Flattens one COMMAND INFO entry (and its subcommands) into `out`. */
function addInfo(rec: TypeRecorder, info: Resp, out: Map<string, Entry>): void {
  const fields = asArray(info, "COMMAND INFO entry");
  if (fields.length !== INFO_FIELDS.length) throw new Error("COMMAND INFO entry has new fields");
  const name = rec.plain(fields[0], "name") as string;
  const entry: Entry = {};
  for (let i = 1; i < INFO_FIELDS.length - 1; i++) {
    entry[INFO_FIELDS[i]] = rec.plain(fields[i], INFO_FIELDS[i]);
  }
  const subs = fields[INFO_FIELDS.length - 1];
  // Redis replies an empty set when there are no subcommands and an array otherwise.
  const subList = asArray(subs, "subcommands");
  if (subList.length === 0 ? subs.t !== "set" : subs.t !== "array") {
    throw new Error(`${name}: unexpected subcommands reply type ${subs.t}`);
  }
  const subNames: string[] = [];
  for (const s of subList) {
    addInfo(rec, s, out);
    subNames.push(bulkKey(asArray(s, "subcommand")[0]));
  }
  entry.subcommands = subNames.sort();
  out.set(name.toLowerCase(), entry);
}

/** Attaches one COMMAND DOCS entry (and its subcommands' docs) to the entries. */
function addDocs(rec: TypeRecorder, name: string, docs: Resp, out: Map<string, Entry>): void {
  const entry = out.get(name);
  if (!entry) throw new Error(`COMMAND DOCS has ${name} but COMMAND INFO does not`);
  const pairs = asMap(docs, `docs of ${name}`);
  const own: [Resp, Resp][] = [];
  for (let i = 0; i < pairs.length; i++) {
    const [k, v] = pairs[i];
    if (bulkKey(k) !== "subcommands") {
      own.push(pairs[i]);
      continue;
    }
    if (i !== pairs.length - 1) throw new Error(`${name}: docs subcommands is not the last field`);
    rec.note("docs.subcommands", v.t);
    for (const [sk, sv] of asMap(v, "docs subcommands")) addDocs(rec, bulkKey(sk), sv, out);
  }
  entry.docs = rec.plain({ t: "map", v: own }, "docs");
}

export interface Captured {
  version: string;
  types: Record<string, string>;
  commands: Map<string, Entry>;
}

/** Captures COMMAND INFO and COMMAND DOCS of every command (RESP3, so maps and sets show). */
export async function captureMeta(c: RespClient): Promise<Captured> {
  await c.call("HELLO", "3");
  const rec = new TypeRecorder();
  const commands = new Map<string, Entry>();
  for (const info of asArray(await c.call("COMMAND", "INFO"), "COMMAND INFO")) {
    addInfo(rec, info, commands);
  }
  for (const [k, v] of asMap(await c.call("COMMAND", "DOCS"), "COMMAND DOCS")) {
    addDocs(rec, bulkKey(k), v, commands);
  }
  for (const [name, e] of commands) {
    if (e.docs === undefined) throw new Error(`${name} has no COMMAND DOCS entry`);
  }
  rec.types.subcommands = "array";
  const infoText = (await c.str("INFO", "server")) ?? "";
  const version = /redis_version:([^\r\n]+)/.exec(infoText)?.[1] ?? "unknown";
  return { version, types: rec.types, commands };
}

/** meta.json text: one line per command so regenerations diff well (deno fmt expands it). */
export function renderMeta(cap: Captured): string {
  const lines = [
    `"$redis":${JSON.stringify(cap.version)}`,
    `"$types":${JSON.stringify(Object.fromEntries(Object.entries(cap.types).sort()))}`,
  ];
  for (const name of [...cap.commands.keys()].sort()) {
    lines.push(`${JSON.stringify(name)}:${JSON.stringify(cap.commands.get(name))}`);
  }
  return `{\n${lines.join(",\n")}\n}\n`;
}

async function main(): Promise<void> {
  const binary = Deno.args[0] ?? "redis-server";
  const out = new URL("../src/commands/meta.json", import.meta.url);
  const server = await RefRedis.start([], binary);
  try {
    const c = await server.client();
    const cap = await captureMeta(c);
    c.close();
    await Deno.writeTextFile(out, renderMeta(cap));
    // Keep `deno fmt --check` of the tree green.
    const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", out.pathname] })
      .output();
    if (!fmt.success) console.error("deno fmt of meta.json failed; left it unformatted");
    console.log(`wrote ${out.pathname}: ${cap.commands.size} commands from redis ${cap.version}`);
  } finally {
    await server.stop();
  }
}

if (import.meta.main) await main();
