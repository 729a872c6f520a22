/**
 * A large list as Redis 7.0's quicklist: a chain of listpack nodes, each node's bytes in a
 * buffer of its own, so a list of a million elements is a thousand-odd byte buffers rather
 * than a million JS strings (no per-element heap object for the collector to trace). Pushes
 * write the element's bytes into the end node; a node takes an element while quicklist.c's
 * _quicklistNodeAllowInsert says so (list-max-listpack-size), else a new node starts.
 *
 * The nodes sit in a ring (power-of-two capacity) so adding or dropping a node at either end is
 * O(1); each node's listpack lies at [start, start + bytes) of its buffer with room on both
 * sides, so a push at either end of a node is O(1) too (a head push moves the 6-byte header,
 * not the entries). A node no longer at the end it grew from is cut to its size, so a full list
 * spends about Redis's bytes. Reading element i walks the node counts from the nearer end,
 * then the node's entries; the last position read is remembered, so walks in order are O(1)
 * per element.
 */
import {
  LP_EOF,
  LP_HEADER_BYTES,
  lpBytes,
  LpEntry,
  lpPrev,
  lpRead,
  lpSeek,
  lpWriteHeader,
} from "./listpack.ts";
import { nodeAllowInsert } from "./list_listpack.ts";
import {
  bytesEntrySize,
  copyEntry,
  type ElementSink,
  encodeEntry as encode,
  entryEquals,
  entryValue,
  releaseEntryScratch as releaseScratch,
  writeBytesEntry,
  writeEntry,
} from "./list_entry.ts";
import type { StringValue } from "./types.ts";

/** a new node's first buffer */
const NODE_INITIAL_BYTES = 128;
/** the most room a node's buffer keeps beyond its listpack (a huge element is not doubled) */
const NODE_SLACK_MAX = 64 * 1024;

/** The buffer size for a listpack of len bytes that is growing: doubled, up to a bound. */
function roomFor(len: number): number {
  return len + Math.min(len, NODE_SLACK_MAX);
}

export class QuickList {
  /** the ring of nodes: buffer, listpack start, entry count (by physical slot) */
  private bufs: (Uint8Array | null)[] = [null, null, null, null];
  private starts = new Int32Array(4);
  private counts = new Int32Array(4);
  private mask = 3;
  /** physical slot of the first node */
  private head = 0;
  /** nodes in the ring */
  private nodes = 0;
  /** elements */
  len = 0;
  /** read cache: node (logical) and its first element's index, entry index and offset */
  private cNode = -1;
  private cFirst = 0;
  private cIdx = 0;
  private cOff = 0;
  private readonly e = new LpEntry();

  /** A quicklist of one node holding the listpack u8[at, at + bytes) (a blob's bytes). */
  static fromListpack(u8: Uint8Array, at: number, bytes: number): QuickList {
    const q = new QuickList();
    const count = u8[at + 4] | (u8[at + 5] << 8);
    if (count === 0) return q;
    // cut to size: the push that needed a second node starts a node of its own
    q.insertNode(0, u8.slice(at, at + bytes), 0, count);
    q.len = count;
    return q;
  }

  /**
   * A quicklist of the given listpack nodes, in order, each kept as it is (RDB's
   * quicklistAppendListpack: a loaded list keeps the node layout it was saved with). The
   * listpacks must be valid and non-empty (counts[i]: node i's entries); the quicklist owns
   * them from now on.
   */
  static fromNodes(nodes: Uint8Array[], counts: number[]): QuickList {
    const q = new QuickList();
    for (let i = 0; i < nodes.length; i++) {
      q.insertNode(q.nodes, nodes[i], 0, counts[i]);
      q.len += counts[i];
    }
    return q;
  }

  /** Calls fn with each node's listpack, buf[start, start + bytes), head to tail (RDB, DUMP). */
  forEachNode(fn: (buf: Uint8Array, start: number, bytes: number) => void): void {
    for (let k = 0; k < this.nodes; k++) {
      const s = this.slot(k);
      const buf = this.bufs[s] as Uint8Array, start = this.starts[s];
      fn(buf, start, lpBytes(buf, start));
    }
  }

  /** Nodes (DEBUG-style facts, tests). */
  get nodeCount(): number {
    return this.nodes;
  }

  // ---- nodes

  private slot(k: number): number {
    return (this.head + k) & this.mask;
  }

  private nodeBytes(k: number): number {
    const s = this.slot(k);
    return lpBytes(this.bufs[s] as Uint8Array, this.starts[s]);
  }

