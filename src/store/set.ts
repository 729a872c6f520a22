/**
 * The set value, in Redis 7.0's two encodings:
 *
 * - "intset" while every member is a canonical int64 (string2ll) and there are at most
 *   set-max-intset-entries of them. A set a command creates lives as Redis's intset in a blob
 *   of its record (intset.ts, set_blob.ts), members sorted numerically: this class is then a
 *   VIEW over the blob, made per command by blobView (views.ts) and never kept past it.
 * - "hashtable" from then on, for good (removals never convert back). A small one (at most
 *   SET_LP_MAX_ENTRIES members of at most SET_LP_MAX_VALUE bytes: Skua's limits, not Redis
 *   config) stays a blob, as a listpack of its members in insertion order, where Redis would
 *   spend a dict entry per member; past that it is an OBJECT in the ObjectTable over a
 *   SetTable (set_table.ts: members as bytes in typed arrays, no JS object per member), so
 *   membership, add, remove (swap with the last) and random picks are all O(1).
 *
 * An object may also be in the intset state (a store command's scratch result, a set shipped
 * between shards): then `intset` is set, and `wideEnc` keeps the widest intset encoding any
 * member ever needed, so the blob built from it has Redis's bytes (an intset never narrows).
 *
 * A view that converts (to a listpack blob, or to an object) keeps working: the conversion
 * moves this same instance to its new mode (Blob.toObject hands the record this object).
 */
import type { CollectionValue } from "./types.ts";
import type { Blob } from "./blob.ts";
import { SetTable } from "./set_table.ts";
import { latin1 } from "../util/bytes.ts";
import { BLOB_INTSET, BLOB_LISTPACK } from "./record.ts";
import { LpBuilder, lpCount } from "./listpack.ts";
import {
  IntKey,
  intKeyOf,
  INTSET_ENC_INT16,
  INTSET_MAX_ENTRIES,
  IntsetBuilder,
  isEncoding,
  isLength,
  isSearch,
  isText,
} from "./intset.ts";
import {
  intsetInsert,
  intsetMembers,
  intsetRemoveAt,
  lpSetAppend,
  lpSetAt,
  lpSetFind,
  lpSetMembers,
  lpSetRange,
  lpSetRemoveFound,
  lpSetSeek,
  SET_LP_MAX_ENTRIES,
  SET_LP_MAX_VALUE,
} from "./set_blob.ts";

/** Whether Redis would hold this member in an intset (string2ll accepts it). */
export function isIntMember(m: string): boolean {
  return intKeyOf(m, key);
}

/** scratch for the member being looked up (a Worker runs one command at a time) */
const key = new IntKey();

/** Numeric order of two int64 members (exact beyond 2^53). */
function intOrder(a: string, b: string): number {
  const x = Number(a), y = Number(b);
  if (x !== y) return x < y ? -1 : 1;
  if (a === b) return 0;
  const p = BigInt(a), q = BigInt(b);
  return p < q ? -1 : p > q ? 1 : 0;
}

/** Bytes of the last encodeCompact(). */
export let compactBytes = 0;

/** The compact bytes a set encodes to (encodeCompact), shared scratch. */
export const compactIntset = new IntsetBuilder();
export const compactListpack = new LpBuilder();

export class SetValue implements CollectionValue {
  /** an object's members (null for a view) */
  private t: SetTable | null;
  /** an object in Redis's intset state */
  private isInt = true;
  /** an object in the intset state: the widest intset encoding a member needed */
  private wideEnc = INTSET_ENC_INT16;
  /** an intset object's members in numeric order (rebuilt after a change) */
  private sortedCache: string[] | null = null;

  /**
   * An empty object in the intset state (a scratch result, a copy); with a blob, the view over
   * a set's blob (its format BLOB_INTSET or BLOB_LISTPACK) for one command.
   */
  constructor(private b: Blob | null = null, private fmt = BLOB_INTSET) {
    this.t = b === null ? new SetTable() : null;
  }

  /** An empty set in the intset state, an object (a scratch result, a copy). */
  static object(): SetValue {
    return new SetValue();
  }

  /** The view over a set's blob (blob.ts), for one command. */
  static view(b: Blob, format: number): SetValue {
    return new SetValue(b, format);
  }

  /** An object holding `members` (distinct), in the intset state if `intset`. */
  static fromMembers(members: string[], intset: boolean): SetValue {
    const s = SetValue.object();
    s.isInt = intset;
    for (const m of members) {
      s.t!.add(m);
      if (intset && intKeyOf(m, key) && key.encoding() > s.wideEnc) s.wideEnc = key.encoding();
    }
    return s;
  }

  get size(): number {
    const b = this.b;
    if (b === null) return this.t!.n;
    return this.fmt === BLOB_INTSET ? isLength(b.u8, b.at) : lpCount(b.u8, b.at);
  }

