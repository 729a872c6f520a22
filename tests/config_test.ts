import assert from "node:assert/strict";
import {
  ConfigError,
  configSetPairs,
  ConfigStore,
  ENTRIES,
  HELP_TEXT,
  loadConfig,
  lookupParam,
  PARAMS,
  VERSION,
} from "../src/config/mod.ts";
import { globMatch } from "../src/util/glob.ts";

// ---- helpers ---------------------------------------------------------------------------

/** loadConfig with an in-memory file system. */
function load(
  args: string[],
  env: Record<string, string> = {},
  files: Record<string, string> = {},
) {
  return loadConfig(args, env, (p) => files[p] ?? null);
}

function loadError(
  args: string[],
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): string {
  try {
    load(args, env, files);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
    assert.ok(!e.message.includes("\n"), "message must be one line");
    return e.message;
  }
  throw new Error("expected a ConfigError");
}

function setErr(store: ConfigStore, ...args: string[]): string | null {
  const pairs = configSetPairs(args);
  if (typeof pairs === "string") return pairs;
  const err = store.validate(pairs);
  if (err === null) store.apply(pairs);
  return err;
}

/** What `appendonly` allows (a bool), and `save`'s format. */
const NO_AOF = "yes or no";
const SAVE_FORMAT =
  'pairs "<seconds> <changes>" (seconds >= 1, changes >= 0), e.g. "3600 1 300 100", or "" for none';

const failed = (name: string, err: string) =>
  `ERR CONFIG SET failed (possibly related to argument '${name}') - ${err}`;

// ---- glob ------------------------------------------------------------------------------

Deno.test("globMatch follows Redis stringmatchlen", () => {
  const cases: [string, string, boolean, boolean][] = [
    ["*", "anything", false, true],
    ["*", "", false, false], // stringmatchlen("*", "") is 0; KEYS special-cases "*"
    ["h?llo", "hello", false, true],
    ["h?llo", "hllo", false, false],
    ["h*llo", "heeeello", false, true],
    ["h[ae]llo", "hallo", false, true],
    ["h[ae]llo", "hillo", false, false],
    ["h[^e]llo", "hallo", false, true],
    ["h[^e]llo", "hello", false, false],
    ["h[a-b]llo", "hbllo", false, true],
    ["h[b-a]llo", "hallo", false, true], // reversed range
    ["h\\*llo", "h*llo", false, true],
    ["h\\*llo", "hello", false, false],
    ["[\\]]", "]", false, true],
    ["a[", "a", false, false],
    ["a[b", "ab", false, true], // unterminated class closes at the end
    ["a\\", "a\\", false, true], // trailing backslash is literal
    ["*a*b*c*", "xxaxxbxxcxx", false, true],
    ["*a*b*c*", "xxaxxcxxbxx", false, false],
    ["PORT", "port", true, true],
    ["PORT", "port", false, false],
    ["[A-Z]ort", "port", true, true],
    ["[a-\xff]", "\x00", false, true], // bytes >= 0x80 compare as negative chars
    ["[a-\xff]", "b", false, false],
    ["a" + "*".repeat(2000) + "b", "ab", false, true],
  ];
  for (const [p, s, nocase, want] of cases) {
    assert.equal(globMatch(p, s, nocase), want, `${JSON.stringify(p)} ~ ${JSON.stringify(s)}`);
  }
  // More than 1000 nested stars never match.
  assert.equal(globMatch("*a".repeat(1100), "a".repeat(1100) + "b", false), false);
});

// ---- loadConfig ------------------------------------------------------------------------

Deno.test("loadConfig defaults", () => {
  const c = load([]);
  assert.equal(c.port, 6379);
  assert.equal(c.bind, "127.0.0.1");
  assert.equal(c.shards, Math.min(256, Math.max(1, navigator.hardwareConcurrency)));
  assert.equal(c.io, "auto");
  assert.equal(c.dir, ".");
  assert.equal(c.databases, 16);
  assert.equal(c.loglevel, "notice");
  assert.equal(c.configFile, null);
  assert.equal(c.params.size, 0);
  assert.equal(c.help, false);
  assert.equal(c.version, false);
});

