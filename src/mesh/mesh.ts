/**
 * The all-to-all shard mesh: one SpscRing per ordered pair of shards, per-target backlogs so a
 * full ring never blocks or drops, and the park/wake protocol over a control SAB.
 *
 * Control SAB layout (Int32 word indices):
 *
 *   0             CTRL_STOP     stop flag, set by the supervisor (`Mesh.requestStop`)
 *   1             CTRL_EPOCH    config epoch, bumped by the supervisor when live config changes
 *   2             CTRL_TXID     global transaction sequence, taken with Atomics.add
 *   3             CTRL_CLIENTS  connected clients, all shards (maxclients is server-wide)
 *   4             CTRL_NO_ACTIVE_EXPIRE  1: no shard expires keys actively (DEBUG SET-ACTIVE-EXPIRE 0)
 *   5             CTRL_EVENT_SEQ  global event sequence (ACL LOG entries), taken with Atomics.add
 *   6..15                       reserved for further global words (same cache line)
 *   16 + 16*i + 0 parked        shard i: 1 while it is (about to be) asleep, written by shard i;
 *                               its first waker takes it back to 0
 *   16 + 16*i + 1 wake          shard i: wake counter; wakers add 1 and notify, shard i waits on it
 *   16 + 16*i + 2 oom           shard i: 1 while it is over its maxmemory share and cannot evict
 *   16 + 16*i + 3 held          shard i: its key lock slots taken by split commands in flight
 *   16 + 16*i + 4 all           shard i: 1 while a transaction holds every key of it
 *   16 + 16*i + 5 writers       shard i: its key lock slots taken by writers (single hop or granted)
 *   16 + 16*i + 6..15           reserved per shard
 *   keyLockBase(n) + KEY_SLOTS*i + j   shard i's key lock slot j (src/shard/key_locks.ts)
 *   readersWord(n, a, i)               shard a's single-hop readers in flight on shard i (key
 *                                      lock slots they count there; one cache line each)
 *   readerTakes(n, a, i) + j           the takes of shard a's single-hop readers of shard i's
 *                                      slot j (mod pairSlots(n)), written by shard a only
 *   readerGives(n, a, i) + j           and their gives, written by shard i only
 *
 * Each shard's words sit on their own 64-byte cache line.
 *
 * Park protocol (no lost wakeups): the parker reads the wake counter, stores parked=1, then
 * re-checks its inbound rings (and retries its backlogs); only if nothing changed does it wait on
 * the wake counter for the value read at the start. A sender publishes ring bytes (seq-cst
 * store) before it loads the target's parked word, so either the parker's re-check sees the
 * bytes or the sender sees parked=1 and bumps the counter, which makes the wait return at once.
 * The same holds for a producer parked on a full ring: it raises the ring's spaceWanted flag
 * before its last look at the tail, and the consumer checks that flag after releasing space.
 */

import { SpscRing } from "./ring.ts";

export const CTRL_STOP = 0;
export const CTRL_EPOCH = 1;
/** the global transaction sequence (Atomics.add by any shard) */
export const CTRL_TXID = 2;
/** connected clients of every shard, taken and given back with Atomics.add/sub */
export const CTRL_CLIENTS = 3;
/** 1 while active expiry is off on every shard (DEBUG SET-ACTIVE-EXPIRE 0), as Redis's flag */
export const CTRL_NO_ACTIVE_EXPIRE = 4;
/**
 * The order of events that shards log apart and a command merges (ACL LOG): the Workers'
 * clocks do not agree to the fraction of a millisecond that separates such events.
 */
export const CTRL_EVENT_SEQ = 5;
/** Global words before the per-shard blocks. */
export const CTRL_GLOBAL_WORDS = 16;
/** Words per shard block (one 64-byte cache line). */
export const CTRL_SHARD_STRIDE = 16;

/** Word index of shard `shard`'s parked flag in the control SAB. */
export function parkedWord(shard: number): number {
  return CTRL_GLOBAL_WORDS + CTRL_SHARD_STRIDE * shard;
}

/** Word index of shard `shard`'s wake counter in the control SAB. */
export function wakeWord(shard: number): number {
  return CTRL_GLOBAL_WORDS + CTRL_SHARD_STRIDE * shard + 1;
}

/** Word index of shard `shard`'s out-of-memory flag in the control SAB. */
export function oomWord(shard: number): number {
  return CTRL_GLOBAL_WORDS + CTRL_SHARD_STRIDE * shard + 2;
}

