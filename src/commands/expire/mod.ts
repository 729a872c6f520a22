/**
 * The expiry family: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST (set.ts), TTL, PTTL,
 * EXPIRETIME, PEXPIRETIME (read.ts), and the int64 expiry arithmetic other families share
 * (time.ts).
 */
import { cmd, type CommandSpec } from "../table.ts";
import { expireGeneric, persist } from "./set.ts";
import { ttlGeneric } from "./read.ts";

export const expire: CommandSpec[] = [
  cmd("expire", (c, a, n) => expireGeneric(c, a, n, "expire", true, true)),
  cmd("pexpire", (c, a, n) => expireGeneric(c, a, n, "pexpire", true, false)),
  cmd("expireat", (c, a, n) => expireGeneric(c, a, n, "expireat", false, true)),
  cmd("pexpireat", (c, a, n) => expireGeneric(c, a, n, "pexpireat", false, false)),
  cmd("persist", persist),
  cmd("ttl", (c, a) => ttlGeneric(c, a, false, false)),
  cmd("pttl", (c, a) => ttlGeneric(c, a, true, false)),
  cmd("expiretime", (c, a) => ttlGeneric(c, a, false, true)),
  cmd("pexpiretime", (c, a) => ttlGeneric(c, a, true, true)),
];
