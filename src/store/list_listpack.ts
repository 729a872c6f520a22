/**
 * A small list in its compact encoding: one listpack in a blob, as Redis 7.0 holds a list that
 * fits one quicklist node. A list stays here while every push would land in the one node by
 * quicklist.c's rule (_quicklistNodeAllowInsert, with list-max-listpack-size as the node's
 * fill); the push that would open a second node converts it to the object (list.ts), and, as
 * in Redis, it never comes back.
 *
 * Edits are made in place: the bytes after the change are moved within the blob (which is
 * resized, and may move, first), the changed entries written, the header updated — the same
 * memmove Redis's lpInsert/lpDelete do. Entries carry their own backlen, so no neighbour
 * changes.
 */
import type { Blob } from "./blob.ts";
import {
  LP_EMPTY_BYTES,
  LP_EOF,
  LP_HEADER_BYTES,
  lpBytes,
  LpEntry,
  lpPrev,
  lpRead,
  lpSeek,
  lpString,
  lpWriteHeader,
} from "./listpack.ts";
import type { StringValue } from "./types.ts";
import {
  copyEntry,
  type ElementSink,
  encodeEntry,
  entryEquals,
  releaseEntryScratch,
  writeEntry,
} from "./list_entry.ts";

export type { ElementSink } from "./list_entry.ts";

/** quicklist.c's optimization_level: node size limits for fill -1 .. -5 */
const SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
/** quicklist.c's SIZE_SAFETY_LIMIT: the size bound of a node limited by its entry count */
const SIZE_SAFETY_LIMIT = 8192;
/** quicklist.c's SIZE_ESTIMATE_OVERHEAD: what an insert is assumed to add beyond its bytes */
const SIZE_ESTIMATE_OVERHEAD = 8;
/** quicklist.c's FILL_MAX */
const FILL_MAX = 32767;

/**
 * list-max-listpack-size as quicklistSetFill clamps it: a per-Worker singleton, refreshed
 * from the shard's config by the list commands (one command runs at a time per Worker).
 */
export const quicklistFill = { value: -2 };

/** Sets quicklistFill from list-max-listpack-size (quicklistSetFill's clamp to -5 .. 32767). */
export function setQuicklistFill(fill: number): void {
  quicklistFill.value = fill > FILL_MAX ? FILL_MAX : fill < -5 ? -5 : fill;
}

/**
 * _quicklistNodeAllowInsert: whether a node of `bytes` bytes holding `count` entries takes one
 * more element of `sz` bytes. A negative fill bounds the node's bytes; a positive one its
 * entries (and its bytes by SIZE_SAFETY_LIMIT).
 */
export function nodeAllowInsert(bytes: number, count: number, sz: number): boolean {
  const fill = quicklistFill.value;
  const n = bytes + sz + SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0) return n <= SIZE_LIMITS[-fill - 1];
  return n <= SIZE_SAFETY_LIMIT && count < fill;
}

/** Whether a node of `bytes` bytes is within the node size bound (an element replaced). */
export function nodeWithinLimit(bytes: number): boolean {
  const fill = quicklistFill.value;
  return bytes <= (fill < 0 ? SIZE_LIMITS[-fill - 1] : SIZE_SAFETY_LIMIT);
}

/** Per-Worker decoded entry shared by every view (a view is made per command, not kept). */
const ENTRY = new LpEntry();

/**
 * The list operations on a listpack blob, for one command. Indexes are logical (0 = head) and
 * valid (the caller checks them, as for the object).
 */
export class ListpackList {
  /** a recently visited entry: its index (-1: none) and offset from the blob's first byte */
  private ci = -1;
  private co = 0;
  /** the decoded entry (shared: a method finishes with it before any other view runs) */
  private readonly e = ENTRY;

  constructor(readonly blob: Blob) {}

  /** Entries (a node never holds 65535, so the header always counts them). */
  get size(): number {
    const u8 = this.blob.u8, at = this.blob.at;
    return u8[at + 4] | (u8[at + 5] << 8);
  }

