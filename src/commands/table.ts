/**
 * The command table: one entry per command with Redis's own metadata (arity, flags, key
 * specs and ACL categories from `meta.json`, generated from redis-server) joined with Skua's
 * handler and the few routing exceptions a command declares. Routing, COMMAND, arity checks
 * (and next ACLs and replication) all read this one table.
 *
 * Where a command runs follows from its metadata: a command with keys runs on the shard(s)
 * owning them; one without runs on the connection's own shard. Exceptions are declared per
 * command (see CommandOptions): fan-out to every shard, a fold for keys split over shards, a
 * target shard named by an argument, keys the specs cannot find.
 */
import type { ReplyWriter } from "../resp/writer.ts";
import type { Handler } from "./context.ts";
import { commandMeta } from "./meta.ts";
import { latin1 } from "../util/bytes.ts";
import { aclCommandId } from "./acl/catalog.ts";

/** Where a command runs. */
export const ROUTE_LOCAL = 0; // on the connection's own shard (no keys)
export const ROUTE_KEYS = 1; // on the shard(s) owning its keys
export const ROUTE_ALL = 2; // on every shard, replies folded

/** How a multi-key command was split: for each part, the positions of its keys in the request. */
export interface SplitPlan {
  argc: number;
  keyPos: number[][];
}

/**
 * Folds the per-shard replies of a command that ran on several shards into one reply.
 * `parts[i]` is the reply of the i-th part; `plan` is what the router recorded when splitting.
 */
export type Fold = (parts: Uint8Array[], w: ReplyWriter, plan: SplitPlan) => void;

/**
 * How the parts of several pipelined commands that one squash runs on one shard (src/shard/
 * merged.ts) run there as one command over all their arguments, in order: its reply holds
 * theirs one after the other (MGET's values, MSET's OK). The coordinator then folds each
 * command's reply out of the merged parts.
 */
