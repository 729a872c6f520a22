/**
 * Embedding Skua in a Deno program:
 *
 * ```ts
 * import { open } from "./mod.ts";
 * const server = await open({ port: 6380, shards: 2 });
 * // ... use any Redis client on 127.0.0.1:6380 ...
 * await server.stop();
 * ```
 *
 * Options take the same names and values as the command-line flags (and any Redis parameter,
 * e.g. `{ "proto-max-bulk-len": "1mb" }`); the environment and skua.toml are not read.
 * A shard that crashes ends the whole process (exit code 70), embedded or not: a server
 * missing a shard cannot serve its keys (src/server/failure.ts).
 */
import { loadConfig } from "./src/config/mod.ts";
import { type Server, startServer } from "./src/server/supervisor.ts";

export type { Server };
export { ConfigError } from "./src/config/mod.ts";
export { StartupError } from "./src/server/supervisor.ts";

export async function open(options: Record<string, string | number> = {}): Promise<Server> {
  const args: string[] = [];
  for (const [k, v] of Object.entries(options)) args.push(`--${k}`, String(v));
  const cfg = loadConfig(args, {}, () => null);
  return await startServer(cfg);
}
