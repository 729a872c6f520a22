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
const INT_WORDS = 24;
// Float64 words (after the Int32 ones)
const F_LAST_SAVE = 0;
const F_LAST_BGSAVE_SEC = 1;
const F_JOB_START_MS = 2;
const F_LAST_TRY_MS = 3;
const F_WORDS = 8;

/** SHUTDOWN's outcome (state.shutdown): the process may exit, or the shutdown was refused. */
export const SHUTDOWN_GO = 1;
export const SHUTDOWN_REFUSED = 2;

/** The shared buffer for `shards` shards (created once, by the supervisor). */
export function createPersistShared(shards: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(INT_WORDS * 4 + (F_WORDS + 3 * shards) * 8);
  const s = new PersistState(sab, shards);
  s.lastSave = Math.floor(Date.now() / 1000);
  s.lastBgsaveSec = -1;
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

  /** JOB_IDLE, JOB_SAVE or JOB_BGSAVE. */
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

  get loading(): boolean {
    return Atomics.load(this.i32, I_LOADING) !== 0;
  }

  set loading(v: boolean) {
    Atomics.store(this.i32, I_LOADING, v ? 1 : 0);
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
   * Startup: this shard loaded its keys; wait until every shard has, so that no shard accepts
   * a connection while another one is still loading (the ready line follows).
   */
  loadedBarrier(): void {
    Atomics.add(this.i32, I_LOADED, 1);
    Atomics.notify(this.i32, I_LOADED);
    for (;;) {
      const v = Atomics.load(this.i32, I_LOADED);
      if (v >= this.shards) return;
      Atomics.wait(this.i32, I_LOADED, v, 100);
    }
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
