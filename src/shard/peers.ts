/**
 * A shard's side of the ring mesh within a loop turn: the batch going to each peer (requests,
 * replies, transaction control), the tokens of its requests and calls still waiting for a
 * peer's reply, and the reply that completes them. Batches leave at the end of the turn
 * (`flushPeers`), or earlier once big (`flushEarly`).
 */
import type { Mesh } from "../mesh/mesh.ts";
import type { ShardStats } from "../commands/context.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import type { Aof } from "../persist/aof.ts";
import { BatchBuilder, DETACH_FROM, REQ_IN_EXEC, REQ_MORE } from "./wire.ts";
import { type Client, MAX_WAITING, type Slot } from "./client.ts";
import { Lends } from "./lend.ts";

const EMPTY = new Uint8Array(0);
/** A peer's batch this big leaves mid-turn (flushEarly). */
const EARLY_FLUSH_BYTES = 8 * 1024;

/** The position of an argument past DETACH_FROM bytes (a big value), or -1. */
function bigArgument(argv: Uint8Array[], argc: number): number {
  for (let i = argc - 1; i > 0; i--) if (argv[i].length > DETACH_FROM) return i;
  return -1;
}

/**
 * The usual case: a whole forwarded command whose reply is next in its client's line goes
 * straight into the client's output.
 */
function straight(slot: Slot, c: Client): boolean {
  return slot.remaining === 1 && slot.done === null && slot.onReady === null && !c.closed &&
    c.queue.first() === slot;
}

export class Peers {
  private readonly batches: BatchBuilder[] = [];
  private readonly dirty: boolean[] = [];
  /**
   * What each token in flight waits for, by token: a part of a client's reply slot, or an
   * internal call's callback. Tokens are indexes reused once their reply is in (every request
   * gets one), so a round trip allocates nothing: a Map of objects per token left V8's young
   * generation full of survivors and cost 10 ms scavenges under a write load on 2 shards.
   */
  private readonly tokSlot: (Slot | null)[] = [null];
  private readonly tokClient: (Client | null)[] = [null];
  private readonly tokCall: (((body: Uint8Array) => void) | null)[] = [null];
  private tokPart = new Int32Array(1024);
  /** 1: the token's request is outside a transaction (Client.forwardsOut counts it) */
  private tokPlain = new Uint8Array(1024);
  private readonly freeTokens: number[] = [];
  /** big values lent to peers by address, and peers' held here (lend.ts) */
  readonly lends: Lends;
  /**
   * The big bulk string that replies to the forwarded request being run, to be lent rather
   * than written (Shard.lendReply), or null.
   */
  lentReply: Uint8Array | null = null;

  constructor(
    readonly n: number,
    private readonly mesh: Mesh,
    private readonly stats: ShardStats,
    /** where forwarded requests are executed (their reply leaves from it) */
    private readonly remoteW: ReplyWriter,
    private readonly aof: Aof,
    /** let a client whose input waited on its replies go on (Shard.resume) */
    private readonly resume: (c: Client) => void,
    /** bytes of this shard's buffers that peers gave back (garbage to collect) */
    released: (bytes: number) => void,
  ) {
    this.lends = new Lends(n, (t) => this.batch(t), released);
    for (let i = 0; i < n; i++) {
      this.batches.push(new BatchBuilder());
      this.dirty.push(false);
    }
  }

