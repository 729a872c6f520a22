/**
 * The command table: one entry per command with Redis's own metadata (arity, flags, key
 * positions from `meta.json`, generated from redis-server) plus how Skua routes it and its
 * handler. Routing, COMMAND and arity checks all read this one table.
 */
import type { ReplyWriter } from "../resp/writer.ts";
import type { Db } from "../store/keyspace.ts";
import type { Client } from "../shard/client.ts";
import type { Shard } from "../shard/shard.ts";
import { commandMeta } from "./meta.ts";
import { latin1 } from "../util/bytes.ts";

/** Where a command runs. */
export const ROUTE_LOCAL = 0; // on the connection's own shard (no keys)
export const ROUTE_KEYS = 1; // on the shard(s) owning its keys
export const ROUTE_ALL = 2; // on every shard, replies folded

export interface Ctx {
  shard: Shard;
  db: Db;
  dbIndex: number;
  w: ReplyWriter;
  now: number;
  /** the connection, when running on its own shard; null when forwarded from a peer */
  client: Client | null;
  /** id of the client the command came from (also when forwarded) */
  clientId: number;
  /** running on shipped copies: the scratch database standing for database n (COPY ... DB) */
  copies: ((n: number) => Db) | null;
}

/** A command that needs the connection and the router itself (MULTI, EXEC, WATCH ...). */
export type Direct = (
  shard: Shard,
  c: Client,
  argv: Uint8Array[],
  argc: number,
  now: number,
) => void;

export type Handler = (ctx: Ctx, argv: Uint8Array[], argc: number) => void;

/**
 * Folds the per-shard replies of a command that ran on several shards into one reply.
 * `parts[i]` is the reply of the i-th part; `plan` is what the router recorded when splitting.
 */
export type Fold = (parts: Uint8Array[], w: ReplyWriter, plan: SplitPlan) => void;

/** How a multi-key command was split: for each part, the positions of its keys in the request. */
export interface SplitPlan {
  argc: number;
  keyPos: number[][];
}

/** Appends the positions of a command's keys to `out`; returns their count. */
export type KeysProc = (argv: Uint8Array[], argc: number, out: number[]) => number;

/** The database of the key at argv[pos], for a client on database `db` of `dbs`. */
export type KeyDbProc = (
  argv: Uint8Array[],
  argc: number,
  pos: number,
  db: number,
  dbs: number,
) => number;

export interface CommandSpec {
  name: string;
  route: number;
  handler: Handler;
  /** for ROUTE_KEYS commands whose keys may span shards, and for ROUTE_ALL */
  fold?: Fold;
  /** ROUTE_KEYS: how many args follow each key (MSET: 1) */
  keyStride?: number;
  /** ROUTE_KEYS commands without keys that still pick a shard from their arguments (SCAN) */
  target?: (shard: Shard, argv: Uint8Array[], argc: number) => number;
  /** replaces routing altogether (transaction control) */
  direct?: Direct;
  /** keys the key specs cannot place (SORT's STORE), found as Redis's getkeys_proc does */
  keys?: KeysProc;
  /** the database of the key at argv[pos] when not the client's (COPY ... DB n); see keyDb */
  keyDb?: KeyDbProc;
  /** false: a split over several shards needs no transaction (WATCH) */
  atomic?: boolean;
  /** subcommands (CONFIG GET, CLIENT LIST ...), keyed by lower-case name */
  sub?: CommandSpec[];
}

export interface Command {
  name: string;
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  route: number;
  handler: Handler;
  fold?: Fold;
  keyStride: number;
  target?: (shard: Shard, argv: Uint8Array[], argc: number) => number;
  direct?: Direct;
  keys?: KeysProc;
  keyDb?: KeyDbProc;
  atomic: boolean;
  write: boolean;
  /** keys found through Redis's key specs (numkeys arguments and the like) */
  movable: boolean;
  keySpecs: unknown[];
  sub: Map<string, Command> | null;
  /** "parent|sub" for subcommands */
  fullName: string;
}

const table = new Map<string, Command>();
/** Names of up to 6 bytes packed into a number (lower-cased): a lookup without a string. */
const packed = new Map<number, Command>();

function packName(b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c |= 0x20;
    n = n * 256 + c;
  }
  return n;
}

function build(spec: CommandSpec, parent: string | null): Command {
  const fullName = parent === null ? spec.name : `${parent}|${spec.name}`;
  const meta = commandMeta(fullName);
  if (meta === undefined) throw new Error(`no Redis metadata for command '${fullName}'`);
  const cmd: Command = {
    name: spec.name,
    fullName,
    arity: meta.arity,
    flags: meta.flags,
    firstKey: meta.firstKey,
    lastKey: meta.lastKey,
    step: meta.step,
    route: spec.route,
    handler: spec.handler,
    fold: spec.fold,
    keyStride: spec.keyStride ?? 0,
    target: spec.target,
    direct: spec.direct,
    keys: spec.keys,
    keyDb: spec.keyDb,
    atomic: spec.atomic ?? true,
    write: meta.flags.includes("write"),
    movable: meta.flags.includes("movablekeys"),
    keySpecs: meta.keySpecs,
    sub: null,
  };
  if (spec.sub !== undefined) {
    cmd.sub = new Map();
    for (const s of spec.sub) {
      const c = build(s, spec.name);
      cmd.sub.set(s.name, c);
      cmd.sub.set(s.name.toUpperCase(), c);
    }
  }
  return cmd;
}

