/**
 * One logical database of one shard: its key index (dict.ts) and its keys with a TTL
 * (volatile.ts) over the shard's arena, where every key lives as one record (record.ts) with
 * its value and metadata. No JS object exists per key: a lookup hashes the key's bytes where
 * they lie (in the receive buffer), walks the bucket's records in the arena and answers a ref.
 *
 * A ref is valid until the next write to the keyspace: a write may move a record (a value that
 * outgrew its block) or free it. Views returned by `str` are windows on the arena with the
 * same lifetime. Reading a record's fields is DbRecords's (db_records.ts); this adds the
 * lookups that expire keys, the values that need their owner (blobs, objects), and every write.
 */
import { Dict, PREFETCH_MAX } from "./dict.ts";
import { DbRecords } from "./db_records.ts";
import {
  BLOB_BIT,
  ENC_AUTO,
  ENC_BITS,
  ENC_RAW,
  ENC_SHIFT,
  HEADER_BYTES,
  LRU_BITS,
  OBJECT_BIT,
  recordBytes,
  TYPE_BITS,
  TYPE_SHIFT,
  W_HASH,
  W_META,
  W_VSLOT,
  writeVarint,
} from "./record.ts";
import { blockBytesFor } from "./arena.ts";
import { hashBytes, hashKey } from "../util/hash.ts";
import { latin1 } from "../util/bytes.ts";
import { type CollectionValue, TYPE_STRING } from "./types.ts";
import { BIG_STRING, BigString } from "./big_string.ts";
import { Blob, type BlobOwner } from "./blob.ts";
import { blobView } from "./views.ts";

export type { DbShared } from "./db_records.ts";

/** What SCAN may filter on. */
export interface ScanFilter {
  match?: (key: string) => boolean;
  type?: number;
}

const HANDLE_BYTES = 4;
/** Below this many keys a database's index and records stay in the caches (prefetching). */
const PREFETCH_MIN_KEYS = 1 << 16;
/** Db.prefetch's key hashes */
const prefetchHashes = new Uint32Array(PREFETCH_MAX);

/** A running snapshot's view of the writes (src/persist/snapshot.ts): it saves a key first. */
export interface SnapshotHook {
  /** `key` of `db` is about to be created or to get a new value */
  before(db: Db, key: Uint8Array): void;
  /** the record `ref` of `db` is about to be removed (deleted, expired, evicted) */
  removing(db: Db, ref: number): void;
  /** the record `ref` of `db` was just created or moved to a new block (after `before`) */
  placed(db: Db, ref: number): void;
}

/** The propagation point's view of removals no command asked for (src/persist/propagate.ts). */
export interface PropagateHook {
  /** the record `ref` of `db` is removed by expiry (evicted: false) or by eviction */
  deleted(db: Db, ref: number, evicted: boolean): void;
}

export class Db extends DbRecords implements BlobOwner {
  /** keys removed by expiry (INFO expired_keys) */
  expiredKeys = 0;
  /** bumped on every touch(): a cheap "anything changed" check */
  version = 0;
  /** set while some client watches keys of this database (or a shipped command runs on it) */
  onTouch: ((key: string) => void) | null = null;
  /** set while a background snapshot of this database runs */
  snap: SnapshotHook | null = null;
  /** set while the AOF is on (src/persist/propagate.ts): expiry and eviction go out as DEL */
  prop: PropagateHook | null = null;
  /**
   * The last prefetch hashed the keys it warmed: their lookups may take those hashes
   * (prefetchedHash) rather than hash each key a second time.
   */
  hashed = false;

  // ---- lookups

  /**
   * Does prefetching pay here: has the index outgrown the caches? (Below that the loads it
   * makes are hits, and hashing a key twice is all it does.)
   */
  get prefetching(): boolean {
    return this.dict.size >= PREFETCH_MIN_KEYS;
  }

