/**
 * Persistence facts every shard must see alike: whether a snapshot runs, how the last one
 * ended, when the last one succeeded, and each shard's count of changes (Redis's
 * server.dirty, summed). They live in one SharedArrayBuffer that the supervisor creates, so
 * INFO persistence, LASTSAVE and the "already in progress" checks answer the same on every
 * shard without a round trip. A shard writes only its own dirty words; the job words change
 * under Atomics.
 */

/** No snapshot runs. */
export const JOB_IDLE = 0;
/** SAVE (blocking) runs. */
export const JOB_SAVE = 1;
/** BGSAVE runs: the shards write their parts over their loop iterations. */
export const JOB_BGSAVE = 2;
/** BGREWRITEAOF runs: the parts form the AOF's new base (src/persist/aof_rewrite.ts). */
export const JOB_AOFRW = 3;

// Int32 words
const I_JOB = 0;
const I_PARTS_DONE = 1;
const I_PARTS_FAILED = 2;
const I_LAST_STATUS_ERR = 3;
const I_SCHEDULED = 4;
const I_SAVES = 5;
const I_JOB_ID = 6;
const I_LOADING = 7;
const I_LOAD_LOADED = 8;
const I_LOAD_EXPIRED = 9;
const I_SAVE_POINTS = 10;
const I_SIGNAL = 11;
const I_SHUTDOWN = 12;
const I_ON_SIGTERM = 13;
const I_ON_SIGINT = 14;
const I_LOADED = 15;
const I_FLUSH_SAVE = 16;
const I_RW_SCHEDULED = 17;
const I_RW_LAST_ERR = 18;
const I_RW_COUNT = 19;
const I_RW_FAILURES = 20;
const I_RW_INCR_SEQ = 21;
const I_RW_BASE_SEQ = 22;
const I_RW_RDB = 23;
const INT_WORDS = 24;
// Float64 words (after the Int32 ones)
const F_LAST_SAVE = 0;
const F_LAST_BGSAVE_SEC = 1;
const F_JOB_START_MS = 2;
const F_LAST_TRY_MS = 3;
const F_RW_LAST_SEC = 4;
const F_AOF_BASE_SIZE = 5;
const F_LOAD_START = 8;
const F_LOAD_TOTAL = 9;
const F_LOAD_USED_MEM = 10;
const F_WORDS = 12;
/** Per-shard Float64 regions after F_WORDS: dirty, base, start dirty, bytes loaded. */
const PER_SHARD = 4;

/** SHUTDOWN's outcome (state.shutdown): the process may exit, or the shutdown was refused. */
export const SHUTDOWN_GO = 1;
export const SHUTDOWN_REFUSED = 2;

/**
 * The shared buffer for `shards` shards (created once, by the supervisor). `loading`: the
 * shards load the dataset once they listen (src/shard/startup_load.ts); until the last one is
 * done every shard answers -LOADING.
 */
export function createPersistShared(shards: number, loading = false): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(INT_WORDS * 4 + (F_WORDS + PER_SHARD * shards) * 8);
  const s = new PersistState(sab, shards);
  if (loading) s.markLoading();
  s.lastSave = Math.floor(Date.now() / 1000);
  s.lastBgsaveSec = -1;
  s.rewriteLastSec = -1;
  s.aofBaseSize = -1;
  return sab;
}

/** A view of the shared persistence facts. */
export class PersistState {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;

  constructor(sab: SharedArrayBuffer, readonly shards: number) {
    this.i32 = new Int32Array(sab, 0, INT_WORDS);
    this.f64 = new Float64Array(sab, INT_WORDS * 4);
  }

  /** JOB_IDLE, JOB_SAVE, JOB_BGSAVE or JOB_AOFRW. */
  get job(): number {
    return Atomics.load(this.i32, I_JOB);
  }

  /** Claim the snapshot slot for `kind`; false when a snapshot already runs. */
  claim(kind: number, now: number): boolean {
    if (Atomics.compareExchange(this.i32, I_JOB, JOB_IDLE, kind) !== JOB_IDLE) return false;
    Atomics.store(this.i32, I_PARTS_DONE, 0);
    Atomics.store(this.i32, I_PARTS_FAILED, 0);
    Atomics.add(this.i32, I_JOB_ID, 1);
    // Redis counts a save when it starts (stat_rdb_saves), whatever its outcome
    Atomics.add(this.i32, I_SAVES, 1);
    this.f64[F_JOB_START_MS] = now;
    this.f64[F_LAST_TRY_MS] = now;
    return true;
  }

