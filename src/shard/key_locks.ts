/**
 * Key locks in shared memory: one Int32 slot per lock hash and shard, in the mesh's control SAB
 * (0 free, n > 0 held by n readers, negative held by a writer). They let a command split over shards
 * take every lock it needs on every shard at once, from its coordinating shard, without a
 * message: the parts then go out in one trip, each shard runs its part on arrival and gives its
 * slots back right after, and no release message follows (TRANSACTIONS.md, "Single hop").
 *
 * A take is all or nothing and never waits, so a split command never holds a lock while it
 * waits for another: no cycle can form with the lock requests of the message protocol, which
 * take the same slots when they are granted (owner side) and so see, and are seen by, the
 * single-hop commands. Only a slot's owning shard gives back what ran (a take that fails gives
 * back its own at once), so the shard whose keys were held is the one that learns they are
 * free, and runs what waited for them.
 *
 * A whole-shard lock (FLUSHALL inside EXEC, an exclusive fan-out) raises the shard's `all` word
 * and then checks that no split command holds slots there; a split command adds its slots to
 * the shard's `held` count and then checks `all` (both sequentially consistent, so at least one
 * of the two sees the other and backs off).
 *
 * Each shard also counts the slots writers hold on it (`writers`), raised before a writer takes
 * them and lowered after it gives them back. A reader that finds it at 0 needs no look at that
 * shard's slots: no writer holds one, and a writer that raises it later looks at the reader's
 * marks after (the same argument). Under a read load the per-key loads go, and with them a cache
 * miss each, often on a line the other core wrote last.
 *
 * A single hop that only reads (MGET) does not mark the slots themselves: it counts its takes
 * of shard i's slots in a table of its own for that pair (written by its shard alone), and
 * shard i counts the gives in another (written by shard i alone); a slot's readers from shard a
 * are the difference. A shared slot that one core took and the other gave back moved between
 * the cores twice per key; these lines stay where they are written under a read load. A
 * reader counts its takes, then looks for writers; a writer marks the slot, then looks at the
 * readers (each pair's count of readers in flight first): both sequentially consistent, so
 * one of the two sees the other and backs off. The message protocol's readers still mark the
 * slots (owner side), as before.
 *
 * A coordinator's single hop may take a slot its own earlier single hops still hold (stacking):
 * their parts and its own reach the owner through the same ring, in the order they were taken,
 * so the owner runs them one after the other as if each had waited for the one before. A
 * writer's mark counts its takes and names the shard whose hops took it; a lock granted by
 * messages names none and is never stacked on. So that a steady stream of such hops cannot keep
 * a key from a waiting lock request or command forever, the owner marks a slot it finds held
 * for one of them (WANTED), and nothing more stacks on it: the count runs down, and the slot is
 * free for the one waiting. Under 10-key MSET `-P 16` over 100,000 keys on 2 shards, most
 * single hops that met a taken slot had met their own coordinator's earlier ones.
 */
import {
  allWord,
  heldWord,
  KEY_SLOTS,
  keyLockBase,
  pairSlots,
  readerGives,
  readersWord,
  readerTakes,
  writersWord,
} from "../mesh/mesh.ts";

/**
 * A writer's mark is WRITER plus, from the low bits up: readers passing through (they add 1 and
 * take it back, bits 0-7), the count of takes (bits 8-17), the tag of the shard whose single
 * hops took it (its id + 1, bits 18-26; 0 for a lock granted by messages) and WANTED (bit 27).
 * All of it stays far below 0, so the slot reads as a writer's while any part of it is there.
 */
const WRITER = -(1 << 30);
const READERS_PASSING = 0xff;
const COUNT_SHIFT = 8;
const COUNT_ONE = 1 << COUNT_SHIFT;
const COUNT_MAX = 0x3ff;
const TAG_SHIFT = 18;
const TAG_MASK = 0x1ff;
/** set by the owner on a stacked mark when something waits for the slot: no more stacking */
const WANTED = 1 << 27;
/** a lock granted by messages (owner side): one take, no tag */
const GRANTED = WRITER + COUNT_ONE;
const MASK = KEY_SLOTS - 1;

