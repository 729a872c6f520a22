/// <reference lib="deno.worker" />
/**
 * The helper thread of a background save's last step (assemble.ts): join the shards' part
 * files into one (header, parts, EOF with its CRC-64), fsync it, rename it into place and fsync
 * the directory, so the shard that assembles does not stall for any of it: each write into a
 * file whose pages are being written back could block its thread for 5-10 ms, and the fsync of
 * the whole file for tens to hundreds. It answers through shared memory,
 * which the shard polls each turn: a shard's thread does not run its event loop while it
 * serves, so a message back would never be read.
 */
import { syncDir } from "./fsync.ts";
import { cancelled, type JoinSpec, type SyncJob, writeOutcome } from "./sync_job.ts";
import { crc64Bytes, crc64Init, type Crc64State, crc64Update } from "./rdb/crc64.ts";
import { eofBytes } from "./rdb/file.ts";

function writeAll(f: Deno.FsFile, b: Uint8Array, crc: Crc64State | null): void {
  if (crc !== null) crc64Update(crc, b);
  let v = b;
  while (v.length > 0) v = v.subarray(f.writeSync(v));
}

class Cancelled extends Error {}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // not there
  }
}

/** The parts, between the header and the EOF, into `temp`. */
function join(temp: string, spec: JoinSpec, shared: SharedArrayBuffer): void {
  const out = Deno.openSync(temp, { write: true, create: true, truncate: true });
  try {
    const crc = spec.checksum && spec.header !== null ? crc64Init() : null;
    if (spec.header !== null) writeAll(out, spec.header, crc);
    const buf = new Uint8Array(1 << 20);
    for (const path of spec.parts) {
      const src = Deno.openSync(path, { read: true });
      try {
        for (;;) {
          if (cancelled(shared)) throw new Cancelled();
          const n = src.readSync(buf);
          if (n === null || n === 0) break;
          writeAll(out, buf.subarray(0, n), crc);
        }
      } finally {
        src.close();
      }
    }
    if (spec.header !== null) {
      const eof = eofBytes(null);
      if (crc !== null) {
        crc64Update(crc, eof, 0, 1);
        eof.set(crc64Bytes(crc), 1);
      }
      writeAll(out, eof, null);
    }
  } finally {
    out.close();
  }
}

/** Run one job (the supervisor starts this Worker for each: startSyncHelper). */
self.onmessage = (e: MessageEvent<SyncJob>) => {
  const job = e.data;
  let error: string | null = null;
  try {
    if (job.join !== null) join(job.temp, job.join, job.shared);
    const f = Deno.openSync(job.temp, { read: true });
    try {
      f.syncSync();
    } finally {
      f.close();
    }
    if (cancelled(job.shared)) throw new Cancelled();
    Deno.renameSync(job.temp, job.final);
    syncDir(job.dir);
  } catch (err) {
    error = (err as Error).message;
    if (err instanceof Cancelled) removeQuietly(job.temp);
  }
  // the parts go too (unlinking one of a big file took the shard 6 ms)
  if (job.join !== null) { for (const p of job.join.parts) removeQuietly(p); }
  writeOutcome(job.shared, error);
  self.close();
};
