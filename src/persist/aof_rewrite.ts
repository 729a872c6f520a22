/**
 * BGREWRITEAOF and the automatic rewrite, fork-less (Redis 7.0's aof.c: rewriteAppendOnlyFile-
 * Background, openNewIncrAofForAppend, backgroundRewriteDoneHandler, the serverCron check).
 *
 * The rewrite is a background snapshot (snapshot.ts, assemble.ts) whose file is the AOF's next
 * base. Every shard runs its part under the exclusive lock of every key, in ascending order, as
 * BGSAVE's parts run, so the parts are one point in time. At its part a shard also moves its
 * appends to a new incr file: what it wrote before the point stays in the old incr files, what
 * it writes after goes to the new one. Shard 0, first, creates that file and writes the manifest
 * naming the old base, the old incr files and the new one: a crash before the rewrite ends loads
 * from that manifest and loses nothing. When every part is written, shard 0 joins them into
 * `<name>.<seq>.base.rdb` (an RDB with aof-base 1; `.base.aof` of `RESTORE ... ABSTTL` commands
 * with aof-use-rdb-preamble no), fsynced and renamed into place, then replaces the manifest
 * (temp file, fsync, rename, directory fsync) with the new base and the incr files written since
 * the point, and deletes the old base and incr files (Redis deletes history files).
 *
 * With the AOF off the rewrite still writes a base and a manifest naming it alone, as Redis 7.0
 * does. If appendonly is turned on during a rewrite (a new generation: aof.ts), the rewrite's
 * base belongs to no manifest and is removed when it ends.
 */
import type { ConfigStore } from "../config/mod.ts";
import type { Aof } from "./aof.ts";
import { JOB_AOFRW, type PersistState } from "./state.ts";
import type { HeaderFacts } from "./rdb/file.ts";
import type { SnapshotPaths } from "./assemble.ts";
import { partPath } from "./assemble.ts";
import {
  type AofFileInfo,
  type AofPaths,
  aofPaths,
  incrName,
  type Manifest,
  readManifest,
  writeManifest,
} from "./aof_files.ts";
import { log } from "../util/log.ts";

export const REWRITE_STARTED = "Background append only file rewriting started";
export const REWRITE_SCHEDULED = "Background append only file rewriting scheduled";
export const REWRITE_IN_PROGRESS = "ERR Background append only file rewriting already in progress";
export const REWRITE_FAILED = "ERR Can't execute an AOF background rewriting. " +
  "Please check the server logs for more information.";

/** Redis's AOF_REWRITE_LIMITE_THRESHOLD and _MAX_MINUTES: back off after repeated failures. */
const LIMIT_THRESHOLD = 3;
const LIMIT_MAX_MINUTES = 60;
/** An automatic rewrite asked for is not asked for again this soon (its parts are under way). */
const REFIRE_MS = 1000;

function removeQuietly(path: string): boolean {
  try {
    Deno.removeSync(path);
    return true;
  } catch {
    return false;
  }
}

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

export class AofRewrite {
  /** where the running rewrite writes (CONFIG SET dir meanwhile: not there) */
  private paths: AofPaths;
  /** shard 0: aof.seq once the running rewrite began; another generation since drops its base */
  private seqAtStart = 0;
  /** shard 0: the manifest files whose sizes make aof_current_size, and what they were read for */
  private files: string[] = [];
  private filesKey = "";
  /** shard 0: aof.seq the base size was taken for (-1: none yet, the startup load's) */
  private sizedSeq = -1;
  /** shard 0: aofRewriteLimited's state */
  private nextDelayMin = 0;
  private nextRewriteAt = 0;
  private firedAt = 0;

  constructor(
    readonly shard: number,
    private readonly state: PersistState,
    private readonly config: ConfigStore,
    private readonly aof: Aof,
  ) {
    this.paths = aofPaths(config);
  }

  /** Whether the running rewrite writes an RDB base. */
  get rdb(): boolean {
    return this.state.rewriteJob.rdb;
  }