  /** Puts a node at logical index k (0 <= k <= nodes), moving the shorter side. */
  private insertNode(k: number, buf: Uint8Array, start: number, count: number): void {
    if (this.nodes === this.bufs.length) this.growRing();
    const m = this.mask;
    if (k < this.nodes - k) {
      this.head = (this.head - 1) & m;
      for (let i = 0; i < k; i++) this.moveSlot((this.head + i + 1) & m, (this.head + i) & m);
    } else {
      for (let i = this.nodes; i > k; i--) {
        this.moveSlot((this.head + i - 1) & m, (this.head + i) & m);
      }
    }
    const s = (this.head + k) & m;
    this.bufs[s] = buf;
    this.starts[s] = start;
    this.counts[s] = count;
    this.nodes++;
  }

  /** Drops the node at logical index k, moving the shorter side. */
  private removeNode(k: number): void {
    const m = this.mask;
    if (k < this.nodes - 1 - k) {
      for (let i = k; i > 0; i--) this.moveSlot((this.head + i - 1) & m, (this.head + i) & m);
      this.bufs[this.head] = null;
      this.head = (this.head + 1) & m;
    } else {
      for (let i = k; i < this.nodes - 1; i++) {
        this.moveSlot((this.head + i + 1) & m, (this.head + i) & m);
      }
      this.bufs[(this.head + this.nodes - 1) & m] = null;
    }
    this.nodes--;
  }

  private moveSlot(from: number, to: number): void {
    this.bufs[to] = this.bufs[from];
    this.starts[to] = this.starts[from];
    this.counts[to] = this.counts[from];
  }

  private growRing(): void {
    const cap = this.bufs.length * 2;
    const bufs: (Uint8Array | null)[] = [];
    for (let i = 0; i < cap; i++) bufs.push(null);
    const starts = new Int32Array(cap), counts = new Int32Array(cap);
    for (let i = 0; i < this.nodes; i++) {
      const s = this.slot(i);
      bufs[i] = this.bufs[s];
      starts[i] = this.starts[s];
      counts[i] = this.counts[s];
    }
    this.bufs = bufs;
    this.starts = starts;
    this.counts = counts;
    this.mask = cap - 1;
    this.head = 0;
  }

  /** A new node holding only the entry in scratch[0, sz), at logical index k. */
  private newNode(k: number, sz: number, front: boolean): void {
    const cap = Math.max(NODE_INITIAL_BYTES, roomFor(LP_HEADER_BYTES + sz + 1));
    const buf = new Uint8Array(cap);
    // room on the side the list grows towards
    const start = front ? cap - (LP_HEADER_BYTES + sz + 1) : 0;
    lpWriteHeader(buf, start, LP_HEADER_BYTES + sz + 1, 1);
    copyEntry(buf, start + LP_HEADER_BYTES, sz);
    buf[start + LP_HEADER_BYTES + sz] = LP_EOF;
    this.insertNode(k, buf, start, 1);
  }

  /**
   * An element no node shares (more bytes than any node bound): a node of its own, cut to
   * size, written straight from the argument bytes (no scratch copy of a huge value).
   */
  private pushHuge(v: Uint8Array, front: boolean): void {
    this.cNode = -1;
    this.len++;
    if (this.nodes > 0) this.fit(front ? 0 : this.nodes - 1);
    const bytes = LP_HEADER_BYTES + bytesEntrySize(v.length) + 1;
    const buf = new Uint8Array(bytes);
    lpWriteHeader(buf, 0, bytes, 1);
    writeBytesEntry(buf, LP_HEADER_BYTES, v);
    buf[bytes - 1] = LP_EOF;
    this.insertNode(front ? 0 : this.nodes, buf, 0, 1);
  }

  /** Cuts node k's buffer to its listpack (it no longer grows). */
  private fit(k: number): void {
    const s = this.slot(k);
    const buf = this.bufs[s] as Uint8Array, start = this.starts[s];
    const bytes = lpBytes(buf, start);
    if (buf.length === bytes) return;
    this.bufs[s] = buf.slice(start, start + bytes);
    this.starts[s] = 0;
  }

