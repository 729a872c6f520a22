/**
 * The table of every Redis 7.0 config parameter (as listed by redis-server 7.0.15's
 * `CONFIG GET *`, plus its hidden ones), with Redis's types, bounds, defaults and flags. Skua
 * validates, stores and reports all of them; `used` marks the few it acts on.
 */

import {
  boolKind,
  type CType,
  enumKind,
  type Kind,
  LIMITS,
  MEMORY,
  numericKind,
  type NumericOptions,
  OCTAL,
  type ParamType,
  stringKind,
} from "./kinds.ts";
import {
  appenddirnameKind,
  appendfilenameKind,
  bindKind,
  clientOutputBufferLimitKind,
  dbfilenameKind,
  dirKind,
  hostnameKind,
  latencyPercentilesKind,
  notifyKeyspaceEventsKind,
  oomScoreAdjValuesKind,
  procTitleTemplateKind,
  saveKind,
  shutdownKind,
} from "./special.ts";
import { asciiLower } from "./parse.ts";
import { tlsProtocolsKind, tlsUnsupportedKind } from "./tls.ts";
import {
  noAofTimestampKind,
  noClientEvictionKind,
  noDaemonizeKind,
  noMinReplicasKind,
  noOomScoreAdjKind,
  noReplicaofKind,
  noSupervisedKind,
  noSyslogKind,
  noUnixSocketKind,
} from "./unkept.ts";

/** Redis's maxmemory-policy names, in its order (the eviction code indexes them). */
export const MAXMEMORY_POLICIES: readonly string[] = [
  "volatile-lru",
  "volatile-lfu",
  "volatile-random",
  "volatile-ttl",
  "allkeys-lru",
  "allkeys-lfu",
  "allkeys-random",
  "noeviction",
];

export interface ParamDef {
  /** Canonical name. */
  readonly name: string;
  /** Redis 7.0 has at most one alias per parameter (e.g. slaveof for replicaof). */
  readonly alias: string | null;
  readonly type: ParamType;
  readonly kind: Kind;
  /** Default as CONFIG GET reports it (for `dir`, Skua's working directory at startup). */
  readonly default: string;
  /** Set only where Skua's default deliberately differs from Redis's. */
  readonly redisDefault?: string;
  /** CONFIG SET refuses it: "can't set immutable config". */
  readonly immutable: boolean;
  /** CONFIG SET needs enable-protected-configs: "can't set protected config". */
  readonly protected: boolean;
  /** Left out of glob matches; CONFIG GET by exact name still shows it. */
  readonly hidden: boolean;
  /** Holds a secret (redact it in logs and slowlog). */
  readonly sensitive: boolean;
  /** Skua acts on it; the others are validated, stored and reported back only. */
  readonly used: boolean;
}

const IMM = 1, PROT = 2, HID = 4, SENS = 8, USED = 16;

const { INT_MIN, INT_MAX, UINT_MAX, LONG_MAX, LLONG_MAX, ULLONG_MAX } = LIMITS;
const MB = 1024n * 1024n;

function def(name: string, kind: Kind, dflt: string, flags = 0, alias: string | null = null) {
  return {
    name,
    alias,
    type: kind.type,
    kind,
    default: dflt,
    immutable: (flags & IMM) !== 0,
    protected: (flags & PROT) !== 0,
    hidden: (flags & HID) !== 0,
    sensitive: (flags & SENS) !== 0,
    used: (flags & USED) !== 0,
  };
}

function bool(name: string, dflt: boolean, flags = 0, alias: string | null = null): ParamDef {
  return def(name, boolKind(), dflt ? "yes" : "no", flags, alias);
}

function num(
  name: string,
  ctype: CType,
  min: bigint,
  max: bigint,
  dflt: bigint,
  flags = 0,
  alias: string | null = null,
  opts: NumericOptions = {},
): ParamDef {
  const kind = numericKind(ctype, min, max, opts);
  return def(name, kind, kind.format(dflt), flags, alias);
}

function mem(name: string, ctype: CType, min: bigint, max: bigint, dflt: bigint, flags = 0) {
  return num(name, ctype, min, max, dflt, flags, null, { flags: MEMORY });
}

function str(name: string, dflt = "", flags = 0, alias: string | null = null): ParamDef {
  return def(name, stringKind(), dflt, flags, alias);
}

