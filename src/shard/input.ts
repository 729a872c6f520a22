/**
 * Bytes from a connection into commands: the parse loop, and the flow control around it (a
 * client that does not read its replies, a client paused while its command waits for locks).
 */
import { ProtocolError } from "../resp/parser.ts";
import { log } from "../util/log.ts";
import { type Client, MAX_WAITING } from "./client.ts";
import type { Shard } from "./shard.ts";
import { dispatch } from "./dispatch.ts";
import { flushSquash } from "./squash.ts";
import { prefetchInput } from "./prefetch.ts";
import { releaseTx, runDueDeferred, unwatchAll } from "./tx.ts";
import { clientInfoLine } from "../commands/server/client_info.ts";

/**
 * Stop parsing a client's input while this much of its output waits to be sent (or while
 * MAX_WAITING of its replies wait for other shards).
 */
export const OUTPUT_HIGH_WATER = 8 * 1024 * 1024;
/**
 * A finishing client runs this many commands a loop turn (what it left may be a whole query
 * buffer; the other clients are served in between, as Redis reads 16KB of one per event).
 */
const FINISH_STEP = 256;

/** Is the client's input to be kept unparsed for now? */
function holding(c: Client): boolean {
  return c.paused || c.out.len > OUTPUT_HIGH_WATER || c.queue.length > MAX_WAITING;
}

/**
 * Bytes received on a connection: parsed and run at once, or, while the client is not reading
 * its replies, kept unparsed (so a client that writes a whole pipeline before reading still
 * gets through). Returns false when the client must be closed: its query buffer went past
 * client-query-buffer-limit (checked after every read, before parsing, as Redis does), or no
 * buffer could be had for it.
 */
export function onInput(shard: Shard, c: Client, data: Uint8Array, borrowed: boolean): boolean {
  if (c.closing) return true;
  shard.stats.netInput += data.length;
  const p = c.parser;
  const parse = !holding(c);
  try {
    // a borrowed chunk (a kernel-provided buffer) is parsed in place; release() keeps the tail
    if (borrowed && parse) p.borrow(data);
    else p.push(data);
  } catch (e) {
    // the allocation failed (RangeError): this client goes, the shard stays
    if (!(e instanceof RangeError)) throw e;
    log("warning", `Closing client that could not get a query buffer: ${clientInfo(c)}`);
    c.inputRefused = true;
    return false;
  }
  if (overQueryLimit(c)) {
    if (borrowed && parse) p.release();
    c.inputRefused = true;
    return false;
  }
  if (parse) parseInput(shard, c, borrowed);
  return true;
}

/** client-query-buffer-limit: past it, the client is logged and must be closed. */
function overQueryLimit(c: Client): boolean {
  const p = c.parser;
  if (p.unparsed <= p.limits.maxQueryLen) return false;
  log(
    "warning",
    `Closing client that reached max query buffer length: ${clientInfo(c)} ` +
      `(qbuf initial bytes: ${repr(p.unparsedHead(64))})`,
  );
  return true;
}

/**
 * `n` bytes were read straight into the client's parser (the rest of a big argument, see
 * RequestParser.bigTail): the same checks and parsing as onInput.
 */
export function onInputDirect(shard: Shard, c: Client, n: number): boolean {
  if (c.closing) return true;
  shard.stats.netInput += n;
  const p = c.parser;
  p.filled(n);
  if (overQueryLimit(c)) {
    c.inputRefused = true;
    return false;
  }
  if (!holding(c)) parseInput(shard, c, false);
  return true;
}

/** After the client's output drained: parse the input kept meanwhile. */
export function resumeInput(shard: Shard, c: Client): void {
  if (c.parser.pending > 0 && !c.closing && !holding(c)) parseInput(shard, c, false);
  else if (c.finishing) finishIfDone(shard, c);
}

/**
 * The connection is gone (the engine closed it). A peer that left with complete commands not
 * run yet has them run first (`Client.finishing`); the server's own closes (QUIT, a protocol
 * error, CLIENT KILL, a limit) end the client at once.
 */