export interface PartMerge {
  /** where the first command's share of a merged part's reply starts (past an array header) */
  start(part: Uint8Array): number;
  /**
   * Fold one command's reply: its keys are from[k] for k in [first, first + count), each the
   * index of the part its reply is in; each part's share is read from at[i] on, and at[i]
   * moves past it.
   */
  fold(
    parts: Uint8Array[],
    at: Int32Array,
    from: number[],
    first: number,
    count: number,
    w: ReplyWriter,
  ): void;
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

/**
 * A keyless command that still runs on one particular shard, named by its arguments (SCAN's
 * cursor). Gets the number of shards and the owner of a key; returns a shard id, or -1 for
 * the connection's own shard.
 */
export type TargetProc = (
  argv: Uint8Array[],
  argc: number,
  shards: number,
  ownerOf: (key: Uint8Array) => number,
) => number;

/** The exceptions a command may declare; everything else comes from its metadata. */
export interface CommandOptions {
  /** its keys may lie on several shards: split per shard and fold (without it: shipped) */
  fold?: Fold;
  /** the parts of several of it on one shard may run as one (a pipeline's squash) */
  merge?: PartMerge;
  /** runs on every shard, the replies folded by this */
  fanout?: Fold;
  /**
   * A fan-out that must see one point in time on every shard (SAVE, BGSAVE): its parts run
   * one shard after the other in ascending order, under an exclusive lock of every key
   */
  exclusive?: boolean;
  /** keyless, but runs on the shard its arguments name */
  target?: TargetProc;
  /** keys the key specs cannot place (SORT's STORE), found as Redis's getkeys_proc does */
  keys?: KeysProc;
  /** the database of the key at argv[pos] when not the client's (COPY ... DB n) */
  keyDb?: KeyDbProc;
  /** false: a split over several shards needs no transaction (WATCH) */
  atomic?: boolean;
  /**
   * Arguments that make it run as an exclusive fan-out instead, its parts folded by `fold`
   * (DEBUG RELOAD: every shard saves, flushes and loads its keys under one lock)
   */
  everyWhen?: { test: (argv: Uint8Array[], argc: number) => boolean; fold: Fold };
  /**
   * Changes the connection's transaction state (MULTI, EXEC, DISCARD, WATCH, UNWATCH): the
   * coordinator runs it. A handler, if given, is its part on the shard owning each key.
   */
  control?: boolean;
  /**
   * Refused unless this config parameter (no | yes | local) allows the connection, as Redis's
   * protected commands (DEBUG: enable-debug-command)
   */
  protectedBy?: string;
}

/** One line of a family's list. */
export interface CommandSpec extends CommandOptions {
  /** lower case; "parent|sub" for a subcommand */
  name: string;
  handler: Handler | null;
}

/** A family's list entry: name, handler, and only the exceptions. */
export function cmd(name: string, handler: Handler | null, opts: CommandOptions = {}): CommandSpec {
  return { name, handler, ...opts };
}

export interface Command {
  name: string;
  /** "parent|sub" for subcommands */
  fullName: string;
  arity: number;
  flags: string[];
  aclCategories: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  route: number;
  handler: Handler | null;
  fold?: Fold;
  merge?: PartMerge;
  /** a split keeps this many arguments after each key (MSET's value): step - 1 */
  keyStride: number;
  target?: TargetProc;
  keys?: KeysProc;
  keyDb?: KeyDbProc;
  atomic: boolean;
  /** CommandOptions.exclusive */
  exclusive: boolean;
  control: boolean;
  write: boolean;
  /** refused while the shard is over maxmemory and cannot evict (Redis's denyoom flag) */
  denyoom: boolean;
  /** keys found through Redis's key specs (numkeys arguments and the like) */
  movable: boolean;
  keySpecs: unknown[];
  sub: Map<string, Command> | null;
  /** the config parameter that must allow it (DEBUG), or null */
  protectedBy: string | null;
  /** its bit in a user's ACL command bitmap */
  aclId: number;
  /** runs before AUTH (Redis's no-auth flag: AUTH, HELLO, QUIT, RESET) */
  noAuth: boolean;
  /** runs while the dataset loads (Redis's loading flag); the others get -LOADING */
  loading: boolean;
  /** CommandOptions.everyWhen: the test, and the same command as an exclusive fan-out */
  every: { test: (argv: Uint8Array[], argc: number) => boolean; cmd: Command } | null;
}

function packName(b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c |= 0x20;
    n = n * 256 + c;
  }
  return n;
}

function packString(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) n = n * 256 + s.charCodeAt(i);
  return n;
}

function build(spec: CommandSpec): Command {
  const meta = commandMeta(spec.name);
  if (meta === undefined) throw new Error(`no Redis metadata for command '${spec.name}'`);
  const bar = spec.name.indexOf("|");
  const hasKeys = meta.firstKey > 0 || meta.flags.includes("movablekeys") ||
    spec.keys !== undefined;
  const route = spec.fanout !== undefined
    ? ROUTE_ALL
    : hasKeys || spec.target !== undefined
    ? ROUTE_KEYS
    : ROUTE_LOCAL;
  return {
    name: bar < 0 ? spec.name : spec.name.slice(bar + 1),
    fullName: spec.name,
    arity: meta.arity,
    flags: meta.flags,
    aclCategories: meta.aclCategories,
    firstKey: meta.firstKey,
    lastKey: meta.lastKey,
    step: meta.step,
    route,
    handler: spec.handler,
    fold: spec.fold ?? spec.fanout,
    merge: spec.merge,
    keyStride: meta.step > 1 ? meta.step - 1 : 0,
    target: spec.target,
    keys: spec.keys,
    keyDb: spec.keyDb,
    atomic: spec.atomic ?? true,
    exclusive: spec.exclusive ?? false,
    control: spec.control ?? false,
    write: meta.flags.includes("write"),
    denyoom: meta.flags.includes("denyoom"),
    movable: meta.flags.includes("movablekeys"),
    keySpecs: meta.keySpecs,
    sub: null,
    protectedBy: spec.protectedBy ?? null,
    aclId: aclCommandId(spec.name),
    noAuth: meta.flags.includes("no_auth"),
    loading: meta.flags.includes("loading"),
    every: spec.everyWhen === undefined ? null : {
      test: spec.everyWhen.test,
      cmd: build({
        name: spec.name,
        handler: spec.handler,
        fanout: spec.everyWhen.fold,
        exclusive: true,
        protectedBy: spec.protectedBy,
      }),
    },
  };
}

