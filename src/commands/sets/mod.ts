/**
 * The set family (Redis 7.0 t_set.c): members added, removed and tested (members.ts), random
 * members (random.ts), SSCAN (scan.ts), and the set algebra SINTER / SUNION / SDIFF and their
 * STORE and CARD variants (algebra.ts); lookup.ts holds the typed key lookups.
 */
import { cmd, type CommandSpec } from "../table.ts";
import { sadd, scard, sismember, smembers, smismember, smove, srem } from "./members.ts";
import { spop, srandmember } from "./random.ts";
import { sscan } from "./scan.ts";
import {
  sdiff,
  sdiffstore,
  sinter,
  sintercard,
  sinterstore,
  sunion,
  sunionstore,
} from "./algebra.ts";

export const sets: CommandSpec[] = [
  cmd("sadd", sadd),
  cmd("srem", srem),
  cmd("scard", scard),
  cmd("sismember", sismember),
  cmd("smismember", smismember),
  cmd("smembers", smembers),
  cmd("spop", spop),
  cmd("srandmember", srandmember),
  cmd("smove", smove),
  cmd("sscan", sscan),
  cmd("sinter", sinter),
  cmd("sinterstore", sinterstore),
  cmd("sintercard", sintercard),
  cmd("sunion", sunion),
  cmd("sunionstore", sunionstore),
  cmd("sdiff", sdiff),
  cmd("sdiffstore", sdiffstore),
];