  /**
   * Warm the cache for the lookups of keys[from], keys[from + step], ... below `to`, a
   * multi-key command's keys (Dict.prefetch): at most PREFETCH_MAX of them, and none for one key
   * alone (its misses cannot overlap). Returns where the keys it warmed end: a command with more
   * keys looks those up, then prefetches again from there (a squash's merged MGET has 80 keys a
   * shard), so that none waits for its misses alone.
   */
  prefetch(keys: Uint8Array[], from: number, to: number, step: number): number {
    if (to - from <= step || !this.prefetching) {
      this.hashed = false;
      return to;
    }
    const hashes = prefetchHashes;
    let n = 0, i = from;
    for (; i < to && n < PREFETCH_MAX; i += step) hashes[n++] = hashKey(keys[i]);
    this.dict.prefetch(hashes, n);
    this.hashed = true;
    return i < to ? i : to;
  }

  /** The hash of the n-th key the last prefetch warmed (when `hashed`). */
  prefetchedHash(n: number): number {
    return prefetchHashes[n];
  }

  /**
   * The same for keys given as ranges of `buf` (a pipeline's next commands, not yet parsed): a
   * length of -1 is no key.
   */
  prefetchRanges(buf: Uint8Array, offs: Int32Array, lens: Int32Array, count: number): void {
    const hashes = prefetchHashes;
    let n = 0;
    for (let i = 0; i < count && n < PREFETCH_MAX; i++) {
      if (lens[i] >= 0) hashes[n++] = hashBytes(buf, offs[i], lens[i]);
    }
    if (n > 1) this.dict.prefetch(hashes, n);
  }

  /** The record of a live key, as an access (Redis's lookupKey): the LRU/LFU field moves. */
  lookup(key: Uint8Array, now: number, h = hashKey(key)): number {
    const r = this.peek(key, now, h);
    if (r !== 0) {
      const u32 = this.ks.arena.u32;
      const m = u32[r * 2 + W_META];
      const a = this.ks.access;
      const f = a.lfu ? a.touched(m & LRU_BITS, now) : (now / 1000) & LRU_BITS;
      u32[r * 2 + W_META] = (m & ~LRU_BITS) | f;
    }
    return r;
  }

  /** The record of a live key without counting an access (LOOKUP_NOTOUCH); 0 when absent. */
  peek(key: Uint8Array, now: number, h = hashKey(key)): number {
    const r = this.dict.find(key, h);
    if (r === 0) return 0;
    const s = this.ks.arena.u32[r * 2 + W_VSLOT];
    if (s !== 0 && this.vol.expireAt(s) <= now) {
      this.dict.unlinkFound(r);
      this.expired(r);
      return 0;
    }
    return r;
  }

  /**
   * The collection a record holds (a list, set, hash or sorted set). A small one in its compact
   * encoding is answered as a view over its blob, valid for the current command only.
   */
  object<T extends CollectionValue>(ref: number): T {
    if (this.isBlob(ref)) return blobView(this.typeOf(ref), this.blob(ref)) as T;
    return this.ks.objects.get(this.handleOf(ref)) as T;
  } /** The blob of a small collection's record (see isBlob), for this command only. */
  blob(ref: number): Blob {
    return new Blob(this, ref, this.ks.view.read(this.ks.arena.u8, ref).valOff);
  } /**
   * Defragmentation: the record's blob moves to a block elsewhere (the arena hands out room in
   * pages not being evacuated); the record is rewritten in place to name it.
   */

  relocateBlob(ref: number): void {
    const a = this.ks.arena;
    const o = this.ks.view.read(a.u8, ref).valOff;
    const old = this.handleOf(ref);
    const len = this.blobLength(ref);
    const fresh = a.alloc(len);
    const u8 = a.u8;
    u8.copyWithin(fresh * 8, old * 8, old * 8 + len);
    u8[o] = fresh & 255;
    u8[o + 1] = (fresh >>> 8) & 255;
    u8[o + 2] = (fresh >>> 16) & 255;
    u8[o + 3] = fresh >>> 24;
    a.free(old);
  }

  // ---- writes

  /**
   * `key` holds the string src[off, off + len) from now on (a new key, or replacing any value),
   * with encoding hint `enc`; the TTL goes unless `keepTtl`. Returns the record. The source may
   * be a window on the arena itself.
   */
  setString(
    key: Uint8Array,
    src: Uint8Array,
    off: number,
    len: number,
    now: number,
    keepTtl = false,
    enc = ENC_AUTO,
    /** the key's hash, when the caller has it (Db.prefetchedHash) */
    h = -1,
  ): number {
    if (len > BIG_STRING) return this.setOwned(key, src.slice(off, off + len), now, keepTtl);
    return this.put(key, TYPE_STRING, src, off, len, 0, now, keepTtl, enc, OBJECT_BIT, h);
  }

