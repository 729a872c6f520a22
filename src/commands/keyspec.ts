/**
 * Where a command's keys are in its arguments: Redis's (first, last, step) triple, Redis 7 key
 * specs for commands with movable keys (numkeys arguments, keywords), or the command's own
 * procedure where neither can tell (SORT ... STORE). Also the database a key lives in.
 */
import type { Command } from "./table.ts";
import { eqi } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

/** One of Redis 7's key specs, as meta.json holds it. */
export interface KeySpec {
  flags: string[];
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

/** Scratch for specRange's answer: first key, last key, step. */
export const specSpan = { first: 0, last: 0, step: 1 };

/**
 * Where one key spec finds its keys in this invocation (Redis's getKeysUsingKeySpecs), into
 * `specSpan`. Returns false when the spec finds none: its keyword is absent, its key count is
 * not a number, or the spec is of a kind Redis 7.0 does not define. `last` may lie past the
 * arguments (a syntax error the caller judges).
 */
export function specRange(ks: KeySpec, argv: Uint8Array[], argc: number): boolean {
  const bs = ks.begin_search, fk = ks.find_keys;
  let first = 0;
  if (bs.type === "index") first = bs.spec.index!;
  else if (bs.type === "keyword") {
    const kw = bs.spec.keyword!.toLowerCase();
    const from = bs.spec.startfrom!;
    const start = from > 0 ? from : argc + from;
    const end = from > 0 ? argc - 1 : 1;
    for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
      if (i >= argc || i < 1) break;
      if (eqi(argv[i], kw)) {
        first = i + 1;
        break;
      }
    }
    if (first === 0) return false;
  } else return false;
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
    if (at >= argc) return false;
    const n = parseInt64(argv[at]);
    if (n === null || typeof n === "bigint" || n < 0) return false;
    first += fk.spec.firstkey!;
    last = first + n - 1;
  } else return false;
  specSpan.first = first;
  specSpan.last = last;
  specSpan.step = step;
  return true;
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
    if (!specRange(ks, argv, argc)) continue;
    const { first, last, step } = specSpan;
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
  if (cmd.keys !== undefined && argv !== undefined) {
    out.length = 0;
    return cmd.keys(argv, argc, out);
  }
  if (cmd.movable && argv !== undefined) {
    out.length = 0;
    return specPositions(cmd, argv, argc, out);
  }
  // written in place and cut to length: emptying an array first drops its backing store, and
  // the router plans every multi-key command into the same arrays
  let n = 0;
  if (cmd.firstKey > 0) {
    const last = cmd.lastKey < 0 ? argc + cmd.lastKey : cmd.lastKey;
    for (let i = cmd.firstKey; i <= last && i < argc; i += cmd.step) out[n++] = i;
  }
  out.length = n;
  return n;
}
