/**
 * The shards' parts become one RDB file, as Redis writes one (rdbSave): the header, every
 * part in shard order (a database selected again by the next part is valid RDB), EOF and one
 * CRC-64 computed as the bytes go through, into `temp-<pid>.rdb` in `dir`, fsynced and renamed
 * over `dbfilename`, and the directory fsynced. It works in steps of a bounded number of bytes
 * so a background save does not stall the shard that assembles. An AOF base of commands
 * (aof-use-rdb-preamble no: parts written as commands) is the parts alone, without header or EOF.
 */
import { RdbWriter } from "./rdb/writer.ts";
import { syncDir } from "./fsync.ts";
import { SyncAside } from "./sync_aside.ts";
import { crc64Bytes, crc64Init, type Crc64State, crc64Update } from "./rdb/crc64.ts";
import { eofBytes, type HeaderFacts, writeHeader } from "./rdb/file.ts";

/**
 * A step's budget in a background save: there, the steps only wait for the helper thread,
 * which joins the parts, while SAVE (an unbounded budget) joins them on the shard's thread.
 */
export const ASSEMBLE_STEP_BYTES = 1 << 18;

export interface SnapshotPaths {
  dir: string;
  dbfilename: string;
}

/** The file a shard writes its part to (removed once assembled). */
export function partPath(dir: string, shard: number): string {
  return `${dir}/temp-${Deno.pid}-part${shard}.rdb`;
}

export function tempPath(dir: string): string {
  return `${dir}/temp-${Deno.pid}.rdb`;
}

export class Assembler {
  private out: Deno.FsFile | null = null;
  private crc: Crc64State | null;
  private part = 0;
  private src: Deno.FsFile | null = null;
  /** SAVE's copy buffer (a background save's join runs on the helper) */
  private buf: Uint8Array | null = null;
  /** the helper making the finished file durable (a background save's last step) */
  private syncing: SyncAside | null = null;
  error: string | null = null;
  bytes = 0;

  constructor(
    private readonly paths: SnapshotPaths,
    private readonly parts: number,
    /** the RDB header's facts; null: the parts are commands, joined as they are */
    private readonly facts: HeaderFacts | null,
    checksum: boolean,
  ) {
    this.crc = checksum && facts !== null ? crc64Init() : null;
  }

  /**
   * True when the file is in place (or failed: see `error`). A bounded budget is a background
   * save's: the join, fsync, rename and the parts' removal go to a helper thread (sync_aside.ts)
   * and later steps wait for it (writes into a file being written back blocked the shard 5-10
   * ms at a time, unlinking a part 6 ms); SAVE's unbounded one does everything here.
   */
  step(budget = ASSEMBLE_STEP_BYTES): boolean {
    try {
      if (this.syncing !== null) {
        if (!this.syncing.done()) return false;
        this.syncing = null;
        this.cleanup(false);
        return true;
      }
      // a background save hands the whole join to the helper thread (sync_worker.ts)
      if (budget !== Infinity) {
        this.syncing = new SyncAside(tempPath(this.paths.dir), this.finalPath(), this.paths.dir, {
          parts: Array.from({ length: this.parts }, (_, i) => partPath(this.paths.dir, i)),
          header: this.header(),
          checksum: this.crc !== null,
        });
        return false;
      }
      if (this.out === null) this.start();
      while (this.part < this.parts) {
        if (this.src === null) this.src = Deno.openSync(partPath(this.paths.dir, this.part));
        const buf = this.buf ??= new Uint8Array(1 << 20);
        const n = this.src.readSync(buf);
        if (n === null || n === 0) {
          this.src.close();
          this.src = null;
          this.part++;
          continue;
        }
        this.write(buf.subarray(0, n));
        budget -= n;
        if (budget <= 0) return false;
      }
      this.finish();
    } catch (e) {
      this.error = (e as Error).message;
      this.cleanup(true);
    }
    return true;
  }

  private finalPath(): string {
    return `${this.paths.dir}/${this.paths.dbfilename}`;
  }

  private header(): Uint8Array | null {
    if (this.facts === null) return null;
    const w = new RdbWriter();
    writeHeader(w, this.facts);
    return w.take();
  }

  private start(): void {
    this.out = Deno.openSync(tempPath(this.paths.dir), {
      write: true,
      create: true,
      truncate: true,
    });
    const h = this.header();
    if (h !== null) this.write(h);
  }

  private write(b: Uint8Array): void {
    if (this.crc !== null) crc64Update(this.crc, b);
    let v = b;
    while (v.length > 0) v = v.subarray(this.out!.writeSync(v));
    this.bytes += b.length;
  }

  /** EOF, then fsync, rename, directory fsync. */
  private finish(): void {
    if (this.facts !== null) {
      const eof = eofBytes(null);
      if (this.crc !== null) {
        crc64Update(this.crc, eof, 0, 1);
        eof.set(crc64Bytes(this.crc), 1);
      }
      let v: Uint8Array = eof;
      while (v.length > 0) v = v.subarray(this.out!.writeSync(v));
      this.bytes += 9;
    }
    const dir = this.paths.dir;
    this.out!.syncSync();
    this.out!.close();
    this.out = null;
    Deno.renameSync(tempPath(dir), this.finalPath());
    syncDir(dir);
    this.cleanup(false);
  }

  /** Remove the part files (and, after a failure, the temp file). */
  cleanup(failed: boolean): void {
    this.syncing?.stop();
    this.syncing = null;
    for (const f of [this.src, this.out]) {
      try {
        f?.close();
      } catch {
        // already closed
      }
    }
    this.src = null;
    this.out = null;
    removeParts(this.paths.dir, this.parts);
    if (failed) removeQuietly(tempPath(this.paths.dir));
  }
}

export function removeParts(dir: string, parts: number): void {
  for (let i = 0; i < parts; i++) removeQuietly(partPath(dir, i));
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // not there
  }
}
