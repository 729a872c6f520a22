/**
 * The Redis 7.0 parameter table and the runtime store behind CONFIG GET/SET (the table lives
 * in table.ts, the store in store.ts; this module is their public face).
 */

export {
  ENTRIES,
  lookupEntry,
  lookupParam,
  type ParamDef,
  type ParamEntry,
  PARAMS,
} from "./table.ts";
export { configSetPairs, ConfigStore } from "./store.ts";
export type { ParamType } from "./kinds.ts";
