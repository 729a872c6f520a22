/**
 * Encoding of the records shards exchange over the ring mesh. One ring record is a batch: the
 * concatenation of items, all requests or replies a shard produced for one peer in one loop
 * iteration.
 *
 *   request: [1][token u32][db u16][proto u8][txid u32][flags u8][client u32][argc u32]
 *            then argc x ([len u32][bytes])
 *   reply:   [2][token u32][len u32][bytes]          (bytes = the RESP reply)
 *   lock:    [3][txid u32][client u32][flags u8][n u32] then n x [lock key u32]
 *            (flags: LOCK_ALL, LOCK_SHARED, LOCK_FINAL of locks.ts)
 *   grant:   [4][txid u32][status u8]                (GRANTED or GRANTED_DIRTY)
 *   release: [5][txid u32]
 *   unwatch: [6][client u32]
 *   fetch:   [7][token u32][db u16][n u32] then n x ([len u32][key])   (reply: entries)
 *   store:   [8][token u32][db u16][len u32][entries]                   (reply: empty)
 *   held:    [9][txid u32][0 u32][flags u8][n u32] then n x [key lock slot u32]
 *            (a single hop's slots taken here: its requests follow; single_hop.ts)
 *   lent:    [10][token u32][what u8][id u32][address lo u32][address hi u32][len u32]
 *            (len bytes at that address, the sender's memory until given back: LENT_RECORD, a
 *            record of items; LENT_BULK, the bulk string that replies to `token`; lend.ts)
 *   give back: [11][id u32]                      (the lent memory `id` is not used any more)
 *
 * Tokens are chosen by the requesting shard and echoed back; they map to the waiting slot. A
 * request with a txid runs under that transaction's locks (a LOCK_FINAL lock goes once it ran,
 * unless its flags say REQ_MORE: then after the last of the transaction's requests).
 */
import { latin1 } from "../util/bytes.ts";

export const ITEM_REQUEST = 1;
export const ITEM_REPLY = 2;
export const ITEM_LOCK = 3;
export const ITEM_GRANT = 4;
export const ITEM_RELEASE = 5;
export const ITEM_UNWATCH = 6;
export const ITEM_FETCH = 7;
export const ITEM_STORE = 8;
export const ITEM_HELD = 9;
export const ITEM_LENT = 10;
export const ITEM_GIVE_BACK = 11;

/** lent: the bytes are a ring record of their own (a request built in its value's buffer) */
export const LENT_RECORD = 0;
/** lent: the bytes are the value of a bulk string reply */
export const LENT_BULK = 1;

/** request flags: it runs inside EXEC (src/persist/propagate.ts) */
export const REQ_IN_EXEC = 1;
/** request flags: more parts of its transaction follow here, so a final lock stays (squash.ts) */
export const REQ_MORE = 2;

export const GRANTED = 0;
export const GRANTED_DIRTY = 1;

/** Arguments behind a big value that requestInPlace moves behind it (options such as EX 10). */
const TAIL_MAX = 4096;

/** A batch past this leaves in its own buffer instead of being copied (BatchBuilder.detach). */
export const DETACH_FROM = 1 << 20;

