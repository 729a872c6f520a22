/**
 * Startup load: every shard reads the RDB file at `dir`/`dbfilename` and keeps the keys whose
 * hash slot it owns (each shard parses the whole file; the shards do it side by side). It runs
 * in steps (src/shard/startup_load.ts drives them once the shard listens, answering -LOADING
 * in between). Keys already expired are skipped, as a master skips them. A file Skua cannot
 * load whole — corrupt, truncated, a bad checksum, or holding streams, modules or functions —
 * stops the startup with one line naming the file and the reason: nothing is served in part,
 * because the process exits. DEBUG RELOAD loads through the same code, all at once.
 */
import type { Db } from "../store/db.ts";
import type { ConfigStore } from "../config/mod.ts";
import type { SlotMap } from "../cluster/slots.ts";
import type { AccessPolicy } from "../store/access.ts";
import { lruClock } from "../store/access.ts";
import { type LoadedKey, loadRdbSteps, RdbLoadError } from "./rdb/file.ts";
import { RdbError, type RdbReader } from "./rdb/reader.ts";
import { skipValue } from "./rdb/skip_value.ts";
import { isEmptyLoaded, loadedCopy, loadLimits, readValue } from "./rdb/value.ts";
import { installEntry } from "../store/transfer.ts";
import { log } from "../util/log.ts";
import { latin1 } from "../util/bytes.ts";
import type { PersistState } from "./state.ts";

/** What the load needs of the shard. */
export interface LoadTarget {
  readonly id: number;
  readonly n: number;
  readonly dbs: readonly Db[];
  readonly slots: SlotMap;
  readonly config: ConfigStore;
  readonly access: AccessPolicy;
  readonly state: PersistState;
  /** where a stepped load says how far it is (INFO persistence's loading_* fields) */
  readonly meter?: LoadMeter;
  /** DEBUG RELOAD MERGE: a key already there is replaced (otherwise the file is refused) */
  readonly merge?: boolean;
  /** log the progress lines (shard 0 at startup) */
  readonly talk?: boolean;
}

/** How far a stepped load is: the bytes it will read in all, and those read so far. */
export interface LoadMeter {
  total(bytes: number): void;
  at(bytes: number): void;
  usedMem(bytes: number): void;
}

/** Run a stepped load to its end (DEBUG RELOAD, tests). */
export function runSteps<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** The RDB file's path (`dir`/`dbfilename`) and its size, or null when there is none. */
export function snapshotFile(config: ConfigStore): { path: string; size: number } | null {
  const path = `${config.value("dir") ?? "."}/${config.value("dbfilename") ?? "dump.rdb"}`;
  try {
    return { path, size: Deno.statSync(path).size };
  } catch {
    return null;
  }
}

/** The file cannot be loaded: the startup stops with this message. */
export class LoadFailure extends Error {}

/** Load the snapshot if the file exists; returns the keys this shard kept. */
export function loadSnapshot(t: LoadTarget, now = Date.now()): number {
  return runSteps(loadSnapshotSteps(t, now));
}

/**
 * A file's bytes, read into one buffer of its size (Deno.readFileSync grows its buffer as it
 * reads: about three times slower on a file of tens of MiB).
 */
function readWhole(path: string): Uint8Array {
  const f = Deno.openSync(path, { read: true });
  try {
    const buf = new Uint8Array(f.statSync().size);
    let at = 0;
    while (at < buf.length) {
      const n = f.readSync(buf.subarray(at));
      if (n === null || n === 0) break;
      at += n;
    }
    return at === buf.length ? buf : buf.subarray(0, at);
  } finally {
    f.close();
  }
}

