/**
 * Single-producer single-consumer ring of variable-length byte records over a SharedArrayBuffer.
 *
 * Layout of the SharedArrayBuffer (all offsets in bytes):
 *
 *   0    head         Int32, written by the producer only (bytes published so far)
 *   4    spaceWanted  Int32, producer sets 1 when a write could not complete; consumer clears it
 *   64   tail         Int32, written by the consumer only (bytes released so far)
 *   128  data region  `capacity` bytes, capacity a power of two in [16, 2^30]
 *
 * head and tail live on separate 64-byte cache lines so the two sides do not false-share.
 * Both are free-running byte counters that wrap at 2^32 (stored as Int32, all arithmetic is `| 0`).
 * Because the capacity divides 2^32, `counter & (capacity - 1)` is the data offset and
 * `(head - tail) | 0` is the number of used bytes, even across the wrap.
 *
 * Every fragment is `[Int32 word][payload][pad to 4 bytes]`, always starting at a 4-byte aligned
 * offset, so the word is never split by the end of the data region (the payload may be: it
 * continues at offset 0). The word's low 30 bits are the fragment's payload length; bit 31 (MORE)
 * says "further fragments of this record follow". A record that does not fit is written as
 * several fragments which the consumer concatenates, so any record size passes through any ring.
 * The first of them sets bit 30 (FIRST) and starts its payload with the whole record's length
 * (Int32), so the consumer allocates a big record once, at its size: doubling a reassembly
 * buffer to 512 MiB copied and faulted in twice the record's bytes.
 *
 * Memory order: the producer fills the data with plain stores and then publishes with
 * `Atomics.store(head)`; the consumer reads `head` with `Atomics.load` before touching the data,
 * and releases with `Atomics.store(tail)` after copying it out. Atomics are sequentially
 * consistent in JS, which the producer-space wake (spaceWanted, see `write`) relies on.
 */

const HEAD = 0;
const SPACE_WANTED = 1;
const TAIL = 16;
/** Bytes before the data region. */
export const RING_HEADER_BYTES = 128;
const MORE = 0x80000000 | 0;
const FIRST = 0x40000000;
const LEN_MASK = 0x3fffffff;
const MIN_CAPACITY = 16;
const MAX_CAPACITY = 1 << 30;
/** Copies up to this size are done with a byte loop, which avoids allocating subarray views. */
const SMALL_COPY = 32;
/**
 * A record longer than this is assembled in a buffer of its own, which the ring lets go of once
 * it returned the record (`detached`): the consumer may keep views into it.
 */
const SCRATCH_KEEP = 4 * 1024 * 1024;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

export class SpscRing {
  /** SharedArrayBuffer size needed for a data region of `capacity` bytes (a power of two). */
  static byteLength(capacity: number): number {
    SpscRing.checkCapacity(capacity);
    return RING_HEADER_BYTES + capacity;
  }

  private static checkCapacity(capacity: number): void {
    if (!isPowerOfTwo(capacity) || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY) {
      throw new RangeError(
        `ring capacity must be a power of two in [${MIN_CAPACITY}, ${MAX_CAPACITY}], got ${capacity}`,
      );
    }
  }

  readonly capacity: number;
  private readonly mask: number;
  private readonly ctl: Int32Array;
  private readonly data: Uint8Array;
  private readonly words: Int32Array;
  /** A record that does not fit whole is fragmented only once at least this many payload bytes
   * fit, so a slow consumer does not make the producer trickle tiny fragments. */
  private readonly minFragment: number;

  // Producer-local state.
  private head = 0;
  private tailSeen = 0;
  private midRecord = false;

  // Consumer-local state.
  private tail = 0;
  private headSeen = 0;
  private scratch: Uint8Array;
  /** the buffer the record being reassembled goes to: `scratch`, or its own when big */
  private into: Uint8Array;
  private assembled = 0;
  private freed = false;
  private lastDetached = false;

