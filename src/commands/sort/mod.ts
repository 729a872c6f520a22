/**
 * The sort family (Redis 7.0 sort.c): SORT and SORT_RO (sort.ts), their BY / GET patterns and
 * weights (pattern.ts) and Redis's sort algorithms (pqsort.ts).
 */
import { cmd, type CommandSpec } from "../table.ts";
import { sortCommand, sortKeys, sortRoCommand } from "./sort.ts";

export const sort: CommandSpec[] = [
  cmd("sort", sortCommand, { keys: sortKeys }),
  cmd("sort_ro", sortRoCommand),
];
