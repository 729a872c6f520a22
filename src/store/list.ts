/**
 * The list value, in one of two modes (Redis 7.0 keeps every list as a quicklist):
 * - a view over a blob (list_listpack.ts): a list that fits one quicklist node is one listpack
 *   in the arena, as Redis's one node is. The view is made per command (views.ts) and must not
 *   be kept past it.
 * - an object in the shard's ObjectTable: a quicklist (quicklist.ts), a chain of listpack nodes
 *   with O(1) push and pop at both ends and reads by walking the node counts.
 * A view whose list would need a second node converts itself to the object (its listpack
 * becomes the first node) and goes on in object mode: the same instance, so the command's
 * later calls keep working. A list never goes back to a blob.
 *
 * Elements are given and answered as stored values: latin1 strings (one char per byte), or
 * bytes (an element too large for a V8 string, or argument bytes pushed as they arrived).
 */
import type { CollectionValue, StringValue } from "./types.ts";
import { TYPE_LIST } from "./types.ts";
import { BLOB_LISTPACK } from "./record.ts";
import type { Blob } from "./blob.ts";
import { LP_EMPTY_BYTES, LpBuilder } from "./listpack.ts";
import { encodeEntry, entryScratch } from "./list_entry.ts";
import { type ElementSink, ListpackList, nodeAllowInsert } from "./list_listpack.ts";
import { QuickList } from "./quicklist.ts";

export { type ElementSink, setQuicklistFill } from "./list_listpack.ts";

/** Whether two stored values hold the same bytes. */
export function sameValue(a: StringValue, b: StringValue): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class ListValue implements CollectionValue {
  /** object mode: the quicklist (an empty one in a view until it converts) */
  private ql: QuickList;
  /** blob mode: the listpack this view works on; null in object mode */
  private lp: ListpackList | null = null;

  /** An empty list in object mode (`_capacity`: kept for callers that size it). */
  constructor(_capacity = 0, ql = new QuickList()) {
    this.ql = ql;
  }

  /** A view over a small list's blob, for one command (views.ts). */
  static view(b: Blob): ListValue {
    const l = new ListValue(0, EMPTY);
    l.lp = new ListpackList(b);
    return l;
  }

  get size(): number {
    return this.lp !== null ? this.lp.size : this.ql.len;
  }

  /** A view's listpack (null for an object): storeList copies its bytes. */
  get listpack(): ListpackList | null {
    return this.lp;
  }

  /** Quicklist nodes (1 for a blob; DEBUG-style facts and tests). */
  get nodeCount(): number {
    return this.lp !== null ? 1 : this.ql.nodeCount;
  }

  /** Calls fn with each quicklist node's listpack, head to tail (a view: its blob). */
  forEachNode(fn: (buf: Uint8Array, start: number, bytes: number) => void): void {
    const lp = this.lp;
    if (lp !== null) fn(lp.blob.u8, lp.blob.at, lp.bytes);
    else this.ql.forEachNode(fn);
  }

  /** Redis 7.0 keeps every list in a quicklist. */
  encoding(): string {
    return "quicklist";
  }

  /** A deep copy, always an object (a view's copy must outlive the command). */
  clone(): ListValue {
    const lp = this.lp;
    if (lp !== null) {
      return new ListValue(0, QuickList.fromListpack(lp.blob.u8, lp.blob.at, lp.bytes));
    }
    return new ListValue(0, this.ql.clone());
  }

  /** The element at logical index i (0 <= i < size). */
  at(i: number): StringValue {
    return this.lp !== null ? this.lp.at(i) : this.ql.at(i);
  }

  /** Whether the element at logical index i holds exactly the bytes of v. */
  equalsAt(i: number, v: StringValue): boolean {
    return this.lp !== null ? this.lp.equalsAt(i, v) : this.ql.equalsAt(i, v);
  }

  /** Writes elements [from, to] (valid indexes) to the sink, in order (LRANGE). */
  writeRange(sink: ElementSink, from: number, to: number): void {
    if (this.lp !== null) this.lp.writeRange(sink, from, to);
    else this.ql.writeRange(sink, from, to);
  }

  /** Writes element i (a valid index) to the sink (LINDEX). */
  writeAt(sink: ElementSink, i: number): void {
    this.writeRange(sink, i, i);
  }

  /** Removes n elements (n <= size) from the head or the tail, writing them in pop order. */
  popTo(sink: ElementSink, n: number, front: boolean): void {
    const lp = this.lp;
    if (lp !== null) {
      const size = lp.size;
      if (front) {
        lp.writeRange(sink, 0, n - 1);
        lp.removeRange(0, n);
      } else {
        lp.writeRangeReverse(sink, size - n, size - 1);
        lp.removeRange(size - n, n);
      }
      return;
    }
    for (let i = 0; i < n; i++) this.ql.popTo(sink, front);
  }

  /** Replaces the element at logical index i (0 <= i < size). */
  setAt(i: number, v: StringValue): void {
    if (this.lp !== null) {
      if (this.lp.replace(i, v)) return;
      this.toObjectMode();
    }
    this.ql.replace(i, v);
  }

  pushFront(v: StringValue): void {
    this.push(v, true);
  }

  pushBack(v: StringValue): void {
    this.push(v, false);
  }

  /** Adds v at the head or the tail (v may be argument bytes: the list keeps a copy). */
  push(v: StringValue, front: boolean): void {
    if (this.lp !== null) {
      if (this.lp.push(v, front)) return;
      this.toObjectMode();
    }
    this.ql.push(v, front);
  }

  /** Removes and returns the first element (the list must not be empty). */
  popFront(): StringValue {
    return this.lp !== null ? this.lp.pop(true) : this.ql.pop(true);
  }

  /** Removes and returns the last element (the list must not be empty). */
  popBack(): StringValue {
    return this.lp !== null ? this.lp.pop(false) : this.ql.pop(false);
  }

  /** Inserts v so that it ends up at logical index i (0 <= i <= size). */
  insert(i: number, v: StringValue): void {
    if (this.lp !== null) {
      if (this.lp.insert(i, v)) return;
      this.toObjectMode();
    }
    if (i === 0) this.ql.push(v, true);
    else if (i === this.ql.len) this.ql.push(v, false);
    else this.ql.insert(i, v);
  }

  /** Removes `n` elements starting at logical index `start` (a valid range). */
  removeRange(start: number, n: number): void {
    if (n <= 0) return;
    if (this.lp !== null) this.lp.removeRange(start, n);
    else this.ql.removeRange(start, n);
  }

  /** Keeps only logical indexes [start, start + n). */
  trim(start: number, n: number): void {
    const tail = this.size - start - n;
    if (tail > 0) this.removeRange(start + n, tail);
    if (start > 0) this.removeRange(0, start);
  }

  /** Removes every element. */
  clear(): void {
    if (this.lp !== null) this.lp.clear();
    else this.ql.clear();
  }

  /**
   * LREM: removes up to `limit` elements equal to v (0 = all), scanning from the tail when
   * `fromTail`; returns how many were removed.
   */
  removeEqual(v: StringValue, limit: number, fromTail: boolean): number {
    if (this.lp !== null) return this.lp.removeEqual(v, limit, fromTail);
    return this.ql.removeEqual(v, limit, fromTail);
  }

  /** Logical index of the first element equal to v, or -1. */
  indexOf(v: StringValue): number {
    return this.lp !== null ? this.lp.indexOf(v) : this.ql.indexOf(v);
  }

  /** The elements in order. */
  toArray(): StringValue[] {
    const out: StringValue[] = [];
    if (this.lp !== null) this.lp.collect(out);
    else this.ql.collect(out);
    return out;
  }

  /** Bytes of an object's node buffers (MEMORY USAGE). */
  bufferBytes(): number {
    return this.lp !== null ? this.lp.bytes : this.ql.bufferBytes();
  }

  /**
   * The list needs a second quicklist node: it leaves its blob for the object (the record now
   * holds this instance), its listpack becoming the first node.
   */
  private toObjectMode(): void {
    const lp = this.lp as ListpackList;
    this.ql = QuickList.fromListpack(lp.blob.u8, lp.blob.at, lp.bytes);
    this.lp = null;
    lp.blob.toObject(this);
  }
}