  /** Whether Redis's encoding is "intset". */
  get intset(): boolean {
    return this.b === null ? this.isInt : this.fmt === BLOB_INTSET;
  }

  /** Whether this is a view over a blob. */
  get isView(): boolean {
    return this.b !== null;
  }

  encoding(): string {
    return this.intset ? "intset" : "hashtable";
  }

  /** A copy as an object (a view's copy is detached from the blob). */
  clone(): SetValue {
    const b = this.b;
    if (b !== null) {
      const s = SetValue.fromMembers(this.members(), this.intset);
      if (this.fmt === BLOB_INTSET) s.wideEnc = isEncoding(b.u8, b.at);
      return s;
    }
    const s = new SetValue();
    s.t = this.t!.clone();
    s.isInt = this.isInt;
    s.wideEnc = this.wideEnc;
    return s;
  }

  /**
   * A hashtable-encoded object's table, to write replies straight from the members' bytes
   * (in the dense order, which is this set's iteration order); null otherwise.
   */
  get table(): SetTable | null {
    return this.isInt ? null : this.t;
  }

  /** An object's bytes beyond the instance (its table's arrays); 0 for a view. */
  ownBytes(): number {
    return this.t === null ? 0 : this.t.bytes;
  }

  /**
   * has() for a member given as bytes (a request's argument): a large set makes no string, and
   * neither does a member too long for any blob (none holds more than SET_LP_MAX_VALUE bytes).
   */
  hasBytes(m: Uint8Array): boolean {
    if (this.b === null) return this.t!.hasBytes(m, 0, m.length);
    return m.length <= SET_LP_MAX_VALUE && this.has(latin1(m));
  }

  /** add() for a member given as bytes. */
  addBytes(m: Uint8Array, maxIntset: number): boolean {
    const b = this.b;
    if (b !== null && m.length > SET_LP_MAX_VALUE) {
      // not an integer, too long for a listpack: a hashtable object from now on
      this.toObject(b);
      return this.t!.addBytes(m, 0, m.length);
    }
    if (b === null && !this.isInt) return this.t!.addBytes(m, 0, m.length);
    return this.add(latin1(m), maxIntset);
  }

  /** remove() for a member given as bytes. */
  removeBytes(m: Uint8Array): boolean {
    if (this.b !== null) return m.length <= SET_LP_MAX_VALUE && this.remove(latin1(m));
    if (!this.t!.removeBytes(m, 0, m.length)) return false;
    this.sortedCache = null;
    return true;
  }

  has(m: string): boolean {
    const b = this.b;
    if (b === null) return this.t!.has(m);
    if (this.fmt === BLOB_INTSET) return intKeyOf(m, key) && isSearch(b.u8, b.at, key) >= 0;
    return lpSetFind(b, m) >= 0;
  }

  /**
   * Adds a member (Redis's setTypeAdd: an intset converts to a hashtable when `m` is not an
   * integer or it would hold more than `maxIntset`); false if present.
   */
  add(m: string, maxIntset: number): boolean {
    const b = this.b;
    if (b !== null) {
      if (this.fmt === BLOB_INTSET) {
        if (intKeyOf(m, key)) {
          const i = isSearch(b.u8, b.at, key);
          if (i >= 0) return false;
          const max = maxIntset < INTSET_MAX_ENTRIES ? maxIntset : INTSET_MAX_ENTRIES;
          if (isLength(b.u8, b.at) + 1 <= max) {
            intsetInsert(b, -i - 1, key);
            return true;
          }
        }
        this.leaveIntset(b, m);
        return true;
      }
      if (lpSetFind(b, m) >= 0) return false;
      if (m.length <= SET_LP_MAX_VALUE && lpCount(b.u8, b.at) < SET_LP_MAX_ENTRIES) {
        lpSetAppend(b, m);
        return true;
      }
      this.toObject(b);
    }
    const t = this.t!;
    if (!this.isInt) return t.add(m);
    if (t.has(m)) return false;
    const max = maxIntset < INTSET_MAX_ENTRIES ? maxIntset : INTSET_MAX_ENTRIES;
    if (!intKeyOf(m, key) || t.n + 1 > max) this.isInt = false;
    else {
      if (key.encoding() > this.wideEnc) this.wideEnc = key.encoding();
      this.sortedCache = null;
    }
    return t.add(m);
  }

  remove(m: string): boolean {
    const b = this.b;
    if (b !== null) {
      if (this.fmt === BLOB_INTSET) {
        if (!intKeyOf(m, key)) return false;
        const i = isSearch(b.u8, b.at, key);
        if (i < 0) return false;
        intsetRemoveAt(b, i);
        return true;
      }
      if (lpSetFind(b, m) < 0) return false;
      lpSetRemoveFound(b);
      return true;
    }
    if (!this.t!.remove(m)) return false;
    this.sortedCache = null;
    return true;
  }