  /** The current (or last) job's number: a shard knows it took part in this one. */
  get jobId(): number {
    return Atomics.load(this.i32, I_JOB_ID);
  }

  get jobStartMs(): number {
    return this.f64[F_JOB_START_MS];
  }

  get lastTryMs(): number {
    return this.f64[F_LAST_TRY_MS];
  }

  /** A shard's part is written (ok) or failed. Returns the number of parts finished. */
  partDone(ok: boolean): number {
    if (!ok) Atomics.add(this.i32, I_PARTS_FAILED, 1);
    return Atomics.add(this.i32, I_PARTS_DONE, 1) + 1;
  }

  get partsDone(): number {
    return Atomics.load(this.i32, I_PARTS_DONE);
  }

  get partsFailed(): number {
    return Atomics.load(this.i32, I_PARTS_FAILED);
  }

  /**
   * The job ended: on success the changes counted when it began are no longer "since the
   * last save", and LASTSAVE moves.
   */
  finish(ok: boolean, now: number, background: boolean): void {
    if (ok) {
      for (let i = 0; i < this.shards; i++) this.setBase(i, this.startDirty(i));
      this.lastSave = Math.floor(now / 1000);
    }
    if (background) {
      Atomics.store(this.i32, I_LAST_STATUS_ERR, ok ? 0 : 1);
      this.lastBgsaveSec = Math.round((now - this.jobStartMs) / 1000);
    } else if (ok) Atomics.store(this.i32, I_LAST_STATUS_ERR, 0);
    Atomics.store(this.i32, I_JOB, JOB_IDLE);
  }

  /** The job is dropped without an outcome (a shutdown gave up a background save). */
  drop(): void {
    Atomics.store(this.i32, I_JOB, JOB_IDLE);
  }

  /**
   * Claim the job slot for an AOF rewrite whose new base is `baseSeq` (an RDB when `rdb`, else
   * commands) and whose new incr file is `incrSeq` (0: the AOF is off, appends do not move);
   * false when a snapshot already runs.
   */
  claimRewrite(now: number, baseSeq: number, incrSeq: number, rdb: boolean): boolean {
    if (Atomics.compareExchange(this.i32, I_JOB, JOB_IDLE, JOB_AOFRW) !== JOB_IDLE) return false;
    Atomics.store(this.i32, I_PARTS_DONE, 0);
    Atomics.store(this.i32, I_PARTS_FAILED, 0);
    Atomics.store(this.i32, I_RW_BASE_SEQ, baseSeq);
    Atomics.store(this.i32, I_RW_INCR_SEQ, incrSeq);
    Atomics.store(this.i32, I_RW_RDB, rdb ? 1 : 0);
    Atomics.add(this.i32, I_JOB_ID, 1);
    // Redis counts a rewrite when it starts (stat_aof_rewrites), and it is no longer scheduled
    Atomics.add(this.i32, I_RW_COUNT, 1);
    Atomics.store(this.i32, I_RW_SCHEDULED, 0);
    this.f64[F_JOB_START_MS] = now;
    return true;
  }

  /** The running rewrite: its new base seq, new incr seq (0: appends did not move), format. */
  get rewriteJob(): { baseSeq: number; incrSeq: number; rdb: boolean } {
    return {
      baseSeq: Atomics.load(this.i32, I_RW_BASE_SEQ),
      incrSeq: Atomics.load(this.i32, I_RW_INCR_SEQ),
      rdb: Atomics.load(this.i32, I_RW_RDB) !== 0,
    };
  }

  /** The rewrite ended: ok, failed, or (null) given up without an outcome. */
  finishRewrite(ok: boolean | null, now: number): void {
    if (ok !== null) {
      Atomics.store(this.i32, I_RW_LAST_ERR, ok ? 0 : 1);
      if (ok) Atomics.store(this.i32, I_RW_FAILURES, 0);
      else Atomics.add(this.i32, I_RW_FAILURES, 1);
    }
    this.rewriteLastSec = Math.floor(now / 1000) - Math.floor(this.jobStartMs / 1000);
    Atomics.store(this.i32, I_JOB, JOB_IDLE);
  }

  /** BGREWRITEAOF while a snapshot ran: run one as soon as it is done (aof_rewrite_scheduled). */
  get rewriteScheduled(): boolean {
    return Atomics.load(this.i32, I_RW_SCHEDULED) !== 0;
  }

  set rewriteScheduled(v: boolean) {
    Atomics.store(this.i32, I_RW_SCHEDULED, v ? 1 : 0);
  }

  /** aof_last_bgrewrite_status:err */
  get rewriteFailed(): boolean {
    return Atomics.load(this.i32, I_RW_LAST_ERR) !== 0;
  }