/** Word index of shard `shard`'s count of key lock slots held by split commands. */
export function heldWord(shard: number): number {
  return CTRL_GLOBAL_WORDS + CTRL_SHARD_STRIDE * shard + 3;
}

/** Word index of shard `shard`'s whole-shard lock flag. */
export function allWord(shard: number): number {
  return CTRL_GLOBAL_WORDS + CTRL_SHARD_STRIDE * shard + 4;
}

/** Word index of shard `shard`'s count of key lock slots that writers hold. */
export function writersWord(shard: number): number {
  return CTRL_GLOBAL_WORDS + CTRL_SHARD_STRIDE * shard + 5;
}

/**
 * Key lock slots per shard: a key's lock hash picks one of its shard's (src/shard/key_locks.ts).
 * Keys that share a slot share a lock (a needless wait at worst); a shard's slots are untouched
 * pages until split commands take them. 2^18 (1 MiB a shard): under 10-key MSET `-P 16` over
 * 100,000 keys on 2 shards, 2^16 slots made 37% of the transactions meet a taken slot (mostly
 * another key's) and take their locks by messages, 2^18 12%, 2^20 6% for 4 MiB a shard.
 */
export const KEY_SLOTS = 1 << 18;

/** Word index of shard 0's first key lock slot. */
export function keyLockBase(n: number): number {
  return CTRL_GLOBAL_WORDS + CTRL_SHARD_STRIDE * n;
}

/**
 * Reader slots per ordered pair of shards: a single-hop reader counts its slots in tables of
 * its own pair, so that under a read load no lock line moves between cores (a shared slot
 * taken by one core and given back by the other moved twice per key). Fewer per pair as the
 * pairs grow in number: 2^17 (512 KiB a table) on 2 shards, 2^11 on 64 (64 MiB in all).
 */
export function pairSlots(n: number): number {
  let p = 1;
  while (p < n - 1) p *= 2;
  return Math.max(1 << 10, (1 << 17) / p);
}

function pairBase(n: number): number {
  return keyLockBase(n) + KEY_SLOTS * n;
}

/** Word index of the count of shard `a`'s single-hop readers in flight on shard `i`. */
export function readersWord(n: number, a: number, i: number): number {
  return pairBase(n) + (a * n + i) * CTRL_SHARD_STRIDE;
}

/** Word index of the first of shard `a`'s reader takes of shard `i`'s slots. */
export function readerTakes(n: number, a: number, i: number): number {
  return pairBase(n) + n * n * CTRL_SHARD_STRIDE + (a * n + i) * 2 * pairSlots(n);
}

/** Word index of the first of shard `i`'s gives of shard `a`'s reader takes. */
export function readerGives(n: number, a: number, i: number): number {
  return readerTakes(n, a, i) + pairSlots(n);
}

/** Byte size of the control SAB for `n` shards. */
export function controlByteLength(n: number): number {
  return readerTakes(n, n - 1, n) * 4;
}

/** Everything a shard needs to talk to its peers. Built in each Worker from the SABs passed at startup. */
export interface MeshInit {
  self: number;
  n: number;
  /** rings[src][dst]; null on the diagonal. */
  rings: (SharedArrayBuffer | null)[][];
  control: SharedArrayBuffer;
}

/** Main thread: allocates every ring and the control SAB for `n` shards. */
export function createMeshInit(
  n: number,
  ringCapacity: number,
): { rings: (SharedArrayBuffer | null)[][]; control: SharedArrayBuffer } {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`bad shard count ${n}`);
  const bytes = SpscRing.byteLength(ringCapacity);
  const rings: (SharedArrayBuffer | null)[][] = [];
  for (let src = 0; src < n; src++) {
    const row: (SharedArrayBuffer | null)[] = [];
    for (let dst = 0; dst < n; dst++) row.push(src === dst ? null : new SharedArrayBuffer(bytes));
    rings.push(row);
  }
  return { rings, control: new SharedArrayBuffer(controlByteLength(n)) };
}

/**
 * Replaces the default wake (Atomics.add + Atomics.notify on the target's wake word), e.g. to
 * write the eventfd of a shard that sleeps in io_uring_enter.
 */
export type Waker = (target: number) => void;

const NO_RECORD = new Uint8Array(0);
const RESOLVED: Promise<void> = Promise.resolve();
/** Dequeued backlog slots are compacted away once this many accumulate at the front. */
const COMPACT_AT = 1024;

