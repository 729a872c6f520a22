/**
 * Reading raw settings from the three startup sources: command-line flags (node:util
 * parseArgs, redis-server style `--<name> value`), SKUA_* environment variables and a TOML
 * file. Names are resolved to canonical ones here; values are validated by load.ts.
 */

import { parseArgs } from "node:util";
import { parse as parseToml } from "smol-toml";
import { ConfigError } from "./errors.ts";
import { ENTRIES, lookupEntry } from "./table.ts";

/**
 * Skua's own startup-only keys (not Redis parameters, not in CONFIG GET); `user` is Redis's
 * config-file directive defining an ACL user, given once per user.
 */
export const SKUA_KEYS = ["shards", "io", "user"] as const;
export type SkuaKey = typeof SKUA_KEYS[number];

/** One setting from one source, its key resolved to a canonical name or a Skua key. */
export interface RawSetting {
  readonly key: string;
  readonly value: string;
  /** Where it came from, for messages: "--port", "SKUA_PORT", "skua.toml". */
  readonly source: string;
}

export interface FlagResult {
  help: boolean;
  version: boolean;
  configPath: string | null;
  settings: RawSetting[];
}

function canonicalKey(name: string): string | null {
  const lower = name.toLowerCase();
  if ((SKUA_KEYS as readonly string[]).includes(lower)) return lower;
  return lookupEntry(name)?.def.name ?? null;
}

type OptionSpec = { type: "string" | "boolean"; short?: string };

function flagOptions(): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = {
    config: { type: "string" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "v" },
  };
  for (const k of SKUA_KEYS) options[k] = { type: "string" };
  for (const e of ENTRIES) options[e.name] = { type: "string" };
  return options;
}

function lowerOptionName(arg: string): string {
  if (!arg.startsWith("--")) return arg;
  const eq = arg.indexOf("=");
  return eq < 0 ? arg.toLowerCase() : arg.slice(0, eq).toLowerCase() + arg.slice(eq);
}

/**
 * Flags: `--name value` or `--name=value` for every Redis parameter (canonical or alias) and
 * Skua key, plus --config, --help/-h and --version/-v. Like redis-server, words following an
 * option's value are appended to it (`--save 3600 1 300 100`).
 */
export function readFlags(args: string[]): FlagResult {
  const { tokens } = parseArgs({
    // Redis names are case-insensitive; parseArgs is not.
    args: args.map(lowerOptionName),
    options: flagOptions(),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const out: FlagResult = { help: false, version: false, configPath: null, settings: [] };
  let last: { key: string; value: string; source: string } | null = null;
  const flush = () => {
    if (!last) return;
    if (last.key === "config") out.configPath = last.value;
    else out.settings.push(last);
    last = null;
  };
  for (const t of tokens) {
    if (t.kind === "positional") {
      if (!last) throw new ConfigError(`unexpected argument '${t.value}' on the command line`);
      last.value += " " + t.value;
      continue;
    }
    flush();
    if (t.kind === "option-terminator") {
      throw new ConfigError("unexpected argument '--' on the command line");
    }
    if (t.name === "help" || t.name === "version") {
      out[t.name] = true;
      continue;
    }
    const key = t.name === "config" ? "config" : canonicalKey(t.name);
    if (!key) throw new ConfigError(`unknown config key '${t.name}' on the command line`);
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith("--"))) {
      throw new ConfigError(`missing value for '${t.rawName}' on the command line`);
    }
    last = { key, value: t.value, source: t.rawName };
  }
  flush();
  return out;
}

/** Environment variable suffix for a name: upper case, '-' and '_' both as '_'. */
function envSuffix(name: string): string {
  return name.toUpperCase().replaceAll("-", "_");
}

let envNames: Map<string, string> | null = null;

/**
 * `SKUA_<NAME>` for every parameter and Skua key (SKUA_PORT, SKUA_MAXMEMORY,
 * SKUA_PROTO_MAX_BULK_LEN, SKUA_SERVER_CPULIST). Any other SKUA_ variable is an error, except
 * the few that are not configuration (NOT_CONFIG).
 */
/** SKUA_ variables read elsewhere: the io_uring shim's path, and the test harness's knobs. */
const NOT_CONFIG = /^SKUA_(URING_LIB|TEST_\w*)$/;

export function readEnv(env: Record<string, string>): RawSetting[] {
  if (!envNames) {
    envNames = new Map();
    for (const e of ENTRIES) envNames.set(envSuffix(e.name), e.def.name);
    for (const k of SKUA_KEYS) envNames.set(envSuffix(k), k);
  }
  const out: RawSetting[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("SKUA_") || NOT_CONFIG.test(name)) continue;
    const key = envNames.get(name.slice(5));
    if (!key) throw new ConfigError(`unknown config key '${name}' in the environment`);
    out.push({ key, value, source: name });
  }
  return out;
}

/** A TOML value as a Redis config string, or null when it cannot be one. */
function tomlValue(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : null;
  if (Array.isArray(v)) {
    // Multi-argument parameters: save = ["3600 1", "300 100"], bind = ["127.0.0.1", "::1"].
    const parts = v.map((x) => Array.isArray(x) ? null : tomlValue(x));
    return parts.every((p) => p !== null) ? parts.join(" ") : null;
  }
  return null;
}

function tomlTypeName(v: unknown): string {
  if (v instanceof Date) return "a TOML date";
  if (Array.isArray(v)) return "a nested list";
  if (typeof v === "number") return String(v);
  return "a TOML table";
}

/** Top-level `name = value` pairs of a TOML document; names as in redis.conf. */
export function readToml(text: string, path: string): RawSetting[] {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text, { integersAsBigInt: "asNeeded" });
  } catch (e) {
    const err = e as Error & { line?: number; column?: number };
    const where = err.line ? ` at line ${err.line}, column ${err.column}` : "";
    const first = String(err.message).split("\n")[0];
    throw new ConfigError(`invalid TOML in ${path}${where}: ${first}`);
  }
  const out: RawSetting[] = [];
  for (const [name, raw] of Object.entries(doc)) {
    const key = canonicalKey(name);
    if (!key) throw new ConfigError(`unknown config key '${name}' in ${path}`);
    // `user` directives, one per user: user = ["alice on >pw ~* +@all", "bob ..."]
    if (key === "user" && Array.isArray(raw) && raw.every((x) => typeof x === "string")) {
      for (const x of raw) out.push({ key, value: x, source: path });
      continue;
    }
    const value = tomlValue(raw);
    if (value === null) {
      throw new ConfigError(
        `invalid value for '${name}': ${tomlTypeName(raw)} ` +
          `(allowed: a string, number, boolean or a list of them) in ${path}`,
      );
    }
    out.push({ key, value, source: path });
  }
  return out;
}
