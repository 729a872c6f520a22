/**
 * One shard's part of an RDB snapshot: SELECTDB/RESIZEDB and the key records of the keys it
 * owns, written to a part file that the assembler (assemble.ts) joins with the other shards'.
 *
 * SAVE writes the part at once. BGSAVE writes it fork-less, as Dragonfly does: the snapshot
 * point is when `begin` runs (every shard begins under the same exclusive lock, so the parts
 * form one consistent cut); the keys are then written a bounded batch per loop iteration while
 * the shard keeps serving, and a key about to change that has not been written yet is written
 * first, as it was at the snapshot point (Db.snap for creations, replacements and removals,
 * `beforeWrite` for the keys of write commands, `drain` before commands that change
 * everything). Keys created after the snapshot point are marked written without being written.
 *
 * A file must never hold a key twice, and the scan may meet a key twice when the index resizes,
 * so what was settled is remembered: the records the scan wrote by their reference (a number:
 * cheap), the keys the hooks settled by name (few: only keys written to meanwhile). A record
 * keeps its reference unless its key is written to (settled by name first) or defragmentation
 * moves it (paused while a snapshot runs: `active`); a reference freed and reused belongs to a
 * key created after the snapshot point, which is never written anyway.
 */
import type { Db, SnapshotHook } from "../store/db.ts";
import type { ConfigStore } from "../config/mod.ts";
import { RdbWriter } from "./rdb/writer.ts";
import { writeKeyPrefix, writeSelectDb } from "./rdb/file.ts";
import { writeValue } from "./rdb/value.ts";
import { idleSeconds } from "../store/access.ts";
import { latin1 } from "../util/bytes.ts";

/** Bytes buffered before they go to the part file. */
const CHUNK_BYTES = 1 << 20;
/** Keys a background snapshot writes per loop iteration, at most. */
export const KEYS_PER_TURN = 512;

export class ShardSnapshot implements SnapshotHook {
  private w: RdbWriter = new RdbWriter();
  private file: Deno.FsFile | null = null;
  /** the database the last SELECTDB named (-1: none yet) */
  private selected = -1;
  /** databases whose RESIZEDB was written */
  private sized: boolean[] = [];
  /** per database: records the scan wrote, and keys the hooks settled */
  private scanned: Set<number>[] = [];
  private settled: Set<string>[] = [];
  private dbIndex = 0;
  private cursor = 0;
  private lru = false;
  private lfu = false;
  private now = 0;
  /** a background snapshot is under way */
  active = false;
  /** an I/O error met while writing (the part failed) */
  error: string | null = null;
  keysWritten = 0;

  constructor(private readonly dbs: readonly Db[], private readonly config: ConfigStore) {}

  /** Open the part file and take the snapshot point. `background`: hook the databases. */
  begin(path: string, now: number, background: boolean): boolean {
    this.error = null;
    this.keysWritten = 0;
    this.selected = -1;
    this.sized = this.dbs.map(() => false);
    this.scanned = background ? this.dbs.map(() => new Set<number>()) : [];
    this.settled = background ? this.dbs.map(() => new Set<string>()) : [];
    this.dbIndex = 0;
    this.cursor = 0;
    this.now = now;
    const policy = this.config.value("maxmemory-policy") ?? "noeviction";
    this.lru = policy.endsWith("-lru");
    this.lfu = policy.endsWith("-lfu");
    this.w = new RdbWriter({ compression: this.config.value("rdbcompression") !== "no" });
    try {
      this.file = Deno.openSync(path, { write: true, create: true, truncate: true });
    } catch (e) {
      this.error = (e as Error).message;
      return false;
    }
    if (background) {
      this.active = true;
      for (const d of this.dbs) d.snap = this;
    }
    return true;
  }

  /** SAVE: every key at once (nothing changes meanwhile). */
  writeAll(): boolean {
    for (let i = 0; i < this.dbs.length; i++) {
      const d = this.dbs[i];
      if (d.size === 0) continue;
      d.dict.forEach((ref) => this.writeKey(i, d, ref));
      if (!this.flushIfFull()) return false;
    }
    return this.end();
  }