  /** Queue a request for `target`; its reply fills part `part` of `slot`. */
  forward(
    target: number,
    client: Client,
    slot: Slot,
    part: number,
    argv: Uint8Array[],
    argc: number,
    pos: number[] | null,
    /** more parts of the same transaction follow for `target` (its final lock stays) */
    more = false,
    /** argv is the client's request as parsed: a big value may cross in its own buffer */
    whole = pos === null,
  ): void {
    const token = this.takeToken();
    this.stats.forwarded++;
    this.tokSlot[token] = slot;
    this.tokClient[token] = client;
    this.tokPart[token] = part;
    if (client.txid === 0) {
      client.forwardsOut++;
      this.tokPlain[token] = 1;
    } else this.tokPlain[token] = 0;
    // inside EXEC (src/persist/propagate.ts writes a flush as DELs)
    const flags = (client.inExec ? REQ_IN_EXEC : 0) | (more ? REQ_MORE : 0);
    this.dirty[target] = true;
    // a big value whose request buffer the client gives away crosses with no copy
    const big = whole ? bigArgument(argv, argc) : -1;
    if (big > 0 && client.claim(argv[big])) {
      const rec = BatchBuilder.requestInPlace(
        token,
        client.db,
        client.proto,
        argv,
        argc,
        big,
        client.txid,
        flags,
        client.id,
      );
      if (rec === null) {
        // no room in front of the value: copied below
      } else if (this.lends.lendable(rec.length)) {
        return this.lends.lendRecord(target, rec);
      } else return this.batches[target].seal(rec);
    }
    this.batches[target].request(
      token,
      client.db,
      client.proto,
      argv,
      argc,
      pos,
      client.txid,
      flags,
      client.id,
    );
  }

  private takeToken(): number {
    if (this.freeTokens.length > 0) return this.freeTokens.pop()!;
    const token = this.tokSlot.length;
    this.tokSlot.push(null);
    this.tokClient.push(null);
    this.tokCall.push(null);
    if (token >= this.tokPart.length) {
      const grown = new Int32Array(this.tokPart.length * 2);
      grown.set(this.tokPart);
      this.tokPart = grown;
      const plain = new Uint8Array(grown.length);
      plain.set(this.tokPlain);
      this.tokPlain = plain;
    }
    return token;
  }

  /** The batch going to `target` this iteration (for transaction control items). */
  batch(target: number): BatchBuilder {
    this.dirty[target] = true;
    return this.batches[target];
  }

  /**
   * An internal round trip to peer `target`: `build` appends an item carrying the token; the
   * peer's reply item for that token goes to `cb`.
   */
  call(
    target: number,
    build: (b: BatchBuilder, token: number) => void,
    cb: (body: Uint8Array) => void,
  ): void {
    const token = this.takeToken();
    this.tokCall[token] = cb;
    build(this.batch(target), token);
  }

  /** Reply to a request of peer `source`. */
  replyTo(source: number, token: number, body: Uint8Array): void {
    this.batches[source].reply(token, body);
    this.dirty[source] = true;
  }

  /** Reply to a request of peer `source` with what remoteW holds, which is then empty. */
  replyRemote(source: number, token: number): void {
    const w = this.remoteW;
    this.dirty[source] = true;
    const lent = this.lentReply;
    if (lent !== null) {
      this.lentReply = null;
      if (w.len === 0) return this.lends.lendBulk(source, token, lent);
      // more was written behind it: the bulk goes in its place after all
      const rest = w.take();
      w.bulk(lent);
      w.raw(rest);
      this.lends.unpin(lent);
    }
    if (w.len > DETACH_FROM) {
      // a big reply goes on in the writer's own buffer, its item header in the headroom
      const rec = BatchBuilder.replyInPlace(token, w.buf.subarray(0, w.len));
      if (rec !== null) {
        w.giveAway();
        return this.batches[source].seal(rec);
      }
    }
    this.batches[source].replyFrom(token, w.buf, w.len);
    w.reset();
  }

  /**
   * A peer's reply to one of this shard's requests or calls. `own`: the reply fills most of a
   * ring record with a buffer of its own, so it may be kept without a copy.
   */
  completePart(token: number, body: Uint8Array, own = false): void {
    if (token <= 0 || token >= this.tokSlot.length) return;
    const cb = this.tokCall[token];
    if (cb !== null) {
      this.tokCall[token] = null;
      this.freeTokens.push(token);
      return cb(body.slice());
    }
    const slot = this.tokSlot[token];
    const c = this.tokClient[token];
    if (slot === null || c === null) return;
    const part = this.tokPart[token];
    this.settle(token, c);
    if (straight(slot, c)) {
      // straight out, a big one as it is (a 512 MiB GET's copy cost a pass over fresh memory)
      if (own && c.out.len === 0) c.out.adopt(body);
      else c.out.raw(body);
      return this.answered(slot, c);
    }
    if (slot.done === null) {
      // a whole command's reply (its only part), held for its turn
      slot.bytes = c.hold(body);
      slot.remaining = 0;
    } else {
      // the last part is folded at once, straight from the ring record: no copy of it is held
      slot.parts[part] = slot.remaining === 1 ? body : c.hold(body);
      if (--slot.remaining > 0) return;
      // folded even for a client gone meanwhile: a fold may end a transaction
      slot.bytes = slot.done(slot.parts as Uint8Array[]);
    }
    if (slot.onReady !== null) slot.onReady();
    if (c.closed) return;
    if (c.queue.first() === slot) {
      c.drain();
      c.transport.flush();
      // input held while too many replies were outstanding: go on once half of them are in
      if (c.parser.pending > 0 && c.queue.length <= MAX_WAITING >> 1) this.resume(c);
    }
  }

