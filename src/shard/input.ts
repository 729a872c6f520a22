/**
 * Bytes from a connection into commands: the parse loop, and the flow control around it (a
 * client that does not read its replies, a client paused while its command waits for locks).
 */
import { ProtocolError } from "../resp/parser.ts";
import { log } from "../util/log.ts";
import { type Client, MAX_WAITING } from "./client.ts";
import type { Shard } from "./shard.ts";
import { dispatch } from "./dispatch.ts";

/**
 * Stop parsing a client's input while this much of its output waits to be sent (or while
 * MAX_WAITING of its replies wait for other shards).
 */
export const OUTPUT_HIGH_WATER = 8 * 1024 * 1024;
/** Redis's client-query-buffer-limit: a client holding more unparsed input is closed. */
export const QUERY_LIMIT = 1024 * 1024 * 1024;

/** Is the client's input to be kept unparsed for now? */
function holding(c: Client): boolean {
  return c.paused || c.out.len > OUTPUT_HIGH_WATER || c.queue.length > MAX_WAITING;
}
const NOTHING = new Uint8Array(0);

/**
 * Bytes received on a connection. While the client is not reading its replies, its input is
 * kept unparsed (so a client that writes a whole pipeline before reading still gets through)
 * up to the query buffer limit; returns false when the client must be closed for exceeding it.
 */
export function onInput(shard: Shard, c: Client, data: Uint8Array, borrowed: boolean): boolean {
  if (!holding(c) || c.closing) {
    onData(shard, c, data, borrowed);
    return true;
  }
  shard.stats.netInput += data.length;
  c.parser.push(data);
  if (c.parser.pending <= QUERY_LIMIT) return true;
  log("warning", `closing client ${c.addr}: query buffer over the 1gb limit`);
  return false;
}

/** After the client's output drained: parse the input kept meanwhile. */
export function resumeInput(shard: Shard, c: Client): void {
  if (c.parser.pending > 0 && !c.closing && !holding(c)) onData(shard, c, NOTHING);
}

/** Feed bytes received on a connection; runs every complete command in them. */
export function onData(shard: Shard, c: Client, data: Uint8Array, borrowed = false): void {
  if (c.closing) return;
  shard.stats.netInput += data.length;
  const p = c.parser;
  // a borrowed chunk (a kernel-provided buffer) is parsed in place; release() keeps the tail
  if (borrowed) p.borrow(data);
  else p.push(data);
  const now = Date.now();
  c.lastInteraction = now;
  c.parsing = true;
  for (;;) {
    let argc: number;
    try {
      argc = p.next();
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      c.replyError("ERR " + e.message);
      c.closing = true;
      break;
    }
    if (argc === 0) break;
    dispatch(shard, c, p.argv, argc, now);
    // paused: a command waits for locks; the rest of the input waits for it (and for the
    // replies owed by other shards, when too many are outstanding)
    if (c.closing || c.paused || c.queue.length > MAX_WAITING) break;
  }
  c.parsing = false;
  if (borrowed) p.release();
}
