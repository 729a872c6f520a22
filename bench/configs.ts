/**
 * The Skua configurations a benchmark runs side by side with redis-server: `io:shards`, and
 * optionally `@checkout` to run an earlier commit's tree in the same run.
 */

export interface SkuaConfig {
  io: "uring" | "listen" | "auto";
  shards: number;
  /** another checkout to run (`uring:1@/path`: compare against an earlier commit in one run) */
  root?: string;
}

export function positiveInt(s: string, what: string): number {
  const n = Number(s.trim());
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: not a positive integer: ${s}`);
  return n;
}

export function parseConfig(s: string): SkuaConfig {
  const m = /^(uring|listen|auto):(\d+)(?:@(.+))?$/.exec(s.trim());
  if (!m) throw new Error(`--configs: expected io:shards[@checkout] (e.g. uring:2), got ${s}`);
  return {
    io: m[1] as SkuaConfig["io"],
    shards: positiveInt(m[2], "--configs shards"),
    root: m[3],
  };
}

export function configName(c: SkuaConfig): string {
  return `${c.io}:${c.shards}${c.root === undefined ? "" : `@${c.root}`}`;
}
