/**
 * Contract tests that assert the same property on redis-server and on Skua with 1 and 3
 * shards (Redis passing shows the property is Redis's behaviour and that the scenario really
 * exercises it).
 */
import { type ServerHandle, startRedis, startUnderTest, withServers } from "./server.ts";
import { RespConn } from "./resp.ts";

export interface Target {
  name: string;
  port: number;
}

/** Starts redis-server, Skua with 1 shard and Skua with 3 shards, and runs `fn` on them. */
export function withTargets(fn: (servers: Target[]) => Promise<void>): Promise<void> {
  return withServers(
    [() => startRedis(), () => startUnderTest({ shards: 1 }), () => startUnderTest({ shards: 3 })],
    (s: ServerHandle[]) =>
      fn([
        { name: "redis", port: s[0].port },
        { name: "skua1", port: s[1].port },
        { name: "skua3", port: s[2].port },
      ]),
  );
}

/** Runs `fn` on every server at once, each on its own connection. */
export async function onAll(
  servers: Target[],
  fn: (c: RespConn, s: Target) => Promise<void>,
): Promise<void> {
  await Promise.all(servers.map(async (s) => {
    const c = await RespConn.connect(s.port);
    try {
      await fn(c, s);
    } finally {
      c.close();
    }
  }));
}