/** The slot (of each shard's table) of lock hash `hash`: hashes that share one share the lock. */
export function slotOf(hash: number): number {
  return hash & MASK;
}

/** Does slot value `v` keep out a taker: a reader waits only for a writer, a writer for anyone? */
function keepsOut(v: number, write: boolean): boolean {
  return v < 0 || (write && v > 0);
}

export class KeyLocks {
  private readonly base: number;
  private readonly heldHereIdx: number;
  private readonly allHereIdx: number;
  private readonly writersHereIdx: number;
  /** slotsOf's scratch: the generation that last saw each slot index */
  private readonly seen = new Int32Array(KEY_SLOTS);
  private gen = 0;
  /** what prefetch read (kept, so its loads are not optimised away) */
  sink = 0;
  /** the mark of this shard's single hops (GRANTED plus its tag) */
  private readonly hopMark: number;
  /** reader slots per pair of shards, less one: a slot's index in the pair tables */
  private readonly pairMask: number;
  /**
   * Word indices per ordered pair (a * n + t: shard a's readers of shard t), worked out once:
   * the count of readers in flight, and the first take and the first give.
   */
  private readonly pairReaders: Int32Array;
  private readonly pairTakes: Int32Array;
  private readonly pairGives: Int32Array;
  /** takes of a slot this shard's earlier single hops still held (takeHop counts the hops) */
  stacked = 0;

