/**
 * A shard's side of the AOF (Redis 7.0 multi-part layout, aof_files.ts).
 *
 * Layout with several shards: one incr file, opened O_APPEND by every shard. Each shard appends
 * what it propagated during a loop turn with one write(2), before any reply or ring message of
 * that turn leaves (loop.ts / the engines call `flush`). A key lives on one shard and each shard
 * writes in its execution order, so every key's commands are in the file in the order they ran;
 * a cross-shard transaction's lock grant leaves a shard only after its earlier writes are in the
 * file (causality through the rings). FLUSHALL/FLUSHDB/SWAPDB, which touch every shard, run as
 * an exclusive fan-out while the AOF is on and are written once, by the last shard (see
 * propagate.ts). Every chunk starts with SELECT. Redis loads the directory as it is.
 *
 * The generation number (base and incr seq) is known to every shard without talking: each
 * reads the manifest at startup, and each turns the AOF on at the same CONFIG SET (a fan-out to
 * all shards), adding one. Shard 0 writes the base, the incr file and the manifest; the others
 * create the incr file too if they come first (O_CREAT|O_APPEND, never truncating).
 *
 * appendfsync: always — an fdatasync after the turn's write, before its replies leave (group
 * commit: one per turn); everysec — at most once a second from the tick (synchronous: Deno has
 * no background fsync without async ops); no — never.
 */
import type { ConfigStore } from "../config/mod.ts";
import type { Db } from "../store/db.ts";
import type { EntryCopy } from "../store/transfer.ts";
import { Propagator } from "./propagate.ts";
import { aofPaths, createGeneration, incrName, readManifest } from "./aof_files.ts";
import { log } from "../util/log.ts";

export class Aof {
  readonly prop: Propagator;
  private file: Deno.FsFile | null = null;
  /** the generation (base/incr seq) this shard appends to */
  seq = 0;
  /** bytes written since the last fsync */
  private unsynced = false;
  private lastSync = 0;
  private configVersion = -1;
  private always = false;
  private everysec = true;
  /** fsyncs done and their total time (ms), for the notes and INFO */
  fsyncs = 0;
  fsyncMs = 0;

  constructor(
    readonly id: number,
    readonly n: number,
    readonly dbs: readonly Db[],
    readonly config: ConfigStore,
    private readonly copy: (db: Db, ref: number) => EntryCopy,
  ) {
    this.prop = new Propagator(id, n, dbs, config, copy);
  }

  get on(): boolean {
    return this.prop.on;
  }

  /** After the startup load: append to incr file `seq` (the manifest's last one). */
  startAppending(seq: number, name: string): void {
    const p = aofPaths(this.config);
    this.seq = seq;
    Deno.mkdirSync(p.dir, { recursive: true });
    this.file = Deno.openSync(`${p.dir}/${name}`, { write: true, append: true, create: true });
    this.prop.on = true;
    this.readPolicy();
  }

  /** This turn's propagated commands go to the file (and to disk with appendfsync always). */
  flush(): void {
    if (this.file === null) return;
    const b = this.prop.take();
    if (b === null) return;
    let off = 0;
    // a failed write ends the process (the failure model): replies must not claim otherwise
    while (off < b.length) off += this.file.writeSync(b.subarray(off));
    this.unsynced = true;
    if (this.always) this.sync();
  }

  private sync(): void {
    const t = performance.now();
    this.file!.syncDataSync();
    this.fsyncMs += performance.now() - t;
    this.fsyncs++;
    this.unsynced = false;
    this.lastSync = Date.now();
  }

  /** The tick: everysec's fsync, and appendonly / appendfsync changed by CONFIG SET. */
  tick(now: number): void {
    if (this.config.version !== this.configVersion) this.reconfigure();
    if (this.file !== null && this.everysec && this.unsynced && now - this.lastSync >= 1000) {
      this.flush();
      if (this.unsynced) this.sync();
    }
  }

  /**
   * An AOF rewrite's point (src/persist/aof_rewrite.ts): this turn's writes so far go to the old
   * incr file, which is fsynced and closed; the following ones go to incr file `seq`.
   */
  switchTo(seq: number, name: string): void {
    if (this.file === null) return;
    this.close();
    this.startAppending(seq, name);
  }

  /** At shutdown: what is buffered goes out and to disk. */
  close(): void {
    if (this.file === null) return;
    this.flush();
    if (this.unsynced) this.sync();
    this.file.close();
    this.file = null;
  }

  private readPolicy(): void {
    const f = this.config.value("appendfsync") ?? "everysec";
    this.always = f === "always";
    this.everysec = f === "everysec";
    this.configVersion = this.config.version;
  }

  private reconfigure(): void {
    this.readPolicy();
    const want = this.config.value("appendonly") === "yes";
    if (want === this.on) return;
    if (!want) {
      this.close();
      this.prop.on = false;
      this.prop.drop();
      log("notice", "Background append only file rewriting stopped (appendonly turned off)");
      return;
    }
    // CONFIG SET appendonly yes: a new generation; this shard's dataset starts its incr part
    const p = aofPaths(this.config);
    const seq = this.seq + 1;
    if (this.id === 0) {
      createGeneration(p, seq, this.config);
      log("notice", "Background append only file rewriting started");
    }
    this.startAppending(seq, incrName(p, seq));
    this.prop.dumpAll(Date.now());
    this.flush();
    if (this.unsynced) this.sync();
  }

  /** The generation on disk at startup (0: none), read before loading. */
  static manifestSeq(config: ConfigStore): number {
    const m = readManifest(aofPaths(config));
    if (m === null) return 0;
    let seq = m.base?.seq ?? 0;
    for (const i of m.incrs) seq = Math.max(seq, i.seq);
    return seq;
  }
}
