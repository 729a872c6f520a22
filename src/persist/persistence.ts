/**
 * A shard's side of RDB persistence: its part of SAVE and BGSAVE (snapshot.ts), the assembly
 * of the parts into one file (assemble.ts, on shard 0), the save points (`save` config), the
 * changes counter, the MISCONF refusal after a failed background save, and INFO persistence.
 *
 * SAVE and BGSAVE run on every shard under one exclusive lock, their parts in ascending shard
 * order (src/shard/route.ts), so shard 0's part decides: it claims the job in the shared state
 * (state.ts) or refuses, and the other shards follow that decision (a job number they have
 * not taken part in yet). BGREWRITEAOF takes the same slot: its parts are the AOF's new base
 * (aof_rewrite.ts), and only one of them runs at a time, as only one child runs in Redis.
 */
import type { Db } from "../store/db.ts";
import type { ConfigStore } from "../config/mod.ts";
import {
  JOB_AOFRW,
  JOB_BGSAVE,
  JOB_IDLE,
  JOB_SAVE,
  PersistState,
  SHUTDOWN_GO,
  SHUTDOWN_REFUSED,
} from "./state.ts";
import { ShardSnapshot } from "./snapshot.ts";
import { Assembler, partPath, removeParts, type SnapshotPaths } from "./assemble.ts";
import type { HeaderFacts } from "./rdb/file.ts";
import {
  AofRewrite,
  REWRITE_IN_PROGRESS,
  REWRITE_SCHEDULED,
  REWRITE_STARTED,
} from "./aof_rewrite.ts";
import type { Aof } from "./aof.ts";
import { log } from "../util/log.ts";
import { REDIS_VERSION, SKUA_VERSION } from "../util/version.ts";

export const IN_PROGRESS = "ERR Background save already in progress";
/** Redis's shared.err: a failed SAVE */
export const SAVE_FAILED = "ERR";
export const MISCONF = "MISCONF Redis is configured to save RDB snapshots, but it's currently " +
  "unable to persist to disk. Commands that may modify the data set are disabled, because " +
  "this instance is configured to report errors during writes if RDB snapshotting fails " +
  "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the " +
  "RDB error.";

export const SHUTDOWN_FAILED = "ERR Errors trying to SHUTDOWN. Check logs.";
/** BGSAVE without SCHEDULE while an AOF rewrite runs */
export const ANOTHER_CHILD = "ERR Another child process is active (AOF?): can't BGSAVE right " +
  "now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";

const enc = new TextEncoder();
/** What the tick asks the server to run as its own client (loop.ts). */
const BGSAVE_ARGV = [enc.encode("BGSAVE")];
const BGREWRITEAOF_ARGV = [enc.encode("BGREWRITEAOF")];

/** Redis's SHUTDOWN_* flags (SHUTDOWN's arguments, shutdown-on-sigterm / -sigint). */
export const SHUTDOWN_SAVE = 1;
export const SHUTDOWN_NOSAVE = 2;
export const SHUTDOWN_NOW = 4;
export const SHUTDOWN_FORCE = 8;
const SHUTDOWN_NAMES: [string, number][] = [
  ["save", SHUTDOWN_SAVE],
  ["nosave", SHUTDOWN_NOSAVE],
  ["now", SHUTDOWN_NOW],
  ["force", SHUTDOWN_FORCE],
];

/** Flags of a shutdown-on-sig* value ("default", or names separated by spaces). */
function shutdownFlags(v: string): number {
  let f = 0;
  for (const w of v.split(" ")) f |= SHUTDOWN_NAMES.find(([n]) => n === w)?.[1] ?? 0;
  return f;
}

/** Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed one, save points wait this long. */
const BGSAVE_RETRY_MS = 5000;

export class Persistence {
  readonly state: PersistState;
  private readonly snap: ShardSnapshot;
  /** the last job this shard took part in */
  private partJob = 0;
  /** shard 0: the file being assembled from the parts */
  private assembler: Assembler | null = null;
  private paths: SnapshotPaths = { dir: ".", dbfilename: "dump.rdb" };
  /** shard 0: where the running background save writes (CONFIG SET dir meanwhile: not there) */
  private jobPaths: SnapshotPaths = this.paths;
  private savePoints: [number, number][] = [];
  /** the job the assembler writes for: JOB_BGSAVE (the RDB file) or JOB_AOFRW (the AOF's base) */
  private assembling = JOB_IDLE;
  /** BGREWRITEAOF and the automatic rewrite (useAof) */
  private rewrite: AofRewrite | null = null;

  constructor(
    readonly shard: number,
    readonly shards: number,
    dbs: readonly Db[],
    private readonly config: ConfigStore,
    sab: SharedArrayBuffer,
    private readonly usedMemory: () => number,
  ) {
    this.state = new PersistState(sab, shards);
    this.snap = new ShardSnapshot(dbs, config);
    this.sync();
  }

