/**
 * INFO. Every shard reports its own numbers (a JSON bulk, internal to the fold); the fold on
 * the client's shard adds them up and renders Redis's text format.
 */
import type { Ctx, MemoryReport } from "../context.ts";
import type { ReplyWriter } from "../../resp/writer.ts";
import { latin1 } from "../../util/bytes.ts";
import { readReply } from "../../resp/reply_reader.ts";
import { REDIS_VERSION, SKUA_VERSION } from "../../util/version.ts";
import process from "node:process";

interface ShardReport {
  sections: string[];
  shard: number;
  slots: [number, number];
  keys: number[];
  expires: number[];
  avgTtl: number[];
  connections: number;
  /** client_recent_max_input_buffer and client_recent_max_output_buffer of this shard */
  recentBuffers: [number, number];
  stats: Record<string, number>;
  /**
   * the mesh: forwarded requests, transactions, lock waits, parks and wakes, big values lent
   * and held by address (INFO shards)
   */
  mesh: Record<string, number>;
  heap: number;
  rss: number;
  mem: MemoryReport;
  server: Record<string, string | number>;
  config: Record<string, string>;
  /** INFO persistence (the same on every shard: src/persist/state.ts) */
  persistence: string[];
}

const DEFAULT = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "cluster",
  "keyspace",
];
const ALL = [...DEFAULT, "shards"];

const runId = Array.from(
  crypto.getRandomValues(new Uint8Array(20)),
  (b) => b.toString(16).padStart(2, "0"),
).join("");

function wantedSections(argv: Uint8Array[], argc: number): string[] {
  if (argc === 1) return DEFAULT;
  const out = new Set<string>();
  for (let i = 1; i < argc; i++) {
    const s = latin1(argv[i]).toLowerCase();
    if (s === "all" || s === "everything") { for (const x of ALL) out.add(x); }
    else if (s === "default") { for (const x of DEFAULT) out.add(x); }
    else out.add(s);
  }
  return ALL.filter((s) => out.has(s));
}

/** INFO [section ...]: this shard's report (a JSON bulk, read only by the fold). */
export function infoPart(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const sh = ctx.shard;
  const st = sh.stats;
  const mem = Deno.memoryUsage();
  const r: ShardReport = {
    sections: wantedSections(argv, argc),
    shard: sh.id,
    slots: sh.slots.range(sh.id),
    keys: sh.dbs.map((d) => d.size),
    expires: sh.dbs.map((d) => d.volatileCount),
    avgTtl: sh.dbs.map((d) => d.avgTtl(ctx.now)),
    connections: sh.clientCount,
    recentBuffers: sh.recentClientBuffers(),
    stats: {
      total_connections_received: st.connectionsReceived,
      total_commands_processed: st.commands,
      total_net_input_bytes: st.netInput,
      total_net_output_bytes: st.netOutput,
      rejected_connections: st.rejectedConnections,
      expired_keys: sh.expiredKeys() - st.expiredKeysBase,
      keyspace_hits: st.keyspaceHits,
      keyspace_misses: st.keyspaceMisses,
    },
    mesh: {
      forwarded: st.forwarded,
      transactions: st.transactions,
      split_commands: st.splitCommands,
      single_hop: st.singleHop,
      stacked_hops: st.stackedHops,
      lock_waits: st.lockWaits,
      deferred: st.deferred,
      parks: sh.meshParks,
      wakes: sh.meshWakes,
      lent: sh.meshLent,
      held: sh.meshHeld,
    },
    heap: mem.heapUsed,
    rss: mem.rss,
    mem: sh.memoryReport(),
    server: {
      tcp_port: sh.server.port,
      shards: sh.n,
      io_engine: sh.server.io,
      executable: sh.server.executable,
      config_file: sh.server.configFile ?? "",
      uptime: Math.floor((ctx.now - sh.server.startedAt) / 1000),
    },
    config: {
      hz: sh.config.value("hz") ?? "10",
      maxclients: sh.config.value("maxclients") ?? "10000",
      maxmemory: sh.config.value("maxmemory") ?? "0",
      "maxmemory-policy": sh.config.value("maxmemory-policy") ?? "noeviction",
    },
    // Redis writes the loading_* progress last, and only while loading
    persistence: sh.persistence.state.loading
      ? [...sh.persistence.infoLines(ctx.now), ...sh.persistence.state.loadingLines(ctx.now)]
      : sh.persistence.infoLines(ctx.now),
  };
  ctx.w.bulkStr(JSON.stringify(r));
}

