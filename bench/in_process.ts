/**
 * Running command handlers in process, without a server or sockets: the command table and a
 * context on one standalone shard with no connections (for the scaling benchmarks).
 */
import { registerCommands } from "../src/commands/mod.ts";
import { type Ctx, type Handler, type ShardContext, ShardStats } from "../src/commands/context.ts";
import { Keyspace } from "../src/store/keyspace.ts";
import { ReplyWriter } from "../src/resp/writer.ts";
import { ConfigStore } from "../src/config/mod.ts";
import { SlotMap } from "../src/cluster/slots.ts";
import { Persistence } from "../src/persist/persistence.ts";
import { createPersistShared } from "../src/persist/state.ts";

/** The handler of a command (or "parent|sub"). */
export function handler(name: string): Handler {
  const c = registerCommands().find(name);
  if (c === undefined || c.handler === null) throw new Error(`no command ${name}`);
  return c.handler;
}

/** A context on a fresh one-shard, one-database keyspace, replies into a 64 KiB writer. */
export function standaloneCtx(): Ctx {
  const keyspace = new Keyspace(1);
  const db = keyspace.dbs[0];
  const config = new ConfigStore();
  const persistence = new Persistence(0, 1, keyspace.dbs, config, createPersistShared(1), () => 0);
  const shard: ShardContext = {
    id: 0,
    n: 1,
    meshParks: 0,
    meshWakes: 0,
    meshLent: 0,
    meshHeld: 0,
    dbs: keyspace.dbs,
    keyspace,
    config,
    stats: new ShardStats(),
    slots: new SlotMap(1),
    server: { port: 0, io: "none", startedAt: Date.now(), configFile: null, executable: "" },
    clients: () => [],
    clientCount: 0,
    expiredKeys: () => 0,
    recentClientBuffers: () => [0, 0],
    applyConfig: () => {},
    memoryReport: () => {
      throw new Error("not in process");
    },
    purgeMemory: () => 0,
    resetStats: () => {},
    setActiveExpire: () => {},
    watchKey: () => {},
    persistence,
    loadTarget: () => ({
      id: 0,
      n: 1,
      dbs: keyspace.dbs,
      slots: new SlotMap(1),
      config,
      access: keyspace.access,
      state: persistence.state,
    }),
    claimForwarded: () => false,
    lendReply: () => false,
  };
  return {
    shard,
    db,
    dbIndex: 0,
    w: new ReplyWriter(1 << 16),
    now: Date.now(),
    client: null,
    clientId: 0,
    copies: null,
  };
}