  /** The AOF this shard appends to: a rewrite moves its appends to a new incr file. */
  useAof(aof: Aof): void {
    this.rewrite = new AofRewrite(this.shard, this.state, this.config, aof);
  }

  /** Follow the config (startup, CONFIG SET). */
  sync(): void {
    const c = this.config;
    this.paths = { dir: c.value("dir") ?? ".", dbfilename: c.value("dbfilename") ?? "dump.rdb" };
    const v = (c.value("save") ?? "").split(" ").filter((x) => x !== "").map(Number);
    this.savePoints = [];
    for (let i = 0; i + 1 < v.length; i += 2) this.savePoints.push([v[i], v[i + 1]]);
    this.state.savePoints = this.savePoints.length > 0;
    this.state.setOnSignal(
      shutdownFlags(c.value("shutdown-on-sigterm") ?? "default"),
      shutdownFlags(c.value("shutdown-on-sigint") ?? "default"),
    );
  }

  /**
   * SHUTDOWN's part (Redis's prepareForShutdown): save when asked to, or when save points are
   * set and NOSAVE was not given; a background save in progress is given up first. The last
   * shard tells the supervisor whether the process may exit. Error text or null.
   */
  shutdownPart(now: number, flags: number): string | null {
    const save = (flags & SHUTDOWN_SAVE) !== 0 ||
      (this.savePoints.length > 0 && (flags & SHUTDOWN_NOSAVE) === 0);
    let failed = false;
    // a background save or AOF rewrite is killed either way (the AOF on disk is complete)
    this.giveUpBackground();
    if (save) {
      if (this.shard === 0) log("notice", "Saving the final RDB snapshot before exiting.");
      failed = this.savePart(now) !== null;
    }
    const force = (flags & SHUTDOWN_FORCE) !== 0;
    if (failed && !force) {
      if (this.shard === this.shards - 1) {
        log("warning", "Error trying to save the DB, can't exit.");
        this.state.shutdown = SHUTDOWN_REFUSED;
      }
      return SHUTDOWN_FAILED;
    }
    if (this.shard === this.shards - 1) this.state.shutdown = SHUTDOWN_GO;
    return null;
  }

  /**
   * A background save or AOF rewrite in progress is dropped (Redis kills its child), its files
   * removed. Shard 0 drops the job first; the later shards give up their part all the same.
   */
  private giveUpBackground(): void {
    const job = this.state.job;
    const bg = job === JOB_BGSAVE || job === JOB_AOFRW;
    if (!bg && !this.snap.active && this.assembler === null) return;
    if (this.shard === 0 && bg) {
      log(
        "warning",
        job === JOB_AOFRW
          ? "There is a child rewriting the AOF. Killing it!"
          : "There is a background save in progress. Killing it!",
      );
    }
    this.abort();
    if (this.shard === 0 && bg) {
      removeParts(job === JOB_AOFRW ? this.rewrite!.basePaths().dir : this.paths.dir, this.shards);
      this.state.drop();
    }
  }

  /** Shard 0: the SHUTDOWN a signal asks for (shutdown-on-sigterm / -sigint), once. */
  signalShutdown(): Uint8Array[] | null {
    if (this.shard !== 0) return null;
    const sig = this.state.takeSignal();
    if (sig === 0) return null;
    const v = this.config.value(sig === 2 ? "shutdown-on-sigint" : "shutdown-on-sigterm") ?? "";
    const enc = new TextEncoder();
    const argv = [enc.encode("SHUTDOWN")];
    for (const w of v.split(" ")) if (w !== "" && w !== "default") argv.push(enc.encode(w));
    return argv;
  }

  /** `n` changes to the dataset (Redis's server.dirty). */
  changed(n: number): void {
    this.state.addDirty(this.shard, n);
  }

  /** A background snapshot's part is being written here. */
  get snapshotting(): boolean {
    return this.snap.active;
  }

  /** A write command is about to change `key` of database `db`: write its old value first. */
  beforeWrite(db: number, key: Uint8Array): void {
    this.snap.beforeWrite(db, key);
  }

  /** A write whose keys cannot be told (FLUSHALL, SWAPDB): finish the part first. */
  beforeWriteAll(): void {
    if (!this.snap.active) return;
    this.snap.drain();
    this.partFinished();
  }

  /** FLUSHALL ran here: with save points set, Redis saves the emptied dataset at once. */
  flushedAll(): void {
    if (this.savePoints.length > 0) this.state.requestFlushSave();
  }

  /** Shard 0: a SAVE is owed after a FLUSHALL (run as the server's own SAVE). */
  flushSaveDue(): boolean {
    return this.shard === 0 && this.state.takeFlushSave();
  }

