/**
 * Where a command's keys are in its arguments: Redis's (first, last, step) triple, Redis 7 key
 * specs for commands with movable keys (numkeys arguments, keywords), or the command's own
 * procedure where neither can tell (SORT ... STORE). Also the database a key lives in.
 */
import type { Command } from "./table.ts";
import { eqi } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

interface KeySpec {
  begin_search: { type: string; spec: { index?: number; keyword?: string; startfrom?: number } };
  find_keys: {
    type: string;
    spec: {
      lastkey?: number;
      keystep?: number;
      limit?: number;
      keynumidx?: number;
      firstkey?: number;
    };
  };
}

/** The database the key at argv[pos] lives in, for a client on database `db`. */
export function keyDb(
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  pos: number,
  db: number,
  dbs: number,
): number {
  return cmd.keyDb === undefined ? db : cmd.keyDb(argv, argc, pos, db, dbs);
}

/** Key positions from Redis 7 key specs (commands with movable keys), as getKeysUsingKeySpecs. */
function specPositions(cmd: Command, argv: Uint8Array[], argc: number, out: number[]): number {
  for (const ks of cmd.keySpecs as KeySpec[]) {
    const bs = ks.begin_search, fk = ks.find_keys;
    let first: number;
    if (bs.type === "index") first = bs.spec.index!;
    else if (bs.type === "keyword") {
      const kw = bs.spec.keyword!.toLowerCase();
      const from = bs.spec.startfrom!;
      first = -1;
      const start = from >= 0 ? from : argc + from;
      const dir = from >= 0 ? 1 : -1;
      for (let i = start; i > 0 && i < argc; i += dir) {
        if (eqi(argv[i], kw)) {
          first = i + 1;
          break;
        }
      }
      if (first < 0) continue;
    } else continue;
    let last: number, step: number;
    if (fk.type === "range") {
      step = fk.spec.keystep!;
      const lk = fk.spec.lastkey!;
      if (lk >= 0) last = first + lk;
      else if (!fk.spec.limit) last = argc + lk;
      else last = first + Math.floor((argc - first) / fk.spec.limit) + lk;
    } else if (fk.type === "keynum") {
      step = fk.spec.keystep!;
      const at = first + fk.spec.keynumidx!;
      if (at >= argc) continue;
      const n = parseInt64(argv[at]);
      if (n === null || n < 0 || typeof n === "bigint") continue;
      first += fk.spec.firstkey!;
      last = first + n - 1;
    } else continue;
    for (let i = first; i <= last && i < argc; i += step) out.push(i);
  }
  return out.length;
}

/**
 * Key positions of one invocation: from the (first, last, step) spec, or from the key specs
 * for commands with movable keys. Returns the positions into `out` and their count.
 */
export function keyPositions(
  cmd: Command,
  argc: number,
  out: number[],
  argv?: Uint8Array[],
): number {
  out.length = 0;
  if (cmd.keys !== undefined && argv !== undefined) return cmd.keys(argv, argc, out);
  if (cmd.movable && argv !== undefined) return specPositions(cmd, argv, argc, out);
  if (cmd.firstKey <= 0) return 0;
  const last = cmd.lastKey < 0 ? argc + cmd.lastKey : cmd.lastKey;
  for (let i = cmd.firstKey; i <= last && i < argc; i += cmd.step) out.push(i);
  return out.length;
}