  /** `capacity` defaults to what the buffer holds after the header. */
  constructor(sab: SharedArrayBuffer, capacity = sab.byteLength - RING_HEADER_BYTES) {
    SpscRing.checkCapacity(capacity);
    if (sab.byteLength < RING_HEADER_BYTES + capacity) {
      throw new RangeError(`SharedArrayBuffer too small for a ring of capacity ${capacity}`);
    }
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.ctl = new Int32Array(sab, 0, RING_HEADER_BYTES >> 2);
    this.data = new Uint8Array(sab, RING_HEADER_BYTES, capacity);
    this.words = new Int32Array(sab, RING_HEADER_BYTES, capacity >> 2);
    this.minFragment = Math.max(4, Math.min(capacity >>> 2, 16384));
    this.scratch = new Uint8Array(Math.min(capacity, 4096));
    this.into = this.scratch;
    // Either side may attach to a ring the other side already uses.
    this.head = Atomics.load(this.ctl, HEAD);
    this.tailSeen = this.tail = this.headSeen = Atomics.load(this.ctl, TAIL);
  }

  /**
   * Producer side. Writes as much of `rec[start..]` as fits now and never blocks.
   * Returns the offset in `rec` up to which bytes are now written (so `=== rec.length` once the
   * record is complete), or -1 if nothing at all was written (this disambiguates zero-length
   * records, whose complete write also returns 0).
   * After a partial write the caller must continue the SAME record (call again with the returned
   * offset, or with a copy of the remainder and start 0) before writing any other record: fragments
   * are self-describing and the consumer simply concatenates until a fragment without MORE.
   * A write that cannot complete raises the spaceWanted flag, so the consumer can wake a parked
   * producer once it frees space (see `takeSpaceRequest`).
   */
  write(rec: Uint8Array, start = 0): number {
    const remaining = rec.length - start;
    if (remaining < 0) throw new RangeError("write start beyond record end");
    // Bit arithmetic only where it is safe: a longer record cannot fit whole anyway.
    const need = remaining <= this.capacity ? 4 + ((remaining + 3) & ~3) : Infinity;
    let free = this.capacity - ((this.head - this.tailSeen) | 0);
    if (need > free) {
      this.tailSeen = Atomics.load(this.ctl, TAIL);
      free = this.capacity - ((this.head - this.tailSeen) | 0);
      if (need > free) {
        // Raise the flag, then look again: either the consumer sees the flag after releasing,
        // or this load sees its release (Dekker-style, both sides use seq-cst atomics).
        Atomics.store(this.ctl, SPACE_WANTED, 1);
        this.tailSeen = Atomics.load(this.ctl, TAIL);
        free = this.capacity - ((this.head - this.tailSeen) | 0);
      }
    }
    if (need <= free) {
      this.put(rec, start, remaining, 0);
      this.midRecord = false;
      return rec.length;
    }
    // the first fragment carries the record's length ahead of its bytes
    const first = !this.midRecord;
    const room = (free - (first ? 8 : 4)) & ~3;
    if (room < this.minFragment) return -1;
    if (first) this.putFirst(rec, start, room);
    else this.put(rec, start, room, MORE);
    this.midRecord = true;
    return start + room;
  }

  /** The first fragment of a record that does not fit: its total length, then `len` bytes. */
  private putFirst(rec: Uint8Array, start: number, len: number): void {
    const off = this.head & this.mask;
    this.words[off >> 2] = (len + 4) | MORE | FIRST;
    this.words[((off + 4) & this.mask) >> 2] = rec.length - start;
    this.head = (this.head + 4) | 0;
    this.put(rec, start, len, -1);
  }

  /**
   * Copies one fragment into the data region and publishes it (flag -1: its word and length
   * are already written, by putFirst).
   */
  private put(rec: Uint8Array, start: number, len: number, flag: number): void {
    const cap = this.capacity;
    const off = this.head & this.mask;
    if (flag !== -1) this.words[off >> 2] = len | flag;
    const p = (off + 4) & this.mask;
    const first = Math.min(len, cap - p);
    if (len <= SMALL_COPY) {
      const data = this.data;
      for (let i = 0; i < first; i++) data[p + i] = rec[start + i];
      for (let i = first; i < len; i++) data[i - first] = rec[start + i];
    } else {
      this.data.set(rec.subarray(start, start + first), p);
      if (first < len) this.data.set(rec.subarray(start + first, start + len), 0);
    }
    this.head = (this.head + 4 + ((len + 3) & ~3)) | 0;
    Atomics.store(this.ctl, HEAD, this.head);
  }

  /** Producer side: true while a record has been partly written (its remainder must come next). */
  get partial(): boolean {
    return this.midRecord;
  }