Deno.test("loadConfig precedence: flags > env > file > defaults", () => {
  const files = {
    "skua.toml": 'port = 6001\nmaxmemory = "1gb"\nshards = 2\nio = "listen"\nloglevel = "debug"\n' +
      "databases = 4\n",
  };
  const fileOnly = load([], {}, files);
  assert.equal(fileOnly.configFile, "skua.toml");
  assert.deepEqual(
    [fileOnly.port, fileOnly.shards, fileOnly.io, fileOnly.loglevel, fileOnly.databases],
    [6001, 2, "listen", "debug", 4],
  );
  assert.equal(fileOnly.params.get("maxmemory"), "1073741824");

  const env = { SKUA_PORT: "6002", SKUA_MAXMEMORY: "2mb", SKUA_SHARDS: "3", HOME: "/x" };
  const envOver = load([], env, files);
  assert.deepEqual([envOver.port, envOver.shards, envOver.io], [6002, 3, "listen"]);
  assert.equal(envOver.params.get("maxmemory"), String(2 * 1024 * 1024));

  const flags = load(["--port", "6003", "--maxmemory=3k", "--io", "uring"], env, files);
  assert.deepEqual([flags.port, flags.shards, flags.io, flags.loglevel], [
    6003,
    3,
    "uring",
    "debug",
  ]);
  assert.equal(flags.params.get("maxmemory"), "3000");
  assert.equal(flags.params.get("port"), "6003");
});

Deno.test("loadConfig sources: names, aliases, multi-word values", () => {
  const c = load(
    ["--oom-score-adj-values", "0", "100", "900", "--SLAVE-PRIORITY", "7", "--bind", "* -::*"],
    {
      SKUA_PROTO_MAX_BULK_LEN: "1mb",
      SKUA_SERVER_CPULIST: "0-3",
      SKUA_HASH_MAX_ZIPLIST_ENTRIES: "9",
    },
    {
      "my.toml":
        'oom-score-adj-values = ["0 10", "20"]\ndynamic-hz = false\nlatency-tracking-info-percentiles = [50, 99.9]\n',
    },
  );
  assert.equal(c.configFile, null); // no --config and no skua.toml
  const f = load(["--config", "my.toml"], {}, {
    "my.toml":
      'oom-score-adj-values = ["0 10", "20"]\ndynamic-hz = false\nlatency-tracking-info-percentiles = [50, 99.9]\n',
  });
  assert.equal(f.configFile, "my.toml");
  assert.equal(f.params.get("oom-score-adj-values"), "0 10 20");
  assert.equal(f.params.get("dynamic-hz"), "no");
  assert.equal(f.params.get("latency-tracking-info-percentiles"), "50 99.9");
  assert.equal(c.params.get("oom-score-adj-values"), "0 100 900");
  assert.equal(c.params.get("replica-priority"), "7");
  assert.equal(c.params.get("proto-max-bulk-len"), "1048576");
  assert.equal(c.params.get("server_cpulist"), "0-3");
  assert.equal(c.params.get("hash-max-listpack-entries"), "9");
  assert.equal(c.bind, "0.0.0.0");
  assert.equal(load(["--bind", "-::1 10.0.0.1"]).bind, "::1");
  assert.equal(load(["--bind", ""]).bind, "0.0.0.0");
  assert.equal(load(["--bind", "10.1.2.3 127.0.0.1"]).bind, "10.1.2.3");
  assert.equal(load(["--loglevel", "NOTHING"]).loglevel, "nothing");
  assert.equal(load(["--list-max-listpack-size", "-1"]).params.get("list-max-listpack-size"), "-1");
});

Deno.test("loadConfig --help and --version skip everything else", () => {
  const h = load(["-h", "--port", "x"], { SKUA_NOPE: "1" });
  assert.equal(h.help, true);
  assert.equal(load(["--version"]).version, true);
  assert.equal(load(["--bogus", "-v"]).version, true);
  assert.equal(VERSION, "0.1.0");
  assert.ok(HELP_TEXT.includes("--port") && HELP_TEXT.includes("SKUA_"));
});

