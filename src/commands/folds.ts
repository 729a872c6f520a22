/**
 * Folds: how the replies of a command that ran on several shards become one reply. Each part
 * is a complete RESP reply produced by the same handler on a subset of the keys (or on every
 * shard); an error in any part wins, as it would have on a single server.
 */
import type { SplitPlan } from "./table.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import { readHeader, readInteger, skipReply } from "../resp/reply_reader.ts";

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

/** MGET: each part answered its keys in order; put every value back at its key's position. */
export function foldMget(parts: Uint8Array[], w: ReplyWriter, plan: SplitPlan): void {
  const err = firstError(parts);
  if (err !== null) return w.raw(err);
  const total = plan.argc - 1;
  const out: Uint8Array[] = new Array(total);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    let [, , off] = readHeader(p, 0);
    for (const pos of plan.keyPos[i]) {
      const end = skipReply(p, off);
      out[pos - 1] = p.subarray(off, end);
      off = end;
    }
  }
  w.arrayHeader(total);
  for (const b of out) w.raw(b);
}