  /**
   * Node k's `del` bytes at offset pos (from its listpack's first byte) become a gap of `ins`
   * bytes, its count changing by dc; returns the gap's offset in the node's (maybe new)
   * buffer. A new buffer keeps room after the listpack (`front`: before it) to grow.
   */
  private splice(k: number, pos: number, del: number, ins: number, dc: number, front = false) {
    const s = this.slot(k);
    let buf = this.bufs[s] as Uint8Array, start = this.starts[s];
    const bytes = lpBytes(buf, start);
    const len = bytes - del + ins;
    if (start + len > buf.length || (front && start < len)) {
      const cap = roomFor(len);
      const nb = new Uint8Array(cap);
      const ns = front ? cap - len : 0;
      nb.set(buf.subarray(start, start + pos), ns);
      nb.set(buf.subarray(start + pos + del, start + bytes), ns + pos + ins);
      buf = nb;
      start = ns;
      this.bufs[s] = buf;
      this.starts[s] = start;
    } else if (ins !== del) {
      buf.copyWithin(start + pos + ins, start + pos + del, start + bytes);
    }
    this.counts[s] += dc;
    lpWriteHeader(buf, start, len, this.counts[s]);
    this.cNode = -1;
    return start + pos;
  }

  // ---- ends

  /** Adds v at the head or the tail. */
  push(v: StringValue, front: boolean): void {
    if (typeof v !== "string" && v.length > NODE_SLACK_MAX) return this.pushHuge(v, front);
    const sz = encode(v);
    this.cNode = -1;
    this.len++;
    const k = front ? 0 : this.nodes - 1;
    if (
      this.nodes === 0 || !nodeAllowInsert(this.nodeBytes(k), this.counts[this.slot(k)], v.length)
    ) {
      if (this.nodes > 0) this.fit(k);
      this.newNode(front ? 0 : this.nodes, sz, front);
      releaseScratch();
      return;
    }
    const s = this.slot(k);
    const buf = this.bufs[s] as Uint8Array, start = this.starts[s];
    if (front && start >= sz) {
      // the header moves sz bytes left; the entry takes the bytes the header left
      const bytes = lpBytes(buf, start);
      const ns = start - sz;
      const count = ++this.counts[s];
      lpWriteHeader(buf, ns, bytes + sz, count);
      copyEntry(buf, ns + LP_HEADER_BYTES, sz);
      this.starts[s] = ns;
    } else {
      const pos = front ? LP_HEADER_BYTES : this.nodeBytes(k) - 1;
      const at = this.splice(k, pos, 0, sz, 1, front);
      copyEntry(this.bufs[s] as Uint8Array, at, sz);
    }
    releaseScratch();
  }

  /** Removes and returns the head or the tail element (the list must not be empty). */
  pop(front: boolean): StringValue {
    return this.popInto(front, null);
  }

  /** Removes the head or the tail element, writing it to the sink (no string is made). */
  popTo(sink: ElementSink, front: boolean): void {
    this.popInto(front, sink);
  }

  private popInto(front: boolean, sink: ElementSink | null): StringValue {
    const k = front ? 0 : this.nodes - 1;
    const s = this.slot(k);
    const buf = this.bufs[s] as Uint8Array, start = this.starts[s];
    const e = this.e;
    const bytes = lpBytes(buf, start);
    const p = front ? start + LP_HEADER_BYTES : lpPrev(buf, start, start + bytes - 1);
    lpRead(buf, p, e);
    let v: StringValue = "";
    if (sink === null) v = entryValue(buf, e);
    else writeEntry(sink, buf, e);
    this.len--;
    this.cNode = -1;
    if (this.counts[s] === 1) {
      this.removeNode(k);
      return v;
    }
    const d = e.next - p;
    const count = --this.counts[s];
    if (front) {
      // the header moves right over the popped entry
      this.starts[s] = start + d;
      lpWriteHeader(buf, start + d, bytes - d, count);
    } else {
      buf[p] = LP_EOF;
      lpWriteHeader(buf, start, bytes - d, count);
    }
    return v;
  }

  // ---- positions

  /**
   * Points the read cache at element i (0 <= i < len): its node and entry. Walks from the
   * cached position when it is in the same node, else from the nearer end of the chain.
   */
  private locate(i: number): void {
    const e = this.e;
    if (this.cNode >= 0) {
      const s = this.slot(this.cNode);
      const first = this.cFirst;
      if (i >= first && i < first + this.counts[s]) {
        const buf = this.bufs[s] as Uint8Array, start = this.starts[s];
        const j = this.cIdx;
        let p = start + this.cOff;
        const want = i - first;
        if (Math.abs(want - j) <= Math.min(want, this.counts[s] - 1 - want)) {
          p = lpSeek(buf, start, p, j, want, e);
          this.cIdx = want;
          this.cOff = p - start;
          return;
        }
      }
    }
    let k: number, first: number;
    if (i < this.len - i) {
      k = 0;
      first = 0;
      while (first + this.counts[this.slot(k)] <= i) first += this.counts[this.slot(k++)];
    } else {
      k = this.nodes - 1;
      first = this.len - this.counts[this.slot(k)];
      while (first > i) first -= this.counts[this.slot(--k)];
    }
    const s = this.slot(k);
    const buf = this.bufs[s] as Uint8Array, start = this.starts[s], n = this.counts[s];
    const want = i - first;
    // from the nearer end of the node
    const p = want <= n - 1 - want
      ? lpSeek(buf, start, start + LP_HEADER_BYTES, 0, want, e)
      : lpSeek(buf, start, lpPrev(buf, start, start + lpBytes(buf, start) - 1), n - 1, want, e);
    this.cNode = k;
    this.cFirst = first;
    this.cIdx = want;
    this.cOff = p - start;
  }

