/**
 * Loading the AOF at startup (Redis's loadAppendOnlyFiles), in steps once the shard listens
 * (src/shard/startup_load.ts; clients get -LOADING meanwhile). With appendonly yes the AOF is loaded and the RDB file is not, as in Redis. Each
 * shard reads the manifest, its base (an RDB through src/persist/load.ts, or commands) and the
 * incr files, and replays the commands whose keys it owns through the command table, as a
 * connection-less client would run them: a command with keys on several shards runs its own
 * part (MSET, DEL: the keys it owns), a keyless one that changes every shard (FLUSHALL, SWAPDB)
 * runs on every shard. MULTI ... EXEC blocks run when their EXEC is read; a block without EXEC
 * at the end is dropped, as Redis reverts it. A torn tail of the last file is cut with
 * aof-load-truncated yes (shard 0 truncates the file) and refused with no, in Redis's words.
 */
import type { Shard } from "./shard.ts";
import { execute } from "./execute.ts";
import { Plan, plan } from "./plan.ts";
import { commandTable } from "../commands/table.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { Aof } from "../persist/aof.ts";
import {
  AofFormatError,
  type AofPaths,
  aofPaths,
  createGeneration,
  incrName,
  type Manifest,
  readCommands,
  readManifest,
  writeManifest,
} from "../persist/aof_files.ts";
import { LoadFailure, loadSnapshotSteps, type LoadTarget, runSteps } from "../persist/load.ts";
import type { ConfigStore } from "../config/mod.ts";
import { log } from "../util/log.ts";

const dec = new TextDecoder();

/**
 * The clock commands see while the AOF loads: before every expiry time, so that no key expires
 * in the middle of the replay (Redis does not expire keys while loading: a PERSIST or MOVE after
 * a short TTL must find its key). The files hold absolute times only (PXAT, PEXPIREAT, ABSTTL);
 * keys whose time has passed expire once the shard serves.
 */
const LOADING_NOW = 1;
const scratch = new Plan();

function lower(a: Uint8Array): string {
  return dec.decode(a).toLowerCase();
}

/** Commands replayed between two pauses of the stepped load. */
const STEP_COMMANDS = 64;

/** Returns true when appendonly is yes (then the RDB file is not loaded). */
export function loadAof(shard: Shard): boolean {
  return runSteps(loadAofSteps(shard, shard.loadTarget()));
}

/** loadAof in steps; `t` carries the meter that INFO's loading_* fields read. */
export function* loadAofSteps(shard: Shard, t: LoadTarget): Generator<void, boolean> {
  const config = shard.config;
  const aof = shard.aof;
  let seq = 0;
  try {
    seq = Aof.manifestSeq(config);
  } catch (e) {
    if (config.value("appendonly") === "yes") throw new LoadFailure((e as Error).message);
  }
  aof.seq = seq;
  if (config.value("appendonly") !== "yes") return false;
  const p = aofPaths(config);
  const m = readManifest(p);
  if (m === null || m.incrs.length === 0 && m.base === null) {
    // Redis creates a base of the (empty) dataset and starts appending
    if (shard.id === 0) createGeneration(p, seq + 1, config);
    aof.startAppending(seq + 1, incrName(p, seq + 1));
    return true;
  }
  const talk = shard.id === 0;
  const started = performance.now();
  // nothing is evicted while loading, as in Redis (run() evicts before each command)
  const memLimit = shard.memLimit;
  shard.memLimit = 0;
  try {
    yield* loadFiles(shard, t, p, m);
  } finally {
    shard.memLimit = memLimit;
  }
  if (talk) log("notice", `DB loaded from append only file: ${secs(started)} seconds`);
  const last = m.incrs[m.incrs.length - 1];
  if (last !== undefined) aof.startAppending(last.seq, last.file);
  else {
    // a manifest with a base only: Redis opens a new incr file after it, keeping the base
    const incr = { file: incrName(p, seq + 1), seq: seq + 1, type: "i" as const };
    if (shard.id === 0) writeManifest(p, { base: m.base, incrs: [incr] });
    aof.startAppending(incr.seq, incr.file);
  }
  return true;
}

function* loadFiles(shard: Shard, lt: LoadTarget, p: AofPaths, m: Manifest): Generator<void> {
  const talk = shard.id === 0;
  const files = [...(m.base !== null ? [m.base] : []), ...m.incrs];
  // INFO's loading_total_bytes: every file of the manifest, as Redis's
  // getBaseAndIncrAppendOnlyFilesSize; each file's bytes count from the ones before it
  const sizes = files.map((f) => fileSize(`${p.dir}/${f.file}`));
  const total = sizes.reduce((a, b) => a + b, 0);
  const meter = lt.meter;
  let before = 0;
  const sub = meter === undefined ? undefined : {
    total: () => meter.total(total),
    at: (n: number) => meter.at(before + n),
    usedMem: (n: number) => meter.usedMem(n),
  };
  meter?.total(total);
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const t = performance.now();
    const path = `${p.dir}/${f.file}`;
    if (f.type === "b" && isRdb(path)) {
      yield* loadBaseRdb(shard, { ...lt, meter: sub }, p.dir, f.file);
    } else yield* replayFile(shard, path, f.file, i === files.length - 1, sub);
    before += sizes[i];
    if (talk) {
      const what = f.type === "b" ? "base" : "incr";
      log("notice", `DB loaded from ${what} file ${f.file}: ${secs(t)} seconds`);
    }
  }
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0; // a missing file fails where it is read, in Redis's words
  }
}