  /** The listpack's total bytes. */
  get bytes(): number {
    return lpBytes(this.blob.u8, this.blob.at);
  }

  /** The offset in u8 of entry i, walked from the nearest of the head, tail and last visit. */
  private seek(i: number): number {
    const b = this.blob, u8 = b.u8, base = b.at;
    const n = this.size;
    let idx = 0, p = base + LP_HEADER_BYTES, dist = i;
    if (n - 1 - i < dist) {
      dist = n - 1 - i;
      idx = n - 1;
      p = lpPrev(u8, base, base + lpBytes(u8, base) - 1);
    }
    if (this.ci >= 0 && Math.abs(this.ci - i) < dist) {
      idx = this.ci;
      p = base + this.co;
    }
    p = lpSeek(u8, base, p, idx, i, this.e);
    this.ci = i;
    this.co = p - base;
    return p;
  }

  /** The element at index i as a stored value. */
  at(i: number): string {
    const p = this.seek(i);
    const u8 = this.blob.u8;
    lpRead(u8, p, this.e);
    return lpString(u8, this.e);
  }

  /** Whether the element at index i holds exactly the bytes of v. */
  equalsAt(i: number, v: StringValue): boolean {
    const p = this.seek(i);
    const u8 = this.blob.u8;
    lpRead(u8, p, this.e);
    return entryEquals(u8, this.e, v);
  }

  /** Writes elements [from, to] (valid indexes) to the sink, in order. */
  writeRange(sink: ElementSink, from: number, to: number): void {
    const u8 = this.blob.u8, e = this.e;
    let p = this.seek(from);
    for (let i = from; i <= to; i++) {
      lpRead(u8, p, e);
      writeEntry(sink, u8, e);
      p = e.next;
    }
    this.ci = to;
    this.co = e.at - this.blob.at;
  }

  /** Writes elements [from, to] (valid indexes) to the sink from `to` down to `from`. */
  writeRangeReverse(sink: ElementSink, from: number, to: number): void {
    const u8 = this.blob.u8, e = this.e, base = this.blob.at;
    let p = this.seek(to);
    for (let i = to; i >= from; i--) {
      lpRead(u8, p, e);
      writeEntry(sink, u8, e);
      if (i > from) p = lpPrev(u8, base, p);
    }
    this.ci = from;
    this.co = p - base;
  }

  /** Every element in order, appended to out. */
  collect(out: StringValue[]): void {
    const u8 = this.blob.u8, e = this.e;
    for (let p = this.blob.at + LP_HEADER_BYTES; lpRead(u8, p, e); p = e.next) {
      out.push(lpString(u8, e));
    }
  }

  /** The index of the first element equal to v, or -1. */
  indexOf(v: StringValue): number {
    const u8 = this.blob.u8, e = this.e;
    let i = 0;
    for (let p = this.blob.at + LP_HEADER_BYTES; lpRead(u8, p, e); p = e.next, i++) {
      if (entryEquals(u8, e, v)) return i;
    }
    return -1;
  }

  /**
   * Makes room: the `del` bytes at offset `pos` from the blob's first byte become `ins` bytes
   * (their content is the caller's to write) and the entry count changes by dc. Returns the
   * blob's first byte (it may have moved).
   */
  private splice(pos: number, del: number, ins: number, dc: number): number {
    const b = this.blob;
    const count = this.size;
    const old = lpBytes(b.u8, b.at);
    const len = old - del + ins;
    if (ins > del) {
      b.resize(len, old);
      const base = b.at;
      b.u8.copyWithin(base + pos + ins, base + pos + del, base + old);
    } else if (ins < del) {
      const base = b.at;
      b.u8.copyWithin(base + pos + ins, base + pos + del, base + old);
      b.resize(len, old);
    }
    const base = b.at;
    lpWriteHeader(b.u8, base, len, count + dc);
    this.ci = -1;
    return base;
  }

  /**
   * Adds s at the head or the tail; false (nothing changed) when the node would not take it:
   * the list then needs a second node, so it leaves the blob.
   */
  push(v: StringValue, front: boolean): boolean {
    const bytes = this.bytes;
    if (!nodeAllowInsert(bytes, this.size, v.length)) return false;
    const pos = front ? LP_HEADER_BYTES : bytes - 1;
    this.put(pos, 0, v, 1);
    return true;
  }