export class Mesh {
  readonly self: number;
  readonly n: number;
  private readonly out: (SpscRing | null)[] = [];
  private readonly inbound: (SpscRing | null)[] = [];
  private readonly ctl: Int32Array;
  private readonly waker: Waker | null;
  private readonly parkedIdx: number;
  private readonly wakeIdx: number;

  // Per-target FIFO backlog: entries before backlogHead[t] are consumed; backlogPos[t] bytes of
  // the first live entry are already in the ring.
  private readonly backlog: Uint8Array[][] = [];
  private readonly backlogHead: Int32Array;
  private readonly backlogPos: Int32Array;
  private readonly backlogSize: Float64Array;
  private backlogged = 0;

  // Targets to consider in the next wakePeers(): they got bytes, or asked us for ring space.
  private readonly dirty: Uint8Array;
  private readonly dirtyList: Int32Array;
  private dirtyCount = 0;

  private rr = 0;
  private parkSeq = 0;
  /** times this shard slept in the kernel, and times it woke a parked peer (INFO shards) */
  parks = 0;
  wakes = 0;

  constructor(init: MeshInit, waker?: Waker) {
    const { self, n, rings, control } = init;
    if (!Number.isInteger(self) || self < 0 || self >= n) {
      throw new RangeError(`bad shard index ${self}`);
    }
    if (rings.length !== n || control.byteLength < controlByteLength(n)) {
      throw new RangeError("mesh init does not match the shard count");
    }
    this.self = self;
    this.n = n;
    for (let peer = 0; peer < n; peer++) {
      const o = rings[self][peer];
      const i = rings[peer][self];
      this.out.push(peer === self || !o ? null : new SpscRing(o));
      this.inbound.push(peer === self || !i ? null : new SpscRing(i));
      this.backlog.push([]);
    }
    this.ctl = new Int32Array(control);
    this.waker = waker ?? null;
    this.parkedIdx = parkedWord(self);
    this.wakeIdx = wakeWord(self);
    this.backlogHead = new Int32Array(n);
    this.backlogPos = new Int32Array(n);
    this.backlogSize = new Float64Array(n);
    this.dirty = new Uint8Array(n);
    this.dirtyList = new Int32Array(n);
  }

  /** Tell the other shards whether this one refuses writes for lack of memory. */
  publishOom(oom: boolean): void {
    const w = oomWord(this.self);
    if ((Atomics.load(this.ctl, w) !== 0) !== oom) Atomics.store(this.ctl, w, oom ? 1 : 0);
  }

  /** Whether shard `shard` refuses writes for lack of memory (its last published state). */
  oomAt(shard: number): boolean {
    return Atomics.load(this.ctl, oomWord(shard)) !== 0;
  }

  /**
   * Count one more connected client unless `max` are connected already (Redis's maxclients
   * check, server-wide: every shard's clients count). False: refuse the connection.
   */
  admitClient(max: number): boolean {
    if (Atomics.add(this.ctl, CTRL_CLIENTS, 1) < max) return true;
    Atomics.sub(this.ctl, CTRL_CLIENTS, 1);
    return false;
  }

  /** An admitted client is gone. */
  releaseClient(): void {
    Atomics.sub(this.ctl, CTRL_CLIENTS, 1);
  }

  /** Active expiry on or off, for every shard (DEBUG SET-ACTIVE-EXPIRE). */
  setActiveExpire(enabled: boolean): void {
    Atomics.store(this.ctl, CTRL_NO_ACTIVE_EXPIRE, enabled ? 0 : 1);
  }

  /** Whether shards expire keys actively (read once per tick). */
  get activeExpire(): boolean {
    return Atomics.load(this.ctl, CTRL_NO_ACTIVE_EXPIRE) === 0;
  }

  /** The control words (key locks live there: src/shard/key_locks.ts). */
  get control(): Int32Array {
    return this.ctl;
  }

  /** The next txid of the global sequence (never 0). */
  nextTxid(): number {
    const v = (Atomics.add(this.ctl, CTRL_TXID, 1) + 1) >>> 0;
    return v === 0 ? this.nextTxid() : v;
  }

  /** The next number of the global event sequence (CTRL_EVENT_SEQ). */
  nextEventSeq(): number {
    return Atomics.add(this.ctl, CTRL_EVENT_SEQ, 1) + 1;
  }

  /** A one-word Int32Array view of control word `index` (see the layout above). */
  static controlWord(control: SharedArrayBuffer, index: number): Int32Array {
    return new Int32Array(control, index * 4, 1);
  }