  /** Writes are refused (MISCONF) after a failed background save, as Redis refuses them. */
  get writesRefused(): boolean {
    return this.state.lastFailed && this.savePoints.length > 0 &&
      this.config.value("stop-writes-on-bgsave-error") !== "no";
  }

  private facts(): HeaderFacts {
    return {
      redisVersion: REDIS_VERSION,
      ctime: Math.floor(Date.now() / 1000),
      usedMem: this.usedMemory() * this.shards,
      skuaVersion: SKUA_VERSION,
    };
  }

  /** Take part in the job shard 0 just claimed for this command, or refuse as it did. */
  private join(kind: number, now: number): boolean {
    const s = this.state;
    if (this.shard === 0) {
      if (!s.claim(kind, now)) return false;
    } else if (s.job !== kind || s.jobId === this.partJob) return false;
    this.partJob = s.jobId;
    s.markStart(this.shard);
    return true;
  }

  /** SAVE's part: this shard's keys, at once; the last shard assembles. Error text or null. */
  savePart(now: number): string | null {
    if (!this.join(JOB_SAVE, now)) return IN_PROGRESS;
    const s = this.state;
    const ok = this.snap.begin(partPath(this.paths.dir, this.shard), now, false) &&
      this.snap.writeAll();
    if (!ok) {
      log("warning", `Failed saving the RDB part of shard ${this.shard}: ${this.snap.error}`);
    }
    s.partDone(ok);
    if (this.shard !== this.shards - 1) return ok ? null : SAVE_FAILED;
    const saved = s.partsFailed === 0 && this.assemble(Infinity);
    if (s.partsFailed > 0) removeParts(this.paths.dir, this.shards);
    s.finish(saved, Date.now(), false);
    if (saved) log("notice", "DB saved on disk");
    return saved ? null : SAVE_FAILED;
  }

  /** BGSAVE's part: take the snapshot point here; the keys follow over the loop's turns. */
  bgsavePart(now: number): string | null {
    if (!this.join(JOB_BGSAVE, now)) return IN_PROGRESS;
    if (this.shard === 0) {
      log("notice", "Background saving started (fork-less, by every shard)");
      this.jobPaths = this.paths;
    }
    if (!this.snap.begin(partPath(this.paths.dir, this.shard), now, true)) {
      log("warning", `Failed opening the RDB part of shard ${this.shard}: ${this.snap.error}`);
      this.state.partDone(false);
    }
    return null;
  }

  /**
   * BGREWRITEAOF's part (Redis's bgrewriteaofCommand): shard 0 decides — already running, or
   * scheduled while a BGSAVE runs, or started — and every shard then takes its snapshot point and
   * moves its appends to the new incr file. The reply: a status, or an error (`ERR ...`).
   */
  rewritePart(now: number): string {
    const s = this.state;
    const rw = this.rewrite!;
    if (this.shard === 0) {
      if (s.job === JOB_AOFRW) return REWRITE_IN_PROGRESS;
      if (s.job !== JOB_IDLE) {
        s.rewriteScheduled = true;
        // a rewrite asked for by hand may run at once, failures or not (as Redis)
        s.rewriteFailures = 0;
        return REWRITE_SCHEDULED;
      }
      const err = rw.start(now);
      if (err !== null) return err;
    } else if (s.job !== JOB_AOFRW || s.jobId === this.partJob) return REWRITE_STARTED;
    this.partJob = s.jobId;
    rw.switchPart();
    if (!this.snap.begin(rw.partPath(), now, true, !rw.rdb)) {
      log(
        "warning",
        `Failed opening the AOF rewrite part of shard ${this.shard}: ${this.snap.error}`,
      );
      s.partDone(false);
    }
    return REWRITE_STARTED;
  }

  /** One bounded batch of the running background work; true while some remains. */
  turn(): boolean {
    if (this.snap.active && this.snap.step()) this.partFinished();
    if (this.assembler !== null) this.assembleStep();
    return this.snap.active || this.assembler !== null;
  }

  private partFinished(): void {
    const ok = this.snap.error === null;
    if (!ok) {
      log("warning", `Failed writing the RDB part of shard ${this.shard}: ${this.snap.error}`);
    }
    // a part of a job given up meanwhile (SHUTDOWN) counts for nothing
    const s = this.state;
    if ((s.job === JOB_BGSAVE || s.job === JOB_AOFRW) && s.jobId === this.partJob) s.partDone(ok);
  }