  /** The element at index i. */
  at(i: number): StringValue {
    this.locate(i);
    const s = this.slot(this.cNode);
    const buf = this.bufs[s] as Uint8Array;
    lpRead(buf, this.starts[s] + this.cOff, this.e);
    return entryValue(buf, this.e);
  }

  /** Whether element i holds exactly the bytes of v. */
  equalsAt(i: number, v: StringValue): boolean {
    this.locate(i);
    const s = this.slot(this.cNode);
    const buf = this.bufs[s] as Uint8Array;
    lpRead(buf, this.starts[s] + this.cOff, this.e);
    return entryEquals(buf, this.e, v);
  }

  /** Writes elements [from, to] (valid indexes) to the sink, in order. */
  writeRange(sink: ElementSink, from: number, to: number): void {
    this.locate(from);
    let k = this.cNode;
    let s = this.slot(k);
    let buf = this.bufs[s] as Uint8Array;
    let p = this.starts[s] + this.cOff;
    const e = this.e;
    for (let i = from; i <= to; i++) {
      if (!lpRead(buf, p, e)) {
        s = this.slot(++k);
        buf = this.bufs[s] as Uint8Array;
        lpRead(buf, this.starts[s] + LP_HEADER_BYTES, e);
      }
      writeEntry(sink, buf, e);
      p = e.next;
    }
    this.cNode = -1;
  }

  /** Calls fn for each element in order, with its node's buffer and entry; stops on false. */
  private each(fn: (buf: Uint8Array, e: LpEntry) => boolean): void {
    const e = this.e;
    for (let k = 0; k < this.nodes; k++) {
      const s = this.slot(k);
      const buf = this.bufs[s] as Uint8Array;
      for (let p = this.starts[s] + LP_HEADER_BYTES; lpRead(buf, p, e); p = e.next) {
        if (!fn(buf, e)) return;
      }
    }
  }

  /** Every element in order, appended to out. */
  collect(out: StringValue[]): void {
    this.each((buf, e) => {
      out.push(entryValue(buf, e));
      return true;
    });
  }

  /** The index of the first element equal to v, or -1. */
  indexOf(v: StringValue): number {
    let i = 0, found = -1;
    this.each((buf, e) => {
      if (entryEquals(buf, e, v)) {
        found = i;
        return false;
      }
      i++;
      return true;
    });
    return found;
  }

  // ---- edits inside

  /** Replaces element i by v (in its node, as Redis 7.0's LSET does whatever the size). */
  replace(i: number, v: StringValue): void {
    const sz = encode(v);
    this.locate(i);
    const k = this.cNode, s = this.slot(k);
    const buf = this.bufs[s] as Uint8Array, start = this.starts[s];
    const pos = this.cOff;
    lpRead(buf, start + pos, this.e);
    const at = this.splice(k, pos, this.e.next - start - pos, sz, 0);
    copyEntry(this.bufs[s] as Uint8Array, at, sz);
    releaseScratch();
  }

  /** Inserts v so that it becomes element i (0 < i < len: the ends are pushes). */
  insert(i: number, v: StringValue): void {
    this.locate(i);
    const k = this.cNode, s = this.slot(k);
    const j = this.cIdx, pos = this.cOff;
    const sz = encode(v);
    this.len++;
    if (nodeAllowInsert(this.nodeBytes(k), this.counts[s], v.length)) {
      const at = this.splice(k, pos, 0, sz, 1);
      copyEntry(this.bufs[s] as Uint8Array, at, sz);
    } else if (j === 0) {
      // before a full node's first element: the end of the node before, or a node of its own
      const prev = k - 1;
      if (nodeAllowInsert(this.nodeBytes(prev), this.counts[this.slot(prev)], v.length)) {
        const at = this.splice(prev, this.nodeBytes(prev) - 1, 0, sz, 1);
        copyEntry(this.bufs[this.slot(prev)] as Uint8Array, at, sz);
      } else this.newNode(k, sz, false);
    } else {
      // split the full node before element j; v ends the first half (or sits between)
      this.split(k, j, pos);
      const bytes = this.nodeBytes(k);
      if (nodeAllowInsert(bytes, this.counts[this.slot(k)], v.length)) {
        const at = this.splice(k, bytes - 1, 0, sz, 1);
        copyEntry(this.bufs[this.slot(k)] as Uint8Array, at, sz);
      } else this.newNode(k + 1, sz, false);
    }
    this.cNode = -1;
    releaseScratch();
  }