/** A growable little-endian byte builder for one batch. */
export class BatchBuilder {
  buf = new Uint8Array(4096);
  len = 0;
  private dv = new DataView(this.buf.buffer);
  /**
   * Whole records that go out before `buf`, in order: a big item built in place in its value's
   * buffer (seal), after the items ahead of it.
   */
  readonly sealed: Uint8Array[] = [];

  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }

  u8(v: number): void {
    this.buf[this.len++] = v;
  }

  u16(v: number): void {
    this.dv.setUint16(this.len, v, true);
    this.len += 2;
  }

  u32(v: number): void {
    this.dv.setUint32(this.len, v, true);
    this.len += 4;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  setU32(at: number, v: number): void {
    this.dv.setUint32(at, v, true);
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  reset(): void {
    this.len = 0;
  }

  /**
   * `rec`, one whole item in a buffer of its own, goes as a record of its own after the items
   * appended so far (which are sealed into a record first).
   */
  seal(rec: Uint8Array): void {
    if (this.len > 0) {
      this.sealed.push(this.buf.slice(0, this.len));
      this.len = 0;
    }
    this.sealed.push(rec);
  }

  /**
   * A request item for argv[0..argc) built in place around argv[big], a big value whose buffer
   * the caller owns (its parser's, given away with the whole command in it): the item's header
   * and the arguments before the value go in the headroom in front of it, the ones after it
   * over their own RESP framing behind it (always longer than the item's). Null when they do
   * not fit there. The arguments after the value are moved: their views are not valid after.
   */
  static requestInPlace(
    token: number,
    db: number,
    proto: number,
    argv: Uint8Array[],
    argc: number,
    big: number,
    txid: number,
    flags: number,
    client: number,
  ): Uint8Array | null {
    const val = argv[big];
    const ab = val.buffer;
    let head = 21 + 4;
    for (let i = 0; i < big; i++) head += 4 + argv[i].length;
    if (val.byteOffset < head) return null;
    let tail = 0;
    for (let i = big + 1; i < argc; i++) {
      // each must lie behind the value in the same buffer, as the parser left it
      if (argv[i].buffer !== ab || argv[i].byteOffset < val.byteOffset + val.length) return null;
      tail += 4 + argv[i].length;
    }
    if (tail > TAIL_MAX) return null;
    // the arguments behind the value are copied aside first: their new places overlap the old
    const after = tail === 0 ? null : new BatchBuilder();
    if (after !== null) {
      after.ensure(tail);
      for (let i = big + 1; i < argc; i++) {
        after.u32(argv[i].length);
        after.bytes(argv[i]);
      }
    }
    // the other arguments may lie in the headroom's bytes: the header is built aside first
    const b = new BatchBuilder();
    b.request(token, db, proto, argv, big, null, txid, flags, client);
    b.setU32(17, argc);
    b.u32(val.length);
    const rec = new Uint8Array(ab, val.byteOffset - head, head + val.length + tail);
    rec.set(b.view());
    if (after !== null) rec.set(after.view(), head + val.length);
    return rec;
  }

  /**
   * A reply item for `token` built in place in front of `body`, the whole reply in a buffer the
   * caller gives away; null without 9 bytes of room there.
   */
  static replyInPlace(token: number, body: Uint8Array): Uint8Array | null {
    if (body.byteOffset < 9) return null;
    const rec = new Uint8Array(body.buffer, body.byteOffset - 9, body.length + 9);
    const dv = new DataView(rec.buffer, rec.byteOffset, 9);
    rec[0] = ITEM_REPLY;
    dv.setUint32(1, token, true);
    dv.setUint32(5, body.length, true);
    return rec;
  }

  /**
   * The batch, for the caller to keep, when it is big (the builder starts over on a fresh
   * buffer); null when it is small enough to copy.
   */
  detach(): Uint8Array | null {
    if (this.len <= DETACH_FROM) return null;
    const b = this.buf.subarray(0, this.len);
    this.buf = new Uint8Array(4096);
    this.dv = new DataView(this.buf.buffer);
    this.len = 0;
    return b;
  }

  /** Give back a buffer that grew for a big batch, once empty (all: down to the minimum). */
  shrink(all: boolean): number {
    const n = this.buf.length;
    if (this.len !== 0 || n <= 4096 || (!all && n <= 1 << 20)) return 0;
    this.buf = new Uint8Array(4096);
    this.dv = new DataView(this.buf.buffer);
    return n - 4096;
  }

  /** Append a request item. `pos` selects the argv positions to send (null: all argc). */
  request(
    token: number,
    db: number,
    proto: number,
    argv: Uint8Array[],
    argc: number,
    pos: number[] | null,
    txid = 0,
    flags = 0,
    client = 0,
  ): void {
    const n = pos === null ? argc : pos.length;
    let size = 21;
    for (let i = 0; i < n; i++) size += 4 + argv[pos === null ? i : pos[i]].length;
    this.ensure(size);
    this.u8(ITEM_REQUEST);
    this.u32(token);
    this.u16(db);
    this.u8(proto);
    this.u32(txid);
    this.u8(flags);
    this.u32(client);
    this.u32(n);
    for (let i = 0; i < n; i++) {
      const a = argv[pos === null ? i : pos[i]];
      this.u32(a.length);
      this.bytes(a);
    }
  }

  /** A lock request, or (kind ITEM_HELD) the slots a single hop took there. */
  lock(txid: number, client: number, flags: number, keys: number[], kind = ITEM_LOCK): void {
    this.ensure(14 + 4 * keys.length);
    this.u8(kind);
    this.u32(txid);
    this.u32(client);
    this.u8(flags);
    this.u32(keys.length);
    for (let i = 0; i < keys.length; i++) this.u32(keys[i]);
  }

  /** fetch: the entries of `keys` in database `db`, for a command shipped to the requester */
  fetch(token: number, db: number, keys: string[]): void {
    let size = 11;
    for (const k of keys) size += 4 + k.length;
    this.ensure(size);
    this.u8(ITEM_FETCH);
    this.u32(token);
    this.u16(db);
    this.u32(keys.length);
    for (const k of keys) {
      this.u32(k.length);
      for (let i = 0; i < k.length; i++) this.buf[this.len++] = k.charCodeAt(i);
    }
  }

  /** store: entries (encoded by store/transfer.ts) to install in database `db` */
  store(token: number, db: number, entries: Uint8Array): void {
    this.ensure(11 + entries.length);
    this.u8(ITEM_STORE);
    this.u32(token);
    this.u16(db);
    this.u32(entries.length);
    this.bytes(entries);
  }

  /** grant / release / unwatch: a kind and one u32 (and a status byte for grants) */
  small(kind: number, v: number, status = 0): void {
    this.ensure(6);
    this.u8(kind);
    this.u32(v);
    if (kind === ITEM_GRANT) this.u8(status);
  }

  /** memory lent by address (ITEM_LENT): `len` bytes at `addr`, until given back as `id` */
  lent(token: number, what: number, id: number, addr: bigint, len: number): void {
    this.ensure(22);
    this.u8(ITEM_LENT);
    this.u32(token);
    this.u8(what);
    this.u32(id);
    this.u32(Number(addr & 0xffffffffn));
    this.u32(Number(addr >> 32n));
    this.u32(len);
  }

  /** Append a reply item. */
  reply(token: number, body: Uint8Array): void {
    this.replyFrom(token, body, body.length);
  }

  /** Append a reply item whose body is body[0..len) (a writer's buffer: no view made). */
  replyFrom(token: number, body: Uint8Array, len: number): void {
    this.ensure(9 + len);
    this.u8(ITEM_REPLY);
    this.u32(token);
    this.u32(len);
    const buf = this.buf;
    let o = this.len;
    if (len > 64 || body.length === len) {
      buf.set(len === body.length ? body : body.subarray(0, len), o);
    } else for (let i = 0; i < len; i++) buf[o++] = body[i];
    this.len += len;
  }
}

const EMPTY_RECORD = new Uint8Array(0);

/** Reads the items of one batch record. Views into `rec` are valid only during the callback. */
export class BatchReader {
  private rec: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(this.rec.buffer);
  off = 0;
  readonly argv: Uint8Array[] = [];
  argc = 0;
  /** request: txid and flags; lock: LOCK_* flags; grant: status in flags */
  txid = 0;
  flags = 0;
  client = 0;
  keys: string[] = [];
  /** lock: the lock keys */
  lockKeys: number[] = [];
  token = 0;
  db = 0;
  proto = 2;
  body: Uint8Array = new Uint8Array(0);
  /** reply: where its body lies in the record (`replyBody()` makes a view of it) */
  bodyAt = 0;
  bodyLen = 0;
  /** lent: what the memory holds (LENT_*), its id, address and length */
  lentWhat = 0;
  lentId = 0;
  lentAddr = 0n;
  lentLen = 0;
  /** peekKeys: the database of the requests it looked at */
  peekDb = 0;

  /** the record being read */
  get record(): Uint8Array {
    return this.rec;
  }

  reset(rec: Uint8Array): void {
    this.rec = rec;
    this.dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    this.off = 0;
  }

  /** The body of the reply item just read, as a view into the record. */
  replyBody(): Uint8Array {
    const r = this.rec;
    return new Uint8Array(r.buffer, r.byteOffset + this.bodyAt, this.bodyLen);
  }

  /** Let go of the record read (a big one's buffer would otherwise stay alive while idle). */
  release(): void {
    this.reset(EMPTY_RECORD);
    this.body = EMPTY_RECORD;
    this.argv.fill(EMPTY_RECORD);
    this.argc = 0;
  }

  /** Next item's kind (ITEM_*), or 0 at the end. Fields are decoded into this. */
  next(): number {
    const r = this.rec, dv = this.dv;
    if (this.off >= r.length) return 0;
    const kind = r[this.off];
    let o = this.off + 1;
    this.token = dv.getUint32(o, true);
    o += 4;
    if (kind === ITEM_REQUEST) {
      this.db = dv.getUint16(o, true);
      this.proto = r[o + 2];
      this.txid = dv.getUint32(o + 3, true);
      this.flags = r[o + 7];
      this.client = dv.getUint32(o + 8, true);
      const n = dv.getUint32(o + 12, true);
      o += 16;
      this.argc = n;
      // the constructor is cheaper than subarray (no species lookup): one view per argument
      const buf = r.buffer, base = r.byteOffset;
      for (let i = 0; i < n; i++) {
        const l = dv.getUint32(o, true);
        o += 4;
        this.argv[i] = new Uint8Array(buf, base + o, l);
        o += l;
      }
    } else if (kind === ITEM_REPLY) {
      // no view: a reply that goes straight out is copied from the record (Peers.answerFrom)
      const l = dv.getUint32(o, true);
      o += 4;
      this.bodyAt = o;
      this.bodyLen = l;
      o += l;
    } else if (kind === ITEM_FETCH) {
      this.db = dv.getUint16(o, true);
      o = this.readKeys(r, dv, o + 6, dv.getUint32(o + 2, true));
    } else if (kind === ITEM_STORE) {
      this.db = dv.getUint16(o, true);
      const l = dv.getUint32(o + 2, true);
      o += 6;
      this.body = r.subarray(o, o + l);
      o += l;
    } else if (kind === ITEM_LOCK || kind === ITEM_HELD) {
      this.client = dv.getUint32(o, true);
      this.flags = r[o + 4];
      const n = dv.getUint32(o + 5, true);
      o += 9;
      const keys: number[] = new Array(n);
      for (let i = 0; i < n; i++, o += 4) keys[i] = dv.getUint32(o, true);
      this.lockKeys = keys;
    } else if (kind === ITEM_GRANT) {
      this.flags = r[o++];
    } else if (kind === ITEM_LENT) {
      this.lentWhat = r[o];
      this.lentId = dv.getUint32(o + 1, true);
      this.lentAddr = BigInt(dv.getUint32(o + 5, true)) |
        (BigInt(dv.getUint32(o + 9, true)) << 32n);
      this.lentLen = dv.getUint32(o + 13, true);
      o += 17;
    }
    this.off = o;
    return kind;
  }

  /**
   * Where the second argument of each of the next requests in the record lies (most commands
   * name a key there), without reading them: up to `max` requests of the database `peekDb` (the
   * first one's) from the current item on, into `offs`/`lens` (into `record`; -1: no such
   * argument). Other items are stepped over. Returns how many requests it looked at.
   */
  peekKeys(max: number, offs: Int32Array, lens: Int32Array): number {
    const r = this.rec, dv = this.dv;
    let o = this.off, n = 0, db = -1;
    while (n < max && o < r.length) {
      const kind = r[o];
      o += 5;
      if (kind === ITEM_REQUEST) {
        const d = dv.getUint16(o, true), argc = dv.getUint32(o + 12, true);
        if (db < 0) db = d;
        o += 16;
        lens[n] = -1;
        for (let i = 0; i < argc; i++) {
          const l = dv.getUint32(o, true);
          if (i === 1 && d === db) {
            offs[n] = o + 4;
            lens[n] = l;
          }
          o += 4 + l;
        }
        n++;
      } else if (kind === ITEM_REPLY) o += 4 + dv.getUint32(o, true);
      else if (kind === ITEM_STORE) o += 6 + dv.getUint32(o + 2, true);
      else if (kind === ITEM_LOCK || kind === ITEM_HELD) o += 9 + 4 * dv.getUint32(o + 5, true);
      else if (kind === ITEM_GRANT) o += 1;
      else if (kind === ITEM_LENT) o += 17;
      else if (kind !== ITEM_RELEASE && kind !== ITEM_UNWATCH && kind !== ITEM_GIVE_BACK) break;
    }
    this.peekDb = db;
    return n;
  }

  /** n length-prefixed keys from o into this.keys; returns the offset after them. */
  private readKeys(r: Uint8Array, dv: DataView, o: number, n: number): number {
    const keys: string[] = [];
    for (let i = 0; i < n; i++) {
      const l = dv.getUint32(o, true);
      o += 4;
      keys.push(latin1(r.subarray(o, o + l)));
      o += l;
    }
    this.keys = keys;
    return o;
  }
}