  /** Supervisor (or anyone): wake shard `shard` through its wake word, parked or not. */
  static wakeShard(control: SharedArrayBuffer, shard: number): void {
    const ctl = new Int32Array(control);
    Atomics.add(ctl, wakeWord(shard), 1);
    Atomics.notify(ctl, wakeWord(shard));
  }

  /** Supervisor: raise the stop flag and wake all `n` shards so their loops see it. Shards that
   * sleep elsewhere (io_uring eventfd) must also be woken by their own waker. */
  static requestStop(control: SharedArrayBuffer, n: number): void {
    Atomics.store(new Int32Array(control), CTRL_STOP, 1);
    for (let i = 0; i < n; i++) Mesh.wakeShard(control, i);
  }

  get stopRequested(): boolean {
    return Atomics.load(this.ctl, CTRL_STOP) !== 0;
  }

  get configEpoch(): number {
    return Atomics.load(this.ctl, CTRL_EPOCH);
  }

  /**
   * Queue a whole record for `target`. Never blocks, never drops: what does not fit in the ring
   * now (or everything, if a backlog for `target` already exists, to keep order) waits in the
   * target's FIFO backlog: a copy, so the caller may reuse its buffer, unless `owned` says the
   * caller gives `rec` away (a big batch: copying it cost a pass over fresh memory).
   */
  send(target: number, rec: Uint8Array, owned = false): void {
    const ring = this.out[target];
    if (!ring) throw new RangeError(`no ring from shard ${this.self} to ${target}`);
    if (this.backlogHead[target] < this.backlog[target].length) {
      this.enqueue(target, owned ? rec : rec.slice());
      return;
    }
    const r = ring.write(rec, 0);
    if (r >= 0) this.markDirty(target);
    if (r === rec.length) return;
    if (!owned) return this.enqueue(target, r <= 0 ? rec.slice() : rec.slice(r));
    // the head of the backlog, part written
    this.enqueue(target, rec);
    if (r > 0) {
      this.backlogPos[target] = r;
      this.backlogSize[target] -= r;
    }
  }

  private enqueue(target: number, copy: Uint8Array): void {
    const q = this.backlog[target];
    if (this.backlogHead[target] === q.length) this.backlogged++;
    q.push(copy);
    this.backlogSize[target] += copy.length;
  }

  /** Records waiting in `target`'s backlog (a partly written one included). */
  backlogCount(target: number): number {
    return this.backlog[target].length - this.backlogHead[target];
  }

  /** Payload bytes waiting in `target`'s backlog. */
  backlogBytes(target: number): number {
    return this.backlogSize[target];
  }

  /** Retry backlogs in order (call every loop iteration). Returns true if some backlog remains. */
  flush(): boolean {
    if (this.backlogged === 0) return false;
    for (let t = 0; t < this.n; t++) {
      if (this.backlogHead[t] < this.backlog[t].length) this.flushTarget(t);
    }
    return this.backlogged > 0;
  }

  /** Writes as much of target `t`'s backlog as fits; returns whether any bytes went out. */
  private flushTarget(t: number): boolean {
    const ring = this.out[t] as SpscRing;
    const q = this.backlog[t];
    let h = this.backlogHead[t];
    let progressed = false;
    while (h < q.length) {
      const rec = q[h];
      const pos = this.backlogPos[t];
      const r = ring.write(rec, pos);
      if (r < 0) break;
      progressed = true;
      this.backlogSize[t] -= r - pos;
      if (r < rec.length) {
        this.backlogPos[t] = r;
        break;
      }
      this.backlogPos[t] = 0;
      q[h++] = NO_RECORD;
    }
    if (progressed) this.markDirty(t);
    if (h === q.length) {
      q.length = 0;
      h = 0;
      this.backlogged--;
    } else if (h >= COMPACT_AT && h * 2 >= q.length) {
      q.splice(0, h);
      h = 0;
    }
    this.backlogHead[t] = h;
    return progressed;
  }

  private markDirty(t: number): void {
    if (this.dirty[t] === 0) {
      this.dirty[t] = 1;
      this.dirtyList[this.dirtyCount++] = t;
    }
  }

