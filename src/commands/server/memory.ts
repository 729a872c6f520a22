/**
 * MEMORY USAGE / STATS / DOCTOR / PURGE / MALLOC-STATS / HELP in Redis 7.0's reply shapes,
 * over what each shard counts (context.ts MemoryReport): the arena's blocks and pages (records,
 * strings, small collections' blobs), the key indexes, the estimated large collections,
 * connection buffers. STATS, DOCTOR and PURGE run on every
 * shard; each part answers a JSON bulk (internal to the fold), the fold adds them up.
 */
import type { Ctx, MemoryReport } from "../context.ts";
import type { ReplyWriter } from "../../resp/writer.ts";
import { SYNTAX } from "../errors.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { readReply } from "../../resp/reply_reader.ts";
import { objectBytes } from "../../store/memory.ts";
import type { CollectionValue } from "../../store/types.ts";

/** A part's report: the shard's memory and its databases' sizes. */
interface Part {
  mem: MemoryReport;
  rss: number;
  /** the shard's connections */
  conns: number;
  keys: number[];
  mainBytes: number[];
  expiresBytes: number[];
}

/**
 * MEMORY USAGE key [SAMPLES count]: the bytes the key takes (its record, its bucket, its value).
 * Options as Redis's memoryCommand reads them: SAMPLES any number of times (the last counts),
 * a non-integer count is Redis's integer error, a negative one or anything else a syntax error.
 */
export function memoryUsage(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let samples = 5;
  for (let j = 3; j < argc; j++) {
    if (eqi(argv[j], "samples") && j + 1 < argc) {
      const v = parseInt64(argv[j + 1]);
      if (v === null) return ctx.w.error("ERR value is not an integer or out of range");
      if (v < 0) return ctx.w.error(SYNTAX);
      // 0: every element (Redis's LLONG_MAX)
      samples = Number(v);
      j++;
    } else return ctx.w.error(SYNTAX);
  }
  const db = ctx.db;
  // like Redis's dictFind here: a key past its TTL but not yet removed is still measured
  const r = db.find(argv[2]);
  if (r === 0) return ctx.w.nullBulk();
  // the record (key, value or handle, metadata) and its share of the bucket array
  let n = db.ks.arena.blockBytes(r) + 8;
  // a small collection: its blob's block, exactly (no sampling: the bytes are all there)
  const blob = db.blobOffset(r);
  if (blob !== 0) n += db.ks.arena.blockBytes(blob / 8);
  else if (db.isObject(r)) n += objectBytes(db.typeOf(r), db.object<CollectionValue>(r), samples);
  ctx.w.integer(n);
}

/** MEMORY STATS / DOCTOR / PURGE: this shard's part. */
export function memoryPart(ctx: Ctx, argv: Uint8Array[]): void {
  const sh = ctx.shard;
  if (eqi(argv[1], "purge")) sh.purgeMemory();
  const part: Part = {
    mem: sh.memoryReport(),
    rss: Deno.memoryUsage().rss,
    conns: sh.clientCount,
    keys: sh.dbs.map((d) => d.size),
    mainBytes: sh.dbs.map((d) => d.indexBytes),
    expiresBytes: sh.dbs.map((d) => d.vol.tableBytes),
  };
  ctx.w.bulkStr(JSON.stringify(part));
}

function readParts(parts: Uint8Array[], w: ReplyWriter): Part[] | null {
  const out: Part[] = [];
  for (const p of parts) {
    if (p[0] === 45) {
      w.raw(p);
      return null;
    }
    out.push(JSON.parse(latin1(readReply(p, 0)![0] as Uint8Array)));
  }
  return out;
}

