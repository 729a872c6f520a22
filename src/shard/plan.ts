/**
 * The plan of a command: where its keys are in argv, which database each lives in, which shard
 * owns each, and the lock keys a transaction takes for them (Redis's getNodeByQuery and
 * Dragonfly's Transaction ask the same questions). Routing, splitting, shipping, fan-out,
 * MULTI/EXEC and the lock checks all read it; nothing else works out who owns a key.
 */
import { type Command, commandTable, ROUTE_ALL, ROUTE_KEYS } from "../commands/table.ts";
import { keyDb, keyPositions } from "../commands/keyspec.ts";
import type { SlotMap } from "../cluster/slots.ts";
import { murmur3 } from "../util/hash.ts";

/** A WATCH key: the database and the key's bytes as a latin1 string, `<db> <key>`. */
export function watchKey(db: number, key: string): string {
  return `${db} ${key}`;
}

/** Every shard hashes lock keys alike (the keyspace's hash is seeded per Worker). */
const LOCK_SEED = 0x5eed1057;

/**
 * A lock key: the key's bytes and its database hashed to a small integer, a Smi, so that lock
 * tables and lock messages hold no strings. Keys that collide share a lock: a needless wait at
 * worst, never a missed conflict.
 */
export function lockHash(db: number, key: Uint8Array): number {
  return murmur3(key, 0, key.length, LOCK_SEED ^ Math.imul(db + 1, 0x9e3779b1)) & 0x3fffffff;
}

/** Where a command's keys are and who owns them. Reused: fill it with `plan()`. */
export class Plan {
  /** positions of the keys in argv */
  readonly pos: number[] = [];
  /** the owning shard of each key */
  readonly owner: number[] = [];
  /** the database of each key */
  readonly db: number[] = [];
  /** it runs on every shard (fan-out) */
  every = false;
  /**
   * Its arguments name the shard it runs on (SCAN's cursor, LMPOP): what it touches cannot be
   * known ahead, so a transaction locks that whole shard for it.
   */
  targeted = false;
  /** a keyless targeted command's shard, or -1 */
  target = -1;

  /** what `commandPlan` last planned (a command is planned once however often it is asked) */
  memoCmd: Command | null = null;
  memoArgv: Uint8Array[] | null = null;
  memoArgc = 0;
  memoDb = 0;
  memoSeq = 0;

  get keys(): number {
    return this.pos.length;
  }

  /** The one shard owning every key, or -1 when they span shards (or there are none). */
  singleOwner(): number {
    const o = this.owner;
    if (o.length === 0) return -1;
    for (let i = 1; i < o.length; i++) if (o[i] !== o[0]) return -1;
    return o[0];
  }

  /** The lock keys of the keys owned by `shard` (every key when shard is -1). */
  lockKeys(argv: Uint8Array[], shard = -1): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.pos.length; i++) {
      if (shard >= 0 && this.owner[i] !== shard) continue;
      out.push(lockHash(this.db[i], argv[this.pos[i]]));
    }
    return out;
  }
}

/**
 * Fill `out` with the plan of `cmd` on argv[0..argc), run by shard `self` for a client on
 * database `db` of `dbs`. A keyless command without a target has no keys and no owner (it runs
 * where it is).
 */
export function plan(
  self: number,
  slots: SlotMap,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  db: number,
  dbs: number,
  out: Plan,
): Plan {
  out.memoCmd = null;
  out.every = cmd.route === ROUTE_ALL;
  out.targeted = cmd.target !== undefined;
  out.target = -1;
  if (cmd.route !== ROUTE_KEYS) {
    out.pos.length = 0;
    out.owner.length = 0;
    out.db.length = 0;
    return out;
  }
  const n = keyPositions(cmd, argc, out.pos, argv);
  // filled in place and cut to length (emptying first would drop the arrays' backing stores)
  for (let i = 0; i < n; i++) {
    const p = out.pos[i];
    out.owner[i] = slots.ownerOf(argv[p]);
    out.db[i] = keyDb(cmd, argv, argc, p, db, dbs);
  }
  out.owner.length = n;
  out.db.length = n;
  if (n === 0 && cmd.target !== undefined) {
    const t = cmd.target(argv, argc, slots.shards, (k) => slots.ownerOf(k));
    out.target = t < 0 ? self : t;
  }
  return out;
}

/** Counts dispatched commands: a plan made for one is not reused for the next. */
let dispatchSeq = 0;

/** A new command is being dispatched (the plan of the previous one is stale). */
export function nextDispatch(): void {
  dispatchSeq++;
}

/**
 * The plan of the command being dispatched, shared by the lock check and the router: `plan`
 * once per dispatch (hashing ten keys twice showed in profiles of split MGETs).
 */
export const commandPlan = new Plan();

export function planCommand(
  self: number,
  slots: SlotMap,
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  db: number,
  dbs: number,
): Plan {
  const p = commandPlan;
  if (
    p.memoSeq === dispatchSeq && p.memoCmd === cmd && p.memoArgv === argv &&
    p.memoArgc === argc && p.memoDb === db
  ) return p;
  plan(self, slots, cmd, argv, argc, db, dbs, p);
  p.memoCmd = cmd;
  p.memoArgv = argv;
  p.memoArgc = argc;
  p.memoDb = db;
  p.memoSeq = dispatchSeq;
  return p;
}

/**
 * The lock keys a forwarded or deferred request needs on this shard: every key of its argv
 * (a peer sends only the keys this shard owns), [] for a keyless command, and null when it
 * reads or writes every key here (fan-out, or a targeted command).
 */
export function requestLockKeys(
  self: number,
  slots: SlotMap,
  argv: Uint8Array[],
  argc: number,
  db: number,
  dbs: number,
  scratch: Plan,
): number[] | null {
  const cmd = commandTable().resolve(argv, argc);
  if (cmd === undefined) return [];
  plan(self, slots, cmd, argv, argc, db, dbs, scratch);
  if (scratch.every || scratch.targeted) return null;
  return scratch.lockKeys(argv);
}
