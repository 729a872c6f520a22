/**
 * Active defragmentation of a shard's arena, as Redis's activeDefragCycle does it for jemalloc:
 * pages holding few live blocks (and pages above where a compact arena would end) are marked
 * for evacuation, then the keyspace is walked with the SCAN cursor, a bounded number of
 * buckets per tick, and every record found in a marked page moves to a fuller one, as does
 * every small collection's blob (a block of its own, named by its record). The emptied
 * pages are reused, and those at the top are given back to the system.
 *
 * A cycle starts when the arena wastes at least active-defrag-ignore-bytes and
 * active-defrag-threshold-lower percent; its CPU share grows from active-defrag-cycle-min to
 * -max as the waste goes from the lower to the upper threshold.
 */
import type { Keyspace } from "./keyspace.ts";

/** Pages at most this full are emptied (their blocks fit in fuller pages). */
const SPARSE_FILL = 0.5;
/** Buckets visited between two clock reads. */
const BUCKETS_PER_CHECK = 64;

/** The settings a cycle follows (Redis's active-defrag-* parameters). */
export interface DefragConfig {
  enabled: boolean;
  ignoreBytes: number;
  thresholdLower: number;
  thresholdUpper: number;
  cycleMin: number;
  cycleMax: number;
}

export class Defragger {
  /** a cycle is running (INFO active_defrag_running) */
  running = false;
  /** records moved / looked at and left where they were (INFO stats) */
  hits = 0;
  misses = 0;
  private db = 0;
  private cursor = 0;
  private readonly refs: number[] = [];

  constructor(private readonly ks: Keyspace) {}

  /** Wasted bytes and their share of the live ones (the fragmentation a cycle looks at). */
  waste(): { bytes: number; percent: number } {
    const a = this.ks.arena;
    const bytes = Math.max(0, a.usedPageBytes - a.liveBytes);
    return { bytes, percent: a.liveBytes > 0 ? (bytes * 100) / a.liveBytes : 0 };
  }

  /**
   * One tick's share of work: start a cycle when fragmentation calls for one, walk for up to
   * the tick period (`periodMs`) times the cycle's CPU share.
   */
  tick(c: DefragConfig, periodMs: number): void {
    if (!this.running) {
      if (!c.enabled) return;
      const w = this.waste();
      if (w.bytes < c.ignoreBytes || w.percent < c.thresholdLower) return;
      this.begin();
    }
    const w = this.waste();
    const span = Math.max(1, c.thresholdUpper - c.thresholdLower);
    const share = Math.min(
      c.cycleMax,
      c.cycleMin + ((c.cycleMax - c.cycleMin) * Math.max(0, w.percent - c.thresholdLower)) / span,
    );
    this.walk((periodMs * share) / 100);
  }

  /** Compact everything now (MEMORY PURGE): a whole cycle without a time limit. */
  compactAll(): void {
    if (!this.running) this.begin();
    this.walk(Infinity);
  }

  private begin(): void {
    this.ks.arena.markEvacuation(SPARSE_FILL, this.ks.arena.compactTop() + 1);
    this.running = true;
    this.db = 0;
    this.cursor = 0;
  }

  /** Walk the keyspace for up to `ms`, moving the records found in evacuated pages. */
  private walk(ms: number): void {
    const deadline = performance.now() + ms;
    const dbs = this.ks.dbs;
    const refs = this.refs;
    while (this.db < dbs.length) {
      const db = dbs[this.db];
      for (let i = 0; i < BUCKETS_PER_CHECK; i++) {
        refs.length = 0;
        this.cursor = db.dict.scan(this.cursor, (r) => refs.push(r));
        // moved after the bucket was read: moving relinks the chain the scan walks
        for (let r of refs) {
          const a = this.ks.arena;
          if (a.evacuating(r)) {
            r = db.relocate(r);
            this.hits++;
          } else this.misses++;
          // a small collection's blob is a block of its own, wherever its record lies
          const at = db.blobOffset(r);
          if (at !== 0) {
            if (a.evacuating(at / 8)) {
              db.relocateBlob(r);
              this.hits++;
            } else this.misses++;
          }
        }
        if (this.cursor === 0) break;
      }
      if (this.cursor === 0) {
        this.db++;
        continue;
      }
      if (performance.now() >= deadline) return;
    }
    this.ks.arena.endEvacuation();
    this.ks.arena.trim();
    this.running = false;
  }
}
