/**
 * A shard's side of RDB persistence: its part of SAVE and BGSAVE (snapshot.ts), the assembly
 * of the parts into one file (assemble.ts, on shard 0), the save points (`save` config), the
 * changes counter, the MISCONF refusal after a failed background save, and INFO persistence.
 *
 * SAVE and BGSAVE run on every shard under one exclusive lock, their parts in ascending shard
 * order (src/shard/route.ts), so shard 0's part decides: it claims the job in the shared state
 * (state.ts) or refuses, and the other shards follow that decision (a job number they have
 * not taken part in yet).
 */
import type { Db } from "../store/db.ts";
import type { ConfigStore } from "../config/mod.ts";
import {
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
    if (save) {
      this.giveUpBackground();
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

  /** A background save in progress is dropped (Redis kills its child), its files removed. */
  private giveUpBackground(): void {
    if (this.state.job !== JOB_BGSAVE) return;
    if (this.shard === 0) log("warning", "There is a background save in progress. Killing it!");
    this.abort();
    if (this.shard === 0) {
      removeParts(this.paths.dir, this.shards);
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
    if (s.job === JOB_BGSAVE && s.jobId === this.partJob) s.partDone(ok);
  }

  /**
   * hz times a second. Shard 0 starts assembling once every part is written, and tells
   * whether a save point (or BGSAVE SCHEDULE) asks for a background save now.
   */
  tick(now: number): boolean {
    if (this.shard !== 0) return false;
    const s = this.state;
    if (s.job === JOB_BGSAVE && this.assembler === null && s.partsDone === this.shards) {
      if (s.partsFailed > 0) {
        removeParts(this.jobPaths.dir, this.shards);
        this.bgsaveDone(false, now);
      } else {
        this.assembler = new Assembler(
          this.jobPaths,
          this.shards,
          this.facts(),
          this.config.value("rdbchecksum") !== "no",
        );
      }
    }
    if (s.job !== JOB_IDLE) return false;
    if (s.scheduled) {
      s.scheduled = false;
      return true;
    }
    return this.savePointDue(now);
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
      "aof_rewrite_in_progress:0",
      "aof_rewrite_scheduled:0",
      "aof_last_rewrite_time_sec:-1",
      "aof_current_rewrite_time_sec:-1",
      "aof_last_bgrewrite_status:ok",
      "aof_rewrites:0",
      "aof_rewrites_consecutive_failures:0",
      "aof_last_write_status:ok",
      "aof_last_cow_size:0",
      "module_fork_in_progress:0",
      "module_fork_last_cow_size:0",
    ];
  }
}
