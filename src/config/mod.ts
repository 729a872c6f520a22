/** Skua configuration: startup config (flags, SKUA_* env, skua.toml) and the runtime store. */

export { ConfigError } from "./errors.ts";
export { type Config, HELP_TEXT, type IoMode, loadConfig, type LogLevel, VERSION } from "./load.ts";
export { configSetPairs, ConfigStore } from "./store.ts";
export {
  ENTRIES,
  lookupEntry,
  lookupParam,
  type ParamDef,
  type ParamEntry,
  PARAMS,
} from "./table.ts";
