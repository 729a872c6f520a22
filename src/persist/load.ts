/**
 * Startup load: every shard reads the RDB file at `dir`/`dbfilename` before it accepts a
 * connection and keeps the keys whose hash slot it owns (each shard parses the whole file; the
 * shards do it side by side). Keys already expired are skipped, as a master skips them. A file
 * Skua cannot load whole — corrupt, truncated, a bad checksum, or holding streams, modules or
 * functions — stops the startup with one line naming the file and the reason: nothing is
 * loaded in part, because the process exits.
 */
import type { Db } from "../store/db.ts";
import type { ConfigStore } from "../config/mod.ts";
import type { SlotMap } from "../cluster/slots.ts";
import type { AccessPolicy } from "../store/access.ts";
import { lruClock } from "../store/access.ts";
import { type LoadedKey, loadRdb, RdbLoadError } from "./rdb/file.ts";
import { RdbError, type RdbReader } from "./rdb/reader.ts";
import { RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_INT8, RDB_ENC_LZF } from "./rdb/writer.ts";
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
}

/** Step over a string (rdbGenericLoadStringObject's encodings) without decoding it. */
function skipString(r: RdbReader): void {
  const n = r.lenOrEncoding();
  if (!r.encoded) {
    r.bytes(n, "a string");
    return;
  }
  if (n === RDB_ENC_INT8) r.bytes(1);
  else if (n === RDB_ENC_INT16) r.bytes(2);
  else if (n === RDB_ENC_INT32) r.bytes(4);
  else if (n === RDB_ENC_LZF) {
    const clen = r.len();
    r.len();
    r.bytes(clen, "an LZF string");
  } else throw new RdbError(`unknown string encoding ${n}`);
}

/** The file cannot be loaded: the startup stops with this message. */
export class LoadFailure extends Error {}

/** Load the snapshot if the file exists; returns the keys this shard kept. */
export function loadSnapshot(t: LoadTarget, now = Date.now()): number {
  const dir = t.config.value("dir") ?? ".";
  const path = `${dir}/${t.config.value("dbfilename") ?? "dump.rdb"}`;
  let buf: Uint8Array;
  try {
    buf = Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw new LoadFailure(
      `Fatal error loading the DB (${path}): ${(e as Error).message}. Exiting.`,
    );
  }
  const talk = t.id === 0;
  const started = performance.now();
  let kept = 0, expired = 0;
  const lfu = t.access.lfu;
  const lru = (t.config.value("maxmemory-policy") ?? "noeviction").endsWith("-lru");
  const limits = loadLimits(t.config);
  try {
    const total = loadRdb(buf, {
      databases: t.dbs.length,
      checksum: t.config.value("rdbchecksum") !== "no",
      onAux: (k, v) => {
        if (talk && k === "redis-ver") {
          log("notice", `Loading RDB produced by version ${latin1(v)}`);
        }
      },
      onKey: (k: LoadedKey, r: RdbReader) => {
        const mine = t.n === 1 || t.slots.ownerOf(k.key) === t.id;
        // another shard's string is stepped over without being decoded
        if (!mine && k.type === 0) return skipString(r);
        const v = readValue(r, k.type, limits, k.key);
        // Redis skips an empty collection (an older writer could leave one)
        if (isEmptyLoaded(v) || !mine) return;
        if (k.expireAt !== 0 && k.expireAt < now) {
          expired++;
          return;
        }
        let field = t.access.fresh(now);
        if (lfu && k.freq >= 0) field = (field & ~255) | k.freq;
        else if (lru && k.idle >= 0) field = (lruClock(now) - k.idle) & 0xffffff;
        const db = t.dbs[k.db];
        const size = db.size;
        installEntry(db, k.key, loadedCopy(k.key, v, k.expireAt, field), now);
        // a key that replaced one instead of adding one: Redis refuses such a file too
        if (db.size === size) {
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