  /**
   * Shard 0's part, first of all (openNewIncrAofForAppend): the new incr file is created and
   * named in the manifest after the old ones, then the job is claimed. Error text or null.
   */
  start(now: number): string | null {
    const p = aofPaths(this.config);
    let m: Manifest;
    let incrSeq = 0;
    try {
      Deno.mkdirSync(p.dir, { recursive: true });
      m = readManifest(p) ?? { base: null, incrs: [] };
      if (this.aof.on) {
        incrSeq = Math.max(this.aof.seq, ...m.incrs.map((i) => i.seq)) + 1;
        const incr: AofFileInfo = { file: incrName(p, incrSeq), seq: incrSeq, type: "i" };
        Deno.openSync(`${p.dir}/${incr.file}`, { write: true, create: true, truncate: true })
          .close();
        writeManifest(p, { base: m.base, incrs: [...m.incrs, incr] });
        log("notice", `Creating AOF incr file ${incr.file} on background rewrite`);
      }
    } catch (e) {
      log(
        "warning",
        `Can't open or create the append-only file in ${p.dir}: ${(e as Error).message}`,
      );
      return REWRITE_FAILED;
    }
    const baseSeq = (m.base?.seq ?? 0) + 1;
    const rdb = this.config.value("aof-use-rdb-preamble") !== "no";
    if (!this.state.claimRewrite(now, baseSeq, incrSeq, rdb)) return REWRITE_IN_PROGRESS;
    log("notice", "Background append only file rewriting started (fork-less, by every shard)");
    return null;
  }

  /**
   * Every shard's part, at its point: appends move to the new incr file. Every shard's aof.seq
   * moves past the new files alike, so a later generation (CONFIG SET appendonly yes) names
   * files of its own on every shard.
   */
  switchPart(): void {
    const j = this.state.rewriteJob;
    this.paths = aofPaths(this.config);
    if (j.incrSeq > 0 && this.aof.on) this.aof.switchTo(j.incrSeq, incrName(this.paths, j.incrSeq));
    this.aof.seq = Math.max(this.aof.seq, j.baseSeq, j.incrSeq);
    if (this.shard !== 0) return;
    this.seqAtStart = this.aof.seq;
    // the rewrite's end sets aof_base_size, not the tick's generation check
    if (this.sizedSeq !== -1) this.sizedSeq = this.aof.seq;
  }

  /** The file this shard writes its part to. */
  partPath(): string {
    return partPath(this.paths.dir, this.shard);
  }

  private baseName(): string {
    const j = this.state.rewriteJob;
    return `${this.paths.name}.${j.baseSeq}.base.${j.rdb ? "rdb" : "aof"}`;
  }

  /** Where the parts are joined: the new base file in the AOF directory. */
  basePaths(): SnapshotPaths {
    return { dir: this.paths.dir, dbfilename: this.baseName() };
  }

  /** The base's RDB header (aof-base 1), or null for a base of commands. */
  header(facts: HeaderFacts): HeaderFacts | null {
    return this.rdb ? { ...facts, aofBase: true } : null;
  }

  /** Shard 0: the base is written (or failed): the manifest moves to it (the done handler). */
  done(ok: boolean, now: number): void {
    const s = this.state;
    if (!ok) {
      log("warning", "Background AOF rewrite terminated with error");
      s.finishRewrite(false, now);
      return;
    }
    log("notice", "Background AOF rewrite terminated with success");
    const p = this.paths;
    const base: AofFileInfo = { file: this.baseName(), seq: s.rewriteJob.baseSeq, type: "b" };
    if (this.aof.seq !== this.seqAtStart) {
      // CONFIG SET appendonly yes began a generation meanwhile: this base is nobody's
      removeQuietly(`${p.dir}/${base.file}`);
      log("warning", "Background AOF rewrite result discarded: a new AOF generation began");
      s.finishRewrite(null, now);
      return;
    }
    const incrSeq = s.rewriteJob.incrSeq;
    let old: Manifest;
    let keep: AofFileInfo[];
    try {
      old = readManifest(p) ?? { base: null, incrs: [] };
      // the incr files written since the point stay; those before it are history
      keep = incrSeq > 0 ? old.incrs.filter((i) => i.seq >= incrSeq) : [];
      writeManifest(p, { base, incrs: keep });
    } catch (e) {
      log("warning", `Error trying to write the AOF manifest: ${(e as Error).message}`);
      removeQuietly(`${p.dir}/${base.file}`);
      s.finishRewrite(false, now);
      return;
    }
    for (const f of [old.base, ...old.incrs]) {
      if (f === null || f.file === base.file || keep.includes(f)) continue;
      if (removeQuietly(`${p.dir}/${f.file}`)) {
        log("notice", `Removing the history file ${f.file} in the background`);
      }
    }
    if (this.aof.on) {
      // aof_rewrite_base_size: the base and what was appended since the point
      s.aofBaseSize = sizeOf(`${p.dir}/${base.file}`) +
        keep.reduce((n, i) => n + sizeOf(`${p.dir}/${i.file}`), 0);
    }
    s.finishRewrite(true, now);
    log("notice", "Background AOF rewrite finished successfully");
  }

