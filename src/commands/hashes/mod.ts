/**
 * The hash family (Redis 7.0 t_hash.c): fields set, read and deleted (fields.ts), counters
 * (incr.ts), HRANDFIELD (random.ts) and HSCAN (scan.ts); lookup.ts holds the typed key
 * lookups and encoding.ts the listpack -> hashtable conversions, made where Redis makes them
 * so OBJECT ENCODING agrees.
 */
import { cmd, type CommandSpec } from "../table.ts";
import {
  getAll,
  hdel,
  hexists,
  hget,
  hlen,
  hmget,
  hset,
  hsetnx,
  hstrlen,
  KEYS,
  VALUES,
} from "./fields.ts";
import { hincrby, hincrbyfloat } from "./incr.ts";
import { hrandfield } from "./random.ts";
import { hscan } from "./scan.ts";

export const hashes: CommandSpec[] = [
  cmd("hset", (c, a, n) => hset(c, a, n, false)),
  cmd("hmset", (c, a, n) => hset(c, a, n, true)),
  cmd("hsetnx", hsetnx),
  cmd("hget", hget),
  cmd("hmget", hmget),
  cmd("hdel", hdel),
  cmd("hlen", hlen),
  cmd("hstrlen", hstrlen),
  cmd("hexists", hexists),
  cmd("hkeys", (c, a) => getAll(c, a, KEYS)),
  cmd("hvals", (c, a) => getAll(c, a, VALUES)),
  cmd("hgetall", (c, a) => getAll(c, a, KEYS | VALUES)),
  cmd("hincrby", hincrby),
  cmd("hincrbyfloat", hincrbyfloat),
  cmd("hrandfield", hrandfield),
  cmd("hscan", hscan),
];