Deno.test("loadConfig error paths", () => {
  const inv = (key: string, value: string, allowed: string, source: string) =>
    `invalid value for '${key}': ${JSON.stringify(value)} (allowed: ${allowed}) in ${source}`;
  const int = (lo: number, hi: number) => `an integer ${lo}..${hi}`;
  const policies = "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, " +
    "allkeys-lfu, allkeys-random, noeviction";
  // deno-fmt-ignore
  const flagCases: [string[], string][] = [
    [["--port", "abc"], inv("port", "abc", int(0, 65535), "--port")],
    [["--maxmemory", "1.5gb"], inv("maxmemory", "1.5gb", "a byte count 0..18446744073709551615 (units k kb m mb g gb)", "--maxmemory")],
    [["--appendonly", "maybe"], inv("appendonly", "maybe", NO_AOF, "--appendonly")],
    [["--maxmemory-policy", "lru"], inv("maxmemory-policy", "lru", `one of ${policies}`, "--maxmemory-policy")],
    [["--databases", "0"], inv("databases", "0", int(1, 2147483647), "--databases")],
    [["--save", "0 1"], inv("save", "0 1", SAVE_FORMAT, "--save")],
    [["--slaveof", "host"], inv("replicaof", "host", '"no one" (Skua has no replication yet)', "--slaveof")],
    [["--dir", "/nonexistent/skua"], inv("dir", "/nonexistent/skua", "an existing directory", "--dir")],
    [["--shards", "0"], inv("shards", "0", int(1, 256), "--shards")],
    [["--io", "epoll"], inv("io", "epoll", "one of auto, uring, listen", "--io")],
    [["--prot", "1"], "unknown config key 'prot' on the command line"],
    [["-p", "1"], "unknown config key 'p' on the command line"],
    [["--port"], "missing value for '--port' on the command line"],
    [["--port", "--bind", "x"], "missing value for '--port' on the command line"],
    [["6380"], "unexpected argument '6380' on the command line"],
    [["--port", "1", "--appendonly", "yes", "x"], inv("appendonly", "yes x", NO_AOF, "--appendonly")],
    [["--", "x"], "unexpected argument '--' on the command line"],
    [["--config", "missing.toml"], "config file 'missing.toml' not found (given with --config)"],
  ];
  for (const [args, want] of flagCases) assert.equal(loadError(args), want, args.join(" "));
  const envCases: [Record<string, string>, string][] = [
    [{ SKUA_PORT: "70000" }, inv("port", "70000", int(0, 65535), "SKUA_PORT")],
    [{ SKUA_SHARDS: "257" }, inv("shards", "257", int(1, 256), "SKUA_SHARDS")],
    [{ SKUA_PROT: "1" }, "unknown config key 'SKUA_PROT' in the environment"],
  ];
  for (const [env, want] of envCases) assert.equal(loadError([], env), want);
  const tomlType = (what: string, key: string) =>
    `invalid value for '${key}': ${what} (allowed: a string, number, boolean or a list of them) ` +
    "in skua.toml";
  // deno-fmt-ignore
  const fileCases: [string, string][] = [
    ["port = -1", inv("port", "-1", int(0, 65535), "skua.toml")],
    ["shards = 1.5", inv("shards", "1.5", int(1, 256), "skua.toml")],
    ["prot = 1", "unknown config key 'prot' in skua.toml"],
    ["[server]\nport = 1", "unknown config key 'server' in skua.toml"],
    ['"a\\nb" = 1', "unknown config key 'a\\nb' in skua.toml"],
    ["bind = [[1]]", tomlType("a nested list", "bind")],
    ["dbfilename = 1979-05-27", tomlType("a TOML date", "dbfilename")],
    ["port = = 1", "invalid TOML in skua.toml at line 1, column 8: Invalid TOML document: invalid value"],
  ];
  for (const [text, want] of fileCases) {
    assert.equal(loadError([], {}, { "skua.toml": text }), want, text);
  }
});

