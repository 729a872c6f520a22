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
 * so what was settled is remembered by record reference, one bit each (ref_bitmap.ts: 1/64 of
 * the arena, never a per-key allocation or a rehash pause): a record's bit is set when it is
 * written (by the scan or a hook) and when Db places a record after the snapshot point (a key
 * created, or a value that moved to a new block: `placed`), so the scan skips exactly the
 * records written already and those that did not exist at the snapshot point. This holds
 * because a record of the snapshot point keeps its reference until it is written: the only
 * writes that move or free a record (Db.put, resizeString, removals) settle it first (`before`,
 * `beforeWrite`, `removing`), and defragmentation, which moves records without a write, is
 * paused while a snapshot runs (`active`). A bit left set by a freed record is harmless: a
 * record later placed at that reference was created after the snapshot point.
 *
 * The same part can be written as AOF commands instead of RDB records (an AOF rewrite's base with
 * aof-use-rdb-preamble no): SELECT, then `RESTORE key ms payload ABSTTL` per key, the payload in
 * DUMP's format, which redis-server and Skua both replay.
 */
import type { Db, SnapshotHook } from "../store/db.ts";
import type { ConfigStore } from "../config/mod.ts";
import { RdbWriter } from "./rdb/writer.ts";
import { writeKeyPrefix, writeSelectDb } from "./rdb/file.ts";
import { writeValue } from "./rdb/value.ts";
import { idleSeconds } from "../store/access.ts";
import { RDB_VERSION } from "./rdb/types.ts";
import { crc64Bytes, crc64Of } from "./rdb/crc64.ts";
import { RefBitmap } from "./ref_bitmap.ts";

const enc = new TextEncoder();

/**
 * Bytes buffered before they go to the part file: a write of 1 MiB stalled the loop long enough
 * to show in a latency probe's tail during BGSAVE (p99.9 28.6 → 15.0 ms at 256 KiB, one run each).
 */
const CHUNK_BYTES = 1 << 18;
/** Keys a background snapshot writes per loop iteration, at most. */
export const KEYS_PER_TURN = 512;

export class ShardSnapshot implements SnapshotHook {
  private w: RdbWriter = new RdbWriter();
  private file: Deno.FsFile | null = null;
  /** the database the last SELECTDB named (-1: none yet) */
  private selected = -1;
  /** databases whose RESIZEDB was written */
  private sized: boolean[] = [];
  /** records written, or placed after the snapshot point (refs are unique across databases) */
  private readonly done = new RefBitmap();
  private dbIndex = 0;
  private cursor = 0;
  private lru = false;
  private lfu = false;
  private now = 0;
  /** the part is AOF commands (RESTORE ... ABSTTL), not RDB records */
  private commands = false;
  private readonly payload = new RdbWriter();
  /** a background snapshot is under way */
  active = false;
  /** an I/O error met while writing (the part failed) */
  error: string | null = null;
  keysWritten = 0;

  constructor(private readonly dbs: readonly Db[], private readonly config: ConfigStore) {}

  /**
   * Open the part file and take the snapshot point. `background`: hook the databases;
   * `commands`: write AOF commands instead of RDB records.
   */
  begin(path: string, now: number, background: boolean, commands = false): boolean {
    this.error = null;
    this.commands = commands;
    this.keysWritten = 0;
    this.selected = -1;
    this.sized = this.dbs.map(() => false);
    this.done.clear();
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
      const done = this.done;
      if (d.size > 0) {
        let v = this.cursor;
        do {
          v = d.dict.scan(v, (ref) => {
            if (!done.add(ref)) return;
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
    if (this.done.add(ref)) this.writeKey(i, d, ref);
  }

  placed(_d: Db, ref: number): void {
    if (this.active) this.done.add(ref);
  }

  /**
   * `key` is settled: written as it is now if it exists and was not yet (if it does not, the
   * record its write creates is `placed`).
   */
  private settle(i: number, d: Db, key: Uint8Array): void {
    if (i < 0 || !this.active) return;
    const ref = d.find(key);
    if (ref !== 0 && this.done.add(ref)) this.writeKey(i, d, ref);
  }

  private writeKey(i: number, d: Db, ref: number): void {
    if (this.commands) return this.writeRestore(i, d, ref);
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
    // the key as a view where it lies (not a copy: no allocation per key), read at once
    const v = d.ks.view.read(d.arena.u8, ref);
    writeValue(w, d, ref, this.config, d.arena.u8.subarray(v.keyOff, v.keyOff + v.klen));
    this.keysWritten++;
  }

  /** The key as `RESTORE key ms payload ABSTTL` (ms 0: no TTL), after a SELECT when needed. */
  private writeRestore(i: number, d: Db, ref: number): void {
    const w = this.w;
    if (this.selected !== i) {
      this.selected = i;
      const s = String(i);
      w.raw(enc.encode(`*2\r\n$6\r\nSELECT\r\n$${s.length}\r\n${s}\r\n`));
    }
    const p = this.payload;
    p.reset();
    p.compression = this.config.value("rdbcompression") !== "no";
    writeValue(p, d, ref, this.config);
    p.u16le(RDB_VERSION);
    p.raw(crc64Bytes(crc64Of(p.view())));
    const payload = p.take();
    const key = d.key(ref);
    const e = d.expireExact(ref);
    const at = String(e === -1 ? 0 : e);
    w.raw(enc.encode(`*5\r\n$7\r\nRESTORE\r\n$${key.length}\r\n`));
    w.raw(key);
    w.raw(enc.encode(`\r\n$${at.length}\r\n${at}\r\n$${payload.length}\r\n`));
    w.raw(payload);
    w.raw(enc.encode("\r\n$6\r\nABSTTL\r\n"));
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
    this.done.clear();
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