/** The shards' reports added up. */
function total(ps: Part[]) {
  const sum = (f: (p: Part) => number) => ps.reduce((a, p) => a + f(p), 0);
  return {
    used: sum((p) => p.mem.used),
    peak: sum((p) => p.mem.peak),
    startup: sum((p) => p.mem.startup),
    overhead: sum((p) => p.mem.overhead),
    dataset: sum((p) => p.mem.dataset),
    live: sum((p) => p.mem.arenaLive),
    committed: sum((p) => p.mem.arenaCommitted),
    clients: sum((p) => p.mem.clients),
    rss: ps.length > 0 ? ps[0].rss : 0,
    conns: sum((p) => p.conns),
    keys: sum((p) => p.keys.reduce((a, b) => a + b, 0)),
  };
}

/** A MEMORY STATS value: an integer, a double, or a nested map (db.N). */
type Stat = { int: number } | { dbl: number } | { map: [string, Stat][] };

const int = (v: number): Stat => ({ int: Math.round(v) });
const dbl = (v: number): Stat => ({ dbl: Number.isFinite(v) ? v : 0 });

/** Writes `fields` as a map whose header counts exactly the entries written. */
function writeStats(w: ReplyWriter, fields: [string, Stat][]): void {
  w.mapHeader(fields.length);
  for (const [k, v] of fields) {
    w.bulkStr(k);
    if ("int" in v) w.integer(v.int);
    else if ("dbl" in v) w.double(v.dbl);
    else writeStats(w, v.map);
  }
}

/** MEMORY STATS's fold: Redis 7.0's map, field for field and in its order. */
export function foldMemoryStats(parts: Uint8Array[], w: ReplyWriter): void {
  const ps = readParts(parts, w);
  if (ps === null) return;
  const t = total(ps);
  const fields: [string, Stat][] = [
    ["peak.allocated", int(t.peak)],
    ["total.allocated", int(t.used)],
    ["startup.allocated", int(t.startup)],
    ["replication.backlog", int(0)],
    ["clients.slaves", int(0)],
    ["clients.normal", int(t.clients)],
    ["cluster.links", int(0)],
    ["aof.buffer", int(0)],
    ["lua.caches", int(0)],
    ["functions.caches", int(0)],
  ];
  // the databases holding keys
  for (let d = 0; d < ps[0].keys.length; d++) {
    if (!ps.some((p) => p.keys[d] > 0)) continue;
    fields.push([`db.${d}`, {
      map: [
        ["overhead.hashtable.main", int(ps.reduce((a, p) => a + p.mainBytes[d], 0))],
        ["overhead.hashtable.expires", int(ps.reduce((a, p) => a + p.expiresBytes[d], 0))],
        // Redis's key-to-slot index, kept only in cluster mode
        ["overhead.hashtable.slot-to-keys", int(0)],
      ],
    }]);
  }
  fields.push(
    ["overhead.total", int(t.overhead)],
    ["keys.count", int(t.keys)],
    ["keys.bytes-per-key", int(t.keys === 0 ? 0 : Math.floor((t.used - t.startup) / t.keys))],
    ["dataset.bytes", int(t.dataset)],
    [
      "dataset.percentage",
      dbl(t.used > t.startup ? (t.dataset * 100) / (t.used - t.startup) : 0),
    ],
    ["peak.percentage", dbl(t.peak > 0 ? (t.used * 100) / t.peak : 0)],
    ["allocator.allocated", int(t.live)],
    ["allocator.active", int(t.committed)],
    ["allocator.resident", int(t.committed)],
    ["allocator-fragmentation.ratio", dbl(t.live > 0 ? t.committed / t.live : 0)],
    ["allocator-fragmentation.bytes", int(t.committed - t.live)],
    ["allocator-rss.ratio", dbl(1)],
    ["allocator-rss.bytes", int(0)],
    ["rss-overhead.ratio", dbl(t.committed > 0 ? t.rss / t.committed : 0)],
    ["rss-overhead.bytes", int(t.rss - t.committed)],
    ["fragmentation", dbl(t.used > 0 ? t.rss / t.used : 0)],
    ["fragmentation.bytes", int(t.rss - t.used)],
  );
  writeStats(w, fields);
}