function secs(t: number): string {
  return ((performance.now() - t) / 1000).toFixed(3);
}

function isRdb(path: string): boolean {
  try {
    const f = Deno.openSync(path, { read: true });
    const head = new Uint8Array(5);
    const n = f.readSync(head);
    f.close();
    return n === 5 && dec.decode(head) === "REDIS";
  } catch (e) {
    throw new LoadFailure(
      `The append log file ${path} doesn't exist: ${(e as Error).message}`,
    );
  }
}

/** The base RDB, through the RDB loader with `dir`/`dbfilename` pointing at it. */
function* loadBaseRdb(shard: Shard, lt: LoadTarget, dir: string, file: string): Generator<void> {
  const real = shard.config;
  const config = Object.create(real) as ConfigStore;
  config.value = (k: string) => k === "dir" ? dir : k === "dbfilename" ? file : real.value(k);
  yield* loadSnapshotSteps({ ...lt, config }, LOADING_NOW);
}

function* replayFile(
  shard: Shard,
  path: string,
  name: string,
  last: boolean,
  meter: { at(n: number): void } | undefined,
): Generator<void> {
  let buf: Uint8Array;
  try {
    buf = Deno.readFileSync(path);
  } catch (e) {
    throw new LoadFailure(`The append log file ${name} doesn't exist: ${(e as Error).message}`);
  }
  const talk = shard.id === 0;
  let read;
  try {
    read = readCommands(buf, 0);
  } catch (e) {
    if (!(e instanceof AofFormatError)) throw e;
    throw new LoadFailure(
      `Bad file format reading the append only file ${name}: make a backup of your AOF file, ` +
        `then use ./redis-check-aof --fix <filename.manifest>`,
    );
  }
  const w = new ReplyWriter(1024);
  const table = commandTable();
  let db = 0;
  let queued: Uint8Array[][] | null = null;
  let validUpTo = 0, validBeforeMulti = 0;
  const now = LOADING_NOW;
  const run = (argv: Uint8Array[]) => {
    if (lower(argv[0]) === "select") {
      db = Number(dec.decode(argv[1]));
      return;
    }
    const cmd = table.resolve(argv, argv.length);
    if (cmd === undefined) {
      throw new LoadFailure(
        `Unknown command '${dec.decode(argv[0])}' reading the append only file ${name}`,
      );
    }
    const av = ownPart(shard, cmd, argv, db);
    if (av === null) return;
    w.reset();
    execute(shard, null, cmd, av, av.length, now, w, db, 0);
  };
  let n = 0;
  for (const c of read.cmds) {
    if (++n % STEP_COMMANDS === 0) {
      meter?.at(c.end);
      yield;
    }
    const name0 = lower(c.argv[0]);
    if (name0 === "multi") {
      validBeforeMulti = validUpTo;
      queued = [];
    } else if (name0 === "exec" && queued !== null) {
      for (const q of queued) run(q);
      queued = null;
    } else if (name0 === "select") {
      const v = Number(dec.decode(c.argv[1]));
      if (!(v >= 0 && v < shard.dbs.length)) {
        throw new LoadFailure(
          `Bad SELECT ${dec.decode(c.argv[1])} in the append only file ${name}`,
        );
      }
      if (queued !== null) queued.push(c.argv);
      else db = v;
    } else if (queued !== null) queued.push(c.argv);
    else run(c.argv);
    validUpTo = c.end;
  }
  if (!read.torn && queued === null) return;
  if (queued !== null && talk) {
    log("warning", `Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
  }
  const cut = queued !== null ? validBeforeMulti : validUpTo;
  if (!last) {
    throw new LoadFailure(`Fatal error: the truncated file is not the last file`);
  }
  if (shard.config.value("aof-load-truncated") === "no") {
    throw new LoadFailure(
      `Unexpected end of file reading the append only file ${name}. You can: ` +
        `1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. ` +
        `2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and ` +
        `restart the server.`,
    );
  }
  if (talk) {
    log("warning", `!!! Warning: short read while loading the AOF file ${name}!!!`);
    log("warning", `!!! Truncating the AOF ${name} at offset ${cut} !!!`);
    Deno.truncateSync(path, cut);
    log("warning", `AOF ${name} loaded anyway because aof-load-truncated is enabled`);
  }
}

/**
 * The part of `argv` this shard runs: all of it when it owns every key (or the command changes
 * every shard), its own keys' groups of a split command, null when it owns none.
 */
function ownPart(
  shard: Shard,
  cmd: ReturnType<ReturnType<typeof commandTable>["resolve"]> & object,
  argv: Uint8Array[],
  db: number,
): Uint8Array[] | null {
  const p = plan(shard.id, shard.slots, cmd, argv, argv.length, db, shard.dbs.length, scratch);
  if (p.every) return argv;
  if (p.keys === 0) return shard.id === 0 || p.target === shard.id ? argv : null;
  let mine = 0;
  for (let i = 0; i < p.keys; i++) if (p.owner[i] === shard.id) mine++;
  if (mine === 0) return null;
  if (mine === p.keys) return argv;
  if (cmd.fold === undefined) {
    throw new LoadFailure(
      `the append only file has '${cmd.fullName}' with keys on several shards: ` +
        `load it with one shard (--shards 1)`,
    );
  }
  const out: Uint8Array[] = [argv[0]];
  for (let i = 0; i < p.keys; i++) {
    if (p.owner[i] !== shard.id) continue;
    for (let j = 0; j <= cmd.keyStride; j++) out.push(argv[p.pos[i] + j]);
  }
  return out;
}