  private removeAt(i: number): void {
    const b = this.b;
    if (b !== null) {
      if (this.fmt === BLOB_INTSET) intsetRemoveAt(b, i);
      else {
        lpSetSeek(b, i);
        lpSetRemoveFound(b);
      }
      return;
    }
    this.t!.removeAt(i);
    this.sortedCache = null;
  }

  /** Member i, 0 <= i < size (in the order of memberAt: any fixed order). */
  memberAt(i: number): string {
    const b = this.b;
    if (b === null) return this.t!.at(i);
    return this.fmt === BLOB_INTSET ? isText(b.u8, b.at, i) : lpSetAt(b, i);
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    return this.memberAt((Math.random() * this.size) | 0);
  }

  /** Removes and returns a uniformly random member (the set must not be empty). */
  pop(): string {
    const i = (Math.random() * this.size) | 0;
    const m = this.memberAt(i);
    this.removeAt(i);
    return m;
  }

  /**
   * The members in Redis's iteration order: numeric for an intset, else insertion order (a
   * listpack) or the table's dense order. An intset object's array is shared: read it before
   * the next change, do not modify it.
   */
  members(): string[] {
    const b = this.b;
    if (b !== null) {
      const out: string[] = [];
      if (this.fmt === BLOB_INTSET) intsetMembers(b, out);
      else lpSetMembers(b, out);
      return out;
    }
    const t = this.t!;
    if (!this.isInt) {
      const out: string[] = [];
      for (let i = 0; i < t.n; i++) out.push(t.at(i));
      return out;
    }
    let s = this.sortedCache;
    if (s === null) {
      s = [];
      for (let i = 0; i < t.n; i++) s.push(t.at(i));
      this.sortedCache = s.sort(intOrder);
    }
    return s;
  }

  /**
   * One SCAN page of a hashtable-encoded set, from the end: cursor 0 starts, c > 0 means
   * members [0, c) are left. A removal only moves a visited member down (a swap with the last,
   * or the listpack's entries after it shifting down; a conversion keeps the order), so
   * members present for the whole scan are all returned. Returns the next cursor (0: done).
   */
  scanStep(cursor: number, count: number, out: string[]): number {
    const n = this.size;
    let i = cursor === 0 || cursor > n ? n : cursor;
    const stop = Math.max(0, i - count);
    const b = this.b;
    if (b !== null) {
      lpSetRange(b, stop, i, out);
      return stop;
    }
    const t = this.t!;
    while (i > stop) out.push(t.at(--i));
    return i;
  }

  /**
   * The compact encoding this object would have as a blob: BLOB_INTSET (bytes in
   * compactIntset), BLOB_LISTPACK (bytes in compactListpack), or -1 (stays an object).
   * Returns the byte count in `compactBytes`.
   */
  encodeCompact(): number {
    const t = this.t!, n = t.n;
    if (this.isInt) {
      const ib = compactIntset;
      ib.begin(this.wideEnc);
      for (let i = 0; i < n; i++) {
        intKeyOf(t.at(i), key);
        ib.add(key);
      }
      compactBytes = ib.end();
      return BLOB_INTSET;
    }
    if (n > SET_LP_MAX_ENTRIES) return -1;
    for (let i = 0; i < n; i++) if (t.lenOf(i) > SET_LP_MAX_VALUE) return -1;
    const lb = compactListpack;
    lb.begin();
    for (let i = 0; i < n; i++) lb.add(t.at(i));
    compactBytes = lb.end();
    return BLOB_LISTPACK;
  }

  /**
   * An intset view gets `m` (not present; not an integer, or one too many): it becomes a
   * hashtable set, as a listpack blob while small enough, else an object.
   */
  private leaveIntset(b: Blob, m: string): void {
    const n = isLength(b.u8, b.at);
    if (n + 1 <= SET_LP_MAX_ENTRIES && m.length <= SET_LP_MAX_VALUE) {
      const lb = compactListpack;
      lb.begin();
      for (let i = 0; i < n; i++) lb.add(isText(b.u8, b.at, i));
      lb.add(m);
      b.write(lb.buf, lb.end());
      b.setFormat(BLOB_LISTPACK);
      this.fmt = BLOB_LISTPACK;
      return;
    }
    this.toObject(b);
    this.t!.add(m);
  }

  /** The view leaves its blob: a hashtable object with the same members, same order. */
  private toObject(b: Blob): void {
    const members = this.members();
    const t = new SetTable();
    for (let i = 0; i < members.length; i++) t.add(members[i]);
    this.t = t;
    this.isInt = false;
    this.sortedCache = null;
    this.b = null;
    b.toObject(this);
  }
}
