/**
 * Runtime config values behind CONFIG GET / CONFIG SET, with Redis 7.0's matching, atomicity
 * and error texts. One store per shard; the server keeps them in sync by applying the same
 * validated pairs everywhere (see `onChange`).
 */

import { globMatch } from "../util/glob.ts";
import type { SetContext, SetResult } from "./kinds.ts";
import { ENTRIES, lookupEntry, type ParamDef, type ParamEntry, PARAMS } from "./table.ts";
import { ConfigError } from "./errors.ts";
import { asciiLower } from "./parse.ts";

const GLOB_CHARS = /[[*?]/;

/**
 * Splits the arguments after `CONFIG SET` into name/value pairs, or returns Redis's error text
 * for an odd count. (Fewer than two arguments is the command table's arity error:
 * "ERR wrong number of arguments for 'config|set' command".)
 */
export function configSetPairs(args: readonly string[]): [string, string][] | string {
  if (args.length % 2 !== 0) return "ERR syntax error";
  const pairs: [string, string][] = [];
  for (let i = 0; i < args.length; i += 2) pairs.push([args[i], args[i + 1]]);
  return pairs;
}

export class ConfigStore {
  readonly #values = new Map<ParamDef, string>();
  /** Called by apply() for each parameter whose value changed (canonical name, new value). */
  onChange?: (name: string, value: string) => void;
  /**
   * Counts the changes apply() made: a hot path caches a value it derives from the config and
   * re-reads it only when this moves (value() costs a name lookup).
   */
  version = 0;

  /**
   * `initial` holds startup overrides by canonical name (or alias), raw or normalized; they
   * are validated like CONFIG SET values and a bad one throws ConfigError.
   */
  constructor(initial: Map<string, string> = new Map()) {
    for (const d of PARAMS) this.#values.set(d, d.default);
    // Redis reports the working directory, not the "." it started with.
    const dir = PARAMS.find((d) => d.name === "dir")!;
    const cwd = this.#set(dir, ".");
    if (cwd.ok) this.#values.set(dir, cwd.value);
    for (const [name, raw] of initial) {
      const entry = lookupEntry(name);
      if (!entry) throw new ConfigError(`unknown config key '${name}'`);
      const r = this.#set(entry.def, raw);
      if (!r.ok) {
        throw new ConfigError(
          `invalid value for '${entry.def.name}': ${JSON.stringify(raw)} ` +
            `(allowed: ${entry.def.kind.allowed})`,
        );
      }
      this.#values.set(entry.def, r.value);
    }
  }

  /**
   * CONFIG GET: each pattern is an exact name (case-insensitive, hidden and alias names
   * included, reported as typed) when it has no `*`, `?` or `[`, else a case-insensitive glob
   * over the visible names and aliases. A name appears at most once; no match gives [].
   */
  get(patterns: readonly string[]): [string, string][] {
    const seen = new Set<string>();
    const out: [string, string][] = [];
    const add = (name: string, entry: ParamEntry) => {
      const key = asciiLower(name);
      if (seen.has(key)) return;
      seen.add(key);
      out.push([name, this.#values.get(entry.def)!]);
    };
    for (const pattern of patterns) {
      if (!GLOB_CHARS.test(pattern)) {
        const entry = lookupEntry(pattern);
        if (entry) add(pattern, entry);
        continue;
      }
      for (const entry of ENTRIES) {
        if (!entry.def.hidden && globMatch(pattern, entry.name, true)) add(entry.name, entry);
      }
    }
    return out;
  }

  /**
   * Validates a CONFIG SET with several name/value pairs, all or nothing. Returns null when
   * apply() may proceed, else Redis's exact error text without the leading "-".
   * `clientIsLocal` decides protected configs when enable-protected-configs is "local".
   */
  validate(pairs: readonly (readonly [string, string])[], clientIsLocal = false): string | null {
    const entries: ParamEntry[] = [];
    let unknown: string | null = null;
    let failure: { name: string; err: string } | null = null;
    for (const [name] of pairs) {
      const entry = lookupEntry(name);
      if (!entry) {
        if (!unknown && !failure) unknown = name;
        continue;
      }
      if (unknown || failure) continue;
      if (entry.def.immutable) {
        failure = { name, err: "can't set immutable config" };
      } else if (entry.def.protected && !this.#protectedAllowed(clientIsLocal)) {
        failure = { name, err: "can't set protected config" };
      } else if (entries.includes(entry)) {
        // An alias and its canonical name are distinct entries, as in Redis.
        failure = { name, err: "duplicate parameter" };
      }
      entries.push(entry);
    }
    if (unknown) return `ERR Unknown option or number of arguments for CONFIG SET - '${unknown}'`;
    if (failure) return setFailed(failure.name, failure.err);
    for (let i = 0; i < pairs.length; i++) {
      const r = this.#set(entries[i].def, pairs[i][1]);
      // Redis names the entry here (lower-case canonical name or alias), not the typed name.
      if (!r.ok) return setFailed(entries[i].name, r.err);
    }
    return null;
  }

  /** Stores validated pairs (normalized, e.g. memory sizes as bytes) and reports changes. */
  apply(pairs: readonly (readonly [string, string])[]): void {
    for (const [name, raw] of pairs) {
      const entry = lookupEntry(name);
      if (!entry) throw new ConfigError(`unknown config key '${name}'`);
      const r = this.#set(entry.def, raw);
      if (!r.ok) throw new ConfigError(`invalid value for '${entry.def.name}': ${r.err}`);
      if (this.#values.get(entry.def) === r.value) continue;
      this.#values.set(entry.def, r.value);
      this.version++;
      this.onChange?.(entry.def.name, r.value);
    }
  }

  /** Current value as CONFIG GET shows it, by canonical name or alias (any case). */
  value(name: string): string | undefined {
    const entry = lookupEntry(name);
    return entry ? this.#values.get(entry.def) : undefined;
  }

  #set(d: ParamDef, raw: string): SetResult {
    return d.kind.set(raw, this.#context(d));
  }

  #context(d: ParamDef): SetContext {
    const values = this.#values;
    return {
      current: values.get(d) ?? d.default,
      get: (name: string) => {
        const other = lookupEntry(name)?.def;
        return other ? values.get(other) ?? other.default : "";
      },
    };
  }

  #protectedAllowed(clientIsLocal: boolean): boolean {
    const mode = this.value("enable-protected-configs");
    return mode === "yes" || (mode === "local" && clientIsLocal);
  }
}

function setFailed(name: string, err: string): string {
  return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${err}`;
}
