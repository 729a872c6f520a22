/**
 * MEMORY USAGE / STATS / DOCTOR / PURGE / MALLOC-STATS / HELP in Redis 7.0's reply shapes,
 * over what each shard counts (context.ts MemoryReport): the arena's blocks and pages, the key
 * indexes, the estimated collections, connection buffers. STATS, DOCTOR and PURGE run on every
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
  keys: number[];
  mainBytes: number[];
  expiresBytes: number[];
}

/** MEMORY USAGE key [SAMPLES count]: the bytes the key takes (its record, its bucket, its value). */
export function memoryUsage(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let samples = 5;
  if (argc === 5 && eqi(argv[3], "samples")) {
    const v = parseInt64(argv[4]);
    if (v === null) return ctx.w.error("ERR value is not an integer or out of range");
    if (v < 0) return ctx.w.error(SYNTAX);
    samples = v === 0 ? 0 : Number(v);
  } else if (argc !== 3) return ctx.w.error(SYNTAX);
  const db = ctx.db;
  // like Redis's dictFind here: a key past its TTL but not yet removed is still measured
  const r = db.find(argv[2]);
  if (r === 0) return ctx.w.nullBulk();
  // the record (key, value or handle, metadata) and its share of the bucket array
  let n = db.ks.arena.blockBytes(r) + 8;
  if (db.isObject(r)) n += objectBytes(db.typeOf(r), db.object<CollectionValue>(r), samples);
  ctx.w.integer(n);
}

/** MEMORY STATS / DOCTOR / PURGE: this shard's part. */
export function memoryPart(ctx: Ctx, argv: Uint8Array[]): void {
  const sh = ctx.shard;
  if (eqi(argv[1], "purge")) sh.purgeMemory();
  const part: Part = {
    mem: sh.memoryReport(),
    rss: Deno.memoryUsage().rss,
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
    keys: sum((p) => p.keys.reduce((a, b) => a + b, 0)),
  };
}

/** MEMORY STATS's fold: Redis's map, field for field. */
export function foldMemoryStats(parts: Uint8Array[], w: ReplyWriter): void {
  const ps = readParts(parts, w);
  if (ps === null) return;
  const t = total(ps);
  const dbs = ps[0].keys.length;
  const withKeys: number[] = [];
  for (let d = 0; d < dbs; d++) if (ps.some((p) => p.keys[d] > 0)) withKeys.push(d);
  w.mapHeader(25 + withKeys.length);
  const int = (k: string, v: number) => {
    w.bulkStr(k);
    w.integer(Math.round(v));
  };
  const dbl = (k: string, v: number) => {
    w.bulkStr(k);
    w.double(Number.isFinite(v) ? v : 0);
  };
  int("peak.allocated", t.peak);
  int("total.allocated", t.used);
  int("startup.allocated", t.startup);
  int("replication.backlog", 0);
  int("clients.slaves", 0);
  int("clients.normal", t.clients);
  int("cluster.links", 0);
  int("aof.buffer", 0);
  int("lua.caches", 0);
  int("functions.caches", 0);
  for (const d of withKeys) {
    w.bulkStr(`db.${d}`);
    w.mapHeader(2);
    int("overhead.hashtable.main", ps.reduce((a, p) => a + p.mainBytes[d], 0));
    int("overhead.hashtable.expires", ps.reduce((a, p) => a + p.expiresBytes[d], 0));
  }
  int("overhead.total", t.overhead);
  int("keys.count", t.keys);
  int("keys.bytes-per-key", t.keys === 0 ? 0 : Math.floor((t.used - t.startup) / t.keys));
  int("dataset.bytes", t.dataset);
  dbl("dataset.percentage", t.used > t.startup ? (t.dataset * 100) / (t.used - t.startup) : 0);
  dbl("peak.percentage", t.peak > 0 ? (t.used * 100) / t.peak : 0);
  int("allocator.allocated", t.live);
  int("allocator.active", t.committed);
  int("allocator.resident", t.committed);
  dbl("allocator-fragmentation.ratio", t.live > 0 ? t.committed / t.live : 0);
  int("allocator-fragmentation.bytes", t.committed - t.live);
  dbl("allocator.rss-ratio", 1);
  int("allocator.rss-bytes", 0);
  dbl("rss-overhead.ratio", t.committed > 0 ? t.rss / t.committed : 0);
  int("rss-overhead.bytes", t.rss - t.committed);
  dbl("fragmentation", t.used > 0 ? t.rss / t.used : 0);
  int("fragmentation.bytes", t.rss - t.used);
}

/** MEMORY DOCTOR's fold: Redis's getMemoryDoctorReport over the shards' totals. */
export function foldMemoryDoctor(parts: Uint8Array[], w: ReplyWriter): void {
  const ps = readParts(parts, w);
  if (ps === null) return;
  const t = total(ps);
  let text: string;
  if (t.used < 1024 * 1024 * 5) {
    text = "Hi Sam, this instance is empty or is using very little memory, my issues detector " +
      "can't be used in these conditions. Please, leave for your mission on Earth and fill it " +
      "with some data. The new Sam and I will be back to our programming as soon as I " +
      "finished rebooting.";
  } else {
    const issues: string[] = [];
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
    const frag = t.live > 0 ? t.committed / t.live : 1;
    if (frag > 1.1 && t.committed - t.live > 10 * 1024 * 1024) {
      issues.push(
        ` * High allocator fragmentation: This instance has an allocator external ` +
          `fragmentation greater than 1.1 (${frag.toFixed(2)}). This problem is usually due ` +
          `either to a large peak memory (check if there is a peak memory entry above in the ` +
          `report) or may result from a workload that causes the allocator to fragment memory ` +
          `a lot. You can try enabling 'activedefrag' config option.\n\n`,
      );
    }
    if (issues.length === 0) {
      text = "Hi Sam, I can't find any memory issue in your instance. I can only account for " +
        "what occurs on this base.";
    } else {
      text = "Sam, I detected a few issues in this Redis instance memory implants:\n\n" +
        issues.join("") +
        "I'm here to keep you safe, Sam. I want to help you.\n";
    }
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
