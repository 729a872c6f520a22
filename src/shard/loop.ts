/**
 * The shard loop as an io engine drives it (ShardHost): connections open, bytes in, output
 * drained, connections gone; every turn the peers' records are taken in and this turn's
 * batches go out; hz times a second the tick. It also wires the command path together: the
 * Shard gets its way back to the top (dispatch, resuming a paused client's input) here.
 */
import type { Session, ShardHost, Transport } from "../io/engine.ts";
import { DENIED_REFUSAL, protectedRefuses } from "../commands/acl/protected.ts";
import type { Waker } from "../mesh/mesh.ts";
import { Shard, type ShardInit } from "./shard.ts";
import type { Client } from "./client.ts";
import { dispatch } from "./dispatch.ts";
import { connectionClosed, finishSteps, onInput, onInputDirect, resumeInput } from "./input.ts";
import {
  BatchReader,
  ITEM_FETCH,
  ITEM_GIVE_BACK,
  ITEM_HELD,
  ITEM_LENT,
  ITEM_REPLY,
  ITEM_REQUEST,
  ITEM_STORE,
  LENT_BULK,
  LENT_RECORD,
  REQ_MORE,
} from "./wire.ts";
import { bulkOf } from "./lend.ts";
import { hopPartRan, onHeld, underHop } from "./single_hop.ts";
import { mustDeferRemote, onTxItem, partRan, runDueDeferred, runForwarded } from "./tx.ts";
import { onShipItem } from "./ship.ts";
import { MAXCLIENTS_REFUSAL } from "./limits.ts";
import { TlsGate } from "./preamble.ts";
import { runInternal } from "./internal.ts";
import { prefetchRequests } from "./prefetch.ts";
import { type LoadReport, StartupLoad } from "./startup_load.ts";

const SAVE_ARGV = [new TextEncoder().encode("SAVE")];

/** Share of a tick's period that active expiry may use (Redis's ACTIVE_EXPIRE_CYCLE_SLOW 25%). */
const TICK_BUDGET_SHARE = 0.25;
/** How long a turn frees FLUSHDB ASYNC's records (src/store/lazyfree.ts). */
const LAZYFREE_STEP_MS = 1;

export class ShardLoop implements ShardHost {
  readonly shard: Shard;
  /** tls-port is set: connections from this host may open with the terminator's preamble */
  private readonly gate: TlsGate | null;
  /** the startup load, run a bounded step per turn while the shard serves (null: done) */
  private load: StartupLoad | null = null;
  /** the shard's command count when the mesh was last looked at (midTurn) */
  private lookedAt = 0;
  /** reads a record a peer lent by address, while the record that lent it is being read */
  private readonly lentReader = new BatchReader();

  constructor(init: ShardInit, waker?: Waker) {
    this.gate = init.tlsSecret === "" ? null : new TlsGate(init.tlsSecret, init.tlsOnly);
    const shard: Shard = new Shard(init, {
      dispatch: (c, argv, argc, now) => dispatch(shard, c, argv, argc, now),
      resumeInput: (c) => resumeInput(shard, c),
    }, waker);
    this.shard = shard;
  }

  get id(): number {
    return this.shard.id;
  }

  /** Load the dataset over the next turns (the engine listens already). */
  startLoading(report: LoadReport): void {
    this.load = new StartupLoad(this.shard, report);
  }

  get bind(): string {
    return this.shard.bind;
  }

  get port(): number {
    return this.shard.port;
  }

  get mesh() {
    return this.shard.mesh;
  }

  get hz(): number {
    return this.shard.hz;
  }

  open(addr: string, laddr: string, fd: number, t: Transport): Session | Uint8Array {
    const shard = this.shard;
    // Redis's acceptCommonHandler: refused before a client exists, counted as rejected
    if (!shard.mesh.admitClient(shard.limits.maxclients)) {
      shard.stats.rejectedConnections++;
      return MAXCLIENTS_REFUSAL;
    }
    // Redis's clientAcceptHandler: protected mode, once the connection is admitted
    if (protectedRefuses(shard.config, addr)) {
      shard.mesh.releaseClient();
      shard.stats.rejectedConnections++;
      return DENIED_REFUSAL;
    }
    const c = shard.newClient(addr, laddr, fd, t);
    this.gate?.open(c);
    return c;
  }

