/**
 * The TLS terminator's preamble. TLS is decrypted on the main thread (src/server/tls.ts), which
 * hands each client to a shard over a loopback connection to the plain port; the first line of
 * that connection says who the client really is:
 *
 *     SKUA-TLS <secret> <peer ip:port> <local ip:port>\r\n
 *
 * The secret is random per process (ShardInit.tlsSecret) and never leaves it. A connection may
 * open with a preamble only when it comes from this host, and it is closed unless the secret
 * matches; every other connection is never looked at again (its `gate` is 0 from the start or
 * after its first bytes). When the plain port is 0 (TLS only) the plain listener is internal
 * and every connection must open with a valid preamble.
 */
import type { Client } from "./client.ts";
import type { Shard } from "./shard.ts";
import { onInput } from "./input.ts";
import { DENIED_REFUSAL, protectedRefuses } from "../commands/acl/protected.ts";
import { log } from "../util/log.ts";

const MAGIC = "SKUA-TLS ";
const MAGIC_BYTES = new TextEncoder().encode(MAGIC);
/** A longer first line is not a preamble the terminator wrote. */
const PREAMBLE_MAX_BYTES = 256;
/** Client.gate: no preamble possible, a preamble may come, a preamble must come. */
export const GATE_NONE = 0, GATE_MAY = 1, GATE_MUST = 2;

/** The line the terminator writes first on its connection to a shard. */
export function preambleLine(secret: string, peer: string, local: string): string {
  return `${MAGIC}${secret} ${peer} ${local}\r\n`;
}

/** The address part of "ip:port" (IPv6 possibly in brackets, an IPv4-mapped prefix dropped). */
function hostOf(addr: string): string {
  const i = addr.lastIndexOf(":");
  let h = i < 0 ? addr : addr.slice(0, i);
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.startsWith("::ffff:")) h = h.slice(7);
  return h;
}

/** Whether the peer is on this host: a loopback address, or the connection's own local address. */
export function fromThisHost(addr: string, laddr: string): boolean {
  const h = hostOf(addr);
  return h.startsWith("127.") || h === "::1" || (h !== "" && h === hostOf(laddr));
}

/** An "ip:port" the terminator could have written: short, printable, no spaces. */
function plausibleAddr(s: string): boolean {
  return s.length >= 3 && s.length <= 64 && /^[0-9A-Za-z.:[\]%_-]+$/.test(s);
}

export class TlsGate {
  private readonly secret: Uint8Array;

  /** `only`: the plain listener is internal (port 0): a preamble is required. */
  constructor(secret: string, private readonly only: boolean) {
    this.secret = new TextEncoder().encode(secret);
  }

  /** A new connection: decide whether its first bytes are to be looked at. */
  open(c: Client): void {
    if (this.only) c.gate = GATE_MUST;
    else if (fromThisHost(c.addr, c.laddr)) c.gate = GATE_MAY;
  }

  /**
   * Bytes on a gated connection: a preamble is taken off (the client gets its real address)
   * and what follows goes on to the parser. Returns false when the connection must be closed.
   */
  input(shard: Shard, c: Client, data: Uint8Array, borrowed: boolean): boolean {
    let buf = data;
    if (c.gateBytes !== null) {
      buf = new Uint8Array(c.gateBytes.length + data.length);
      buf.set(c.gateBytes);
      buf.set(data, c.gateBytes.length);
      c.gateBytes = null;
    }
    const n = Math.min(buf.length, MAGIC_BYTES.length);
    for (let i = 0; i < n; i++) {
      if (buf[i] === MAGIC_BYTES[i]) continue;
      if (c.gate === GATE_MUST) return this.refuse(c, "no TLS preamble on the internal port");
      c.gate = GATE_NONE;
      return onInput(shard, c, buf, borrowed && buf === data);
    }
    const nl = buf.indexOf(10);
    if (nl < 0) {
      if (buf.length > PREAMBLE_MAX_BYTES) return this.refuse(c, "TLS preamble too long");
      // the first line is still arriving: keep it (a borrowed buffer is only valid now)
      c.gateBytes = buf.slice();
      return true;
    }
    if (nl > PREAMBLE_MAX_BYTES) return this.refuse(c, "TLS preamble too long");
    const end = nl > 0 && buf[nl - 1] === 13 ? nl - 1 : nl;
    let line = "";
    for (let i = 0; i < end; i++) line += String.fromCharCode(buf[i]);
    const parts = line.split(" ");
    if (parts.length !== 4 || !plausibleAddr(parts[2]) || !plausibleAddr(parts[3])) {
      return this.refuse(c, "malformed TLS preamble");
    }
    if (!this.matches(parts[1])) return this.refuse(c, "TLS preamble with a wrong secret");
    c.addr = parts[2];
    c.laddr = parts[3];
    c.gate = GATE_NONE;
    // protected mode judged this connection by the terminator's loopback address when it
    // opened: judged again by the client's own (Redis checks a TLS client after its handshake)
    if (protectedRefuses(shard.config, c.addr)) {
      shard.stats.rejectedConnections++;
      c.out.raw(DENIED_REFUSAL);
      c.closing = true;
      return true;
    }
    if (nl + 1 === buf.length) return true;
    return onInput(shard, c, buf.subarray(nl + 1), borrowed && buf === data);
  }

  /** Constant-time comparison with the process's secret. */
  private matches(s: string): boolean {
    const want = this.secret;
    let diff = s.length ^ want.length;
    for (let i = 0; i < want.length; i++) diff |= (s.charCodeAt(i) | 0) ^ want[i];
    return diff === 0;
  }

  private refuse(c: Client, why: string): boolean {
    log("warning", `closing connection from ${c.addr}: ${why}`);
    c.gate = GATE_NONE;
    c.gateBytes = null;
    return false;
  }
}
