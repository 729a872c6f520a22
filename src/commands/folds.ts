/**
 * Folds: how the replies of a command that ran on several shards become one reply. Each part
 * is a complete RESP reply produced by the same handler on a subset of the keys (or on every
 * shard); an error in any part wins, as it would have on a single server.
 */
import type { SplitPlan } from "./table.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import { headerEnd, readHeader, readInteger, skipReply } from "../resp/reply_reader.ts";

const MINUS = 45, COLON = 58;

/** The first part that is an error reply, if any. */
function firstError(parts: Uint8Array[]): Uint8Array | null {
  for (const p of parts) if (p[0] === MINUS) return p;
  return null;
}

/** Integer replies added up (DEL, EXISTS, UNLINK, TOUCH, DBSIZE). */
export function foldSum(parts: Uint8Array[], w: ReplyWriter): void {
  const err = firstError(parts);
  if (err !== null) return w.raw(err);
  let n = 0;
  for (const p of parts) if (p[0] === COLON) n += readInteger(p, 0);
  w.integer(n);
}

/** +OK when every part said OK (MSET, FLUSHALL, CONFIG SET ...). */
export function foldAllOk(parts: Uint8Array[], w: ReplyWriter): void {
  const err = firstError(parts);
  if (err !== null) return w.raw(err);
  w.raw(parts[0]);
}

/** Arrays concatenated (KEYS, CLIENT LIST-like listings). */
export function foldConcat(parts: Uint8Array[], w: ReplyWriter): void {
  const err = firstError(parts);
  if (err !== null) return w.raw(err);
  let n = 0;
  const bodies: number[] = [];
  for (const p of parts) {
    const [, count, off] = readHeader(p, 0);
    n += count;
    bodies.push(off);
  }
  w.arrayHeader(n);
  for (let i = 0; i < parts.length; i++) w.raw(parts[i].subarray(bodies[i]));
}

/** Where each MGET value lies in the parts while the fold runs (grown, never shrunk). */
let valPart = new Int32Array(64);
let valStart = new Int32Array(64);
let valEnd = new Int32Array(64);

/**
 * MGET: each part answered its keys in order; put every value back at its key's position.
 * The values are located first and copied straight from the parts: no view per value.
 */
export function foldMget(parts: Uint8Array[], w: ReplyWriter, plan: SplitPlan): void {
  const err = firstError(parts);
  if (err !== null) return w.raw(err);
  const total = plan.argc - 1;
  if (valPart.length < total) {
    valPart = new Int32Array(total);
    valStart = new Int32Array(total);
    valEnd = new Int32Array(total);
  }
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    let off = headerEnd(p, 0);
    const keys = plan.keyPos[i];
    for (let k = 0; k < keys.length; k++) {
      const end = skipReply(p, off);
      const at = keys[k] - 1;
      valPart[at] = i;
      valStart[at] = off;
      valEnd[at] = end;
      off = end;
    }
  }
  w.arrayHeader(total);
  for (let i = 0; i < total; i++) w.rawRange(parts[valPart[i]], valStart[i], valEnd[i]);
}
