/**
 * CONFIG GET runs on the client's shard (every shard holds the same values); CONFIG SET and
 * RESETSTAT run on every shard so each applies the change to what it owns.
 */
import type { Ctx } from "../context.ts";
import { latin1 } from "../../util/bytes.ts";
import { configSetPairs } from "../../config/mod.ts";
import { maxclientsRoom } from "../../util/fds.ts";

/** CONFIG GET pattern... */
export function configGet(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const pats: string[] = [];
  for (let i = 2; i < argc; i++) pats.push(latin1(argv[i]));
  const pairs = ctx.shard.config.get(pats);
  ctx.w.mapHeader(pairs.length);
  for (const [k, v] of pairs) {
    ctx.w.bulkStr(k);
    ctx.w.bulkStr(v);
  }
}

/** CONFIG SET name value ...: validated as a whole, then applied on this shard. */
export function configSet(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const pairs = configSetPairs(argv.slice(2, argc).map(latin1));
  if (typeof pairs === "string") return ctx.w.error(pairs);
  const err = ctx.shard.config.validate(pairs, true);
  if (err !== null) return ctx.w.error(err);
  // Redis's updateMaxclients: more clients need more open files, raised before it is set
  const more = pairs.find(([k]) => k.toLowerCase() === "maxclients");
  if (more !== undefined) {
    const why = maxclientsRoom(Number(more[1]), ctx.shard.n);
    if (why !== null) {
      return ctx.w.error(
        `ERR CONFIG SET failed (possibly related to argument 'maxclients') - ${why}`,
      );
    }
  }
  ctx.shard.config.apply(pairs);
  ctx.shard.applyConfig();
  ctx.w.ok();
}

/** CONFIG RESETSTAT: this shard's INFO counters back to zero, as Redis's resetServerStats. */
export function configResetstat(ctx: Ctx): void {
  const st = ctx.shard.stats;
  st.commands = 0;
  st.connectionsReceived = 0;
  st.rejectedConnections = 0;
  st.keyspaceHits = 0;
  st.keyspaceMisses = 0;
  st.netInput = 0;
  st.netOutput = 0;
  st.forwarded = 0;
  st.transactions = 0;
  st.splitCommands = 0;
  st.singleHop = 0;
  st.stackedHops = 0;
  st.lockWaits = 0;
  st.deferred = 0;
  st.expiredKeysBase = ctx.shard.expiredKeys();
  // evicted_keys, active_defrag_hits, active_defrag_misses, the mesh's parks and wakes
  ctx.shard.resetStats();
  ctx.w.ok();
}
