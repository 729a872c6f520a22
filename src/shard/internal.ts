/**
 * Commands the server sends itself (Redis's fake clients): a save point's BGSAVE runs through
 * the same route as a client's — the same locks across shards, the same parts — from one
 * connection-less client per shard whose replies are dropped. It is not listed among the
 * connections and no ACL check applies, as for Redis's internal clients.
 */
import type { Shard } from "./shard.ts";
import { Client } from "./client.ts";
import { route } from "./route.ts";
import { commandTable } from "../commands/table.ts";

/** One per Worker: the shard's internal client, made on first use. */
let internal: Client | null = null;

/** The largest u32 id that still tells its shard (id % n), far from any connection's. */
function internalId(shard: Shard): number {
  let v = 0xffffffff - (0xffffffff % shard.n) + shard.id;
  if (v > 0xffffffff) v -= shard.n;
  return v;
}

function clientOf(shard: Shard): Client {
  if (internal !== null) return internal;
  const c: Client = new Client(internalId(shard), "internal", "", -1, {
    flush: () => c.out.reset(),
    close: () => {},
    shrink: () => 0,
    unsent: 0,
  }, shard.parserLimits);
  internal = c;
  return c;
}

/** Run `argv` as the server itself. */
export function runInternal(shard: Shard, argv: Uint8Array[], now: number): void {
  const cmd = commandTable().lookup(argv[0]);
  if (cmd === undefined) return;
  const c = clientOf(shard);
  route(shard, c, cmd, argv, argv.length, now);
  c.drain();
  c.out.reset();
}
