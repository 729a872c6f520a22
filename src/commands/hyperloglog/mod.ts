/**
 * The HyperLogLog family. HLLs are string values holding Redis's own HLL bytes
 * (src/store/hll.ts); the commands are in add_count_merge.ts.
 */
import { cmd, type CommandSpec } from "../table.ts";
import { pfadd, pfcount, pfmerge } from "./add_count_merge.ts";

export const hyperloglog: CommandSpec[] = [
  cmd("pfadd", pfadd),
  cmd("pfcount", pfcount),
  cmd("pfmerge", pfmerge),
];