  /**
   * A bounded batch of a background snapshot; true once the part is complete (or failed: see
   * `error`).
   */
  step(keys = KEYS_PER_TURN): boolean {
    if (!this.active) return true;
    let budget = keys;
    while (this.dbIndex < this.dbs.length && budget > 0) {
      const i = this.dbIndex;
      const d = this.dbs[i];
      const scanned = this.scanned[i], settled = this.settled[i];
      if (d.size > 0) {
        let v = this.cursor;
        do {
          v = d.dict.scan(v, (ref) => {
            if (scanned.has(ref)) return;
            if (settled.size > 0 && settled.has(d.keyLatin1(ref))) return;
            scanned.add(ref);
            this.writeKey(i, d, ref);
            budget--;
          });
        } while (v !== 0 && budget > 0);
        this.cursor = v;
        if (v !== 0) break;
      }
      this.dbIndex++;
      this.cursor = 0;
    }
    if (!this.flushIfFull()) return this.stop();
    if (this.dbIndex < this.dbs.length) return false;
    return this.stop();
  }

  /** Write every key not written yet (before FLUSHALL, FLUSHDB, SWAPDB and the like). */
  drain(): void {
    while (this.active && !this.step(1 << 30));
  }

  /** A write command is about to change `key` of database `db`. */
  beforeWrite(db: number, key: Uint8Array): void {
    if (!this.active || db >= this.dbs.length) return;
    this.settle(db, this.dbs[db], key);
  }

  // ---- SnapshotHook (Db.snap)

  before(d: Db, key: Uint8Array): void {
    this.settle(this.dbs.indexOf(d), d, key);
  }

  removing(d: Db, ref: number): void {
    const i = this.dbs.indexOf(d);
    if (i < 0 || !this.active) return;
    if (this.scanned[i].has(ref)) return;
    const k = d.keyLatin1(ref);
    if (this.settled[i].has(k)) return;
    this.settled[i].add(k);
    this.writeKey(i, d, ref);
  }

  /** `key` is settled: written as it is now if it exists, else known as created afterwards. */
  private settle(i: number, d: Db, key: Uint8Array): void {
    if (i < 0 || !this.active) return;
    const settled = this.settled[i];
    const k = latin1(key);
    if (settled.has(k)) return;
    settled.add(k);
    const ref = d.find(key);
    if (ref !== 0 && !this.scanned[i].has(ref)) this.writeKey(i, d, ref);
  }

  private writeKey(i: number, d: Db, ref: number): void {
    const w = this.w;
    if (this.selected !== i) {
      this.selected = i;
      const first = !this.sized[i];
      this.sized[i] = true;
      writeSelectDb(w, i, first ? d.size : -1, first ? d.volatileCount : 0);
    }
    const exact = d.expireExact(ref);
    const field = d.lruOf(ref);
    writeKeyPrefix(
      w,
      d.expireAt(ref),
      typeof exact === "bigint" ? exact : undefined,
      this.lru ? idleSeconds(field, this.now) : -1,
      this.lfu ? d.ks.access.counter(field, this.now) : -1,
    );
    writeValue(w, d, ref, this.config, d.key(ref));
    this.keysWritten++;
  }

  private flushIfFull(): boolean {
    if (this.w.length < CHUNK_BYTES || this.error !== null) return this.error === null;
    return this.flush();
  }

  private flush(): boolean {
    try {
      this.w.flushTo(this.file!);
      return true;
    } catch (e) {
      this.error = (e as Error).message;
      return false;
    }
  }

  /** The part is complete (or failed): unhook, flush, close. */
  private stop(): true {
    this.end();
    return true;
  }

  private end(): boolean {
    if (this.active) {
      for (const d of this.dbs) d.snap = null;
      this.active = false;
    }
    this.scanned = [];
    this.settled = [];
    const ok = this.error === null && this.flush();
    try {
      this.file?.close();
    } catch {
      // already closed
    }
    this.file = null;
    return ok;
  }

  /** Give up (shutdown): unhook and close. */
  abort(): void {
    this.error ??= "aborted";
    this.end();
  }
}