  /**
   * `key` holds the string `bytes`, which the store owns from now on (a request buffer given
   * away by its parser, or a fresh copy): no copy is made when it is big. Returns the record.
   */
  setOwned(key: Uint8Array, bytes: Uint8Array, now: number, keepTtl = false): number {
    const len = bytes.length;
    if (len <= BIG_STRING) {
      return this.put(key, TYPE_STRING, bytes, 0, len, 0, now, keepTtl, ENC_AUTO);
    }
    const h = this.ks.objects.put(new BigString(bytes, len), TYPE_STRING);
    return this.put(key, TYPE_STRING, null, 0, HANDLE_BYTES, h, now, keepTtl, ENC_RAW);
  }

  /** `key` holds `obj` (of type `type`) from now on; the TTL goes. Returns the record. */
  setObject(key: Uint8Array, type: number, obj: CollectionValue, now: number): number {
    const h = this.ks.objects.put(obj, type);
    return this.put(key, type, null, 0, HANDLE_BYTES, h, now, false, ENC_AUTO);
  }

  /**
   * `key` holds a small collection of `type` from now on, in the compact encoding `format`
   * (BLOB_LISTPACK, BLOB_INTSET) whose bytes are src[off, off + len); the TTL goes. Returns the
   * record. The source may lie in the arena.
   */
  setBlob(
    key: Uint8Array,
    type: number,
    format: number,
    src: Uint8Array,
    off: number,
    len: number,
    now: number,
  ): number {
    const a = this.ks.arena;
    const b = a.alloc(len);
    if (src.buffer === a.buf) {
      a.u8.copyWithin(b * 8, src.byteOffset + off, src.byteOffset + off + len);
    } else a.u8.set(src.subarray(off, off + len), b * 8);
    return this.put(key, type, null, 0, HANDLE_BYTES, b, now, false, format, BLOB_BIT);
  }

  /** BlobOwner: the small collection at `record` leaves its blob for the object `obj`. */
  blobToObject(record: number, obj: CollectionValue): void {
    const a = this.ks.arena;
    const old = this.handleOf(record);
    const h = this.ks.objects.put(obj, this.typeOf(record));
    const o = this.ks.view.read(a.u8, record).valOff;
    const u8 = a.u8;
    u8[o] = h & 255;
    u8[o + 1] = (h >>> 8) & 255;
    u8[o + 2] = (h >>> 16) & 255;
    u8[o + 3] = h >>> 24;
    const m = a.u32[record * 2 + W_META];
    a.u32[record * 2 + W_META] = (m & ~(BLOB_BIT | (ENC_BITS << ENC_SHIFT))) | OBJECT_BIT;
    a.free(old);
  }

  /**
   * RENAME, MOVE, COPY: `key` is set to the value of record `ref` of database `src` (which may
   * be this one), replacing whatever it held, and takes over its type, TTL, access field and
   * encoding hint. A copy gets its own value (a collection is cloned); otherwise the value is
   * shared with the source record, which the caller removes next. Returns the new record.
   */
  putFrom(key: Uint8Array, src: Db, ref: number, now: number, copy: boolean): number {
    const type = src.typeOf(ref), lru = src.lruOf(ref), enc = src.encOf(ref);
    const at = src.expireAt(ref), exact = src.expireExact(ref);
    let r: number;
    if (src.isBlob(ref)) {
      // the bytes are copied either way: the source record frees its blob when removed
      const at = src.blobOffset(ref);
      r = this.setBlob(key, type, enc, src.ks.arena.u8, at, src.blobLength(ref), now);
    } else if (src.isObject(ref)) {
      const obj = src.object(ref);
      r = this.setObject(key, type, copy ? obj.clone() : obj, now);
    } else {
      const v = src.str(ref);
      r = this.setString(key, v, 0, v.length, now);
    }
    this.setLru(r, lru);
    this.setEnc(r, enc);
    if (at !== 0) this.setExpire(r, at, typeof exact === "bigint" ? exact : undefined);
    return r;
  }