function human(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ["K", "M", "G", "T"];
  let v = n / 1024, u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)}${units[u]}`;
}

function render(reps: ShardReport[]): string {
  const r0 = reps[0];
  const sum = (f: (r: ShardReport) => number) => reps.reduce((a, r) => a + f(r), 0);
  const stat = (k: string) => sum((r) => r.stats[k] ?? 0);
  const now = Date.now();
  const cpu = process.cpuUsage();
  const sections: Record<string, () => string[]> = {
    server: () => [
      `redis_version:${REDIS_VERSION}`,
      `skua_version:${SKUA_VERSION}`,
      "redis_git_sha1:00000000",
      "redis_git_dirty:0",
      "redis_mode:standalone",
      `os:${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
      "arch_bits:64",
      `multiplexing_api:${r0.server.io_engine}`,
      `process_id:${Deno.pid}`,
      "process_supervised:no",
      `run_id:${runId}`,
      `tcp_port:${r0.server.tcp_port}`,
      `server_time_usec:${now * 1000}`,
      `uptime_in_seconds:${r0.server.uptime}`,
      `uptime_in_days:${Math.floor(Number(r0.server.uptime) / 86400)}`,
      `hz:${r0.config.hz}`,
      `configured_hz:${r0.config.hz}`,
      `executable:${r0.server.executable}`,
      `config_file:${r0.server.config_file}`,
      `io_engine:${r0.server.io_engine}`,
      `shards:${r0.server.shards}`,
    ],
    persistence: () => r0.persistence,
    clients: () => [
      `connected_clients:${sum((r) => r.connections)}`,
      "cluster_connections:0",
      `maxclients:${r0.config.maxclients}`,
      `client_recent_max_input_buffer:${Math.max(...reps.map((r) => r.recentBuffers[0]))}`,
      `client_recent_max_output_buffer:${Math.max(...reps.map((r) => r.recentBuffers[1]))}`,
      "blocked_clients:0",
      "tracking_clients:0",
      "clients_in_timeout_table:0",
    ],
    memory: () => {
      const m = (f: (x: MemoryReport) => number) => sum((r) => f(r.mem));
      const used = m((x) => x.used), peak = m((x) => x.peak), startup = m((x) => x.startup);
      const dataset = m((x) => x.dataset), overhead = m((x) => x.overhead);
      const live = m((x) => x.arenaLive), committed = m((x) => x.arenaCommitted);
      const rss = r0.rss;
      const heap = sum((r) => r.heap);
      const max = Number(r0.config.maxmemory);
      const pct = (a: number, b: number) => (b > 0 ? (a * 100) / b : 0).toFixed(2) + "%";
      const ratio = (a: number, b: number) => (b > 0 ? a / b : 0).toFixed(2);
      const system = Deno.systemMemoryInfo().total;
      return [
        `used_memory:${used}`,
        `used_memory_human:${human(used)}`,
        `used_memory_rss:${rss}`,
        `used_memory_rss_human:${human(rss)}`,
        `used_memory_peak:${peak}`,
        `used_memory_peak_human:${human(peak)}`,
        `used_memory_peak_perc:${pct(used, peak)}`,
        `used_memory_overhead:${overhead}`,
        `used_memory_startup:${startup}`,
        `used_memory_dataset:${dataset}`,
        `used_memory_dataset_perc:${pct(dataset, used - startup)}`,
        `allocator_allocated:${live}`,
        `allocator_active:${committed}`,
        `allocator_resident:${committed}`,
        `used_memory_vm_heap:${heap}`,
        `vm_heap_collections:${m((x) => x.heapCollections)}`,
        `total_system_memory:${system}`,
        `total_system_memory_human:${human(system)}`,
        `maxmemory:${max}`,
        `maxmemory_human:${human(max)}`,
        `maxmemory_policy:${r0.config["maxmemory-policy"]}`,
        `allocator_frag_ratio:${ratio(committed, live)}`,
        `allocator_frag_bytes:${committed - live}`,
        `mem_fragmentation_ratio:${ratio(rss, used)}`,
        `mem_fragmentation_bytes:${rss - used}`,
        "mem_not_counted_for_evict:0",
        "mem_replication_backlog:0",
        "mem_clients_slaves:0",
        `mem_clients_normal:${m((x) => x.clients)}`,
        "mem_aof_buffer:0",
        "mem_allocator:skua-arena",
        `active_defrag_running:${reps.some((r) => r.mem.defragRunning) ? 1 : 0}`,
        `lazyfree_pending_objects:${m((x) => x.lazyfreePending)}`,
        `lazyfreed_objects:${m((x) => x.lazyfreed)}`,
      ];
    },
    stats: () => [
      ...[
        "total_connections_received",
        "total_commands_processed",
        "total_net_input_bytes",
        "total_net_output_bytes",
        "rejected_connections",
        "expired_keys",
      ].map((k) => `${k}:${stat(k)}`),
      `evicted_keys:${sum((r) => r.mem.evictedKeys)}`,
      `keyspace_hits:${stat("keyspace_hits")}`,
      `keyspace_misses:${stat("keyspace_misses")}`,
      `active_defrag_hits:${sum((r) => r.mem.defragHits)}`,
      `active_defrag_misses:${sum((r) => r.mem.defragMisses)}`,
    ],
    replication: () => ["role:master", "connected_slaves:0", "master_repl_offset:0"],
    cpu: () => [
      `used_cpu_sys:${(cpu.system / 1e6).toFixed(6)}`,
      `used_cpu_user:${(cpu.user / 1e6).toFixed(6)}`,
    ],
    cluster: () => ["cluster_enabled:0"],
    keyspace: () => {
      const out: string[] = [];
      for (let db = 0; db < r0.keys.length; db++) {
        const keys = sum((r) => r.keys[db]);
        if (keys === 0) continue;
        const expires = sum((r) => r.expires[db]);
        const withTtl = reps.filter((r) => r.expires[db] > 0);
        const avg = withTtl.length === 0
          ? 0
          : Math.round(withTtl.reduce((a, r) => a + r.avgTtl[db], 0) / withTtl.length);
        out.push(`db${db}:keys=${keys},expires=${expires},avg_ttl=${avg}`);
      }
      return out;
    },
    shards: () =>
      reps.map((r) =>
        `shard_${r.shard}:slots=${r.slots[0]}-${r.slots[1]},keys=${
          r.keys.reduce((a, b) => a + b, 0)
        },connections=${r.connections},used_memory=${r.mem.used},maxmemory=${r.mem.limit},${
          Object.entries(r.mesh).map(([k, v]) => `${k}=${v}`).join(",")
        }`
      ),
  };
  const blocks: string[] = [];
  for (const s of r0.sections) {
    const title = s === "cpu" ? "CPU" : s[0].toUpperCase() + s.slice(1);
    blocks.push(`# ${title}\r\n` + sections[s]().map((l) => l + "\r\n").join(""));
  }
  return blocks.join("\r\n");
}

/** INFO's fold: the shards' reports added up, rendered as Redis's text. */
export function foldInfo(parts: Uint8Array[], w: ReplyWriter): void {
  const reps: ShardReport[] = [];
  for (const p of parts) {
    if (p[0] === 45) return w.raw(p);
    reps.push(JSON.parse(latin1(readReply(p, 0)![0] as Uint8Array)));
  }
  reps.sort((a, b) => a.shard - b.shard);
  w.verbatim(render(reps));
}