  /** aof_current_size: the base and incr files the manifest names (shard 0, while the AOF is on). */
  currentSize(): number {
    const p = aofPaths(this.config);
    let key = "";
    try {
      const st = Deno.statSync(p.manifest);
      key = `${p.manifest}|${st.mtime?.getTime()}|${st.size}|${this.aof.seq}`;
    } catch {
      return 0;
    }
    if (key !== this.filesKey) {
      this.filesKey = key;
      try {
        const m = readManifest(p);
        this.files = m === null ? [] : [...(m.base ? [m.base] : []), ...m.incrs].map((f) => f.file);
      } catch {
        this.files = [];
      }
    }
    let n = 0;
    for (const f of this.files) n += sizeOf(`${p.dir}/${f}`);
    return n;
  }

  /**
   * Shard 0, hz times a second: aof_base_size follows the AOF's generations (at startup the
   * loaded base's size, as Redis; after CONFIG SET appendonly yes the size then).
   */
  tick(): void {
    if (!this.aof.on || this.aof.seq === this.sizedSeq) return;
    const startup = this.sizedSeq === -1;
    this.sizedSeq = this.aof.seq;
    if (!startup) {
      this.state.aofBaseSize = this.currentSize();
      return;
    }
    const p = aofPaths(this.config);
    try {
      const m = readManifest(p);
      this.state.aofBaseSize = m?.base ? sizeOf(`${p.dir}/${m.base.file}`) : 0;
    } catch {
      this.state.aofBaseSize = 0;
    }
  }

  /** A BGREWRITEAOF scheduled while a snapshot ran is due (no snapshot runs now). */
  scheduledDue(now: number): boolean {
    return this.state.rewriteScheduled && !this.limited(now) && this.fire(now);
  }

  /** auto-aof-rewrite-percentage / -min-size: the AOF grew enough since the last rewrite. */
  growthDue(now: number): boolean {
    if (!this.aof.on) return false;
    const perc = Number(this.config.value("auto-aof-rewrite-percentage") ?? 100);
    if (!(perc > 0)) return false;
    const min = Number(this.config.value("auto-aof-rewrite-min-size") ?? 64 << 20);
    const cur = this.currentSize();
    if (cur <= min) return false;
    const base = this.state.aofBaseSize > 0 ? this.state.aofBaseSize : 1;
    const growth = Math.floor(cur * 100 / base) - 100;
    if (growth < perc || this.limited(now) || !this.fire(now)) return false;
    log("notice", `Starting automatic rewriting of AOF on ${growth}% growth`);
    return true;
  }

  private fire(now: number): boolean {
    if (now - this.firedAt < REFIRE_MS) return false;
    this.firedAt = now;
    return true;
  }

  /** Redis's aofRewriteLimited: after 3 failures in a row, wait 1, 2, 4 ... 60 minutes. */
  private limited(now: number): boolean {
    if (this.state.rewriteFailures < LIMIT_THRESHOLD) {
      this.nextDelayMin = 0;
      this.nextRewriteAt = 0;
      return false;
    }
    if (this.nextRewriteAt !== 0) {
      if (now < this.nextRewriteAt) return true;
      this.nextRewriteAt = 0;
      return false;
    }
    this.nextDelayMin = Math.min(
      this.nextDelayMin === 0 ? 1 : this.nextDelayMin * 2,
      LIMIT_MAX_MINUTES,
    );
    this.nextRewriteAt = now + this.nextDelayMin * 60_000;
    log(
      "warning",
      "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in " +
        `${this.nextDelayMin} minutes`,
    );
    return true;
  }

  /** INFO persistence's aof_* fields (Redis 7.0's order), the sizes when appendonly is yes. */
  infoLines(now: number): { rewrite: string[]; sizes: string[] } {
    const s = this.state;
    const running = s.job === JOB_AOFRW;
    const rewrite = [
      `aof_rewrite_in_progress:${running ? 1 : 0}`,
      `aof_rewrite_scheduled:${s.rewriteScheduled ? 1 : 0}`,
      `aof_last_rewrite_time_sec:${s.rewriteLastSec}`,
      `aof_current_rewrite_time_sec:${
        running ? Math.floor(now / 1000) - Math.floor(s.jobStartMs / 1000) : -1
      }`,
      `aof_last_bgrewrite_status:${s.rewriteFailed ? "err" : "ok"}`,
      `aof_rewrites:${s.rewrites}`,
      `aof_rewrites_consecutive_failures:${s.rewriteFailures}`,
    ];
    if (this.config.value("appendonly") !== "yes") return { rewrite, sizes: [] };
    return {
      rewrite,
      sizes: [
        `aof_current_size:${this.aof.on ? this.currentSize() : 0}`,
        `aof_base_size:${Math.max(s.aofBaseSize, 0)}`,
        `aof_pending_rewrite:${s.rewriteScheduled ? 1 : 0}`,
        "aof_buffer_length:0",
        "aof_pending_bio_fsync:0",
        "aof_delayed_fsync:0",
      ],
    };
  }
}
