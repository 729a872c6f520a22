/**
 * Big values cross between shards by address, not through the rings. The shards are Workers
 * of one process, so a shard can read and write another's memory where it lies; what it cannot
 * do is keep that memory alive, since each Worker's V8 frees its own buffers. So the owner
 * lends: it keeps the buffer until the borrower gives it back (ITEM_LENT, ITEM_GIVE_BACK).
 *
 * - A big SET (any request built in its value's buffer, wire.ts requestInPlace) is lent to the
 *   key's owner as a record. The owner runs it there and keeps the value as it lies, as it keeps
 *   one that arrived in a record of its own (`held`): the buffer goes back once the value is
 *   gone from the keyspace. The value is written once into fresh memory, by the recv that read
 *   it from the socket; through the ring it was written three times and took ~500 round trips.
 * - A big GET's reply lends the stored value to the client's shard, which copies it into the
 *   reply it sends and gives it back at once. While a value is lent out it is not written in
 *   place: a write copies it first (Db's copy-on-write, `isLent`).
 *
 * A view made from an address must not outlive the lend: the borrower gives a buffer back only
 * once nothing of it is in use (views of a command's arguments live as long as the command).
 */
import { addressesAvailable, addressOf, viewAt } from "../../ffi/address.ts";
import { type BatchBuilder, ITEM_GIVE_BACK, LENT_BULK, LENT_RECORD } from "./wire.ts";

/** Values from this size on cross by address (the size from which requests are built in place). */
export const LEND_FROM = 1 << 20;
/** The length field of ITEM_LENT is a u32. */
const LEND_MAX = 0xffffffff;

/** A peer's buffer this shard holds. */
interface Held {
  source: number;
  id: number;
  /** the value in it left the keyspace while lent onwards: give it back once those return */
  dropped: boolean;
}

export class Lends {
  /** lending is possible: several shards, and buffers' addresses can be taken */
  readonly on: boolean;
  private nextId = 0;
  /** memory lent to peers, by id, kept alive until given back */
  private readonly out = new Map<number, Uint8Array>();
  /** how many lends of each buffer are out (only buffers with some) */
  private readonly outCount = new Map<ArrayBufferLike, number>();
  /** peers' buffers this shard keeps values in, by the view's buffer */
  private readonly held = new Map<ArrayBufferLike, Held>();
  /** bytes currently held of peers' memory (INFO) */
  heldBytes = 0;

  constructor(
    n: number,
    /** the batch going to a peer this turn */
    private readonly batch: (target: number) => BatchBuilder,
    /** a buffer of ours came back: its bytes may be garbage now (Shard collects) */
    private readonly released: (bytes: number) => void,
  ) {
    this.on = n > 1 && addressesAvailable();
  }

  /** Whether `len` bytes may cross by address. */
  lendable(len: number): boolean {
    return this.on && len >= LEND_FROM && len <= LEND_MAX;
  }

  /** Lends out now, not given back yet (INFO shards' `lent`). */
  get lentCount(): number {
    return this.out.size;
  }

  /** `rec`, a record of items in a buffer the caller gives away, goes to `target` by address. */
  lendRecord(target: number, rec: Uint8Array): void {
    const id = this.take(rec);
    this.batch(target).lent(0, LENT_RECORD, id, addressOf(rec), rec.length);
  }

  /**
   * `value` is a reply's bulk string: count it lent now (a write to it in the same command
   * copies it first), before the reply goes (lendBulk) or is written after all (unpin).
   */
  pin(value: Uint8Array): void {
    const b = value.buffer;
    this.outCount.set(b, (this.outCount.get(b) ?? 0) + 1);
  }

  /** The pinned `value` goes to `target` as the bulk string that replies to its `token`. */
  lendBulk(target: number, token: number, value: Uint8Array): void {
    const id = this.take(value);
    this.batch(target).lent(token, LENT_BULK, id, addressOf(value), value.length);
  }

  /** A pinned value was not lent after all. */
  unpin(value: Uint8Array): void {
    this.uncount(value.buffer);
  }

  private take(bytes: Uint8Array): number {
    let id = this.nextId = (this.nextId + 1) >>> 0;
    while (id === 0 || this.out.has(id)) id = this.nextId = (this.nextId + 1) >>> 0;
    this.out.set(id, bytes);
    return id;
  }

  /** A peer gave lend `id` back. */
  givenBack(id: number): void {
    const bytes = this.out.get(id);
    if (bytes === undefined) return;
    this.out.delete(id);
    if (this.outCount.has(bytes.buffer)) this.uncount(bytes.buffer);
    else this.released(bytes.length);
  }

  private uncount(b: ArrayBufferLike): void {
    const left = (this.outCount.get(b) ?? 1) - 1;
    if (left > 0) return void this.outCount.set(b, left);
    this.outCount.delete(b);
    const h = this.held.get(b);
    if (h !== undefined && h.dropped) this.giveBackHeld(b, h);
  }

  /** Whether some of `bytes`' buffer is lent out (then it must not be written in place). */
  isLent(bytes: Uint8Array): boolean {
    return this.outCount.size > 0 && this.outCount.has(bytes.buffer);
  }

  /** A view of what a peer lent: valid until given back. */
  view(addr: bigint, len: number): Uint8Array {
    return viewAt(addr, len);
  }

  /** Keep `view`, lent by `source` as `id`, until dropped() says its value is gone. */
  hold(source: number, id: number, view: Uint8Array): void {
    this.held.set(view.buffer, { source, id, dropped: false });
    this.heldBytes += view.length;
  }

  /** A held buffer whose value was not kept (the request ran without keeping it): back now. */
  unhold(view: Uint8Array): void {
    const h = this.held.get(view.buffer);
    if (h !== undefined) this.giveBackHeld(view.buffer, h);
  }

  /** Tell `source` its lend `id` is not used any more. */
  giveBack(source: number, id: number): void {
    this.batch(source).small(ITEM_GIVE_BACK, id);
  }

  /**
   * The keyspace stopped using `bytes` (a big string left it, or moved to a copy): a peer's
   * buffer goes back, once no lend of it is out.
   */
  dropped(bytes: Uint8Array): void {
    const b = bytes.buffer;
    const h = this.held.get(b);
    if (h === undefined) return;
    if (this.outCount.has(b)) h.dropped = true;
    else this.giveBackHeld(b, h);
  }

  private giveBackHeld(b: ArrayBufferLike, h: Held): void {
    this.held.delete(b);
    this.heldBytes -= b.byteLength;
    this.giveBack(h.source, h.id);
  }

  /** Peers' buffers this shard keeps values in (INFO shards' `held`). */
  get heldCount(): number {
    return this.held.size;
  }
}

/** The RESP bulk string of `value`, in a buffer of its own (a lent value's one copy). */
export function bulkOf(value: Uint8Array): Uint8Array {
  const head = `$${value.length}\r\n`;
  const out = new Uint8Array(head.length + value.length + 2);
  for (let i = 0; i < head.length; i++) out[i] = head.charCodeAt(i);
  out.set(value, head.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}
