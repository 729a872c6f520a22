/**
 * The startup load as Redis does it: the server listens first and loads the dataset (the AOF
 * with appendonly yes, else the RDB file) while it serves. Redis interleaves the load with its
 * event loop (processEventsWhileBlocked every loading-process-events-interval-bytes); here each
 * turn of the shard loop runs a few milliseconds of the load (the loaders are generators that
 * pause every few keys or commands), then serves: connections are accepted and answered, and
 * a command without Redis's `loading` flag gets -LOADING (src/shard/dispatch.ts) until every
 * shard has loaded its keys. INFO persistence shows loading:1 and the loading_* progress
 * meanwhile (src/persist/state.ts). The supervisor's ready line comes once every shard is done.
 */
import type { Shard } from "./shard.ts";
import { LoadFailure, loadSnapshotSteps, type LoadTarget, snapshotFile } from "../persist/load.ts";
import { loadAofSteps } from "./aof_load.ts";

/** How long one turn loads before the shard serves again. */
const STEP_MS = 10;

/** What the Worker tells the supervisor (src/shard/worker.ts). */
export interface LoadReport {
  /** this shard's keys are loaded */
  ready(): void;
  /** the files cannot be loaded: the startup fails with this line */
  failed(message: string): void;
}

export class StartupLoad {
  private steps: Generator<void, unknown> | null;

  constructor(private readonly shard: Shard, private readonly report: LoadReport) {
    const state = shard.persistence.state;
    const id = shard.id;
    const target: LoadTarget = {
      ...shard.loadTarget(),
      meter: {
        total: (n) => state.loadTotal = n,
        at: (n) => state.setLoadedBytes(id, n),
        usedMem: (n) => state.loadUsedMem = n,
      },
    };
    // loading_start_time and the size are known before the first step (an RDB file's size;
    // the AOF's files are summed when its manifest is read)
    const aof = shard.config.value("appendonly") === "yes";
    const size = aof ? 0 : snapshotFile(shard.config)?.size ?? 0;
    state.beginLoad(size, Math.floor(Date.now() / 1000));
    this.steps = this.run(target);
  }

  private *run(t: LoadTarget): Generator<void, void> {
    // with appendonly yes the AOF is loaded instead of the RDB file, as in Redis
    if (!(yield* loadAofSteps(this.shard, t))) yield* loadSnapshotSteps(t);
  }

  /** One turn's share of the load; true while some remains. */
  step(): boolean {
    if (this.steps === null) return false;
    const until = performance.now() + STEP_MS;
    try {
      while (performance.now() < until) {
        if (this.steps.next().done) return this.finish();
      }
    } catch (e) {
      if (!(e instanceof LoadFailure)) throw e;
      // the supervisor stops every shard and the process exits with this line
      this.steps = null;
      this.report.failed(e.message);
      return false;
    }
    return true;
  }

  private finish(): boolean {
    this.steps = null;
    this.shard.persistence.state.loadFinished();
    this.report.ready();
    return false;
  }
}