  /**
   * hz times a second. Shard 0 starts assembling once every part is written, and tells what
   * the server should run now as its own client, in serverCron's order: a scheduled
   * BGREWRITEAOF, a BGSAVE (SCHEDULE, or a save point), an automatic AOF rewrite; or null.
   */
  tick(now: number): Uint8Array[] | null {
    if (this.shard !== 0) return null;
    const s = this.state;
    const job = s.job;
    if (
      (job === JOB_BGSAVE || job === JOB_AOFRW) && this.assembler === null &&
      s.partsDone === this.shards
    ) {
      const rw = job === JOB_AOFRW;
      const paths = rw ? this.rewrite!.basePaths() : this.jobPaths;
      if (s.partsFailed > 0) {
        removeParts(paths.dir, this.shards);
        if (rw) this.rewrite!.done(false, now);
        else this.bgsaveDone(false, now);
      } else {
        this.assembling = job;
        this.assembler = new Assembler(
          paths,
          this.shards,
          rw ? this.rewrite!.header(this.facts()) : this.facts(),
          this.config.value("rdbchecksum") !== "no",
        );
      }
    }
    const rw = this.rewrite;
    rw?.tick();
    if (s.job !== JOB_IDLE) return null;
    if (rw !== null && rw.scheduledDue(now)) return BGREWRITEAOF_ARGV;
    if (s.scheduled) {
      s.scheduled = false;
      return BGSAVE_ARGV;
    }
    if (this.savePointDue(now)) return BGSAVE_ARGV;
    if (rw !== null && rw.growthDue(now)) return BGREWRITEAOF_ARGV;
    return null;
  }

  /** Redis's serverCron check: N changes within M seconds, not too soon after a failure. */
  private savePointDue(now: number): boolean {
    const s = this.state;
    const changes = s.changesSinceSave();
    for (const [secs, n] of this.savePoints) {
      if (
        changes >= n && now / 1000 - s.lastSave > secs &&
        (!s.lastFailed || now - s.lastTryMs > BGSAVE_RETRY_MS)
      ) {
        log("notice", `${n} changes in ${secs} seconds. Saving...`);
        return true;
      }
    }
    return false;
  }

  private assembleStep(): void {
    const a = this.assembler!;
    if (!a.step()) return;
    this.assembler = null;
    if (this.assembling === JOB_AOFRW) {
      if (a.error !== null) log("warning", `Failed writing the AOF base file: ${a.error}`);
      this.rewrite!.done(a.error === null, Date.now());
      return;
    }
    if (a.error !== null) log("warning", `Failed writing the RDB file: ${a.error}`);
    this.bgsaveDone(a.error === null, Date.now());
  }

  private assemble(budget: number): boolean {
    const a = new Assembler(
      this.paths,
      this.shards,
      this.facts(),
      this.config.value("rdbchecksum") !== "no",
    );
    while (!a.step(budget));
    if (a.error !== null) log("warning", `Failed writing the RDB file: ${a.error}`);
    return a.error === null;
  }

  private bgsaveDone(ok: boolean, now: number): void {
    this.state.finish(ok, now, true);
    log(
      ok ? "notice" : "warning",
      ok ? "Background saving terminated with success" : "Background saving error",
    );
  }

  /** Shutdown: a background save in progress is given up (its temp files removed). */
  abort(): void {
    if (this.snap.active) this.snap.abort();
    if (this.assembler !== null) {
      this.assembler.cleanup(true);
      this.assembler = null;
    }
  }

  /** INFO persistence, as Redis 7.0 writes it. */
  infoLines(now: number): string[] {
    const s = this.state;
    const job = s.job;
    const bg = job === JOB_BGSAVE;
    const aof = this.rewrite?.infoLines(now) ?? { rewrite: [], sizes: [] };
    return [
      `loading:${s.loading ? 1 : 0}`,
      "async_loading:0",
      "current_cow_peak:0",
      "current_cow_size:0",
      "current_cow_size_age:0",
      "current_fork_perc:0.00",
      "current_save_keys_processed:0",
      "current_save_keys_total:0",
      `rdb_changes_since_last_save:${s.changesSinceSave()}`,
      `rdb_bgsave_in_progress:${bg ? 1 : 0}`,
      `rdb_last_save_time:${s.lastSave}`,
      `rdb_last_bgsave_status:${s.lastFailed ? "err" : "ok"}`,
      `rdb_last_bgsave_time_sec:${s.lastBgsaveSec}`,
      `rdb_current_bgsave_time_sec:${bg ? Math.round((now - s.jobStartMs) / 1000) : -1}`,
      `rdb_saves:${s.saves}`,
      "rdb_last_cow_size:0",
      `rdb_last_load_keys_expired:${s.loadExpired}`,
      `rdb_last_load_keys_loaded:${s.loadLoaded}`,
      `aof_enabled:${this.config.value("appendonly") === "yes" ? 1 : 0}`,
      ...aof.rewrite,
      "aof_last_write_status:ok",
      "aof_last_cow_size:0",
      "module_fork_in_progress:0",
      "module_fork_last_cow_size:0",
      ...aof.sizes,
    ];
  }
}