  /** Wake every target that received bytes (or was granted ring space) since the last call and
   * is parked — at most once per target per call. */
  wakePeers(): void {
    const ctl = this.ctl;
    for (let i = 0; i < this.dirtyCount; i++) {
      const t = this.dirtyList[i];
      this.dirty[t] = 0;
      // the first waker takes the flag down: the wake it sends stays pending until the target
      // reads it, so later senders need not send another (each is a syscall, and the target
      // drains every ring once it runs). Looked at first: a compare-and-swap takes the cache
      // line even when it fails, and a busy peer is awake on nearly every call.
      const w = parkedWord(t);
      if (Atomics.load(ctl, w) === 0 || Atomics.compareExchange(ctl, w, 1, 0) !== 1) continue;
      this.wakes++;
      if (this.waker) {
        this.waker(t);
      } else {
        Atomics.add(ctl, wakeWord(t), 1);
        Atomics.notify(ctl, wakeWord(t));
      }
    }
    this.dirtyCount = 0;
  }

  /**
   * Drain inbound rings: calls onRecord(source, bytes, detached) for each complete record
   * (bytes valid only during the call, unless `detached`: then they have a buffer of their own
   * and views into them may be kept). Round-robin over sources, starting one further each call;
   * at most `max` records per call. Returns the number of records delivered.
   */
  poll(
    onRecord: (source: number, rec: Uint8Array, detached: boolean) => void,
    max = Infinity,
  ): number {
    const n = this.n;
    let delivered = 0;
    let s = this.rr;
    for (let k = 0; k < n; k++, s = s + 1 === n ? 0 : s + 1) {
      const ring = this.inbound[s];
      if (!ring) continue;
      let rec: Uint8Array | null;
      while (delivered < max && (rec = ring.read()) !== null) {
        delivered++;
        onRecord(s, rec, ring.detached);
      }
      if (ring.takeSpaceRequest()) this.markDirty(s);
      if (delivered >= max) break;
    }
    this.rr = this.rr + 1 === n ? 0 : this.rr + 1;
    return delivered;
  }

  /** True if any inbound ring holds unread bytes. */
  hasInbound(): boolean {
    for (let s = 0; s < this.n; s++) {
      const ring = this.inbound[s];
      if (ring && !ring.isEmpty()) return true;
    }
    return false;
  }

  /**
   * First half of parking, for loops that sleep elsewhere (e.g. io_uring with an eventfd waker):
   * sends pending wakes, publishes parked=1 and re-checks inbound rings, backlogs and the stop
   * flag. Returns true if the caller may now sleep (then call endPark() after waking); false if
   * there is work, in which case parked is already cleared.
   */
  beginPark(): boolean {
    this.wakePeers();
    this.parkSeq = Atomics.load(this.ctl, this.wakeIdx);
    Atomics.store(this.ctl, this.parkedIdx, 1);
    if (this.hasInbound() || this.retryBacklogs() || this.stopRequested) {
      Atomics.store(this.ctl, this.parkedIdx, 0);
      this.wakePeers();
      return false;
    }
    this.parks++;
    return true;
  }

  /** Clears parked after a sleep that beginPark() allowed. */
  endPark(): void {
    Atomics.store(this.ctl, this.parkedIdx, 0);
  }

  private retryBacklogs(): boolean {
    if (this.backlogged === 0) return false;
    let progressed = false;
    for (let t = 0; t < this.n; t++) {
      if (this.backlogHead[t] < this.backlog[t].length && this.flushTarget(t)) progressed = true;
    }
    return progressed;
  }

  /**
   * Park: resolves when woken or after timeoutMs (Atomics.waitAsync on this shard's wake word);
   * immediately if something arrived meanwhile. parked is cleared when it resolves.
   * A timer runs alongside the wait because Deno does not count a pending waitAsync as event-loop
   * work: without it the loop may exit (main thread) or not pump a same-thread notify.
   */
  parkAsync(timeoutMs: number): Promise<void> {
    if (!this.beginPark()) return RESOLVED;
    const r = Atomics.waitAsync(this.ctl, this.wakeIdx, this.parkSeq, timeoutMs);
    if (!r.async) {
      this.endPark();
      return RESOLVED;
    }
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        // The loser of wait vs. timer must not clear `parked` of a later park.
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.endPark();
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      r.value.then(finish);
    });
  }

  /** Same as parkAsync, but blocks the thread with Atomics.wait (for a synchronous loop). */
  parkSync(timeoutMs: number): void {
    if (!this.beginPark()) return;
    Atomics.wait(this.ctl, this.wakeIdx, this.parkSeq, timeoutMs);
    this.endPark();
  }
}