function en(name: string, names: readonly string[], dflt: string, flags = 0): ParamDef {
  return def(name, enumKind(names.map((n, i) => [n, i] as const)), dflt, flags);
}

const YES_NO_LOCAL = ["no", "yes", "local"];

const loglevelKind = enumKind(
  [["debug", 0], ["verbose", 1], ["notice", 2], ["warning", 3]],
  // Redis 7.2's "nothing" is accepted too; it is not listed so 7.0's error text stays exact.
  { unlisted: [["nothing", 4]] },
);

const BOOLS: ParamDef[] = [
  bool("rdbchecksum", true, IMM | USED),
  def("daemonize", noDaemonizeKind, "no", IMM),
  bool("io-threads-do-reads", false, IMM),
  bool("always-show-logo", false, IMM),
  bool("protected-mode", true, USED),
  bool("rdbcompression", true, USED),
  bool("rdb-del-sync-files", false),
  bool("activerehashing", true),
  bool("stop-writes-on-bgsave-error", true, USED),
  bool("set-proc-title", true, IMM),
  bool("dynamic-hz", true),
  bool("lazyfree-lazy-eviction", false, USED),
  bool("lazyfree-lazy-expire", false, USED),
  bool("lazyfree-lazy-server-del", false, USED),
  bool("lazyfree-lazy-user-del", false, USED),
  bool("lazyfree-lazy-user-flush", false, USED),
  bool("repl-disable-tcp-nodelay", false),
  bool("repl-diskless-sync", true),
  bool("aof-rewrite-incremental-fsync", true),
  bool("no-appendfsync-on-rewrite", false),
  bool("cluster-require-full-coverage", true),
  bool("rdb-save-incremental-fsync", true),
  bool("aof-load-truncated", true, USED),
  bool("aof-use-rdb-preamble", true, USED),
  def("aof-timestamp-enabled", noAofTimestampKind, "no"),
  bool("cluster-replica-no-failover", false, 0, "cluster-slave-no-failover"),
  bool("replica-lazy-flush", false, 0, "slave-lazy-flush"),
  bool("replica-serve-stale-data", true, 0, "slave-serve-stale-data"),
  bool("replica-read-only", true, 0, "slave-read-only"),
  bool("replica-ignore-maxmemory", true, 0, "slave-ignore-maxmemory"),
  bool("jemalloc-bg-thread", true),
  // acts (src/store/defrag.ts), as in a Redis built with its bundled jemalloc
  bool("activedefrag", false, USED),
  def("syslog-enabled", noSyslogKind, "no", IMM),
  bool("cluster-enabled", false, IMM),
  // acts: src/persist/aof.ts (the AOF), propagate.ts (what is written)
  bool("appendonly", false, USED),
  bool("cluster-allow-reads-when-down", false),
  bool("cluster-allow-pubsubshard-when-down", true),
  bool("crash-log-enabled", true),
  bool("crash-memcheck-enabled", true),
  bool("use-exit-on-panic", false, HID),
  bool("disable-thp", true, IMM),
  bool("cluster-allow-replica-migration", true),
  bool("replica-announced", true),
  bool("latency-tracking", true),
  bool("aof-disable-auto-gc", false),
  bool("replica-ignore-disk-write-errors", false),
  bool("tls-cluster", false),
  bool("tls-replication", false),
  bool("tls-prefer-server-ciphers", false),
  bool("tls-session-caching", true),
];