/** the quicklist of a view (never written: a view converts to a quicklist of its own) */
const EMPTY = new QuickList();

/** What storing a list needs from its database (db.ts's Db). */
export interface ListHome {
  setBlob(
    key: Uint8Array,
    type: number,
    format: number,
    src: Uint8Array,
    off: number,
    len: number,
    now: number,
  ): number;
  setObject(key: Uint8Array, type: number, obj: CollectionValue, now: number): number;
}

/** Per-Worker scratch for building a new list's listpack. */
const scratch = new LpBuilder();

/** More entries than any one quicklist node can hold (a node is at most 64 KB, 2 bytes an entry). */
const NODE_ENTRIES_MAX = 32768;

/** Whether pushing `values` in order into an empty list lands every one in its first node. */
function fitsOneNode(values: StringValue[]): boolean {
  let bytes = LP_EMPTY_BYTES;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!nodeAllowInsert(bytes, i, v.length)) return false;
    bytes += encodeEntry(v);
  }
  return true;
}

/** Stores values (that fit one node) as a blob at key, reversed when `reverse`. */
function storeBlob(
  home: ListHome,
  key: Uint8Array,
  values: StringValue[],
  reverse: boolean,
  now: number,
): number {
  const n = values.length;
  scratch.begin();
  for (let i = 0; i < n; i++) {
    const sz = encodeEntry(values[reverse ? n - 1 - i : i]);
    scratch.copy(entryScratch(), 0, sz, 1);
  }
  const len = scratch.end();
  return home.setBlob(key, TYPE_LIST, BLOB_LISTPACK, scratch.buf, 0, len, now);
}

/**
 * Stores a new list at key holding `values` pushed in order, each at the head when `front`
 * (so the list reads them reversed), replacing what key held; returns the record. The list is
 * a blob when every push lands in the first quicklist node, as in Redis; else an object.
 * Values may be argument bytes: the list keeps copies.
 */
export function storeNewList(
  home: ListHome,
  key: Uint8Array,
  values: StringValue[],
  front: boolean,
  now: number,
): number {
  if (fitsOneNode(values)) return storeBlob(home, key, values, front, now);
  const n = values.length;
  const list = new ListValue(n);
  for (let i = 0; i < n; i++) {
    if (front) list.pushFront(values[i]);
    else list.pushBack(values[i]);
  }
  return home.setObject(key, TYPE_LIST, list, now);
}

/**
 * Stores `list` at key (a list made outside the keyspace, or a view of another key's blob),
 * replacing what key held; returns the record. A view's bytes are copied; an object small
 * enough for one quicklist node becomes a blob; a larger object is stored as it is.
 */
export function storeList(home: ListHome, key: Uint8Array, list: ListValue, now: number): number {
  const lp = list.listpack;
  if (lp !== null) {
    return home.setBlob(key, TYPE_LIST, BLOB_LISTPACK, lp.blob.u8, lp.blob.at, lp.bytes, now);
  }
  if (list.size < NODE_ENTRIES_MAX) {
    const values = list.toArray();
    if (fitsOneNode(values)) return storeBlob(home, key, values, false, now);
  }
  return home.setObject(key, TYPE_LIST, list, now);
}