  get backlog(): number {
    return Number(this.shard.config.value("tcp-backlog") ?? 511);
  }

  get keepAlive(): number {
    return this.shard.limits.keepAlive;
  }

  get outputLimited(): boolean {
    return this.shard.limits.obufOn;
  }

  checkOutput(s: Session): boolean {
    return this.shard.limits.closeIfOver(s as Client, Date.now(), true);
  }

  input(s: Session, data: Uint8Array, borrowed: boolean): boolean {
    const c = s as Client;
    // once per connection: its first bytes only, and only where a preamble may come
    if (c.gate !== 0) return this.gate!.input(this.shard, c, data, borrowed);
    const r = onInput(this.shard, c, data, borrowed);
    this.shard.peers.flushEarly();
    return r;
  }

  bigTail(s: Session, min: number): Uint8Array | null {
    const c = s as Client;
    return c.gate !== 0 || c.closing ? null : c.parser.bigTail(min);
  }

  bigTailDue(s: Session, min: number): boolean {
    const c = s as Client;
    return c.gate === 0 && !c.closing && c.parser.bigTailDue(min);
  }

  inputDirect(s: Session, n: number): boolean {
    const r = onInputDirect(this.shard, s as Client, n);
    this.shard.peers.flushEarly();
    return r;
  }

  drained(s: Session): void {
    resumeInput(this.shard, s as Client);
  }

  closed(s: Session): void {
    connectionClosed(this.shard, s as Client);
  }

  turn(): boolean {
    let loading = false;
    if (this.load !== null) {
      loading = this.load.step();
      if (!loading) this.load = null;
    }
    const polled = this.shard.mesh.poll(this.onRecord);
    this.lookedAt = this.shard.stats.commands;
    this.shard.work += polled;
    runDueDeferred(this.shard);
    // a background save writes a bounded batch of keys per turn and keeps the loop awake
    const saving = this.shard.persistence.turn();
    // FLUSHDB ASYNC's records go back to the arena a millisecond's worth per turn
    const lazy = this.shard.keyspace.lazy;
    const freeing = lazy.pending > 0 && lazy.step(LAZYFREE_STEP_MS);
    const finishing = finishSteps(this.shard);
    // the AOF gets this turn's writes before any reply or peer message leaves (src/persist/aof.ts)
    this.shard.aof.flush();
    return this.shard.peers.flushPeers() || polled > 0 || saving || loading || freeing ||
      finishing;
  }

  flushPeers(): void {
    runDueDeferred(this.shard);
    this.shard.aof.flush();
    this.shard.peers.flushPeers();
  }

  /**
   * A turn that reads many connections takes long; a cross-shard lock held here waits a whole
   * round trip for its release, and each turn of that trip is as long as the turn. Taking in
   * the peers' grants, replies and releases between connections (and sending what is ready)
   * shortens the time locks are held, and with it the queues behind them under contention.
   * Not while the AOF is on: a turn's writes reach the file before any message leaves.
   */
  midTurn(): void {
    const shard = this.shard;
    // only when commands ran since the last look (on 2 shards, 10-key MSET -P 16 went from
    // 115k/s to 142k/s; waiting for 32 commands between looks gave 130k/s)
    if (shard.aof.on || shard.stats.commands === this.lookedAt) return;
    this.lookedAt = shard.stats.commands;
    shard.work += shard.mesh.poll(this.onRecord);
    runDueDeferred(shard);
    // a peer asleep is woken at the end of the turn: a wake here cost an eventfd write per
    // read under -P 1 (5x the wakes of forwarded MGETs)
    shard.peers.flushPeers();
  }

  persist(): void {
    this.shard.aof.flush();
  }