const STRINGS: ParamDef[] = [
  str("aclfile", "", IMM | USED),
  def("unixsocket", noUnixSocketKind, "", IMM),
  // written at startup, removed on a clean exit (main.ts)
  str("pidfile", "", IMM | USED),
  str("replica-announce-ip", "", 0, "slave-announce-ip"),
  str("masteruser", "", SENS),
  str("cluster-announce-ip"),
  str("cluster-config-file", "nodes.conf", IMM),
  def("cluster-announce-hostname", hostnameKind, ""),
  str("syslog-ident", "redis", IMM),
  def("dbfilename", dbfilenameKind, "dump.rdb", PROT | USED),
  def("appendfilename", appendfilenameKind, "appendonly.aof", IMM | USED),
  def("appenddirname", appenddirnameKind, "appendonlydir", IMM | USED),
  str("server_cpulist", "", IMM),
  str("bio_cpulist", "", IMM),
  str("aof_rewrite_cpulist", "", IMM),
  str("bgsave_cpulist", "", IMM),
  str("ignore-warnings"),
  def("proc-title-template", procTitleTemplateKind, "{title} {listen-addr} {server-mode}"),
  str("bind-source-addr"),
  // every thread appends its lines there (src/util/log.ts)
  str("logfile", "", IMM | USED),
  str("masterauth", "", SENS),
  // the default user's password (src/commands/acl/config.ts); empty: nopass
  str("requirepass", "", SENS | USED),
  // TLS (src/server/tls.ts) is set up once at startup: CONFIG SET refuses these (immutable)
  // rather than pretend a new context was loaded
  str("tls-cert-file", "", IMM | USED),
  str("tls-key-file", "", IMM | USED),
  def(
    "tls-key-file-pass",
    tlsUnsupportedKind("tls-key-file-pass", "the key file must not be encrypted"),
    "",
  ),
  // for outgoing TLS (replication, cluster bus), which Skua does not have
  str("tls-client-cert-file"),
  str("tls-client-key-file"),
  str("tls-client-key-file-pass"),
  def(
    "tls-dh-params-file",
    tlsUnsupportedKind("tls-dh-params-file", "Skua's TLS uses only ECDHE key exchange"),
    "",
  ),
  str("tls-ca-cert-file", "", IMM | USED),
  str("tls-ca-cert-dir", "", IMM | USED),
  def("tls-protocols", tlsProtocolsKind, "", IMM | USED),
  def(
    "tls-ciphers",
    tlsUnsupportedKind("tls-ciphers", "Skua's TLS chooses its cipher suites itself"),
    "",
  ),
  def(
    "tls-ciphersuites",
    tlsUnsupportedKind("tls-ciphersuites", "Skua's TLS chooses its cipher suites itself"),
    "",
  ),
];

const ENUMS: ParamDef[] = [
  def("supervised", noSupervisedKind, "no", IMM),
  en(
    "syslog-facility",
    ["user", ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `local${i}`)],
    "local0",
    IMM,
  ),
  en("repl-diskless-load", ["disabled", "on-empty-db", "swapdb"], "disabled"),
  def("loglevel", loglevelKind, "notice", USED),
  en("maxmemory-policy", MAXMEMORY_POLICIES, "noeviction", USED),
  en("appendfsync", ["everysec", "always", "no"], "everysec", USED),
  def("oom-score-adj", noOomScoreAdjKind, "no"),
  en("acl-pubsub-default", ["allchannels", "resetchannels"], "resetchannels", USED),
  en("sanitize-dump-payload", ["no", "yes", "clients"], "no"),
  // gates CONFIG SET of protected parameters (src/config/store.ts)
  en("enable-protected-configs", YES_NO_LOCAL, "no", IMM | USED),
  // gates DEBUG (src/commands/server/debug.ts)
  en("enable-debug-command", YES_NO_LOCAL, "no", IMM | USED),
  en("enable-module-command", YES_NO_LOCAL, "no", IMM),
  en("cluster-preferred-endpoint-type", ["ip", "hostname", "unknown-endpoint"], "ip"),
  en("propagation-error-behavior", ["ignore", "panic", "panic-on-replicas"], "ignore"),
  def("shutdown-on-sigint", shutdownKind, "default", USED),
  def("shutdown-on-sigterm", shutdownKind, "default", USED),
  en("tls-auth-clients", ["no", "yes", "optional"], "yes", IMM | USED),
];