  /** aof_rewrites */
  get rewrites(): number {
    return Atomics.load(this.i32, I_RW_COUNT);
  }

  /** aof_rewrites_consecutive_failures (BGREWRITEAOF scheduled resets it, as in Redis) */
  get rewriteFailures(): number {
    return Atomics.load(this.i32, I_RW_FAILURES);
  }

  set rewriteFailures(v: number) {
    Atomics.store(this.i32, I_RW_FAILURES, v);
  }

  /** aof_last_rewrite_time_sec */
  get rewriteLastSec(): number {
    return this.f64[F_RW_LAST_SEC];
  }

  set rewriteLastSec(v: number) {
    this.f64[F_RW_LAST_SEC] = v;
  }

  /** aof_base_size: the AOF's size after the last rewrite, or its base's at startup (-1: unknown) */
  get aofBaseSize(): number {
    return this.f64[F_AOF_BASE_SIZE];
  }

  set aofBaseSize(v: number) {
    this.f64[F_AOF_BASE_SIZE] = v;
  }

  /** Whether the last background save failed (rdb_last_bgsave_status:err, MISCONF). */
  get lastFailed(): boolean {
    return Atomics.load(this.i32, I_LAST_STATUS_ERR) !== 0;
  }

  /** BGSAVE SCHEDULE: run one as soon as the current snapshot is done. */
  get scheduled(): boolean {
    return Atomics.load(this.i32, I_SCHEDULED) !== 0;
  }

  set scheduled(v: boolean) {
    Atomics.store(this.i32, I_SCHEDULED, v ? 1 : 0);
  }

  get saves(): number {
    return Atomics.load(this.i32, I_SAVES);
  }

  /** Every shard is to load at startup (set before any shard starts). */
  markLoading(): void {
    Atomics.store(this.i32, I_LOADING, 1);
  }

  /** The startup load is under way on some shard (Redis's server.loading: -LOADING). */
  get loading(): boolean {
    return Atomics.load(this.i32, I_LOADING) !== 0;
  }

  /** Unix seconds of the last successful save (or of the start: LASTSAVE). */
  get lastSave(): number {
    return this.f64[F_LAST_SAVE];
  }

  set lastSave(v: number) {
    this.f64[F_LAST_SAVE] = v;
  }

  get lastBgsaveSec(): number {
    return this.f64[F_LAST_BGSAVE_SEC];
  }

  set lastBgsaveSec(v: number) {
    this.f64[F_LAST_BGSAVE_SEC] = v;
  }

  /** Changes counted by shard `i` so far (written by that shard only). */
  dirty(i: number): number {
    return this.f64[F_WORDS + i];
  }

  addDirty(i: number, n: number): void {
    this.f64[F_WORDS + i] += n;
  }

  private base(i: number): number {
    return this.f64[F_WORDS + this.shards + i];
  }

  private setBase(i: number, v: number): void {
    this.f64[F_WORDS + this.shards + i] = v;
  }

  private startDirty(i: number): number {
    return this.f64[F_WORDS + 2 * this.shards + i];
  }

  /** Shard `i`'s snapshot point: its changes up to here are in the snapshot. */
  markStart(i: number): void {
    this.f64[F_WORDS + 2 * this.shards + i] = this.dirty(i);
  }

  /** rdb_changes_since_last_save: every shard's changes since its part of the last save. */
  changesSinceSave(): number {
    let n = 0;
    for (let i = 0; i < this.shards; i++) n += this.dirty(i) - this.base(i);
    return n;
  }

  /** Whether `save` has save points (the supervisor decides on a signal whether to save). */
  get savePoints(): boolean {
    return Atomics.load(this.i32, I_SAVE_POINTS) !== 0;
  }

  set savePoints(v: boolean) {
    Atomics.store(this.i32, I_SAVE_POINTS, v ? 1 : 0);
  }

  /** shutdown-on-sigterm (15) or shutdown-on-sigint (2) as Redis's flag bits, kept by the shards. */
  onSignal(sig: number): number {
    return Atomics.load(this.i32, sig === 2 ? I_ON_SIGINT : I_ON_SIGTERM);
  }

  setOnSignal(term: number, int: number): void {
    Atomics.store(this.i32, I_ON_SIGTERM, term);
    Atomics.store(this.i32, I_ON_SIGINT, int);
  }

  /**
   * A shard ran its part of FLUSHALL with save points set: once every shard has, shard 0 saves
   * the emptied dataset (Redis's flushAllDataAndResetRDB).
   */
  requestFlushSave(): void {
    Atomics.add(this.i32, I_FLUSH_SAVE, 1);
  }

