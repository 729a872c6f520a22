/**
 * An open-addressing index from a member's hash to its dense position in a collection (a large
 * set's SetTable, a large sorted set's member arrays): pairs [hash, position + 1] in one
 * Uint32Array, linear probing, backward-shift deletion (no tombstones, so probe runs stay
 * short under churn). The index holds no members: its owner compares the candidates a probe
 * offers, so a lookup can hash and compare a request's bytes where they lie.
 *
 * A probe: `for (let i = x.home(h); ; i = x.next(i))` — `x.posAt(i) < 0` ends it (the member
 * is absent and slot i is where it would go), a slot with `x.hashAt(i) === h` is a candidate.
 */

const MIN_SLOTS = 16;

export class MemberIndex {
  private slots = new Uint32Array(2 * MIN_SLOTS);
  private mask = MIN_SLOTS - 1;

  /** Bytes held (MEMORY USAGE). */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** The slot a probe for hash h starts at. */
  home(h: number): number {
    return h & this.mask;
  }

  /** The slot after i. */
  next(i: number): number {
    return (i + 1) & this.mask;
  }

  /** The position slot i names, -1 when it is empty (a probe ends there). */
  posAt(i: number): number {
    return this.slots[2 * i + 1] - 1;
  }

  hashAt(i: number): number {
    return this.slots[2 * i];
  }

  /**
   * Records position `pos` under hash h in slot i, the empty slot its probe ended at; `count`
   * is how many positions the index holds with this one. Grows (rehashing the positions'
   * hashes from `hashOf`) past 3/4 full.
   */
  put(i: number, h: number, pos: number, count: number, hashOf: (pos: number) => number): void {
    if (count * 4 > (this.mask + 1) * 3) {
      this.rehash((this.mask + 1) * 2, count - 1, hashOf);
      i = h & this.mask;
      while (this.slots[2 * i + 1] !== 0) i = (i + 1) & this.mask;
    }
    this.slots[2 * i] = h;
    this.slots[2 * i + 1] = pos + 1;
  }

  /** The slot naming position pos (hash h); the position must be in the index. */
  private slotOf(h: number, pos: number): number {
    const slots = this.slots, mask = this.mask;
    let i = h & mask;
    while (slots[2 * i + 1] !== pos + 1) i = (i + 1) & mask;
    return i;
  }

  /** The position pos (hash h) moved to `to` (its owner moved a member to fill a hole). */
  renumber(h: number, pos: number, to: number): void {
    this.slots[2 * this.slotOf(h, pos) + 1] = to + 1;
  }

  /** Drops position pos (hash h); the owner then renumbers what it moves and calls fit(). */
  remove(h: number, pos: number): void {
    const slots = this.slots, mask = this.mask;
    let i = this.slotOf(h, pos);
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = slots[2 * j + 1];
      if (v === 0) break;
      const k = slots[2 * j] & mask;
      // the entry at j may fill i unless its home k lies cyclically in (i, j]
      const stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);
      if (!stays) {
        slots[2 * i] = slots[2 * j];
        slots[2 * i + 1] = v;
        i = j;
      }
    }
    slots[2 * i] = 0;
    slots[2 * i + 1] = 0;
  }

  /** Shrinks (rehashing positions 0..count-1 from `hashOf`) when under 1/8 full. */
  fit(count: number, hashOf: (pos: number) => number): void {
    const size = this.mask + 1;
    if (count * 8 < size && size > MIN_SLOTS) this.rehash(size / 2, count, hashOf);
  }

  /** Positions 0..count-1 indexed again in `size` slots. */
  private rehash(size: number, count: number, hashOf: (pos: number) => number): void {
    const slots = new Uint32Array(2 * size), mask = size - 1;
    for (let d = 0; d < count; d++) {
      const h = hashOf(d);
      let i = h & mask;
      while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
      slots[2 * i] = h;
      slots[2 * i + 1] = d + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }

  clone(): MemberIndex {
    const x = new MemberIndex();
    x.slots = this.slots.slice();
    x.mask = this.mask;
    return x;
  }
}