  /**
   * The string at `ref` made `len` bytes long, for changing it bytewise (SETRANGE, SETBIT,
   * APPEND, HyperLogLogs): the bytes kept are the first min(old, len); new bytes are 0. The
   * record may move (returned); when it must, the new block has room to grow, as sds does.
   */
  resizeString(ref: number, len: number): number {
    const a = this.ks.arena;
    if (this.isObject(ref)) {
      const big = this.writable(this.big(ref));
      if (len > BIG_STRING) {
        const old = big.bytes;
        big.resize(len);
        // grown into a new buffer: a peer's one goes back
        if (big.bytes !== old) this.ks.objects.lends?.dropped(old);
        this.ks.objects.changed(this.handleOf(ref));
        return ref;
      }
      // small enough for a block again: back into the arena
      const bytes = new Uint8Array(len);
      bytes.set(big.bytes.subarray(0, Math.min(big.len, len)));
      return this.replaceValue(ref, bytes, 0);
    }
    const v = this.ks.view.read(a.u8, ref);
    if (len > BIG_STRING) {
      // outgrows the arena: the value moves to its own buffer, the key keeps its TTL
      const big = new BigString(new Uint8Array(len), len);
      big.bytes.set(a.u8.subarray(v.valOff, v.valOff + Math.min(v.vlen, len)));
      return this.replaceValue(ref, null, this.ks.objects.put(big, TYPE_STRING));
    }
    const klen = v.klen, oldLen = v.vlen;
    const need = recordBytes(klen, len);
    if (need <= a.blockBytes(ref) && need >= (a.blockBytes(ref) >> 2)) {
      // in place: only the vlen varint (and what follows it) may shift
      const keyOff = v.keyOff;
      const newKeyOff = writeVarint(a.u8, v.vlenOff, len);
      if (newKeyOff !== keyOff) {
        a.u8.copyWithin(newKeyOff, keyOff, keyOff + klen + Math.min(oldLen, len));
      }
      if (len > oldLen) a.u8.fill(0, newKeyOff + klen + oldLen, newKeyOff + klen + len);
      return ref;
    }
    const grow = len > oldLen && oldLen > 0;
    const room = grow ? (len < (1 << 20) ? len * 2 : len + (1 << 20)) : len;
    const fresh = a.alloc(recordBytes(klen, room) > need ? recordBytes(klen, room) : need);
    const u32 = a.u32, u8 = a.u8;
    u32[fresh * 2 + W_HASH] = u32[ref * 2 + W_HASH];
    u32[fresh * 2 + W_META] = u32[ref * 2 + W_META];
    const s = u32[ref * 2 + W_VSLOT];
    u32[fresh * 2 + W_VSLOT] = s;
    let p = writeVarint(u8, fresh * 8 + HEADER_BYTES, klen);
    p = writeVarint(u8, p, len);
    u8.copyWithin(p, v.keyOff, v.keyOff + klen + Math.min(oldLen, len));
    if (len > oldLen) u8.fill(0, p + klen + oldLen, p + klen + len);
    this.dict.locate(ref);
    this.dict.replaceFound(ref, fresh);
    if (s !== 0) this.vol.moved(s, fresh);
    a.free(ref);
    if (this.snap !== null) this.snap.placed(this, fresh);
    return fresh;
  }

  /**
   * The raw string of record `ref` becomes `bytes` (or, when null, the big string `handle`);
   * its TTL and access field stay. Returns the new record.
   */
  private replaceValue(ref: number, bytes: Uint8Array | null, handle: number): number {
    const lru = this.lruOf(ref);
    const len = bytes === null ? HANDLE_BYTES : bytes.length;
    const r = this.put(this.key(ref), TYPE_STRING, bytes, 0, len, handle, 0, true, ENC_RAW);
    this.setLru(r, lru);
    return r;
  }