/** loadSnapshot in steps (it pauses every few keys). */
export function* loadSnapshotSteps(t: LoadTarget, now = Date.now()): Generator<void, number> {
  const dir = t.config.value("dir") ?? ".";
  const path = `${dir}/${t.config.value("dbfilename") ?? "dump.rdb"}`;
  let buf: Uint8Array;
  try {
    buf = readWhole(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw new LoadFailure(
      `Fatal error loading the DB (${path}): ${(e as Error).message}. Exiting.`,
    );
  }
  return yield* loadBytesSteps(t, buf, path, now);
}

/** Load an RDB file's bytes (`path` names it in messages); returns the keys this shard kept. */
export function* loadBytesSteps(
  t: LoadTarget,
  buf: Uint8Array,
  path: string,
  now: number,
): Generator<void, number> {
  const talk = t.talk ?? t.id === 0;
  const started = performance.now();
  let kept = 0, expired = 0;
  const lfu = t.access.lfu;
  const lru = (t.config.value("maxmemory-policy") ?? "noeviction").endsWith("-lru");
  const limits = loadLimits(t.config);
  t.meter?.total(buf.length);
  try {
    const steps = loadRdbSteps(buf, {
      databases: t.dbs.length,
      checksum: t.config.value("rdbchecksum") !== "no",
      onAux: (k, v) => {
        if (talk && k === "redis-ver") {
          log("notice", `Loading RDB produced by version ${latin1(v)}`);
        }
        if (k === "used-mem") t.meter?.usedMem(Number(latin1(v)) || 0);
      },
      // RESIZEDB: the index sized at once, for this shard's share (a file only claims it:
      // never more than it could hold, at 3 bytes a key at least)
      onResize: (db, keys) => {
        if (t.merge !== true) {
          t.dbs[db].dict.reserve(Math.min(Math.ceil(keys / t.n), Math.floor(buf.length / 3)));
        }
      },
      onKey: (k: LoadedKey, r: RdbReader) => {
        const mine = t.n === 1 || t.slots.ownerOf(k.key) === t.id;
        // another shard's key is stepped over without being decoded
        if (!mine) return skipValue(r, k.type);
        // a string (most keys) is read where it lies and copied once, into the arena
        const v = k.type === 0 ? r.stringView() : readValue(r, k.type, limits, k.key);
        // Redis skips an empty collection (an older writer could leave one)
        if (!(v instanceof Uint8Array) && isEmptyLoaded(v)) return;
        if (k.expireAt !== 0 && k.expireAt < now) {
          expired++;
          return;
        }
        let field = t.access.fresh(now);
        if (lfu && k.freq >= 0) field = (field & ~255) | k.freq;
        else if (lru && k.idle >= 0) field = (lruClock(now) - k.idle) & 0xffffff;
        const db = t.dbs[k.db];
        const size = db.size;
        if (v instanceof Uint8Array) {
          // what installEntry does for a string, without the copy of the bytes it needs
          const ref = db.setString(k.key, v, 0, v.length, now);
          db.setLru(ref, field);
          if (k.expireAt !== 0) db.setExpire(ref, k.expireAt);
        } else installEntry(db, k.key, loadedCopy(k.key, v, k.expireAt, field), now);
        // a key that replaced one instead of adding one: Redis refuses such a file too
        if (db.size === size && t.merge !== true) {
          throw new RdbLoadError(`RDB has duplicated key '${latin1(k.key)}' in DB ${k.db}`);
        }
        kept++;
      },
      onProgress: talk
        ? (keys, pos, size) => {
          const secs = (performance.now() - started) / 1000;
          log(
            "notice",
            `Loading RDB: ${keys} keys read, ${(pos * 100 / size).toFixed(1)}% of the file, ` +
              `${Math.round(keys / Math.max(secs, 1e-3))} keys/s`,
          );
        }
        : undefined,
    });
    let step = steps.next();
    while (!step.done) {
      t.meter?.at(step.value);
      yield;
      step = steps.next();
    }
    const total = step.value;
    t.meter?.at(buf.length);
    t.state.addLoaded(kept, expired);
    if (talk) {
      log(
        "notice",
        `DB loaded from disk: ${((performance.now() - started) / 1000).toFixed(3)} seconds ` +
          `(${total} keys in the file)`,
      );
    }
    return kept;
  } catch (e) {
    if (e instanceof RdbLoadError || e instanceof RdbError) {
      throw new LoadFailure(`Can't load the RDB file ${path}: ${e.message}`);
    }
    throw e;
  }
}