const INTS: ParamDef[] = [
  num("databases", "int", 1n, INT_MAX, 16n, IMM | USED),
  // the listeners are bound once at startup: CONFIG SET would report a port nobody listens on
  num("port", "int", 0n, 65535n, 6379n, IMM | USED),
  num("io-threads", "int", 1n, 128n, 1n, IMM),
  num("auto-aof-rewrite-percentage", "int", 0n, INT_MAX, 100n, USED),
  num(
    "cluster-replica-validity-factor",
    "int",
    0n,
    INT_MAX,
    10n,
    0,
    "cluster-slave-validity-factor",
  ),
  num("list-max-listpack-size", "int", INT_MIN, INT_MAX, -2n, 0, "list-max-ziplist-size"),
  num("tcp-keepalive", "int", 0n, INT_MAX, 300n, USED),
  num("cluster-migration-barrier", "int", 0n, INT_MAX, 1n),
  num("active-defrag-cycle-min", "int", 1n, 99n, 1n, USED),
  num("active-defrag-cycle-max", "int", 1n, 99n, 25n, USED),
  num("active-defrag-threshold-lower", "int", 0n, 1000n, 10n, USED),
  num("active-defrag-threshold-upper", "int", 0n, 1000n, 100n, USED),
  num("lfu-log-factor", "int", 0n, INT_MAX, 10n, USED),
  num("lfu-decay-time", "int", 0n, INT_MAX, 1n, USED),
  num("replica-priority", "int", 0n, INT_MAX, 100n, 0, "slave-priority"),
  num("repl-diskless-sync-delay", "int", 0n, INT_MAX, 5n),
  num("maxmemory-samples", "int", 1n, INT_MAX, 5n, USED),
  num("maxmemory-eviction-tenacity", "int", 0n, 100n, 10n, USED),
  num("timeout", "int", 0n, INT_MAX, 0n, USED),
  num("replica-announce-port", "int", 0n, 65535n, 0n, 0, "slave-announce-port"),
  // the listen(2) backlog of the io_uring engine (Deno.listen takes none: see src/io/listen.ts)
  num("tcp-backlog", "int", 0n, INT_MAX, 511n, IMM | USED),
  num("cluster-port", "int", 0n, 65535n, 0n, IMM),
  num("cluster-announce-bus-port", "int", 0n, 65535n, 0n),
  num("cluster-announce-port", "int", 0n, 65535n, 0n),
  num("cluster-announce-tls-port", "int", 0n, 65535n, 0n),
  num("repl-timeout", "int", 1n, INT_MAX, 60n),
  num("repl-ping-replica-period", "int", 1n, INT_MAX, 10n, 0, "repl-ping-slave-period"),
  num("list-compress-depth", "int", 0n, INT_MAX, 0n),
  num("rdb-key-save-delay", "int", INT_MIN, INT_MAX, 0n, HID),
  num("key-load-delay", "int", INT_MIN, INT_MAX, 0n, HID),
  num("active-expire-effort", "int", 1n, 10n, 1n),
  // Redis caps hz to 1..500 after accepting any non-negative int (updateHZ).
  num("hz", "int", 0n, INT_MAX, 10n, USED, null, {
    adjust: (v) => v < 1n ? 1n : v > 500n ? 500n : v,
  }),
  def("min-replicas-to-write", noMinReplicasKind, "0", 0, "min-slaves-to-write"),
  num("min-replicas-max-lag", "int", 0n, INT_MAX, 10n, 0, "min-slaves-max-lag"),
  // applyWatchdogPeriod raises a non-zero period to twice the timer period.
  num("watchdog-period", "int", 0n, INT_MAX, 0n, HID, null, {
    adjust: (v, ctx) => {
      const min = (1000n / BigInt(ctx.get("hz"))) * 2n;
      return v !== 0n && v < min ? min : v;
    },
  }),
  num("shutdown-timeout", "int", 0n, INT_MAX, 10n),
  num("repl-diskless-sync-max-replicas", "int", 0n, INT_MAX, 0n),
  num("tls-port", "int", 0n, 65535n, 0n, IMM | USED),
  num("tls-session-cache-size", "int", 0n, INT_MAX, 20480n),
  num("tls-session-cache-timeout", "int", 0n, INT_MAX, 300n),
  num("maxclients", "uint", 1n, UINT_MAX, 10000n, USED),
  num("unixsocketperm", "uint", 0n, 0o777n, 0n, IMM, null, { flags: OCTAL }),
  num("socket-mark-id", "uint", 0n, UINT_MAX, 0n, IMM),
  num("active-defrag-max-scan-fields", "ulong", 1n, LONG_MAX, 1000n),
  num("slowlog-max-len", "ulong", 0n, LONG_MAX, 128n),
  num("acllog-max-len", "ulong", 0n, LONG_MAX, 128n, USED),
  num("busy-reply-threshold", "llong", 0n, LONG_MAX, 5000n, 0, "lua-time-limit"),
  num("cluster-node-timeout", "llong", 0n, LLONG_MAX, 15000n),
  num("slowlog-log-slower-than", "llong", -1n, LLONG_MAX, 10000n),
  num("latency-monitor-threshold", "llong", 0n, LLONG_MAX, 0n),
  mem("proto-max-bulk-len", "llong", MB, LONG_MAX, 512n * MB, USED),
  num("stream-node-max-entries", "llong", 0n, LLONG_MAX, 100n),
  // resizeReplicationBacklog raises it to CONFIG_REPL_BACKLOG_MIN_SIZE.
  num("repl-backlog-size", "llong", 1n, LLONG_MAX, MB, 0, null, {
    flags: MEMORY,
    adjust: (v) => v < 16384n ? 16384n : v,
  }),
  mem("maxmemory", "ullong", 0n, ULLONG_MAX, 0n, USED),
  mem("cluster-link-sendbuf-limit", "ullong", 0n, ULLONG_MAX, 0n),
  num("hash-max-listpack-entries", "size_t", 0n, LONG_MAX, 512n, 0, "hash-max-ziplist-entries"),
  num("set-max-intset-entries", "size_t", 0n, LONG_MAX, 512n),
  num("zset-max-listpack-entries", "size_t", 0n, LONG_MAX, 128n, 0, "zset-max-ziplist-entries"),
  mem("active-defrag-ignore-bytes", "size_t", 1n, LLONG_MAX, 100n * MB, USED),
  num("hash-max-listpack-value", "size_t", 0n, LONG_MAX, 64n, 0, "hash-max-ziplist-value", {
    flags: MEMORY,
  }),
  mem("stream-node-max-bytes", "size_t", 0n, LONG_MAX, 4096n),
  num("zset-max-listpack-value", "size_t", 0n, LONG_MAX, 64n, 0, "zset-max-ziplist-value", {
    flags: MEMORY,
  }),
  mem("hll-sparse-max-bytes", "size_t", 0n, LONG_MAX, 3000n),
  num("tracking-table-max-keys", "size_t", 0n, LONG_MAX, 1000000n),
  mem("client-query-buffer-limit", "size_t", MB, LONG_MAX, 1024n * MB, USED),
  def("maxmemory-clients", noClientEvictionKind, "0"),
  num("repl-backlog-ttl", "time_t", 0n, LONG_MAX, 3600n),
  mem("auto-aof-rewrite-min-size", "off_t", 0n, LLONG_MAX, 64n * MB, USED),
  num("loading-process-events-interval-bytes", "off_t", 1024n, INT_MAX, 2n * MB, HID),
];

