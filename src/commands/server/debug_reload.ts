/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE], as Redis 7.0's debugCommand: save the RDB file,
 * empty the dataset, load the file back, "+OK". It runs on every shard as one exclusive fan-out
 * (CommandOptions.everyWhen), the parts in ascending shard order under one lock, so no other
 * command runs between the save and the load anywhere.
 *
 * The save is SAVE's parts: each shard writes its part file and the last one joins them into
 * `dbfilename`. A shard loads back the bytes it saved: the last shard reads the finished file
 * (keeping its own keys, as at startup), the others their part file, which holds the same bytes
 * the file does and is still there when their part runs (the last shard removes the parts).
 * With NOSAVE every shard reads `dbfilename` as it is. A file that cannot be loaded answers
 * "-ERR Error trying to load the RDB dump"; where Redis panics (a key already there with
 * NOFLUSH and without MERGE) Skua stops the load there and answers that error too.
 */
import type { Ctx } from "../context.ts";
import { eqi } from "../../util/bytes.ts";
import { log } from "../../util/log.ts";
import { partPath } from "../../persist/assemble.ts";
import { RDB_VERSION } from "../../persist/rdb/file.ts";
import { loadBytesSteps, LoadFailure, runSteps } from "../../persist/load.ts";

const RELOAD_OPTIONS = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.";
const LOAD_FAILED = "ERR Error trying to load the RDB dump";
const MAGIC = new TextEncoder().encode(`REDIS00${RDB_VERSION}`);

/** Whether DEBUG's arguments ask for RELOAD (it then runs on every shard). */
export function isReload(argv: Uint8Array[], argc: number): boolean {
  return argc >= 2 && eqi(argv[1], "reload");
}

/** A part file's records as a whole RDB file: the header, the part, EOF, no checksum. */
function wholeFile(part: Uint8Array): Uint8Array {
  const b = new Uint8Array(MAGIC.length + part.length + 9);
  b.set(MAGIC);
  b.set(part, MAGIC.length);
  b[MAGIC.length + part.length] = 0xff;
  return b;
}

/** This shard's part of DEBUG RELOAD. */
export function debugReload(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let flush = true, save = true, merge = false;
  for (let j = 2; j < argc; j++) {
    if (eqi(argv[j], "merge")) merge = true;
    else if (eqi(argv[j], "noflush")) flush = false;
    else if (eqi(argv[j], "nosave")) save = false;
    else return ctx.w.error(RELOAD_OPTIONS);
  }
  const shard = ctx.shard;
  const p = shard.persistence;
  // DEBUG has the loading flag, but saving a dataset still loading would write half of it
  if (p.state.loading) return ctx.w.error("LOADING Redis is loading the dataset in memory");
  // inside EXEC only the client's own shard would run it
  if (shard.n > 1 && ctx.client !== null && ctx.client.inExec) {
    return ctx.w.error("ERR DEBUG RELOAD is not supported inside MULTI with more than one shard");
  }
  const dir = shard.config.value("dir") ?? ".";
  const file = `${dir}/${shard.config.value("dbfilename") ?? "dump.rdb"}`;
  if (save) {
    const err = p.savePart(ctx.now);
    if (err !== null) return ctx.w.error(err);
  }
  // emptied first, as Redis does: a file missing then leaves an empty dataset
  if (flush) {
    // a background save still writing this shard's part gets every key first
    if (p.snapshotting) p.beforeWriteAll();
    shard.keyspace.flushAll();
  }
  const path = save && shard.id !== shard.n - 1 ? partPath(dir, shard.id) : file;
  let buf: Uint8Array;
  try {
    buf = Deno.readFileSync(path);
  } catch (e) {
    log("warning", `DEBUG RELOAD: can't read ${path}: ${(e as Error).message}`);
    return ctx.w.error(LOAD_FAILED);
  }
  if (path !== file) buf = wholeFile(buf);
  // Redis's startLoading: the counts of INFO's rdb_last_load_keys_* start again
  if (shard.id === 0) p.state.resetLoaded();
  try {
    runSteps(loadBytesSteps({ ...shard.loadTarget(), merge, talk: false }, buf, file, ctx.now));
  } catch (e) {
    if (!(e instanceof LoadFailure)) throw e;
    log("warning", `DEBUG RELOAD: ${e.message}`);
    return ctx.w.error(LOAD_FAILED);
  }
  if (shard.id === shard.n - 1) log("warning", "DB reloaded by DEBUG RELOAD");
  ctx.w.ok();
}