/**
 * MEMORY DOCTOR's fold: Redis 7.0's getMemoryDoctorReport over the shards' totals, with the
 * checks that apply here (the peak, the arena's fragmentation, the clients' buffers); Skua has
 * no replicas nor scripts, and its RSS is the runtime's, not an allocator's.
 */
export function foldMemoryDoctor(parts: Uint8Array[], w: ReplyWriter): void {
  const ps = readParts(parts, w);
  if (ps === null) return;
  const t = total(ps);
  const issues: string[] = [];
  const empty = t.used < 1024 * 1024 * 5;
  if (!empty) {
    if (t.peak / t.used > 1.5) {
      issues.push(
        " * Peak memory: In the past this instance used more than 150% the memory that is " +
          "currently using. The allocator is normally not able to release memory after a peak, " +
          "so you can expect to see a big fragmentation ratio, however this is actually " +
          "harmless and is only due to the memory peak, and if the Redis instance Resident " +
          "Set Size (RSS) is currently bigger than expected, the memory will be used as soon " +
          "as you fill the Redis instance with more data. If the memory peak was only " +
          "occasional and you want to try to reclaim memory, please try the MEMORY PURGE " +
          "command, otherwise the only other option is to shutdown and restart the instance.\n\n",
      );
    }
    const frag = t.live > 0 ? t.committed / t.live : 0;
    if (frag > 1.1 && t.committed - t.live > 10 * 1024 * 1024) {
      issues.push(
        " * High allocator fragmentation: This instance has an allocator external " +
          "fragmentation greater than 1.1. This problem is usually due either to a large peak " +
          "memory (check if there is a peak memory entry above in the report) or may result " +
          "from a workload that causes the allocator to fragment memory a lot. You can try " +
          "enabling 'activedefrag' config option.\n\n",
      );
    }
    // Redis divides as integers; the client asking is one of them
    if (Math.floor(t.clients / Math.max(1, t.conns)) > 1024 * 200) {
      issues.push(
        " * Big client buffers: The clients output buffers in this instance are greater than " +
          "200K per client (on average). This may result from different causes, like Pub/Sub " +
          "clients subscribed to channels bot not receiving data fast enough, so that data " +
          "piles on the Redis instance output buffer, or clients sending commands with large " +
          "replies or very large sequences of commands in the same pipeline. Please use the " +
          "CLIENT LIST command in order to investigate the issue if it causes problems in your " +
          "instance, or to understand better why certain clients are using a big amount of " +
          "memory.\n\n",
      );
    }
  }
  let text: string;
  if (empty) {
    text = "Hi Sam, this instance is empty or is using very little memory, my issues detector " +
      "can't be used in these conditions. Please, leave for your mission on Earth and fill it " +
      "with some data. The new Sam and I will be back to our programming as soon as I " +
      "finished rebooting.\n";
  } else if (issues.length === 0) {
    text = "Hi Sam, I can't find any memory issue in your instance. I can only account for " +
      "what occurs on this base.\n";
  } else {
    text = "Sam, I detected a few issues in this Redis instance memory implants:\n\n" +
      issues.join("") +
      "I'm here to keep you safe, Sam. I want to help you.\n";
  }
  w.verbatim(text);
}

/** MEMORY PURGE's fold: +OK once every shard gave back what it could. */
export function foldMemoryPurge(parts: Uint8Array[], w: ReplyWriter): void {
  if (readParts(parts, w) !== null) w.ok();
}

/** MEMORY MALLOC-STATS: Redis's answer for an allocator without stats. */
export function memoryMallocStats(ctx: Ctx): void {
  ctx.w.bulkStr("Stats not supported for the current allocator");
}

const HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
  "HELP",
  "    Prints this help.",
];

/** MEMORY HELP */
export function memoryHelp(ctx: Ctx): void {
  ctx.w.arrayHeader(HELP.length);
  for (const line of HELP) ctx.w.simple(line);
}