  /** Move a record to a fresh block (defragmentation); the key's value is unchanged. */
  relocate(ref: number): number {
    const a = this.ks.arena;
    const v = this.ks.view.read(a.u8, ref);
    const bytes = v.valOff + v.vlen - ref * 8;
    const fresh = a.alloc(bytes);
    a.u8.copyWithin(fresh * 8, ref * 8, ref * 8 + bytes);
    this.dict.locate(ref);
    this.dict.replaceFound(ref, fresh);
    const s = a.u32[fresh * 2 + W_VSLOT];
    if (s !== 0) this.vol.moved(s, fresh);
    a.free(ref);
    return fresh;
  }

  /** Delete a key (expired keys count as absent). Returns true if a live key was removed. */
  delete(key: Uint8Array, now: number): boolean {
    const r = this.peek(key, now);
    if (r === 0) return false;
    this.dict.unlinkFound(r);
    this.release(r, true);
    return true;
  }

  /** Remove a found record (deletion, a collection emptied): the key is touched. */
  remove(ref: number): void {
    this.dict.locate(ref);
    this.dict.unlinkFound(ref);
    this.release(ref, true);
  }

  /** Give the key at `ref` a TTL (or a new one); the key is touched. */
  setExpire(ref: number, at: number, exact?: bigint): void {
    const s = this.ks.arena.u32[ref * 2 + W_VSLOT];
    if (s === 0) this.vol.add(ref, at, exact);
    else this.vol.set(s, at, exact);
    this.touch(ref);
  }

  /** Drop the key's TTL; returns whether it had one. */
  clearExpire(ref: number): boolean {
    const s = this.ks.arena.u32[ref * 2 + W_VSLOT];
    if (s === 0) return false;
    this.vol.remove(s);
    return true;
  }

  /**
   * Every write that changes a key calls this (Redis's signalModifiedKey), after the change:
   * WATCH, and later keyspace notifications and client tracking, hang off it.
   */
  touch(ref: number): void {
    this.version++;
    if ((this.ks.arena.u32[ref * 2 + W_META] & OBJECT_BIT) !== 0) {
      this.ks.objects.changed(this.handleOf(ref));
    }
    const t = this.onTouch;
    if (t !== null) t(this.keyLatin1(ref));
  }

  /** touch() for a key given by its bytes (one that may no longer exist). */
  touchKey(key: Uint8Array): void {
    this.version++;
    const t = this.onTouch;
    if (t !== null) t(latin1(key));
  }

  /** Drop everything (every key is touched). */
  flush(): void {
    const t = this.onTouch;
    if (t !== null) this.dict.forEach((r) => t(this.keyLatin1(r)));
    this.version++;
    this.dict.forEach((r) => this.freeRecord(r));
    this.dict.clear();
    this.vol.clear();
  }

  /**
   * FLUSHDB ASYNC: every key is gone at once (and touched, as by flush()), but the records are
   * still allocated, in the returned index, until the lazy freer drains it (lazyfree.ts).
   */
  detach(): Dict {
    const t = this.onTouch;
    if (t !== null) this.dict.forEach((r) => t(this.keyLatin1(r)));
    this.version++;
    const old = new Dict(this.ks.arena);
    old.swap(this.dict);
    this.vol.clear();
    return old;
  }

  /** Give back a record no index holds any more: its value object or blob, and its block. */
  freeRecord(r: number): void {
    const a = this.ks.arena;
    const m = a.u32[r * 2 + W_META];
    if ((m & OBJECT_BIT) !== 0) this.ks.objects.drop(this.handleOf(r));
    else if ((m & BLOB_BIT) !== 0) a.free(this.handleOf(r));
    a.free(r);
  }

  /**
   * SWAPDB: exchange the contents of two databases. Each Db object stays at its index with its
   * watch hook, so clients that selected an index see the other contents, as in Redis; every
   * key of both is signalled on both sides (a watched key changes if it exists in either).
   */
  swapWith(o: Db): void {
    this.dict.swap(o.dict);
    this.vol.swap(o.vol);
    this.signalAll(o);
    o.signalAll(this);
  }

  private signalAll(o: Db): void {
    this.version++;
    const t = this.onTouch;
    if (t === null) return;
    this.dict.forEach((r) => t(this.keyLatin1(r)));
    o.dict.forEach((r) => t(o.keyLatin1(r)));
  }

