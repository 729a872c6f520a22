/**
 * The keys of what is about to run, prefetched (Dict.prefetch): a pipeline's next commands as
 * they wait parsed-to-be in the client's input, and a peer's next forwarded requests in its
 * ring record. Each is looked up one after the other, and in a keyspace past the caches each
 * lookup waits for its misses in turn; loading their buckets and records first lets those
 * misses overlap (Redis 8's memory_prefetch.c does this for a batch of commands).
 */
import type { Shard } from "./shard.ts";
import type { Client } from "./client.ts";
import type { BatchReader } from "./wire.ts";

/**
 * Keys are prefetched this many commands ahead: enough misses to overlap, few enough that the
 * lines stay cached until their commands run.
 */
const AHEAD = 16;
const offs = new Int32Array(AHEAD);
const lens = new Int32Array(AHEAD);

/** Prefetch the keys of the client's next commands; returns how many it covered (at least 1). */
export function prefetchInput(shard: Shard, c: Client): number {
  const db = shard.dbs[c.db];
  if (!db.prefetching) return AHEAD;
  const p = c.parser;
  const n = p.peekKeys(AHEAD, offs, lens);
  if (n > 1) db.prefetchRanges(p.input, offs, lens, n);
  return n > 0 ? n : 1;
}

/**
 * Prefetch the keys of the requests ahead in the record `r` reads (the one it just read is the
 * first); returns how many it covered (at least 1).
 */
export function prefetchRequests(shard: Shard, r: BatchReader): number {
  if (!shard.dbs[r.db].prefetching) return AHEAD;
  // from the request just read: peekKeys starts at the reader's position, past it
  const n = r.peekKeys(AHEAD, offs, lens);
  if (n > 1) shard.dbs[r.peekDb].prefetchRanges(r.record, offs, lens, n);
  return n + 1;
}
