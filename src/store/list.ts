/**
 * The list value: a ring buffer of elements whose capacity is a power of two, doubling when
 * full and halving when mostly empty. Push and pop at either end are O(1) (amortized over the
 * resizes), LLEN is O(1), and any index is O(1) to read or replace; inserting or removing in
 * the middle moves the elements of the shorter side only.
 *
 * Elements are stored values: latin1 strings (one char per byte), or bytes for the rare
 * element too large for a V8 string (see `toValue`).
 */
import type { CollectionValue, StringValue } from "./types.ts";

type Slot = StringValue | undefined;

const MIN_CAPACITY = 4;
/** Below this capacity a list never shrinks (the copy would cost more than the memory). */
const SHRINK_FLOOR = 64;

/** A packed array of `n` empty slots (packed arrays read faster than holey ones). */
function emptySlots(n: number): Slot[] {
  const a: Slot[] = [];
  for (let i = 0; i < n; i++) a.push(undefined);
  return a;
}

function capacityFor(n: number): number {
  let c = MIN_CAPACITY;
  while (c < n) c *= 2;
  return c;
}

/** Whether two stored values hold the same bytes. */
export function sameValue(a: StringValue, b: StringValue): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class ListValue implements CollectionValue {
  private buf: Slot[];
  private mask: number;
  /** physical index of the first element */
  private head = 0;
  private len = 0;

  constructor(capacity = MIN_CAPACITY) {
    const cap = capacityFor(capacity);
    this.buf = emptySlots(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.len;
  }

  /** Redis 7.0 keeps every list in a quicklist. */
  encoding(): string {
    return "quicklist";
  }

  clone(): ListValue {
    const c = new ListValue(this.len);
    for (let i = 0; i < this.len; i++) c.buf[i] = this.at(i);
    c.len = this.len;
    return c;
  }

  /** The element at logical index i (0 <= i < size). */
  at(i: number): StringValue {
    return this.buf[(this.head + i) & this.mask] as StringValue;
  }

  /** Replaces the element at logical index i (0 <= i < size). */
  setAt(i: number, v: StringValue): void {
    this.buf[(this.head + i) & this.mask] = v;
  }

  pushFront(v: StringValue): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.len++;
  }

  pushBack(v: StringValue): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.buf[(this.head + this.len) & this.mask] = v;
    this.len++;
  }

  /** Removes and returns the first element (the list must not be empty). */
  popFront(): StringValue {
    const h = this.head;
    const v = this.buf[h] as StringValue;
    this.buf[h] = undefined;
    this.head = (h + 1) & this.mask;
    this.len--;
    this.maybeShrink();
    return v;
  }

  /** Removes and returns the last element (the list must not be empty). */
  popBack(): StringValue {
    const p = (this.head + this.len - 1) & this.mask;
    const v = this.buf[p] as StringValue;
    this.buf[p] = undefined;
    this.len--;
    this.maybeShrink();
    return v;
  }

  /** Inserts v so that it ends up at logical index i (0 <= i <= size). */
  insert(i: number, v: StringValue): void {
    if (i === 0) return this.pushFront(v);
    if (i === this.len) return this.pushBack(v);
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    const buf = this.buf;
    const m = this.mask;
    if (i < this.len - i) {
      // open the gap by moving the first i elements one step towards the front
      const h = (this.head - 1) & m;
      for (let k = 0; k < i; k++) buf[(h + k) & m] = buf[(h + k + 1) & m];
      this.head = h;
    } else {
      for (let k = this.len; k > i; k--) buf[(this.head + k) & m] = buf[(this.head + k - 1) & m];
    }
    buf[(this.head + i) & m] = v;
    this.len++;
  }

  /** Removes `n` elements starting at logical index `start` (a valid range). */
  removeRange(start: number, n: number): void {
    if (n <= 0) return;
    const buf = this.buf;
    const m = this.mask;
    const h = this.head;
    const after = this.len - start - n;
    if (start < after) {
      // shift the front part towards the back, then drop the first n slots
      for (let k = start - 1; k >= 0; k--) buf[(h + k + n) & m] = buf[(h + k) & m];
      for (let k = 0; k < n; k++) buf[(h + k) & m] = undefined;
      this.head = (h + n) & m;
    } else {
      for (let k = 0; k < after; k++) buf[(h + start + k) & m] = buf[(h + start + n + k) & m];
      for (let k = this.len - n; k < this.len; k++) buf[(h + k) & m] = undefined;
    }
    this.len -= n;
    this.maybeShrink();
  }

  /** Keeps only logical indexes [start, start + n). */
  trim(start: number, n: number): void {
    const tail = this.len - start - n;
    if (tail > 0) this.removeRange(start + n, tail);
    if (start > 0) this.removeRange(0, start);
  }

  /** Removes every element. */
  clear(): void {
    this.buf = emptySlots(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.head = 0;
    this.len = 0;
  }

  /**
   * LREM: removes up to `limit` elements equal to v (0 = all), scanning from the tail when
   * `fromTail`; returns how many were removed.
   */
  removeEqual(v: StringValue, limit: number, fromTail: boolean): number {
    const buf = this.buf;
    const m = this.mask;
    const h = this.head;
    const len = this.len;
    let removed = 0;
    if (!fromTail) {
      let w = 0;
      for (let r = 0; r < len; r++) {
        const e = buf[(h + r) & m] as StringValue;
        if ((limit === 0 || removed < limit) && sameValue(e, v)) removed++;
        else {
          if (w !== r) buf[(h + w) & m] = e;
          w++;
        }
      }
      for (let k = w; k < len; k++) buf[(h + k) & m] = undefined;
    } else {
      let w = len - 1;
      for (let r = len - 1; r >= 0; r--) {
        const e = buf[(h + r) & m] as StringValue;
        if ((limit === 0 || removed < limit) && sameValue(e, v)) removed++;
        else {
          if (w !== r) buf[(h + w) & m] = e;
          w--;
        }
      }
      for (let k = 0; k <= w; k++) buf[(h + k) & m] = undefined;
      this.head = (h + removed) & m;
    }
    this.len -= removed;
    if (removed > 0) this.maybeShrink();
    return removed;
  }

  /** Logical index of the first element equal to v, or -1. */
  indexOf(v: StringValue): number {
    for (let i = 0; i < this.len; i++) if (sameValue(this.at(i), v)) return i;
    return -1;
  }

  /** The elements in order (tests and debugging). */
  toArray(): StringValue[] {
    const out: StringValue[] = [];
    for (let i = 0; i < this.len; i++) out.push(this.at(i));
    return out;
  }

  /** The current capacity (tests). */
  get capacity(): number {
    return this.buf.length;
  }

  private maybeShrink(): void {
    const cap = this.buf.length;
    if (cap > SHRINK_FLOOR && this.len * 4 < cap) this.resize(capacityFor(this.len * 2));
  }

  /** Copies the elements in order into a new buffer of `cap` slots (a power of two). */
  private resize(cap: number): void {
    const nb = emptySlots(cap);
    const buf = this.buf;
    const m = this.mask;
    for (let i = 0; i < this.len; i++) nb[i] = buf[(this.head + i) & m];
    this.buf = nb;
    this.mask = cap - 1;
    this.head = 0;
  }
}
