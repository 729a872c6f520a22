/**
 * Startup configuration: defaults < skua.toml < SKUA_* environment < flags. Every value is
 * validated with the Redis parameter table; the first bad one stops startup with a ConfigError
 * naming the key, the value, what is allowed and where it came from.
 */

import { ConfigError } from "./errors.ts";
import type { SetContext } from "./kinds.ts";
import { lookupParam, type ParamDef } from "./table.ts";
import { type RawSetting, readEnv, readFlags, readToml } from "./sources.ts";

import { SKUA_VERSION as VERSION } from "../util/version.ts";

export { VERSION };

export type IoMode = "auto" | "uring" | "listen";
export type LogLevel = "debug" | "verbose" | "notice" | "warning" | "nothing";

/** Resolved startup configuration. */
export interface Config {
  /** 0..65535, default 6379. */
  port: number;
  /**
   * The address to listen on, default "127.0.0.1". Redis's `bind` takes a space-separated
   * list; Skua listens on its first address only. "*" means 0.0.0.0, "::*" means ::, a
   * leading "-" (Redis's "optional address" mark) is dropped, and an empty list means 0.0.0.0.
   */
  bind: string;
  /** Shard workers, 1..256; default one per available core. */
  shards: number;
  io: IoMode;
  /** As given (default "."); `params.get("dir")` holds the resolved absolute path. */
  dir: string;
  /** 1..2147483647 as in Redis, default 16. */
  databases: number;
  loglevel: LogLevel;
  /** The TOML file actually loaded, or null. */
  configFile: string | null;
  /** Every Redis parameter given in file/env/flags: canonical name -> normalized value. */
  params: Map<string, string>;
  /** `user` directives ("name rule rule ..."), in order; checked when the shards load them. */
  users: string[];
  /** --help / -h was given (main.ts prints HELP_TEXT; nothing else was validated). */
  help: boolean;
  /** --version / -v was given (main.ts prints VERSION; nothing else was validated). */
  version: boolean;
}

export const HELP_TEXT = `Skua ${VERSION} - a Redis-compatible, thread-per-core in-memory store

Usage: skua [options]

Options:
  --port N             TCP port, 0..65535 (default 6379)
  --bind ADDR          address to listen on (default 127.0.0.1); of a space-separated
                       list only the first address is used
  --shards N           shard workers, 1..256 (default: one per CPU core)
  --io MODE            auto | uring | listen (default auto)
  --dir PATH           directory for snapshot and AOF files (default .)
  --databases N        number of databases (default 16)
  --loglevel LEVEL     debug | verbose | notice | warning | nothing (default notice)
  --config FILE        TOML config file (default: ./skua.toml when it exists)
  --user "NAME RULES"  an ACL user, as redis.conf's user directive (repeatable)
  --<name> VALUE       any Redis 7.0 config parameter, e.g. --maxmemory 1gb,
                       --maxmemory-policy allkeys-lru, --save "3600 1 300 100"
  -h, --help           show this help and exit
  -v, --version        show the version and exit

Environment:
  SKUA_<NAME>          any option above by its name upper-cased with '-' as '_',
                       e.g. SKUA_PORT=6380, SKUA_MAXMEMORY=1gb, SKUA_SHARDS=4

Config file (TOML), keys named as in redis.conf:
  port = 6380
  maxmemory = "1gb"
  save = ["3600 1", "300 100"]
  shards = 2
  io = "listen"

Precedence: flags > SKUA_* environment > config file > defaults.
`;

const DEFAULT_CONFIG_FILE = "skua.toml";
const MAX_SHARDS = 256;

function defaultReadFile(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new ConfigError(`cannot read config file '${path}': ${(e as Error).message}`);
  }
}

function invalid(key: string, value: string, allowed: string, source: string): ConfigError {
  return new ConfigError(
    `invalid value for '${key}': ${JSON.stringify(value)} (allowed: ${allowed}) in ${source}`,
  );
}

function defaultShards(): number {
  const n = typeof navigator === "undefined" ? 1 : navigator.hardwareConcurrency || 1;
  return Math.min(Math.max(1, n), MAX_SHARDS);
}

function parseShards(s: RawSetting): number {
  const allowed = `an integer 1..${MAX_SHARDS}`;
  if (!/^[0-9]+$/.test(s.value)) throw invalid("shards", s.value, allowed, s.source);
  const n = Number(s.value);
  if (n < 1 || n > MAX_SHARDS) throw invalid("shards", s.value, allowed, s.source);
  return n;
}

function parseIo(s: RawSetting): IoMode {
  const v = s.value.toLowerCase();
  if (v === "auto" || v === "uring" || v === "listen") return v;
  throw invalid("io", s.value, "one of auto, uring, listen", s.source);
}

/** First address of a Redis bind list, as one address to listen on. */
function firstBindAddress(list: string): string {
  const first = list.split(" ").find((a) => a !== "");
  if (first === undefined) return "0.0.0.0";
  const addr = first.startsWith("-") ? first.slice(1) : first;
  if (addr === "*") return "0.0.0.0";
  if (addr === "::*") return "::";
  return addr;
}

/**
 * Resolves the startup config from command-line `args`, `env` (only SKUA_* names are read)
 * and the TOML file (`--config FILE`, which must exist, else ./skua.toml when present).
 * `readFile` returns a file's text or null when it does not exist (injectable for tests).
 */
export function loadConfig(
  args: string[],
  env: Record<string, string>,
  readFile: (p: string) => string | null = defaultReadFile,
): Config {
  // --help/--version win over anything else on the line, even an unknown option.
  const help = args.some((a) => a === "--help" || a === "-h");
  const version = args.some((a) => a === "--version" || a === "-v");
  const flags = help || version
    ? { help, version, configPath: null, settings: [] }
    : readFlags(args);
  const config: Config = {
    port: 6379,
    bind: "127.0.0.1",
    shards: defaultShards(),
    io: "auto",
    dir: ".",
    databases: 16,
    loglevel: "notice",
    configFile: null,
    params: new Map(),
    users: [],
    help: flags.help,
    version: flags.version,
  };
  if (flags.help || flags.version) return config;

  let fileSettings: RawSetting[] = [];
  const path = flags.configPath ?? DEFAULT_CONFIG_FILE;
  const text = readFile(path);
  if (text === null && flags.configPath !== null) {
    throw new ConfigError(`config file '${path}' not found (given with --config)`);
  }
  if (text !== null) {
    fileSettings = readToml(text, path);
    config.configFile = path;
  }
  const settings = [...fileSettings, ...readEnv(env), ...flags.settings];

  const params = config.params;
  const current = (d: ParamDef) => params.get(d.name) ?? d.default;
  for (const s of settings) {
    if (s.key === "shards") config.shards = parseShards(s);
    else if (s.key === "io") config.io = parseIo(s);
    else if (s.key === "user") config.users.push(s.value);
    else {
      const d = lookupParam(s.key)!;
      const ctx: SetContext = {
        current: current(d),
        get: (name) => {
          const other = lookupParam(name);
          return other ? current(other) : "";
        },
      };
      const r = d.kind.set(s.value, ctx);
      if (!r.ok) throw invalid(d.name, s.value, d.kind.allowed, s.source);
      params.set(d.name, r.value);
      if (d.name === "dir") config.dir = s.value;
    }
  }

  config.port = Number(current(lookupParam("port")!));
  config.bind = firstBindAddress(current(lookupParam("bind")!));
  config.databases = Number(current(lookupParam("databases")!));
  config.loglevel = current(lookupParam("loglevel")!) as LogLevel;
  return config;
}
