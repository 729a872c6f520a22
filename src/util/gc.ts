/**
 * A full garbage collection on demand. V8 frees an ArrayBuffer's memory only when a GC finds
 * it dead, and nothing makes one run when a big value is deleted on an idle server, so the
 * shard asks for one once enough was dropped (and MEMORY PURGE does). node:v8 can turn on
 * V8's own `gc` function for the isolate at run time; where it cannot, this does nothing.
 */
import v8 from "node:v8";
import vm from "node:vm";

let gcFn: (() => void) | null | undefined;

/** Runs a full GC of this Worker's heap; false where that is not available. */
export function collectGarbage(): boolean {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString("--expose-gc");
      gcFn = vm.runInNewContext("gc") as () => void;
    } catch {
      gcFn = null;
    }
  }
  if (gcFn === null) return false;
  gcFn();
  return true;
}

/** The bytes this Worker's V8 heap has reserved (its isolate's total heap size). */
export function heapBytes(): number {
  return v8.getHeapStatistics().total_heap_size;
}

/**
 * The same outside the young generation: only this part grows with dead objects without bound.
 * The young generation grows to a fixed maximum under load and keeps it.
 */
export function oldHeapBytes(): number {
  let n = 0;
  for (const s of v8.getHeapSpaceStatistics()) {
    if (!YOUNG_SPACES.has(s.space_name)) n += s.space_size;
  }
  return n;
}

const YOUNG_SPACES = new Set(["new_space", "new_large_object_space"]);