  constructor(
    /** the mesh's control words */
    private readonly w: Int32Array,
    readonly n: number,
    readonly self: number,
  ) {
    this.base = keyLockBase(n);
    this.heldHereIdx = heldWord(self);
    this.allHereIdx = allWord(self);
    this.writersHereIdx = writersWord(self);
    this.hopMark = GRANTED + ((self + 1) << TAG_SHIFT);
    this.pairMask = pairSlots(n) - 1;
    this.pairReaders = new Int32Array(n * n);
    this.pairTakes = new Int32Array(n * n);
    this.pairGives = new Int32Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let t = 0; t < n; t++) {
        this.pairReaders[a * n + t] = readersWord(n, a, t);
        this.pairTakes[a * n + t] = readerTakes(n, a, t);
        this.pairGives[a * n + t] = readerGives(n, a, t);
      }
    }
  }

  /** Key locks of one shard alone (a lock table outside a mesh: tests). */
  static standalone(): KeyLocks {
    const words = new Int32Array(new SharedArrayBuffer((keyLockBase(1) + KEY_SLOTS) * 4));
    return new KeyLocks(words, 1, 0);
  }

  /**
   * The slots of lock hashes `hashes` on shard `s`. A writer takes each once (a second take of
   * its own slot would fail); readers count one per hash, taken and given back alike.
   */
  slotsOf(s: number, hashes: number[], shared: boolean): number[] {
    const base = this.base + s * KEY_SLOTS;
    const n = hashes.length;
    const out: number[] = new Array(n);
    if (shared || n === 1) {
      for (let i = 0; i < n; i++) out[i] = base + (hashes[i] & MASK);
      return out;
    }
    // each slot once, by a generation stamp per slot (no search through the list)
    const seen = this.seen, gen = ++this.gen;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const j = hashes[i] & MASK;
      if (seen[j] === gen) continue;
      seen[j] = gen;
      out[k++] = base + j;
    }
    out.length = k;
    if (gen === 0x7fffffff) {
      seen.fill(0);
      this.gen = 0;
    }
    return out;
  }

  /** Slots of this shard's keys that writers hold (split commands in flight, granted locks). */
  writersHere(): number {
    return Atomics.load(this.w, this.writersHereIdx);
  }

  /** Slots of this shard's keys that split commands in flight hold. */
  heldHere(): number {
    return Atomics.load(this.w, this.heldHereIdx);
  }

  /**
   * A split command's coordinator: take `slots[i]` on shard `order[i]` for every i, all or
   * none (false: none taken, something holds one of them).
   *
   * Its own shard's slots are only looked at, not taken: its parts here run at once, before
   * this thread does anything else, so holding them would keep no one out. They are looked at
   * after every peer's slot is taken (sequentially consistent): a coordinator elsewhere that
   * marks one of them and then looks at one of ours sees our mark if we do not see its own.
   */
  tryTake(order: number[], slots: number[][], shared: boolean): boolean {
    const w = this.w, self = this.self;
    if (shared) return this.tryRead(order, slots);
    this.prefetchAll(order, slots, true);
    // announced first, so that a whole-shard lock being granted there sees them (see above)
    for (let i = 0; i < order.length; i++) {
      if (order[i] === self) continue;
      Atomics.add(w, heldWord(order[i]), slots[i].length);
      Atomics.add(w, writersWord(order[i]), slots[i].length);
    }
    let ok = true;
    for (let i = 0; i < order.length && ok; i++) {
      if (Atomics.load(w, allWord(order[i])) !== 0) ok = false;
    }
    let i = 0, j = 0;
    for (; ok && i < order.length; i++) {
      if (order[i] === self) continue;
      const ss = slots[i];
      for (j = 0; j < ss.length; j++) {
        if (!this.write1(ss[j], this.hopMark)) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
    }
    for (let a = 0; ok && a < order.length; a++) {
      if (order[a] === self) ok = this.free(slots[a], false);
    }
    if (ok) return true;
    // give back what was taken: slots[0..i) whole, slots[i][0..j)
    for (let a = 0; a <= i && a < order.length; a++) {
      if (order[a] === self) continue;
      const ss = slots[a];
      const end = a < i ? ss.length : j;
      for (let b = 0; b < end; b++) this.give1(ss[b], false);
    }
    for (let a = 0; a < order.length; a++) {
      if (order[a] === self) continue;
      Atomics.sub(w, heldWord(order[a]), slots[a].length);
      Atomics.sub(w, writersWord(order[a]), slots[a].length);
    }
    return false;
  }

  /**
   * tryTake for a reader: its takes counted in this shard's pair tables, then a look for
   * writers on every shard (none marked where a shard's writer count is 0).
   */
  private tryRead(order: number[], slots: number[][]): boolean {
    const w = this.w, self = this.self, n = this.n, pm = this.pairMask;
    // its own shard's slots only when they will be looked at (free)
    if (Atomics.load(w, this.writersHereIdx) !== 0) this.prefetchAll(order, slots, false);
    for (let i = 0; i < order.length; i++) {
      const t = order[i];
      if (t === self) continue;
      const ss = slots[i], len = ss.length;
      // announced first, so that a whole-shard lock being granted there sees them (see above)
      Atomics.add(w, heldWord(t), len);
      // Plain writes (this shard alone writes its takes): their misses overlap, where each
      // atomic waited for its own. The count's add after them publishes them: a writer that
      // reads a count this add wrote, or wrote after, reads them too.
      const takes = this.pairTakes[self * n + t], base = this.base + t * KEY_SLOTS;
      for (let j = 0; j < len; j++) w[takes + ((ss[j] - base) & pm)]++;
      Atomics.add(w, this.pairReaders[self * n + t], len);
    }
    let ok = true;
    for (let i = 0; ok && i < order.length; i++) {
      const t = order[i];
      if (Atomics.load(w, allWord(t)) !== 0) ok = false;
      else if (t === self) ok = this.free(slots[i], true);
      else if (Atomics.load(w, writersWord(t)) !== 0) {
        const ss = slots[i];
        for (let j = 0; ok && j < ss.length; j++) if (Atomics.load(w, ss[j]) < 0) ok = false;
      }
    }
    if (ok) return true;
    for (let i = 0; i < order.length; i++) {
      const t = order[i];
      if (t === self) continue;
      const ss = slots[i], len = ss.length;
      const takes = this.pairTakes[self * n + t], base = this.base + t * KEY_SLOTS;
      for (let j = 0; j < len; j++) w[takes + ((ss[j] - base) & pm)]--;
      Atomics.sub(w, this.pairReaders[self * n + t], len);
      Atomics.sub(w, heldWord(t), len);
    }
    return false;
  }

  /** prefetch() of the slots of every shard in `order` (its own too when `own`). */
  private prefetchAll(order: number[], slots: number[][], own: boolean): void {
    for (let i = 0; i < order.length; i++) {
      if (own || order[i] !== this.self) this.prefetch(slots[i]);
    }
  }

  /**
   * Do single-hop readers from other shards hold slot `slot` (an index into the words) of
   * shard `t`? Each pair's count of readers in flight first: only pairs with some are looked
   * at.
   */
  private readersHold(t: number, slot: number): boolean {
    const w = this.w, n = this.n;
    const j = (slot - this.base - t * KEY_SLOTS) & this.pairMask;
    for (let a = 0; a < n; a++) {
      const p = a * n + t;
      if (a === t || Atomics.load(w, this.pairReaders[p]) === 0) continue;
      const taken = Atomics.load(w, this.pairTakes[p] + j);
      if (((taken - Atomics.load(w, this.pairGives[p] + j)) | 0) !== 0) return true;
    }
    return false;
  }

  /** The shard whose table holds word `slot`. */
  private shardOf(slot: number): number {
    return ((slot - this.base) / KEY_SLOTS) | 0;
  }

  /**
   * Bring slots into the cache before they are taken or given back one by one. A slot is a
   * cache miss in a table of a MiB a shard, often a line the other shard's core wrote last,
   * and an atomic waits for its line: plain loads of them all first overlap those misses
   * instead of paying one after the other (as Dict.prefetch does for a lookup's).
   */
  prefetch(slots: number[]): void {
    const w = this.w;
    let sink = 0;
    for (let i = 0; i < slots.length; i++) sink |= w[slots[i]];
    this.sink = sink;
  }

  /** Could these slots of this shard be taken now? */
  private free(slots: number[], shared: boolean): boolean {
    if (shared && Atomics.load(this.w, this.writersHereIdx) === 0) return true;
    for (let i = 0; i < slots.length; i++) {
      if (keepsOut(Atomics.load(this.w, slots[i]), !shared)) return false;
      if (!shared && this.readersHold(this.self, slots[i])) return false;
    }
    return true;
  }

  /**
   * This shard ran the part of peer `source`'s split command that took `slots` here: give them
   * back (a reader's as gives in the pair's table).
   */
  releaseHeld(slots: number[], shared: boolean, source: number): void {
    const w = this.w, len = slots.length;
    if (shared) {
      const n = this.n, pm = this.pairMask, base = this.base + this.self * KEY_SLOTS;
      // plain writes, published by the count's sub (as the takes are by its add); a writer
      // that reads a stale give sees a reader still there, and waits
      const gives = this.pairGives[source * n + this.self];
      for (let i = 0; i < len; i++) w[gives + ((slots[i] - base) & pm)]++;
      Atomics.sub(w, this.pairReaders[source * n + this.self], len);
    } else {
      for (let i = 0; i < len; i++) this.give1(slots[i], false);
      Atomics.sub(w, this.writersHereIdx, len);
    }
    Atomics.sub(w, this.heldHereIdx, len);
  }

  /** A lock request granted here (message protocol): take its slots, all or none. */
  takeHere(slots: number[], shared: boolean): boolean {
    if (!shared) Atomics.add(this.w, this.writersHereIdx, slots.length);
    for (let i = 0; i < slots.length; i++) {
      if (shared ? this.read1(slots[i]) : this.write1(slots[i], GRANTED)) continue;
      for (let b = 0; b < i; b++) this.give1(slots[b], shared);
      if (!shared) Atomics.sub(this.w, this.writersHereIdx, slots.length);
      return false;
    }
    return true;
  }

  /** A granted lock request's release (message protocol). */
  releaseHere(slots: number[], shared: boolean): void {
    for (let i = 0; i < slots.length; i++) this.give1(slots[i], shared);
    if (!shared) Atomics.sub(this.w, this.writersHereIdx, slots.length);
  }

  /** Raise this shard's whole-shard lock unless a split command holds slots here. */
  tryAllHere(): boolean {
    Atomics.store(this.w, this.allHereIdx, 1);
    if (Atomics.load(this.w, this.heldHereIdx) === 0) return true;
    Atomics.store(this.w, this.allHereIdx, 0);
    return false;
  }

  releaseAllHere(): void {
    Atomics.store(this.w, this.allHereIdx, 0);
  }

  /**
   * Would a command on these lock hashes of this shard have to wait? A reader waits only for a
   * writer, a writer for readers too. The caller waits when it is true: a slot that peers'
   * single hops stack on is marked so that they stop (want).
   */
  blocks(hashes: number[], write: boolean): boolean {
    const w = this.w, base = this.base + this.self * KEY_SLOTS;
    if (!write && Atomics.load(w, this.writersHereIdx) === 0) return false;
    for (let i = 0; i < hashes.length; i++) {
      const s = base + (hashes[i] & MASK);
      const v = Atomics.load(w, s);
      if (!keepsOut(v, write)) {
        if (write && this.readersHold(this.self, s)) return true;
        continue;
      }
      if (v < 0) this.want(s, v);
      return true;
    }
    return false;
  }

  /**
   * Something waits here for slot `s`, held by writer mark `v`: if peers' single hops stack on
   * it, they stop. By compare-and-swap: a coordinator whose take failed may give the mark back
   * meanwhile, and a blind OR would then leave the bit alone in a free slot.
   */
  private want(s: number, v: number): void {
    const w = this.w;
    for (;;) {
      const d = v - WRITER;
      if (v >= 0 || ((d >>> TAG_SHIFT) & TAG_MASK) === 0 || (d & WANTED) !== 0) return;
      const seen = Atomics.compareExchange(w, s, v, v + WANTED);
      if (seen === v) return;
      v = seen;
    }
  }

  /** A reader's take of `slot`. */
  private read1(slot: number): boolean {
    const w = this.w;
    // one add, and one more to take it back if a writer holds the slot: WRITER is far enough
    // below 0 that readers passing through never bring it up to 0
    if (Atomics.add(w, slot, 1) >= 0) return true;
    Atomics.sub(w, slot, 1);
    return false;
  }

  /**
   * A writer's take of `slot` with `mark`: a free slot, or (a single hop's mark) one that this
   * shard's earlier single hops hold and nothing waits for, whose count goes up.
   */
  private write1(slot: number, mark: number): boolean {
    const w = this.w, tag = (mark - GRANTED) >>> TAG_SHIFT;
    // a few tries: readers passing through change the low bits
    for (let v = 0, tries = 0; tries < 5; tries++) {
      let next = mark;
      if (v !== 0) {
        const d = v - WRITER;
        // (a WANTED mark has a tag of its own: bit 27 is inside the shifted field)
        if (tag === 0 || v > 0 || d >>> TAG_SHIFT !== tag) return false;
        if (((d >>> COUNT_SHIFT) & COUNT_MAX) === COUNT_MAX) return false;
        next = v + COUNT_ONE;
      }
      const seen = Atomics.compareExchange(w, slot, v, next);
      if (seen === v) {
        if (next !== mark) this.stacked++;
        // a fresh mark looks for single-hop readers after it is made (see above)
        else if (this.readersHold(this.shardOf(slot), slot)) {
          this.give1(slot, false);
          return false;
        }
        return true;
      }
      v = seen;
    }
    return false;
  }

  private give1(slot: number, shared: boolean): void {
    const w = this.w;
    if (shared) {
      Atomics.sub(w, slot, 1);
      return;
    }
    // one take back: the last takes the whole mark, leaving readers passing through
    for (;;) {
      const v = Atomics.load(w, slot);
      const d = v - WRITER;
      const next = ((d >>> COUNT_SHIFT) & COUNT_MAX) > 1 ? v - COUNT_ONE : d & READERS_PASSING;
      if (Atomics.compareExchange(w, slot, v, next) === v) return;
    }
  }
}