export function register(specs: CommandSpec[]): void {
  for (const spec of specs) {
    const cmd = build(spec, null);
    table.set(spec.name, cmd);
    table.set(spec.name.toUpperCase(), cmd);
    if (spec.name.length <= 6) {
      packed.set(packName(new TextEncoder().encode(spec.name)), cmd);
    }
  }
}

/** Lookup by the raw name bytes, case-insensitively, without allocating for the usual cases. */
export function lookup(name: Uint8Array): Command | undefined {
  if (name.length <= 6) return packed.get(packName(name));
  const s = latin1(name);
  return table.get(s) ?? table.get(s.toLowerCase());
}

export function lookupSub(cmd: Command, name: Uint8Array): Command | undefined {
  const s = latin1(name);
  return cmd.sub!.get(s) ?? cmd.sub!.get(s.toLowerCase());
}

/** All registered top-level commands (each once). */
export function allCommands(): Command[] {
  const out: Command[] = [];
  for (const [k, c] of table) if (k === c.name) out.push(c);
  return out;
}

export function findCommand(name: string): Command | undefined {
  const lower = name.toLowerCase();
  const bar = lower.indexOf("|");
  if (bar < 0) return table.get(lower);
  return table.get(lower.slice(0, bar))?.sub?.get(lower.slice(bar + 1));
}

/** Arity check as Redis does it: exact when positive, minimum when negative. */
export function arityOk(cmd: Command, argc: number): boolean {
  const a = cmd.arity;
  return a > 0 ? argc === a : argc >= -a;
}

interface KeySpec {
  begin_search: { type: string; spec: { index?: number; keyword?: string; startfrom?: number } };
  find_keys: {
    type: string;
    spec: {
      lastkey?: number;
      keystep?: number;
      limit?: number;
      keynumidx?: number;
      firstkey?: number;
    };
  };
}

/** The database the key at argv[pos] lives in, for a client on database `db`. */
export function keyDb(
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  pos: number,
  db: number,
  dbs: number,
): number {
  return cmd.keyDb === undefined ? db : cmd.keyDb(argv, argc, pos, db, dbs);
}

/** Key positions from Redis 7 key specs (commands with movable keys), as getKeysUsingKeySpecs. */
function specPositions(cmd: Command, argv: Uint8Array[], argc: number, out: number[]): number {
  for (const ks of cmd.keySpecs as KeySpec[]) {
    const bs = ks.begin_search, fk = ks.find_keys;
    let first: number;
    if (bs.type === "index") first = bs.spec.index!;
    else if (bs.type === "keyword") {
      const kw = bs.spec.keyword!.toLowerCase();
      const from = bs.spec.startfrom!;
      first = -1;
      const start = from >= 0 ? from : argc + from;
      const dir = from >= 0 ? 1 : -1;
      for (let i = start; i > 0 && i < argc; i += dir) {
        if (latin1(argv[i]).toLowerCase() === kw) {
          first = i + 1;
          break;
        }
      }
      if (first < 0) continue;
    } else continue;
    let last: number, step: number;
    if (fk.type === "range") {
      step = fk.spec.keystep!;
      const lk = fk.spec.lastkey!;
      if (lk >= 0) last = first + lk;
      else if (!fk.spec.limit) last = argc + lk;
      else last = first + Math.floor((argc - first) / fk.spec.limit) + lk;
    } else if (fk.type === "keynum") {
      step = fk.spec.keystep!;
      const at = first + fk.spec.keynumidx!;
      if (at >= argc) continue;
      const n = Number(latin1(argv[at]));
      if (!Number.isSafeInteger(n) || n < 0 || !/^-?\d+$/.test(latin1(argv[at]))) continue;
      first += fk.spec.firstkey!;
      last = first + n - 1;
    } else continue;
    for (let i = first; i <= last && i < argc; i += step) out.push(i);
  }
  return out.length;
}

/**
 * Key positions of one invocation: from the (first, last, step) spec, or from the key specs
 * for commands with movable keys. Returns the positions into `out` and their count.
 */
export function keyPositions(
  cmd: Command,
  argc: number,
  out: number[],
  argv?: Uint8Array[],
): number {
  out.length = 0;
  if (cmd.keys !== undefined && argv !== undefined) return cmd.keys(argv, argc, out);
  if (cmd.movable && argv !== undefined) return specPositions(cmd, argv, argc, out);
  if (cmd.firstKey <= 0) return 0;
  const last = cmd.lastKey < 0 ? argc + cmd.lastKey : cmd.lastKey;
  for (let i = cmd.firstKey; i <= last && i < argc; i += cmd.step) out.push(i);
  return out.length;
}
