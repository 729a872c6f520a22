/**
 * Folds: how the replies of a command that ran on several shards become one reply. Each part
 * is a complete RESP reply produced by the same handler on a subset of the keys (or on every
 * shard); an error in any part wins, as it would have on a single server.
 */
import type { PartMerge, SplitPlan } from "./table.ts";
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
/** foldMget's start of each part's values */
let mgetAt = new Int32Array(8);

/**
 * MGET: each part answered its keys in order; put every value back at its key's position.
 * The values are located first and copied straight from the parts: no view per value.
 */
export function foldMget(parts: Uint8Array[], w: ReplyWriter, plan: SplitPlan): void {
  const err = firstError(parts);
  if (err !== null) return w.raw(err);
  if (mgetAt.length < parts.length) mgetAt = new Int32Array(parts.length);
  for (let i = 0; i < parts.length; i++) mgetAt[i] = headerEnd(parts[i], 0);
  mgetFrom(parts, mgetAt, w, plan);
}

/** MGET's values for the keys of `plan`, taken from parts[i] at at[i] on (moved past them). */
function mgetFrom(parts: Uint8Array[], at: Int32Array, w: ReplyWriter, plan: SplitPlan): void {
  const total = plan.argc - 1;
  if (valPart.length < total) {
    valPart = new Int32Array(total);
    valStart = new Int32Array(total);
    valEnd = new Int32Array(total);
  }
  for (let i = 0; i < plan.keyPos.length; i++) {
    const p = parts[i];
    let off = at[i];
    const keys = plan.keyPos[i];
    for (let k = 0; k < keys.length; k++) {
      const end = skipReply(p, off);
      const pos = keys[k] - 1;
      valPart[pos] = i;
      valStart[pos] = off;
      valEnd[pos] = end;
      off = end;
    }
    at[i] = off;
  }
  w.arrayHeader(total);
  for (let i = 0; i < total; i++) w.rawRange(parts[valPart[i]], valStart[i], valEnd[i]);
}

/** The first error among the parts of keys from[first, first + count), or null. */
function keysError(
  parts: Uint8Array[],
  from: number[],
  first: number,
  count: number,
): Uint8Array | null {
  for (let k = first; k < first + count; k++) {
    if (parts[from[k]][0] === MINUS) return parts[from[k]];
  }
  return null;
}

/** MGETs merged: the values of all of them, one command's after the other's. */
export const mergeMget: PartMerge = {
  start: (part) => part[0] === MINUS ? 0 : headerEnd(part, 0),
  fold(parts, at, from, first, count, w) {
    const err = keysError(parts, from, first, count);
    const end = first + count;
    if (err !== null) {
      // the parts that did answer still move past this command's values
      for (let k = first; k < end; k++) {
        const p = parts[from[k]];
        if (p[0] !== MINUS) at[from[k]] = skipReply(p, at[from[k]]);
      }
      return w.raw(err);
    }
    w.arrayHeader(count);
    for (let k = first; k < end; k++) {
      const i = from[k], p = parts[i], off = at[i];
      const next = skipReply(p, off);
      w.rawRange(p, off, next);
      at[i] = next;
    }
  },
};

/** Commands that reply +OK (MSET) merged: one OK stands for all of them. */
export const mergeAllOk: PartMerge = {
  start: () => 0,
  fold(parts, _at, from, first, count, w) {
    w.raw(keysError(parts, from, first, count) ?? parts[from[first]]);
  },
};
