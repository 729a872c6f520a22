/**
 * What the persistence tests share: a fresh data directory, Skua and redis-server started on
 * one (with an RDB file or the AOF), and a connection that is closed whatever happens.
 */
import { type ServerHandle, startRedis, startSkua } from "./server.ts";
import { RespConn } from "./resp.ts";

export function tmpDir(prefix: string): string {
  return Deno.makeTempDirSync({ prefix: `skua-${prefix}-` });
}

/** Where the server keeps its data: `dump.rdb`, or the AOF directory with `appendonly yes`. */
export type Persistence = "rdb" | "aof";

function persistArgs(kind: Persistence): string[] {
  return kind === "rdb" ? ["--dbfilename", "dump.rdb"] : ["--appendonly", "yes"];
}

export function skuaIn(
  kind: Persistence,
  dir: string,
  shards: number,
  extra: string[] = [],
): Promise<ServerHandle> {
  return startSkua({ shards, args: ["--dir", dir, ...persistArgs(kind), ...extra] });
}

/** redis-server on `dir`; with the AOF, without save points (only the AOF is compared). */
export function redisIn(
  kind: Persistence,
  dir: string,
  extra: string[] = [],
): Promise<ServerHandle> {
  const noSave = kind === "aof" ? ["--save", ""] : [];
  return startRedis(["--dir", dir, ...persistArgs(kind), ...noSave, ...extra]);
}

export async function withConn<T>(s: ServerHandle, fn: (c: RespConn) => Promise<T>): Promise<T> {
  const c = await RespConn.connect(s.port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
