/**
 * Durability of a rename: after a file is written, fsynced and renamed into place, the directory
 * is fsynced too, so the new name survives a crash (Redis's fsyncFileDir). Used by the RDB
 * assembler and the AOF's manifest and base files.
 */

/** fsync a directory; a filesystem that refuses it leaves the rename done, the file synced. */
export function syncDir(dir: string): void {
  try {
    const d = Deno.openSync(dir, { read: true });
    try {
      d.syncSync();
    } finally {
      d.close();
    }
  } catch {
    // some filesystems refuse fsync on a directory: the rename is still done
  }
}