/** A container command (CONFIG, CLIENT, OBJECT ...) whose subcommands carry the handlers. */
function container(name: string): Command {
  const c = build({ name, handler: null });
  c.sub = new Map();
  return c;
}

/**
 * The table itself. One per Worker (each shard's thread builds its own from the same lists,
 * in src/commands/mod.ts); read-only once built.
 */
export class CommandTable {
  private readonly byName = new Map<string, Command>();
  /** names of up to 6 bytes packed into a number (lower-cased): a lookup without a string */
  private readonly packed = new Map<number, Command>();

  constructor(specs: readonly CommandSpec[]) {
    for (const spec of specs) {
      const bar = spec.name.indexOf("|");
      if (bar < 0) {
        this.add(build(spec));
        continue;
      }
      const parentName = spec.name.slice(0, bar);
      let parent = this.byName.get(parentName);
      if (parent === undefined) this.add(parent = container(parentName));
      // a command with its own handler and subcommands (COMMAND) is listed before them
      parent.sub ??= new Map();
      const c = build(spec);
      parent.sub.set(c.name, c);
      parent.sub.set(c.name.toUpperCase(), c);
    }
  }

  private add(c: Command): void {
    if (this.byName.has(c.name)) throw new Error(`command '${c.name}' listed twice`);
    this.byName.set(c.name, c);
    this.byName.set(c.name.toUpperCase(), c);
    if (c.name.length <= 6) this.packed.set(packString(c.name), c);
  }

  /** Lookup by the raw name bytes, case-insensitively, without allocating for the usual cases. */
  lookup(name: Uint8Array): Command | undefined {
    if (name.length <= 6) return this.packed.get(packName(name));
    const s = latin1(name);
    return this.byName.get(s) ?? this.byName.get(s.toLowerCase());
  }

  lookupSub(cmd: Command, name: Uint8Array): Command | undefined {
    const s = latin1(name);
    return cmd.sub!.get(s) ?? cmd.sub!.get(s.toLowerCase());
  }

  /** The command (or subcommand) an argv names, if any. */
  resolve(argv: Uint8Array[], argc: number): Command | undefined {
    const cmd = this.lookup(argv[0]);
    if (cmd === undefined || cmd.sub === null || argc < 2) return cmd;
    return this.lookupSub(cmd, argv[1]) ?? cmd;
  }

  /** All top-level commands (each once). */
  all(): Command[] {
    const out: Command[] = [];
    for (const [k, c] of this.byName) if (k === c.name) out.push(c);
    return out;
  }

  /** By name, case-insensitively; "parent|sub" finds a subcommand. */
  find(name: string): Command | undefined {
    const lower = name.toLowerCase();
    const bar = lower.indexOf("|");
    if (bar < 0) return this.byName.get(lower);
    return this.byName.get(lower.slice(0, bar))?.sub?.get(lower.slice(bar + 1));
  }
}

/**
 * This Worker's table: a per-Worker singleton, installed once by `registerCommands()`
 * (src/commands/mod.ts) before the first command runs. COMMAND reads it; so does the router.
 */
let installed: CommandTable | null = null;

export function installCommandTable(t: CommandTable): void {
  installed = t;
}

/** The installed table (throws if registerCommands() was never called: a wiring bug). */
export function commandTable(): CommandTable {
  if (installed === null) throw new Error("the command table is not installed");
  return installed;
}

/** Arity check as Redis does it: exact when positive, minimum when negative. */
export function arityOk(cmd: Command, argc: number): boolean {
  const a = cmd.arity;
  return a > 0 ? argc === a : argc >= -a;
}
