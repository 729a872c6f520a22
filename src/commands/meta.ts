/**
 * Redis's own command metadata (COMMAND INFO + COMMAND DOCS of redis-server 7.0.15), captured by
 * tools/gen_meta.ts into meta.json, and the typed replies COMMAND INFO / COMMAND DOCS are rebuilt from.
 *
 * meta.json holds plain JSON values; "$types" records the RESP type Redis used for every field
 * path (see tools/gen_meta.ts `typePath`), so replies can be rebuilt exactly in RESP2 and RESP3:
 * maps are RESP3 maps (flat arrays in RESP2), sets are RESP3 sets (arrays in RESP2). The
 * order of fields inside each map is Redis's. Two things Redis itself does not fix and meta.json
 * therefore sorts: the order of commands, and of a command's subcommands (Redis iterates a
 * randomly seeded dict, so the order changes on every redis-server start).
 */
import meta from "./meta.json" with { type: "json" };

export interface CommandMeta {
  name: string;
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  aclCategories: string[];
  tips: string[];
  keySpecs: unknown[];
  docs: Record<string, unknown>;
  subcommands: string[];
}

/** A reply tree with Redis's wire types. Map keys are always bulk strings. */
export type MetaReply =
  | { t: "bulk" | "simple"; v: string }
  | { t: "int"; v: number }
  | { t: "array" | "set"; v: MetaReply[] }
  | { t: "map"; v: [string, MetaReply][] };

type RawEntry = Omit<CommandMeta, "name">;

const raw = meta as unknown as Record<string, unknown>;
const types = raw["$types"] as Record<string, string>;

/** The version of redis-server meta.json was generated from. */
export const META_REDIS_VERSION = raw["$redis"] as string;

const byName = new Map<string, CommandMeta>();
for (const [name, entry] of Object.entries(raw)) {
  if (name.startsWith("$")) continue;
  byName.set(name, { name, ...(entry as RawEntry) });
}
const allNames = [...byName.keys()];
const topNames = allNames.filter((n) => !n.includes("|"));

/** Metadata by lower-case name, or "parent|sub" for a subcommand. */
export function commandMeta(name: string): CommandMeta | undefined {
  return byName.get(name);
}

/** Every command and subcommand name (what COMMAND LIST returns), sorted. */
export function allCommandNames(): string[] {
  return allNames.slice();
}

/** Top-level command names only (what COMMAND COUNT counts), sorted. */
export function topLevelCommandNames(): string[] {
  return topNames.slice();
}

function typePath(path: string): string {
  // Same generalization as tools/gen_meta.ts: nested "arguments" share one type entry.
  return path.replace(/(\.arguments\[\])+/g, ".arguments[]");
}

/** Types a plain JSON value from meta.json by its field path. */
function typed(value: unknown, path: string): MetaReply {
  const p = typePath(path);
  const t = types[p];
  switch (t) {
    case "int":
      return { t, v: value as number };
    case "bulk":
    case "simple":
      return { t, v: value as string };
    case "array":
    case "set":
      return { t, v: (value as unknown[]).map((x) => typed(x, `${p}[]`)) };
    case "map":
      return {
        t,
        v: Object.entries(value as Record<string, unknown>).map((
          [k, x],
        ): [string, MetaReply] => [k, typed(x, `${p}.${k}`)]),
      };
  }
  throw new Error(`meta.json has no reply type for field ${p}`);
}

/** One element of the COMMAND / COMMAND INFO reply for this command. */
export function commandInfoReply(m: CommandMeta): MetaReply {
  const subs = m.subcommands.map((s) => commandInfoReply(byName.get(s)!));
  return {
    t: "array",
    v: [
      { t: "bulk", v: m.name },
      typed(m.arity, "arity"),
      typed(m.flags, "flags"),
      typed(m.firstKey, "firstKey"),
      typed(m.lastKey, "lastKey"),
      typed(m.step, "step"),
      typed(m.aclCategories, "aclCategories"),
      typed(m.tips, "tips"),
      typed(m.keySpecs, "keySpecs"),
      // Redis replies an empty set when there are no subcommands, an array otherwise.
      subs.length === 0 ? { t: "set", v: [] } : { t: "array", v: subs },
    ],
  };
}

/** The value of this command's entry in the COMMAND DOCS map (name is the key, not included). */
export function commandDocsReply(m: CommandMeta): MetaReply {
  const docs = typed(m.docs, "docs") as { t: "map"; v: [string, MetaReply][] };
  if (m.subcommands.length === 0) return docs;
  const subs = m.subcommands.map((s): [string, MetaReply] => [
    s,
    commandDocsReply(byName.get(s)!),
  ]);
  return { t: "map", v: [...docs.v, ["subcommands", { t: "map", v: subs }]] };
}

const asciiEncoder = new TextEncoder();

function encodeInto(r: MetaReply, resp3: boolean, out: string[]): void {
  switch (r.t) {
    case "bulk":
      out.push(`$${r.v.length}\r\n${r.v}\r\n`);
      return;
    case "simple":
      out.push(`+${r.v}\r\n`);
      return;
    case "int":
      out.push(`:${r.v}\r\n`);
      return;
    case "array":
    case "set":
      out.push(`${resp3 && r.t === "set" ? "~" : "*"}${r.v.length}\r\n`);
      for (const x of r.v) encodeInto(x, resp3, out);
      return;
    case "map":
      out.push(resp3 ? `%${r.v.length}\r\n` : `*${r.v.length * 2}\r\n`);
      for (const [k, x] of r.v) {
        out.push(`$${k.length}\r\n${k}\r\n`);
        encodeInto(x, resp3, out);
      }
  }
}

/** RESP bytes of a reply tree (RESP3 maps/sets, or their RESP2 flat-array forms). */
export function encodeMetaReply(r: MetaReply, resp3: boolean): Uint8Array {
  const out: string[] = [];
  encodeInto(r, resp3, out);
  const s = out.join("");
  // meta.json strings are latin1 (one char per byte); keep them byte-exact.
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Uint8Array.from(s, (c) => c.charCodeAt(0));
  }
  return asciiEncoder.encode(s);
}

const infoCache = [new Map<string, Uint8Array>(), new Map<string, Uint8Array>()];
const docsCache = [new Map<string, Uint8Array>(), new Map<string, Uint8Array>()];

/** Cached RESP bytes of one COMMAND INFO element for `name`, or undefined if unknown. */
export function commandInfoBytes(name: string, resp3: boolean): Uint8Array | undefined {
  const cache = infoCache[resp3 ? 1 : 0];
  let b = cache.get(name);
  if (b === undefined) {
    const m = byName.get(name);
    if (m === undefined) return undefined;
    b = encodeMetaReply(commandInfoReply(m), resp3);
    cache.set(name, b);
  }
  return b;
}

/**
 * Cached RESP bytes of one COMMAND DOCS map entry for `name`: the bulk name followed by its
 * docs map (so COMMAND DOCS is a map header plus these), or undefined if unknown.
 */
export function commandDocsBytes(name: string, resp3: boolean): Uint8Array | undefined {
  const cache = docsCache[resp3 ? 1 : 0];
  let b = cache.get(name);
  if (b === undefined) {
    const m = byName.get(name);
    if (m === undefined) return undefined;
    const docs = encodeMetaReply(commandDocsReply(m), resp3);
    const head = asciiEncoder.encode(`$${name.length}\r\n${name}\r\n`);
    b = new Uint8Array(head.length + docs.length);
    b.set(head);
    b.set(docs, head.length);
    cache.set(name, b);
  }
  return b;
}