  /**
   * completePart for a reply at rec[at, at + len) that goes straight out: copied from the
   * record, with no view made of it. False (nothing done) for any other reply.
   */
  answerFrom(token: number, rec: Uint8Array, at: number, len: number): boolean {
    if (token <= 0 || token >= this.tokSlot.length) return false;
    const slot = this.tokSlot[token];
    const c = this.tokClient[token];
    if (slot === null || c === null || !straight(slot, c)) return false;
    this.settle(token, c);
    c.out.rawRange(rec, at, at + len);
    this.answered(slot, c);
    return true;
  }

  /** The reply for `token` came: the token is free again. */
  private settle(token: number, c: Client): void {
    if (this.tokPlain[token] === 1) c.forwardsOut--;
    this.tokSlot[token] = null;
    this.tokClient[token] = null;
    this.freeTokens.push(token);
  }

  /** A straight reply was written: its slot leaves the line, and what waited behind it. */
  private answered(slot: Slot, c: Client): void {
    slot.bytes = EMPTY;
    slot.remaining = 0;
    c.queue.shift();
    c.drain();
    c.transport.flush();
    if (c.parser.pending > 0 && c.queue.length <= MAX_WAITING >> 1) this.resume(c);
  }

  /**
   * A batch to a peer that has grown past EARLY_FLUSH_BYTES goes out now rather than at the end
   * of the turn, so the peer works on it while this shard goes on: with every shard holding its
   * batches for a whole turn, two shards took turns being idle. Not while the AOF is on: a
   * message must not leave before the writes it follows are in the file, and a turn's writes
   * go out in one piece (src/persist/aof.ts).
   */
  flushEarly(): void {
    if (this.aof.on) return;
    let sent = false;
    for (let t = 0; t < this.n; t++) {
      const b = this.batches[t];
      if (b.len < EARLY_FLUSH_BYTES && b.sealed.length === 0) continue;
      sent = true;
      this.send(t, b);
    }
    if (sent) this.mesh.wakePeers();
  }

  /** Send this iteration's batches, retry backlogs, wake parked peers. Returns true if a backlog remains. */
  flushPeers(): boolean {
    for (let t = 0; t < this.n; t++) {
      if (!this.dirty[t]) continue;
      this.dirty[t] = false;
      const b = this.batches[t];
      if (b.len > 0 || b.sealed.length > 0) this.send(t, b);
      b.reset();
    }
    const more = this.mesh.flush();
    this.mesh.wakePeers();
    return more;
  }

  /**
   * A batch goes out, behind the records sealed in it; a big one gives its buffer away rather
   * than being copied.
   */
  private send(t: number, b: BatchBuilder): void {
    const sealed = b.sealed;
    for (let i = 0; i < sealed.length; i++) this.mesh.send(t, sealed[i], true);
    sealed.length = 0;
    if (b.len === 0) return;
    const big = b.detach();
    if (big !== null) return this.mesh.send(t, big, true);
    this.mesh.send(t, b.view());
    b.reset();
  }

  /** Bytes the batches hold (memory accounting). */
  bufferBytes(): number {
    let n = 0;
    for (const b of this.batches) n += b.buf.length;
    return n;
  }

  /** Give back batch buffers grown for a burst, once idle (all: whatever their size). */
  shrink(all: boolean): number {
    let n = 0;
    for (let t = 0; t < this.n; t++) if (!this.dirty[t]) n += this.batches[t].shrink(all);
    return n;
  }
}