  /**
   * One SCAN step from `cursor` (Redis's reverse-binary bucket cursor, 32 bits): visits
   * buckets until `count` keys were seen or 10*count buckets were empty. Returns the next
   * cursor, 0 when the scan is complete.
   */
  scan(cursor: number, count: number, now: number, f: ScanFilter, out: string[]): number {
    if (this.dict.size === 0) return 0;
    let v = cursor >>> 0;
    let budget = count * 10;
    let seen = 0;
    const visit = (r: number) => {
      seen++;
      const at = this.expireAt(r);
      if (at !== 0 && at <= now) return;
      if (f.type !== undefined && this.typeOf(r) !== f.type) return;
      const k = this.keyLatin1(r);
      if (f.match !== undefined && !f.match(k)) return;
      out.push(k);
    };
    do {
      v = this.dict.scan(v, visit);
    } while (v !== 0 && budget-- > 0 && seen < count);
    return v;
  }

  /** Calls f on every live record (f must not write to the keyspace). */
  forEachLive(now: number, f: (ref: number) => void): void {
    this.dict.forEach((r) => {
      const at = this.expireAt(r);
      if (at === 0 || at > now) f(r);
    });
  }

  /** A random live key (latin1), or null; every key about equally likely. */
  randomKey(now: number): string | null {
    for (let tries = 0; tries < 100 && this.dict.size > 0; tries++) {
      const r = this.dict.fairRandom(Math.random) || this.dict.random(Math.random);
      const at = this.expireAt(r);
      if (at !== 0 && at <= now) {
        this.dict.locate(r);
        this.dict.unlinkFound(r);
        this.expired(r);
        continue;
      }
      return this.keyLatin1(r);
    }
    let found: string | null = null;
    this.dict.forEach((r) => {
      const at = this.expireAt(r);
      if (found === null && (at === 0 || at > now)) found = this.keyLatin1(r);
    });
    return found;
  }

  /**
   * Redis's active expire step for one database: sample up to 20 volatile keys, delete the
   * expired ones, repeat while more than a quarter of the sample was expired and the budget
   * (number of samples) lasts. Returns the number of samples taken.
   */
  activeExpire(now: number, budget: number): number {
    let sampled = 0;
    const vol = this.vol;
    while (vol.count > 0 && sampled < budget) {
      let expired = 0;
      const n = Math.min(20, vol.count);
      for (let k = 0; k < n; k++) {
        if (vol.count === 0) break;
        const s = vol.random(Math.random);
        sampled++;
        if (vol.expireAt(s) <= now) {
          const r = vol.ref(s);
          this.dict.locate(r);
          this.dict.unlinkFound(r);
          this.expired(r);
          expired++;
        }
      }
      if (expired * 4 <= n) break;
    }
    return sampled;
  }

  /** Average remaining TTL (ms) over a sample of volatile keys, for INFO's avg_ttl. */
  avgTtl(now: number): number {
    const vol = this.vol;
    if (vol.count === 0) return 0;
    const n = Math.min(vol.count, 64);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.max(0, vol.expireAt(vol.random(Math.random)) - now);
    return Math.round(sum / n);
  }

  // ---- internals

  /** An unlinked record whose key expired: counted, signalled, freed. */
  private expired(r: number): void {
    this.expiredKeys++;
    if (this.prop !== null) this.prop.deleted(this, r, false);
    this.release(r, true);
  }

  /** Free an unlinked record and what it holds; touch its key first if asked. */
  private release(r: number, touch: boolean): void {
    if (this.snap !== null) this.snap.removing(this, r);
    if (touch) this.touch(r);
    const a = this.ks.arena;
    const m = a.u32[r * 2 + W_META];
    const s = a.u32[r * 2 + W_VSLOT];
    if (s !== 0) this.vol.remove(s);
    if ((m & OBJECT_BIT) !== 0) this.ks.objects.drop(this.handleOf(r));
    else if ((m & BLOB_BIT) !== 0) a.free(this.handleOf(r));
    a.free(r);
    this.dict.maybeShrink();
  }