export function connectionClosed(shard: Shard, c: Client): void {
  // (input kept while its output was being sent counts too: that send never ends now)
  if (!c.closing && !c.killed && !c.inputRefused && (c.paused || c.parser.pending > 0)) {
    c.finishing = true;
    // nobody reads it any more: what it holds now and what comes goes
    c.out.reset();
    if (!c.parsing && !holding(c)) parseInput(shard, c, false);
    return;
  }
  endClient(shard, c);
}

/**
 * A finishing client whose complete commands all ran ends (what is left is a command cut
 * short); one that waits for locks or for replies of other shards goes on when they come, one
 * that ran its step goes on next turn (finishSteps).
 */
function finishIfDone(shard: Shard, c: Client): void {
  c.out.reset();
  if (c.closed || c.parsing || c.paused || shard.finishing.has(c)) return;
  // more input waits for replies of other shards: parsed when they come (Peers.completePart)
  if (c.parser.pending > 0 && holding(c)) return;
  endClient(shard, c);
}

/** The client is forgotten: its place among maxclients, its locks and its WATCHes go. */
function endClient(shard: Shard, c: Client): void {
  shard.forgetClient(c);
  shard.mesh.releaseClient();
  // requests it already sent to peers run first (rings are FIFO)
  if (c.tx !== null) releaseTx(shard, c.tx);
  runDueDeferred(shard);
  if (c.watchShards.size > 0) unwatchAll(shard, c);
}

/** The shard's turn: finishing clients run their next step; true while some have more. */
export function finishSteps(shard: Shard): boolean {
  if (shard.finishing.size === 0) return false;
  for (const c of [...shard.finishing]) {
    shard.finishing.delete(c);
    resumeInput(shard, c);
  }
  return shard.finishing.size > 0;
}

/** Runs every complete command in the client's input (a step of them for a finishing one). */
function parseInput(shard: Shard, c: Client, borrowed: boolean): void {
  const p = c.parser;
  const now = Date.now();
  c.lastInteraction = now;
  c.parsing = true;
  let budget = c.finishing ? FINISH_STEP : -1;
  // commands left that the last prefetch looked at
  let ahead = 0;
  for (;;) {
    if (budget-- === 0) {
      shard.finishing.add(c);
      break;
    }
    if (ahead-- <= 0) ahead = prefetchInput(shard, c) - 1;
    let argc: number;
    try {
      argc = p.next();
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      // Redis replies, then closes once the reply is out (CLIENT_CLOSE_AFTER_REPLY)
      c.replyError("ERR " + e.message);
      c.closing = true;
      break;
    }
    if (argc === 0) break;
    dispatch(shard, c, p.argv, argc, now);
    // a finishing client's replies go nowhere: dropped rather than held
    if (c.finishing && c.out.len > OUTPUT_HIGH_WATER) c.out.reset();
    // paused: a command waits for locks; the rest of the input waits for it (and for the
    // replies owed by other shards, when too many are outstanding)
    // (and while its output is past the high-water mark: a pipeline of big replies arrives in
    // one read, and must not pile up more than that before the client reads)
    if (c.closing || c.paused || c.queue.length > MAX_WAITING || c.out.len > OUTPUT_HIGH_WATER) {
      break;
    }
  }
  // before the receive buffer goes: the squashed commands' arguments are views into it
  flushSquash(c);
  c.parsing = false;
  if (borrowed) p.release();
  if (c.finishing) finishIfDone(shard, c);
}

function clientInfo(c: Client): string {
  return clientInfoLine(c, Date.now()).trimEnd();
}

/** Redis's sdscatrepr: a quoted string with C escapes, other non-printables as \xHH. */
function repr(b: Uint8Array): string {
  let s = '"';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 92 || c === 34) s += "\\" + String.fromCharCode(c);
    else if (c === 10) s += "\\n";
    else if (c === 13) s += "\\r";
    else if (c === 9) s += "\\t";
    else if (c === 7) s += "\\a";
    else if (c === 8) s += "\\b";
    else if (c >= 32 && c <= 126) s += String.fromCharCode(c);
    else s += "\\x" + c.toString(16).padStart(2, "0");
  }
  return s + '"';
}