  tick(now: number): void {
    // while any shard loads, no key expires or is evicted and no save starts (Redis's
    // whileBlockedCron does none of serverCron's work on the dataset)
    if (this.shard.persistence.state.loading) return;
    this.shard.tick(now, (1000 / this.shard.hz) * TICK_BUDGET_SHARE);
    this.shard.aof.tick(now);
    // a save point reached, BGSAVE SCHEDULE, an AOF grown enough: BGSAVE or BGREWRITEAOF as a
    // client would send it
    const p = this.shard.persistence;
    const due = p.tick(now);
    if (due !== null) runInternal(this.shard, due, now);
    // FLUSHALL with save points: the emptied dataset is saved, as Redis does
    if (p.flushSaveDue()) runInternal(this.shard, SAVE_ARGV, now);
    // SIGTERM / SIGINT with a save to do: the supervisor asked for a SHUTDOWN
    const sig = p.signalShutdown();
    if (sig !== null) runInternal(this.shard, sig, now);
  }

  sent(bytes: number): void {
    this.shard.stats.netOutput += bytes;
  }

  /** A ring record from peer `source`: requests, replies, transaction control. */
  private onRecord = (source: number, rec: Uint8Array, detached: boolean): void => {
    this.runRecord(source, rec, detached, this.shard.reader);
  };

  /** The items of a record; `r` reads them (a lent record has a reader of its own). */
  private runRecord(source: number, rec: Uint8Array, detached: boolean, r: BatchReader): void {
    const shard = this.shard;
    r.reset(rec);
    shard.forwardedBuffer = detached ? rec.buffer : null;
    let kind: number;
    const now = Date.now();
    // requests left that the last prefetch looked at
    let ahead = 0;
    while ((kind = r.next()) !== 0) {
      if (kind === ITEM_REQUEST) {
        if (ahead-- <= 0) ahead = prefetchRequests(shard, r);
        const hop = underHop(shard, source);
        if (!hop && mustDeferRemote(shard, source, r)) continue;
        const w = shard.remoteW;
        w.reset();
        w.proto = r.proto === 3 ? 3 : 2;
        shard.lendingReply = !hop && r.txid === 0;
        shard.aof.prop.forward(r.txid, r.flags);
        runForwarded(shard, r.db, r.argv, r.argc, now, r.client);
        shard.aof.prop.forward(0, 0);
        shard.lendingReply = false;
        shard.peers.replyRemote(source, r.token);
        if (hop) hopPartRan(shard, source, r.flags);
        else if (r.txid !== 0 && (r.flags & REQ_MORE) === 0) partRan(shard, r.txid);
        shard.peers.flushEarly();
      } else if (kind === ITEM_REPLY) {
        // a reply next in its client's line is copied out of the record without a view of it
        // (a detached record's may be adopted whole instead: completePart)
        if (detached || !shard.peers.answerFrom(r.token, r.record, r.bodyAt, r.bodyLen)) {
          const body = r.replyBody();
          shard.peers.completePart(r.token, body, shard.claimForwarded(body));
        }
      } else if (kind === ITEM_HELD) {
        onHeld(shard, source, r.flags, r.lockKeys);
      } else if (kind === ITEM_FETCH || kind === ITEM_STORE) {
        onShipItem(shard, source, kind, r, now);
      } else if (kind === ITEM_LENT) {
        this.onLent(source, r);
      } else if (kind === ITEM_GIVE_BACK) {
        shard.peers.lends.givenBack(r.token);
      } else {
        onTxItem(shard, source, kind, r);
      }
    }
    shard.forwardedBuffer = null;
    if (detached) r.release();
  }

  /**
   * Memory a peer lent by address (lend.ts): a bulk reply is copied into the client's reply
   * and given back at once; a record is run as if it had come through the ring in a buffer of
   * its own, and kept when a value in it was (then it goes back once that value is gone).
   */
  private onLent(source: number, r: BatchReader): void {
    const shard = this.shard;
    const lends = shard.peers.lends;
    const view = lends.view(r.lentAddr, r.lentLen);
    if (r.lentWhat === LENT_BULK) {
      const body = bulkOf(view);
      lends.giveBack(source, r.lentId);
      return shard.peers.completePart(r.token, body, true);
    }
    if (r.lentWhat !== LENT_RECORD) return lends.giveBack(source, r.lentId);
    lends.hold(source, r.lentId, view);
    const claims = shard.claims;
    const outer = shard.forwardedBuffer;
    this.runRecord(source, view, true, this.lentReader);
    shard.forwardedBuffer = outer;
    if (shard.claims === claims) lends.unhold(view);
  }
}
