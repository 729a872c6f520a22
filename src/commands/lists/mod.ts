/**
 * The list family (Redis 7.0 t_list.c, without the blocking variants): pushes and pops at the
 * ends (push_pop.ts), reads (range.ts), in-place edits (edit.ts), LPOS (pos.ts), moves between
 * lists and LMPOP (move.ts); lookup.ts holds the typed key lookups and shared replies.
 * Argument checks, lookups and errors come in Redis's order, so the same bad request gets the
 * same error.
 */
import { cmd, type CommandSpec } from "../table.ts";
import { pop, push } from "./push_pop.ts";
import { lindex, llen, lrange } from "./range.ts";
import { linsert, lrem, lset, ltrim } from "./edit.ts";
import { lpos } from "./pos.ts";
import { lmove, lmpop, lmpopTarget, rpoplpush } from "./move.ts";

export const lists: CommandSpec[] = [
  cmd("lpush", (c, a, n) => push(c, a, n, true, false)),
  cmd("rpush", (c, a, n) => push(c, a, n, false, false)),
  cmd("lpushx", (c, a, n) => push(c, a, n, true, true)),
  cmd("rpushx", (c, a, n) => push(c, a, n, false, true)),
  cmd("lpop", (c, a, n) => pop(c, a, n, true)),
  cmd("rpop", (c, a, n) => pop(c, a, n, false)),
  cmd("llen", llen),
  cmd("lrange", lrange),
  cmd("lindex", lindex),
  cmd("lset", lset),
  cmd("linsert", linsert),
  cmd("lrem", lrem),
  cmd("ltrim", ltrim),
  cmd("lpos", lpos),
  cmd("lmove", lmove),
  cmd("rpoplpush", rpoplpush),
  cmd("lmpop", lmpop, { target: lmpopTarget }),
];
