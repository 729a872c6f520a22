/** The commands Skua implements in this milestone (lower-case, as COMMAND names them). */

// deno-fmt-ignore
export const IMPLEMENTED = [
  "ping", "echo", "quit", "hello", "select", "time", "dbsize", "flushdb", "flushall", "get",
  "set", "del", "unlink", "exists", "touch", "mget", "mset", "incr", "decr", "incrby", "decrby",
  "incrbyfloat", "append", "strlen", "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl",
  "expiretime", "pexpiretime", "persist", "type", "keys", "scan", "info", "auth", "debug",
];

/** Implemented subcommands of the container commands CLIENT, CONFIG, COMMAND and ACL. */
// deno-fmt-ignore
export const IMPLEMENTED_SUB = [
  "client|id", "client|setname", "client|getname", "client|info", "client|list", "client|kill",
  "config|get", "config|set", "config|resetstat", "command|count", "command|info", "command|docs",
  "command|getkeys", "command|list", "acl|setuser", "acl|deluser", "acl|getuser", "acl|list",
  "acl|users", "acl|whoami", "acl|cat", "acl|genpass", "acl|dryrun", "acl|log", "acl|load",
  "acl|save", "acl|help",
];