  /** Producer side: bytes free in the data region right now (fragment headers included). */
  freeBytes(): number {
    this.tailSeen = Atomics.load(this.ctl, TAIL);
    return this.capacity - ((this.head - this.tailSeen) | 0);
  }

  /**
   * Consumer side: the next COMPLETE record (reassembled if fragmented) or null. The returned
   * array is a view into a reusable scratch buffer (a plain ArrayBuffer, not the SAB) valid until
   * the next read() call, unless `detached` says the record has a buffer of its own. A record
   * whose fragments have not all arrived stays buffered here.
   */
  read(): Uint8Array | null {
    this.lastDetached = false;
    // a scratch grown for a record that fit a big ring whole is given back
    if (this.assembled === 0 && this.scratch.length > SCRATCH_KEEP) {
      this.into = this.scratch = new Uint8Array(Math.min(this.capacity, 4096));
    }
    for (;;) {
      if (this.headSeen === this.tail) {
        this.headSeen = Atomics.load(this.ctl, HEAD);
        if (this.headSeen === this.tail) return null;
      }
      const off = this.tail & this.mask;
      const word = this.words[off >> 2];
      let len = word & LEN_MASK;
      if (len > this.capacity - 4 || len > ((this.headSeen - this.tail) | 0) - 4) {
        throw new Error(`corrupt ring: fragment length ${len} at offset ${off}`);
      }
      let p = (off + 4) & this.mask;
      if ((word & FIRST) !== 0) {
        this.begin(this.words[p >> 2]);
        p = (p + 4) & this.mask;
        len -= 4;
      }
      const at = this.assembled;
      if (at + len > this.into.length) this.growInto(at + len);
      this.take(p, len, at);
      this.tail = (this.tail + 4 + (((word & LEN_MASK) + 3) & ~3)) | 0;
      Atomics.store(this.ctl, TAIL, this.tail);
      this.freed = true;
      if ((word & MORE) !== 0) {
        this.assembled = at + len;
        continue;
      }
      const into = this.into;
      this.assembled = 0;
      if (into !== this.scratch) {
        this.into = this.scratch;
        this.lastDetached = true;
      }
      return into.subarray(0, at + len);
    }
  }

  /**
   * True when the record read() last returned lives in a buffer of its own, which the ring
   * does not use again: views into it may be kept.
   */
  get detached(): boolean {
    return this.lastDetached;
  }

  /** A fragmented record of `total` bytes starts: a big one gets a buffer of its own. */
  private begin(total: number): void {
    if (total > SCRATCH_KEEP) this.into = new Uint8Array(total);
    else if (total > this.scratch.length) this.into = this.scratch = new Uint8Array(total);
  }

  /** Copies `len` bytes from data offset `p` into the scratch buffer at `at`. */
  private take(p: number, len: number, at: number): void {
    const scratch = this.into;
    const first = Math.min(len, this.capacity - p);
    if (len <= SMALL_COPY) {
      const data = this.data;
      for (let i = 0; i < first; i++) scratch[at + i] = data[p + i];
      for (let i = first; i < len; i++) scratch[at + i] = data[i - first];
      return;
    }
    scratch.set(this.data.subarray(p, p + first), at);
    if (first < len) scratch.set(this.data.subarray(0, len - first), at + first);
  }

  /** Room for `min` bytes of the record being assembled (a record that did not announce it). */
  private growInto(min: number): void {
    let size = this.into.length * 2;
    while (size < min) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.into.subarray(0, this.assembled));
    if (this.into === this.scratch) this.scratch = next;
    this.into = next;
  }

  /** Consumer side, cheap: true when no unread bytes are in the ring. */
  isEmpty(): boolean {
    if (this.headSeen !== this.tail) return false;
    this.headSeen = Atomics.load(this.ctl, HEAD);
    return this.headSeen === this.tail;
  }

  /**
   * Consumer side: true if this consumer released space since the last call AND the producer had
   * asked for space (the flag is cleared atomically). The caller should then wake the producer if
   * it is parked. Only reports after a release so that a not-yet-drained ring cannot cause a
   * wake/fail/park ping-pong.
   */
  takeSpaceRequest(): boolean {
    if (!this.freed) return false;
    this.freed = false;
    if (Atomics.load(this.ctl, SPACE_WANTED) === 0) return false;
    return Atomics.exchange(this.ctl, SPACE_WANTED, 0) !== 0;
  }
}