const SPECIALS: ParamDef[] = [
  // where RDB snapshots are written and loaded from (src/persist/)
  def("dir", dirKind, ".", PROT | USED),
  // save points: empty by default (Redis's is "3600 1 300 100 60 10000"), so a Skua started
  // without configuration writes no file it was not asked for
  { ...def("save", saveKind, "", USED), redisDefault: "3600 1 300 100 60 10000" },
  def(
    "client-output-buffer-limit",
    clientOutputBufferLimitKind,
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    USED,
  ),
  def("oom-score-adj-values", oomScoreAdjValuesKind, "0 200 800"),
  def("notify-keyspace-events", notifyKeyspaceEventsKind, ""),
  // Skua listens on loopback unless told otherwise; Redis's default is "* -::*". Bound once at
  // startup: CONFIG SET (say, back to loopback) is refused rather than reported and not done.
  { ...def("bind", bindKind, "127.0.0.1", IMM | USED), redisDefault: "* -::*" },
  def("replicaof", noReplicaofKind, "", IMM, "slaveof"),
  def("latency-tracking-info-percentiles", latencyPercentilesKind, "50 99 99.9"),
];

/** All parameters, canonical entries only. */
export const PARAMS: readonly ParamDef[] = [...BOOLS, ...STRINGS, ...ENUMS, ...INTS, ...SPECIALS];

/** A name CONFIG GET/SET knows: a canonical name or an alias, and the parameter behind it. */
export interface ParamEntry {
  readonly name: string;
  readonly def: ParamDef;
  readonly isAlias: boolean;
}

/** Canonical names then aliases, in table order: what a `*` pattern walks. */
export const ENTRIES: readonly ParamEntry[] = [
  ...PARAMS.map((d) => ({ name: d.name, def: d, isAlias: false })),
  ...PARAMS.filter((d) => d.alias !== null).map((d) => ({
    name: d.alias!,
    def: d,
    isAlias: true,
  })),
];

const BY_NAME = new Map<string, ParamEntry>(ENTRIES.map((e) => [e.name, e]));

/** Case-insensitive lookup of a canonical name or alias, like Redis's config dict. */
export function lookupEntry(name: string): ParamEntry | undefined {
  return BY_NAME.get(asciiLower(name));
}

export function lookupParam(name: string): ParamDef | undefined {
  return lookupEntry(name)?.def;
}