  /** The `del` bytes at offset pos (from the blob's first byte) become v's entry. */
  private put(pos: number, del: number, v: StringValue, dc: number): void {
    this.putEncoded(pos, del, encodeEntry(v), dc);
  }

  /** As put, for the entry encodeEntry just wrote (sz bytes). */
  private putEncoded(pos: number, del: number, sz: number, dc: number): void {
    const base = this.splice(pos, del, sz, dc);
    copyEntry(this.blob.u8, base + pos, sz);
    releaseEntryScratch();
  }

  /** Inserts s so that it becomes element i (0 <= i <= size); false as for push. */
  insert(i: number, v: StringValue): boolean {
    const bytes = this.bytes;
    if (!nodeAllowInsert(bytes, this.size, v.length)) return false;
    const pos = i === this.size ? bytes - 1 : this.seek(i) - this.blob.at;
    this.put(pos, 0, v, 1);
    return true;
  }

  /** Replaces element i by s; false (nothing changed) when the node would outgrow its bound. */
  replace(i: number, v: StringValue): boolean {
    const p = this.seek(i);
    lpRead(this.blob.u8, p, this.e);
    const del = this.e.next - p;
    const sz = encodeEntry(v);
    if (!nodeWithinLimit(this.bytes - del + sz)) {
      releaseEntryScratch();
      return false;
    }
    this.putEncoded(p - this.blob.at, del, sz, 0);
    return true;
  }

  /** Removes and returns the head or the tail element (the list must not be empty). */
  pop(front: boolean): string {
    const u8 = this.blob.u8, base = this.blob.at;
    const p = front ? base + LP_HEADER_BYTES : lpPrev(u8, base, base + lpBytes(u8, base) - 1);
    lpRead(u8, p, this.e);
    const v = lpString(u8, this.e);
    this.splice(p - base, this.e.next - p, 0, -1);
    return v;
  }

  /** Removes n elements from index start (a valid range). */
  removeRange(start: number, n: number): void {
    if (n <= 0) return;
    const count = this.size;
    const base = this.blob.at;
    const p1 = this.seek(start);
    const p2 = start + n === count ? base + this.bytes - 1 : this.seek(start + n);
    this.splice(p1 - base, p2 - p1, 0, -n);
  }

  /** Removes every element. */
  clear(): void {
    this.splice(LP_HEADER_BYTES, this.bytes - LP_EMPTY_BYTES, 0, -this.size);
  }

  /**
   * LREM: removes up to `limit` elements equal to v (0: all), the last ones when `fromTail`;
   * returns how many. The kept entries are compacted in place, front to back.
   */
  removeEqual(v: StringValue, limit: number, fromTail: boolean): number {
    const b = this.blob, u8 = b.u8, base = b.at, e = this.e;
    const first = base + LP_HEADER_BYTES;
    // from the tail, the matches to skip are all but the last `limit`
    let skip = 0;
    if (fromTail && limit > 0) {
      let matches = 0;
      for (let p = first; lpRead(u8, p, e); p = e.next) if (entryEquals(u8, e, v)) matches++;
      skip = matches > limit ? matches - limit : 0;
    }
    let removed = 0, w = first, p = first;
    while (lpRead(u8, p, e)) {
      const next = e.next;
      let drop = (limit === 0 || removed < limit) && entryEquals(u8, e, v);
      if (drop && skip > 0) {
        skip--;
        drop = false;
      }
      if (drop) removed++;
      else {
        if (w !== p) u8.copyWithin(w, p, next);
        w += next - p;
      }
      p = next;
    }
    if (removed === 0) return 0;
    const count = this.size;
    u8[w] = LP_EOF;
    const len = w + 1 - base;
    const old = lpBytes(u8, base);
    lpWriteHeader(u8, base, len, count - removed);
    b.resize(len, old);
    this.ci = -1;
    return removed;
  }
}