Deno.test("loadConfig reads real files by default and resolves dir", () => {
  const tmp = Deno.makeTempDirSync();
  try {
    const path = `${tmp}/x.toml`;
    Deno.writeTextFileSync(path, `dir = "${tmp}"\nport = 7000\n`);
    const c = loadConfig(["--config", path], {});
    assert.equal(c.configFile, path);
    assert.equal(c.dir, tmp);
    assert.equal(c.params.get("dir"), Deno.realPathSync(tmp));
    assert.equal(c.port, 7000);
    assert.throws(() => loadConfig(["--config", `${tmp}/nope.toml`], {}), ConfigError);
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

// ---- ConfigStore: memory units, GET, SET -------------------------------------------------

Deno.test("memory units are case-insensitive and reported as bytes", () => {
  const s = new ConfigStore();
  // value -> bytes; strtoull saturates and the unit multiplication wraps, as in Redis.
  // deno-fmt-ignore
  const cases = Object.entries({
    "1": "1", "1b": "1", "1k": "1000", "1K": "1000", "1kb": "1024", "1Kb": "1024", "2m": "2000000",
    "2mb": "2097152", "3g": "3000000000", "3GB": "3221225472", "": "0",
    "99999999999999999999999": "18446744073709551615", "17179869184gb": "0",
  });
  for (const [v, want] of cases) {
    assert.equal(setErr(s, "maxmemory", v), null, v);
    assert.equal(s.value("maxmemory"), want, v);
  }
  for (const v of ["1.5mb", "1 mb", "-1", "+5", "0x10", "1kbb", "1t"]) {
    assert.equal(setErr(s, "maxmemory", v), failed("maxmemory", "argument must be a memory value"));
  }
  assert.deepEqual(new ConfigStore(new Map([["maxmemory", "1gb"]])).get(["maxmemory"]), [[
    "maxmemory",
    "1073741824",
  ]]);
  assert.throws(() => new ConfigStore(new Map([["maxmemory", "x"]])), ConfigError);
  assert.throws(() => new ConfigStore(new Map([["nosuch", "x"]])), ConfigError);
});

Deno.test("CONFIG GET patterns", () => {
  const s = new ConfigStore(new Map([["port", "7777"]]));
  const names = (pats: string[]) => s.get(pats).map(([n]) => n);
  assert.deepEqual(s.get(["port"]), [["port", "7777"]]);
  assert.deepEqual(s.get(["PORT"]), [["PORT", "7777"]]); // exact names keep the typed case
  assert.deepEqual(s.get(["P?RT"]), [["port", "7777"]]);
  assert.deepEqual(s.get(["port", "PORT", "p*t"]), [["port", "7777"]]);
  assert.deepEqual(s.get(["nosuch"]), []);
  assert.deepEqual(s.get(["nosuch*"]), []);
  assert.deepEqual(s.get(["port\\"]), []);
  assert.deepEqual(s.get(["hash-max-ziplist-entries"]), [["hash-max-ziplist-entries", "512"]]);
  assert.deepEqual(names(["hash-max-*-entries"]).sort(), [
    "hash-max-listpack-entries",
    "hash-max-ziplist-entries",
  ]);
  assert.deepEqual(names(["slaveof", "replicaof"]), ["slaveof", "replicaof"]);
  const max = names(["*max*"]);
  assert.ok(max.includes("maxmemory") && max.includes("proto-max-bulk-len"));
  assert.ok(max.every((n) => n.includes("max")));
  assert.deepEqual(names(["maxmemory", "timeout", "hz"]), ["maxmemory", "timeout", "hz"]);
  // Hidden parameters answer exact names only.
  assert.deepEqual(s.get(["key-load-delay"]), [["key-load-delay", "0"]]);
  assert.deepEqual(s.get(["key-load-*"]), []);
  const all = names(["*"]);
  assert.equal(all.length, ENTRIES.filter((e) => !e.def.hidden).length);
  assert.equal(new Set(all).size, all.length);
  assert.deepEqual(s.get([]), []);
});

Deno.test("CONFIG SET error texts (Redis 7.0.15)", () => {
  const s = new ConfigStore();
  // deno-fmt-ignore
  const cases: [string[], string | null][] = [
    [["maxmemory", "abc"], failed("maxmemory", "argument must be a memory value")],
    [["MAXMEMORY", "abc"], failed("maxmemory", "argument must be a memory value")],
    [["nosuch", "1"], "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"],
    [["port", "1", "maxmemory"], "ERR syntax error"],
    [["maxmemory", "1", "maxmemory", "2"], failed("maxmemory", "duplicate parameter")],
    [["maxmemory", "1", "MAXMEMORY", "2"], failed("MAXMEMORY", "duplicate parameter")],
    [["hash-max-ziplist-entries", "1", "hash-max-listpack-entries", "2"], null],
    [["daemonize", "yes"], failed("daemonize", "can't set immutable config")],
    [["SLAVEOF", "no one"], failed("SLAVEOF", "can't set immutable config")],
    [["dir", "/tmp"], failed("dir", "can't set protected config")],
    [["nosuch", "1", "daemonize", "yes"], "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"],
    [["daemonize", "yes", "nosuch", "1"], failed("daemonize", "can't set immutable config")],
    [["maxmemory", "abc", "appendonly", "x"], failed("maxmemory", "argument must be a memory value")],
    [["Hash-Max-Ziplist-Entries", "x"], failed("hash-max-ziplist-entries", "argument couldn't be parsed into an integer")],
    [["maxmemory-policy", "foo"], failed("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")],
    [["appendonly", "maybe"], failed("appendonly", "argument must be 'yes' or 'no'")],
    // Skua binds once at startup (Redis would rebind): refused rather than not done
    [["port", "70000"], failed("port", "can't set immutable config")],
    [["maxclients", "-1"], failed("maxclients", "argument must be between 1 and 4294967295 inclusive")],
    [["proto-max-bulk-len", "1000"], failed("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive")],
    [["maxmemory-clients", "101%"], failed("maxmemory-clients", "percentage argument must be less or equal to 100")],
    [["maxmemory-clients", "-5"], failed("maxmemory-clients", "argument must be a memory or percent value")],
    [["save", "3600 1 300"], failed("save", "Invalid save parameters")],
    [["client-output-buffer-limit", "master 1 1 1"], failed("client-output-buffer-limit", "Invalid client class specified in buffer limit configuration.")],
    [["notify-keyspace-events", "Q"], failed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")],
    [["oom-score-adj-values", "0 200"], failed("oom-score-adj-values", "wrong number of arguments")],
    [["bind", Array.from({ length: 17 }, (_, i) => `10.0.0.${i}`).join(" ")], failed("bind", "can't set immutable config")],
    [["shutdown-on-sigint", "save nosave"], failed("shutdown-on-sigint", "shutdown options SAVE and NOSAVE can't be used simultaneously")],
    [["proc-title-template", "{title}"], failed("proc-title-template", "template format is invalid or contains unknown variables")],
    [["latency-tracking-info-percentiles", "101"], failed("latency-tracking-info-percentiles", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")],
    [["cluster-announce-hostname", "a_b"], failed("cluster-announce-hostname", "Hostnames may only contain alphanumeric characters, hyphens or dots")],
  ];
  for (const [args, want] of cases) assert.equal(setErr(s, ...args), want, args.join(" "));
});

Deno.test("CONFIG SET normalizes, applies atomically and reports changes", () => {
  const s = new ConfigStore();
  const changes: [string, string][] = [];
  s.onChange = (n, v) => changes.push([n, v]);
  assert.equal(
    setErr(s, "maxmemory", "1mb", "hz", "1000", "maxmemory-policy", "ALLKEYS-LRU"),
    null,
  );
  const first = [["maxmemory", "1048576"], ["hz", "500"], ["maxmemory-policy", "allkeys-lru"]];
  assert.deepEqual(changes, first);
  // A failing pair leaves every value untouched.
  assert.notEqual(setErr(s, "maxmemory", "2mb", "appendonly", "x"), null);
  assert.equal(s.value("maxmemory"), "1048576");
  // Same value again: no change reported. Aliases report the canonical name.
  changes.length = 0;
  assert.equal(setErr(s, "maxmemory", "1048576", "slave-read-only", "no"), null);
  assert.deepEqual(changes, [["replica-read-only", "no"]]);
  assert.equal(s.value("SLAVE-READ-ONLY"), "no");
  assert.equal(s.value("nosuch"), undefined);
  // deno-fmt-ignore
  const expectations: [string, string, string][] = [
    ["notify-keyspace-events", "KEmn", "nKEm"],
    ["notify-keyspace-events", "AKEmn", "AKEm"],
    ["oom-score-adj", "NO", "no"],
    ["save", "", ""],
    ["client-output-buffer-limit", "REPLICA 1k 1kb 1", "normal 0 0 0 slave 1000 1024 1 pubsub 33554432 8388608 60"],
    ["maxmemory-clients", "0%", "0"],
    ["latency-tracking-info-percentiles", "1e1 0.0000001 .5 5. 0x10", "10 0 0.5 5 16"],
    ["shutdown-on-sigterm", "FORCE now", "now force"],
    ["repl-backlog-size", "1", "16384"],
    ["hz", "0", "1"],
  ];
  for (const [name, v, want] of expectations) {
    assert.equal(setErr(s, name, v), null, `${name} ${v}`);
    assert.equal(s.value(name), want, `${name} ${v}`);
  }
});

Deno.test("protected configs follow enable-protected-configs", () => {
  const tmp = Deno.realPathSync(Deno.makeTempDirSync());
  try {
    const yes = new ConfigStore(new Map([["enable-protected-configs", "yes"]]));
    assert.equal(setErr(yes, "dir", tmp), null);
    assert.equal(yes.value("dir"), tmp);
    assert.equal(setErr(yes, "dir", `${tmp}/nope`), failed("dir", "No such file or directory"));
    assert.equal(
      setErr(yes, "dbfilename", "a/b.rdb"),
      failed("dbfilename", "dbfilename can't be a path, just a filename"),
    );
    const local = new ConfigStore(new Map([["enable-protected-configs", "local"]]));
    assert.equal(local.validate([["dbfilename", "x.rdb"]], true), null);
    assert.equal(
      local.validate([["dbfilename", "x.rdb"]], false),
      failed("dbfilename", "can't set protected config"),
    );
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

Deno.test("parameter table metadata", () => {
  assert.equal(new Set(PARAMS.map((d) => d.name)).size, PARAMS.length);
  assert.equal(lookupParam("slaveof"), lookupParam("replicaof"));
  assert.equal(lookupParam("hash-max-ziplist-entries")?.name, "hash-max-listpack-entries");
  assert.equal(lookupParam("lua-time-limit")?.name, "busy-reply-threshold");
  const used = PARAMS.filter((d) => d.used).map((d) => d.name).sort();
  // deno-fmt-ignore
  assert.deepEqual(used, [
    "acl-pubsub-default", "aclfile", "acllog-max-len",
    "active-defrag-cycle-max", "active-defrag-cycle-min", "active-defrag-ignore-bytes",
    "active-defrag-threshold-lower", "active-defrag-threshold-upper", "activedefrag",
    "aof-load-truncated", "aof-use-rdb-preamble", "appenddirname", "appendfilename", "appendfsync",
    "appendonly", "auto-aof-rewrite-min-size", "auto-aof-rewrite-percentage", "bind",
    "client-output-buffer-limit", "client-query-buffer-limit", "databases", "dbfilename", "dir",
    "enable-debug-command", "enable-protected-configs", "hz", "lazyfree-lazy-eviction",
    "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "lazyfree-lazy-user-del",
    "lazyfree-lazy-user-flush", "lfu-decay-time", "lfu-log-factor", "logfile", "loglevel", "maxclients",
    "maxmemory", "maxmemory-eviction-tenacity", "maxmemory-policy", "maxmemory-samples", "pidfile", "port",
    "protected-mode", "proto-max-bulk-len", "rdbchecksum", "rdbcompression", "requirepass", "save",
    "shutdown-on-sigint", "shutdown-on-sigterm", "stop-writes-on-bgsave-error",
    "tcp-backlog", "tcp-keepalive", "timeout",
    "tls-auth-clients", "tls-ca-cert-dir", "tls-ca-cert-file", "tls-cert-file", "tls-key-file", "tls-port",
    "tls-protocols",
  ]);
  assert.equal(lookupParam("maxmemory")?.type, "memory");
  assert.equal(lookupParam("daemonize")?.immutable, true);
  assert.equal(lookupParam("requirepass")?.sensitive, true);
});

Deno.test("config: requirepass acts (the default user's password, checked by AUTH)", () => {
  const s = new ConfigStore();
  assert.equal(setErr(s, "requirepass", "secret"), null);
  assert.equal(setErr(s, "requirepass", ""), null);
  assert.equal(lookupParam("requirepass")?.used, true);
  assert.equal(
    new ConfigStore(new Map([["requirepass", "secret"]])).value("requirepass"),
    "secret",
  );
});

Deno.test("config: appendonly is accepted now that the AOF acts; save schedules act", () => {
  const s = new ConfigStore();
  // Redis's default schedule is not Skua's: a Skua started bare writes no file
  assert.equal(s.value("save"), "");
  assert.equal(lookupParam("save")?.redisDefault, "3600 1 300 100 60 10000");
  assert.equal(setErr(s, "appendonly", "yes"), null);
  assert.equal(s.value("appendonly"), "yes");
  assert.equal(
    setErr(s, "appendonly", "maybe"),
    failed("appendonly", "argument must be 'yes' or 'no'"),
  );
  assert.equal(setErr(s, "save", "3600 1"), null);
  assert.equal(s.value("save"), "3600 1");
  assert.equal(setErr(s, "save", "+10 +5"), null);
  assert.equal(s.value("save"), "10 5");
  assert.equal(setErr(s, "save", "3600"), failed("save", "Invalid save parameters"));
  assert.equal(setErr(s, "appendonly", "no"), null);
  assert.equal(setErr(s, "save", ""), null);
  assert.equal(s.value("appendonly"), "no");
  // every source: flags, environment, config file
  assert.equal(load(["--appendonly", "yes"]).params.get("appendonly"), "yes");
  assert.equal(load(["--save", "3600 1"]).params.get("save"), "3600 1");
  assert.equal(load([], { SKUA_APPENDONLY: "yes" }).params.get("appendonly"), "yes");
  assert.equal(load(["--save", "", "--appendonly", "no"]).params.get("save"), "");
});

Deno.test("config: other promises Skua cannot keep yet are refused, not stored", () => {
  const s = new ConfigStore();
  // deno-fmt-ignore
  const cases: [string[], string][] = [
    [["min-replicas-to-write", "1"], "min-replicas-to-write is not supported yet: Skua has no replication, writes could not wait for replicas"],
    [["min-slaves-to-write", "2"], "min-replicas-to-write is not supported yet: Skua has no replication, writes could not wait for replicas"],
    [["maxmemory-clients", "10%"], "maxmemory-clients is not supported yet: Skua has no client eviction, no client would be evicted"],
    [["maxmemory-clients", "1mb"], "maxmemory-clients is not supported yet: Skua has no client eviction, no client would be evicted"],
    [["port", "7000"], "can't set immutable config"],
    [["bind", "127.0.0.1"], "can't set immutable config"],
  ];
  for (const [args, err] of cases) assert.equal(setErr(s, ...args), failed(args[0], err));
  for (
    const ok of [
      ["min-replicas-to-write", "0"],
      ["shutdown-on-sigterm", "nosave now"],
      ["shutdown-on-sigterm", "save"],
      ["shutdown-on-sigint", "now save"],
    ]
  ) {
    assert.equal(setErr(s, ...ok), null, ok.join(" "));
  }
  assert.match(loadError(["--replicaof", "10.0.0.1 6380"]), /replicaof.*no replication yet/);
  assert.equal(load(["--replicaof", "no one"]).params.get("replicaof"), "");
  assert.equal(lookupParam("dir")?.used, true); // RDB snapshots are written there
});

Deno.test("config: daemonize, unixsocket, supervised, oom-score-adj and syslog are refused", () => {
  // immutable ones are refused at load (flags, environment, file); oom-score-adj by CONFIG SET too
  // deno-fmt-ignore
  const cases: [string[], RegExp][] = [
    [["--daemonize", "yes"], /'daemonize'.*"yes".*Skua runs in the foreground/],
    [["--unixsocket", "/tmp/skua.sock"], /'unixsocket'.*Skua listens on TCP only/],
    [["--supervised", "systemd"], /'supervised'.*"systemd".*Skua sends no readiness notification/],
    [["--supervised", "auto"], /'supervised'.*"auto".*no readiness notification/],
    [["--oom-score-adj", "yes"], /'oom-score-adj'.*"yes".*does not change its OOM score/],
    [["--syslog-enabled", "yes"], /'syslog-enabled'.*"yes".*logs to stdout or logfile/],
  ];
  for (const [args, err] of cases) assert.match(loadError(args), err, args.join(" "));
  // the values that promise nothing still load, and Redis's own validation still comes first
  const ok = load([
    ...["--daemonize", "no", "--unixsocket", "", "--supervised", "no"],
    ...["--oom-score-adj", "no", "--syslog-enabled", "no"],
  ]);
  assert.equal(ok.params.get("daemonize"), "no");
  assert.match(loadError(["--supervised", "sometimes"]), /supervised/);
  const s = new ConfigStore();
  assert.match(setErr(s, "oom-score-adj", "absolute") ?? "", /oom-score-adj is not supported yet/);
  assert.equal(setErr(s, "oom-score-adj", "no"), null);
  for (const name of ["logfile", "pidfile", "tcp-backlog"]) {
    assert.equal(lookupParam(name)?.used, true, `${name} acts`);
  }
});