  /**
   * The one write path: `key` gets a value of `type` — bytes src[off, off + len), or (src null)
   * the object handle `handle` — creating the record or replacing the value of an existing one.
   */
  private put(
    key: Uint8Array,
    type: number,
    src: Uint8Array | null,
    off: number,
    len: number,
    handle: number,
    now: number,
    keepTtl: boolean,
    enc: number,
    kind = OBJECT_BIT,
    hash = -1,
  ): number {
    if (this.snap !== null) this.snap.before(this, key);
    const a = this.ks.arena;
    const h = hash >= 0 ? hash : hashKey(key);
    let r = this.dict.find(key, h);
    if (r !== 0) {
      const s = a.u32[r * 2 + W_VSLOT];
      if (s !== 0 && this.vol.expireAt(s) <= now) {
        this.dict.unlinkFound(r);
        this.expired(r);
        r = 0;
      }
    }
    const klen = key.length;
    const need = recordBytes(klen, len);
    const flags = ((type & TYPE_BITS) << TYPE_SHIFT) | ((enc & ENC_BITS) << ENC_SHIFT) |
      (src === null ? kind : 0);
    if (r === 0) {
      const fresh = a.alloc(need);
      this.writeRecord(fresh, h, flags | this.ks.access.fresh(now), 0, key, src, off, len, handle);
      this.dict.insert(fresh);
      if (this.snap !== null) this.snap.placed(this, fresh);
      this.touchKey(key);
      return fresh;
    }
    const u32 = a.u32;
    const m = u32[r * 2 + W_META];
    const s = u32[r * 2 + W_VSLOT];
    if ((m & OBJECT_BIT) !== 0) this.ks.objects.drop(this.handleOf(r));
    else if ((m & BLOB_BIT) !== 0) a.free(this.handleOf(r));
    // an overwrite is an access of the key (Redis looks it up for writing first)
    const acc = this.ks.access;
    const field = acc.lfu ? acc.touched(m & LRU_BITS, now) : (now / 1000) & LRU_BITS;
    let target = r;
    if (a.blockBytes(r) !== blockBytesFor(need) || this.overlaps(r, src, off)) {
      target = a.alloc(need);
    }
    this.writeRecord(target, h, flags | field, s, key, src, off, len, handle);
    if (target !== r) {
      this.dict.replaceFound(r, target);
      if (s !== 0) this.vol.moved(s, target);
      a.free(r);
      if (this.snap !== null) this.snap.placed(this, target);
    }
    if (!keepTtl && s !== 0) this.vol.remove(s);
    this.touchKey(key);
    return target;
  }

  /** Whether src lies in the arena inside the block of `r` (a value copied onto itself). */
  private overlaps(r: number, src: Uint8Array | null, off: number): boolean {
    const a = this.ks.arena;
    if (src === null || src.buffer !== a.buf) return false;
    const start = src.byteOffset + off;
    return start >= r * 8 && start < r * 8 + a.blockBytes(r);
  }

  private writeRecord(
    r: number,
    h: number,
    meta: number,
    vslot: number,
    key: Uint8Array,
    src: Uint8Array | null,
    off: number,
    len: number,
    handle: number,
  ): void {
    const a = this.ks.arena;
    const u32 = a.u32, u8 = a.u8;
    u32[r * 2 + W_HASH] = h;
    u32[r * 2 + W_META] = meta;
    u32[r * 2 + W_VSLOT] = vslot;
    const klen = key.length;
    let p = writeVarint(u8, r * 8 + HEADER_BYTES, klen);
    p = writeVarint(u8, p, len);
    if (klen < 64) { for (let i = 0; i < klen; i++) u8[p + i] = key[i]; }
    else u8.set(key, p);
    p += klen;
    if (src === null) {
      u8[p] = handle & 255;
      u8[p + 1] = (handle >>> 8) & 255;
      u8[p + 2] = (handle >>> 16) & 255;
      u8[p + 3] = handle >>> 24;
    } else if (len < 64) {
      for (let i = 0; i < len; i++) u8[p + i] = src[off + i];
    } else if (src.buffer === a.buf) {
      u8.copyWithin(p, src.byteOffset + off, src.byteOffset + off + len);
    } else {
      u8.set(src.subarray(off, off + len), p);
    }
  }
}