  /** Splits node k before its entry j (at offset pos): entries j.. move to a new node k + 1. */
  private split(k: number, j: number, pos: number): void {
    const s = this.slot(k);
    const buf = this.bufs[s] as Uint8Array, start = this.starts[s];
    const bytes = lpBytes(buf, start), count = this.counts[s];
    const tail = bytes - 1 - pos;
    const nb = new Uint8Array(LP_HEADER_BYTES + tail + 1);
    nb.set(buf.subarray(start + pos, start + bytes), LP_HEADER_BYTES);
    lpWriteHeader(nb, 0, nb.length, count - j);
    buf[start + pos] = LP_EOF;
    this.counts[s] = j;
    lpWriteHeader(buf, start, pos + 1, j);
    this.insertNode(k + 1, nb, 0, count - j);
    this.cNode = -1;
  }

  /** Removes n elements from index start (a valid range). */
  removeRange(start: number, n: number): void {
    if (n <= 0) return;
    this.locate(start);
    let k = this.cNode, j = this.cIdx, pos = this.cOff;
    this.len -= n;
    const e = this.e;
    while (n > 0) {
      const s = this.slot(k);
      const count = this.counts[s];
      const take = Math.min(n, count - j);
      n -= take;
      if (take === count) {
        this.removeNode(k);
      } else {
        const buf = this.bufs[s] as Uint8Array, st = this.starts[s];
        let p = st + pos;
        for (let t = 0; t < take; t++) {
          lpRead(buf, p, e);
          p = e.next;
        }
        this.splice(k, pos, p - st - pos, 0, -take);
        k++;
      }
      j = 0;
      pos = LP_HEADER_BYTES;
    }
    this.cNode = -1;
  }

  /** Removes every element. */
  clear(): void {
    for (let k = 0; k < this.nodes; k++) this.bufs[this.slot(k)] = null;
    this.nodes = 0;
    this.head = 0;
    this.len = 0;
    this.cNode = -1;
  }

  /**
   * LREM: removes up to `limit` elements equal to v (0: all), the last ones when `fromTail`;
   * returns how many. Each node's kept entries are compacted in place.
   */
  removeEqual(v: StringValue, limit: number, fromTail: boolean): number {
    let skip = 0;
    if (fromTail && limit > 0) {
      let matches = 0;
      this.each((buf, e) => {
        if (entryEquals(buf, e, v)) matches++;
        return true;
      });
      skip = matches > limit ? matches - limit : 0;
    }
    const e = this.e;
    let removed = 0;
    for (let k = 0; k < this.nodes; k++) {
      const s = this.slot(k);
      const buf = this.bufs[s] as Uint8Array, start = this.starts[s];
      const first = start + LP_HEADER_BYTES;
      let w = first, p = first, gone = 0;
      while (lpRead(buf, p, e)) {
        const next = e.next;
        let drop = (limit === 0 || removed < limit) && entryEquals(buf, e, v);
        if (drop && skip > 0) {
          skip--;
          drop = false;
        }
        if (drop) {
          removed++;
          gone++;
        } else {
          if (w !== p) buf.copyWithin(w, p, next);
          w += next - p;
        }
        p = next;
      }
      if (gone === 0) continue;
      const count = this.counts[s] - gone;
      if (count === 0) {
        this.removeNode(k--);
        continue;
      }
      buf[w] = LP_EOF;
      this.counts[s] = count;
      lpWriteHeader(buf, start, w + 1 - start, count);
    }
    this.len -= removed;
    this.cNode = -1;
    return removed;
  }

  /** A deep copy (each node cut to its size). */
  clone(): QuickList {
    const q = new QuickList();
    for (let k = 0; k < this.nodes; k++) {
      const s = this.slot(k);
      const buf = this.bufs[s] as Uint8Array, start = this.starts[s];
      q.insertNode(k, buf.slice(start, start + lpBytes(buf, start)), 0, this.counts[s]);
    }
    q.len = this.len;
    return q;
  }

  /** Bytes the nodes' buffers hold (MEMORY USAGE). */
  bufferBytes(): number {
    let n = 0;
    for (let k = 0; k < this.nodes; k++) n += (this.bufs[this.slot(k)] as Uint8Array).length;
    return n;
  }
}