  /** Every shard's FLUSHALL part ran: the save is owed (it waits while a snapshot runs). */
  takeFlushSave(): boolean {
    if (this.job !== JOB_IDLE || Atomics.load(this.i32, I_FLUSH_SAVE) < this.shards) return false;
    Atomics.sub(this.i32, I_FLUSH_SAVE, this.shards);
    return true;
  }

  /** The supervisor asks shard 0 to run SHUTDOWN for signal `sig` (15 or 2). */
  requestSignal(sig: number): void {
    Atomics.store(this.i32, I_SIGNAL, sig);
  }

  /** The signal asked for, once (0: none). */
  takeSignal(): number {
    return Atomics.exchange(this.i32, I_SIGNAL, 0);
  }

  /** SHUTDOWN_GO, SHUTDOWN_REFUSED or 0. */
  get shutdown(): number {
    return Atomics.load(this.i32, I_SHUTDOWN);
  }

  set shutdown(v: number) {
    Atomics.store(this.i32, I_SHUTDOWN, v);
  }

  /**
   * Startup: this shard loaded its keys. The last shard to finish ends the loading state for
   * all (no shard serves data while another one is still loading); returns true for it.
   */
  loadFinished(): boolean {
    if (Atomics.add(this.i32, I_LOADED, 1) + 1 < this.shards) return false;
    Atomics.store(this.i32, I_LOADING, 0);
    return true;
  }

  /**
   * A shard starts loading `total` bytes (every shard reads the same files: the last one to
   * start sets the same figures). `startSec`: unix seconds.
   */
  beginLoad(total: number, startSec: number): void {
    this.f64[F_LOAD_TOTAL] = total;
    this.f64[F_LOAD_START] = startSec;
  }

  /** The bytes to load, once known (the AOF's files are summed when its manifest is read). */
  set loadTotal(v: number) {
    this.f64[F_LOAD_TOTAL] = v;
  }

  /** The `used-mem` AUX field of the file being loaded (loading_rdb_used_mem). */
  set loadUsedMem(v: number) {
    this.f64[F_LOAD_USED_MEM] = v;
  }

  /** Shard `i` has read `n` bytes of the files it loads. */
  setLoadedBytes(i: number, n: number): void {
    this.f64[F_WORDS + 3 * this.shards + i] = n;
  }

  /**
   * INFO persistence's loading lines while loading (Redis 7.0's genRedisInfoString). Each shard
   * reads the whole file, so the load is as far as the slowest shard.
   */
  loadingLines(nowMs: number): string[] {
    let loaded = Infinity;
    for (let i = 0; i < this.shards; i++) {
      loaded = Math.min(loaded, this.f64[F_WORDS + 3 * this.shards + i]);
    }
    const total = this.f64[F_LOAD_TOTAL], usedMem = this.f64[F_LOAD_USED_MEM];
    const start = this.f64[F_LOAD_START];
    let perc = 0, remaining = 1;
    if (total > 0) {
      perc = loaded / total * 100;
      remaining = total - loaded;
    } else if (usedMem > 0) {
      perc = Math.min(loaded / usedMem * 100, 99.99);
      remaining = Math.max(usedMem - loaded, 1);
    }
    const elapsed = Math.floor(nowMs / 1000) - start;
    const eta = elapsed === 0 ? 1 : Math.floor(elapsed * remaining / (loaded + 1));
    return [
      `loading_start_time:${start}`,
      `loading_total_bytes:${total}`,
      `loading_rdb_used_mem:${usedMem}`,
      `loading_loaded_bytes:${loaded}`,
      `loading_loaded_perc:${perc.toFixed(2)}`,
      `loading_eta_seconds:${eta}`,
    ];
  }

  /** A load starts over (DEBUG RELOAD): its counts start from zero, as Redis's startLoading. */
  resetLoaded(): void {
    Atomics.store(this.i32, I_LOAD_LOADED, 0);
    Atomics.store(this.i32, I_LOAD_EXPIRED, 0);
  }

  /** Keys the startup load kept and skipped as expired (every shard adds its own). */
  addLoaded(loaded: number, expired: number): void {
    Atomics.add(this.i32, I_LOAD_LOADED, loaded);
    Atomics.add(this.i32, I_LOAD_EXPIRED, expired);
  }

  get loadLoaded(): number {
    return Atomics.load(this.i32, I_LOAD_LOADED);
  }

  get loadExpired(): number {
    return Atomics.load(this.i32, I_LOAD_EXPIRED);
  }
}
