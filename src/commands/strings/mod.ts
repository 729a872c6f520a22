/**
 * The string family: whole values (get_set.ts), counters (incr.ts), parts of a value
 * (range.ts) and LCS (lcs.ts). bytes.ts holds the bytewise view of string values that the
 * bitmap and HyperLogLog families share; lookup.ts the typed key lookups.
 */
import { cmd, type CommandSpec } from "../table.ts";
import { foldAllOk, foldMget, mergeAllOk, mergeMget } from "../folds.ts";
import {
  get,
  getdel,
  getex,
  getset,
  mget,
  mset,
  msetnx,
  set,
  setexGeneric,
  setnx,
} from "./get_set.ts";
import { decrby, incrBy, incrby, incrbyfloat } from "./incr.ts";
import { append, getrange, setrange, strlen } from "./range.ts";
import { lcs } from "./lcs.ts";

export const strings: CommandSpec[] = [
  cmd("get", get),
  cmd("set", set),
  cmd("mget", mget, { fold: foldMget, merge: mergeMget }),
  cmd("mset", mset, { fold: foldAllOk, merge: mergeAllOk }),
  cmd("incr", (c, a) => incrBy(c, a[1], 1)),
  cmd("decr", (c, a) => incrBy(c, a[1], -1)),
  cmd("incrby", incrby),
  cmd("decrby", decrby),
  cmd("incrbyfloat", incrbyfloat),
  cmd("append", append),
  cmd("strlen", strlen),
  cmd("setnx", setnx),
  cmd("setex", (c, a) => setexGeneric(c, a, true, "setex")),
  cmd("psetex", (c, a) => setexGeneric(c, a, false, "psetex")),
  cmd("getset", getset),
  cmd("getdel", getdel),
  cmd("getex", getex),
  cmd("msetnx", msetnx),
  cmd("getrange", getrange),
  cmd("substr", getrange),
  cmd("setrange", setrange),
  cmd("lcs", lcs),
];
