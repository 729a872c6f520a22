/**
 * Lazy freeing, as Redis's lazyfree.c for FLUSHDB ASYNC: the database is emptied at once (its
 * index swapped for a fresh one) and its records are given back to the arena later, a bounded
 * batch per turn of the shard loop, where Redis hands the old tables to a background thread.
 * INFO memory's lazyfree_pending_objects counts the keys still waiting and lazyfreed_objects
 * the keys freed so (Redis counts a flushed database's keys the same way).
 *
 * Only what costs time per key is deferred: a FLUSHALL, or a FLUSHDB of the only database
 * holding keys, resets the whole arena in O(pages) (Keyspace.flushAll), which is no slower
 * than scheduling; a single key's value is dropped in O(1) (collections go to V8's garbage
 * collector, whose freeing runs off the shard's thread), so DEL and UNLINK cost the same.
 */
import type { Db } from "./db.ts";
import type { Dict } from "./dict.ts";

/** Records freed between two looks at the clock. */
const BATCH = 256;

export class LazyFree {
  private readonly queue: { db: Db; dict: Dict }[] = [];
  /** keys waiting to be freed (lazyfree_pending_objects) */
  pending = 0;
  /** keys freed lazily since the start or CONFIG RESETSTAT (lazyfreed_objects) */
  freed = 0;

  /** Empty `db` now; its records are freed over the next turns. */
  schedule(db: Db): void {
    const dict = db.detach();
    if (dict.size === 0) return;
    this.queue.push({ db, dict });
    this.pending += dict.size;
  }

  /** Free records for up to `ms` milliseconds; true while some remain. */
  step(ms: number): boolean {
    const until = performance.now() + ms;
    while (this.queue.length > 0) {
      const { db, dict } = this.queue[0];
      const n = dict.drain(BATCH, (r) => db.freeRecord(r));
      this.pending -= n;
      this.freed += n;
      if (dict.size === 0) this.queue.shift();
      if (performance.now() >= until) break;
    }
    return this.queue.length > 0;
  }

  /** The arena was reset (FLUSHALL): what waited went with it. */
  dropAll(): void {
    this.freed += this.pending;
    this.pending = 0;
    this.queue.length = 0;
  }
}
