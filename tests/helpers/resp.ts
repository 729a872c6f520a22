/**
 * A minimal raw RESP client for byte-exact comparisons: commands go out as multibulk (or as
 * raw bytes), and each reply comes back as the exact bytes the server sent.
 * Strings are latin1 (one char per byte) in both directions, so any byte can be expressed.
 */

import { readReply, type Reply, skipReply } from "../../src/resp/reply_reader.ts";

export type { Reply };
export type Arg = string | Uint8Array | number;

export const DEFAULT_TIMEOUT_MS = 10_000;

export function fromLatin1(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

export function toLatin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

function argBytes(a: Arg): Uint8Array {
  return typeof a === "string" ? fromLatin1(a) : typeof a === "number" ? fromLatin1(String(a)) : a;
}

/** Encodes one command as a RESP multibulk request. */
export function encode(args: Arg[]): Uint8Array {
  const parts = args.map(argBytes);
  let size = 16;
  for (const p of parts) size += p.length + 24;
  const out = new Uint8Array(size);
  let o = 0;
  const put = (s: string) => {
    for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  };
  put(`*${parts.length}\r\n`);
  for (const p of parts) {
    put(`$${p.length}\r\n`);
    out.set(p, o);
    o += p.length;
    put("\r\n");
  }
  return out.subarray(0, o);
}

/** Printable form of raw bytes for assertion messages (CRLF and non-ASCII escaped). */
export function show(b: Uint8Array | string, max = 600): string {
  const s = typeof b === "string" ? b : toLatin1(b);
  const cut = s.length > max ? s.slice(0, max) : s;
  let out = "";
  for (const ch of cut) {
    const c = ch.charCodeAt(0);
    if (ch === "\r") out += "\\r";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\\") out += "\\\\";
    else if (c < 32 || c > 126) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return s.length > max ? `${out}...(${s.length} bytes)` : out;
}

export class ConnectionClosed extends Error {
  override name = "ConnectionClosed";
}

export class RespConn {
  private buf = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;
  private closed = false;
  private eof = false;

  private constructor(readonly conn: Deno.TcpConn, readonly port: number) {}

  static async connect(port: number): Promise<RespConn> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new RespConn(conn, port);
  }

  /** Sends one command and returns the raw bytes of its reply. */
  async send(...args: Arg[]): Promise<Uint8Array> {
    await this.writeRaw(encode(args));
    return await this.readRaw();
  }

  /** Sends one command and returns its parsed reply. */
  async call(...args: Arg[]): Promise<Reply> {
    return parse(await this.send(...args));
  }

  /** Sends all commands in one write and reads one raw reply per command. */
  async pipeline(cmds: Arg[][], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Uint8Array[]> {
    const encoded = cmds.map(encode);
    let size = 0;
    for (const e of encoded) size += e.length;
    const all = new Uint8Array(size);
    let o = 0;
    for (const e of encoded) {
      all.set(e, o);
      o += e.length;
    }
    // Read while writing: a server that stops reading until its replies are consumed would
    // otherwise deadlock a big pipeline.
    let writeError: unknown = null;
    const writing = this.writeRaw(all).catch((e) => {
      writeError = e;
    });
    const out: Uint8Array[] = [];
    try {
      for (let i = 0; i < cmds.length; i++) out.push(await this.readRaw(timeoutMs));
    } finally {
      await writing;
    }
    if (writeError !== null) throw writeError;
    return out;
  }

  /** Switches this connection to RESP3 and returns HELLO's parsed reply. */
  async hello3(): Promise<Reply> {
    return await this.call("HELLO", "3");
  }

  /** Writes bytes as they are (for malformed requests and inline commands). */
  async writeRaw(data: Uint8Array | string): Promise<void> {
    const b = typeof data === "string" ? fromLatin1(data) : data;
    let o = 0;
    while (o < b.length) o += await this.conn.write(b.subarray(o));
  }

  /** Reads exactly one reply; throws ConnectionClosed on EOF and an Error on timeout. */
  async readRaw(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = this.buf.subarray(this.start, this.end);
      const n = view.length > 0 ? skipReply(view, 0) : -1;
      if (n > 0) {
        const reply = view.slice(0, n);
        this.start += n;
        return reply;
      }
      if (this.eof || !(await this.fill(deadline))) {
        throw new ConnectionClosed(
          `connection closed by the server (pending bytes: ${show(view)})`,
        );
      }
    }
  }

  /**
   * Reads until the server closes the connection or `timeoutMs` passes.
   * Returns the unread bytes and whether the server closed the connection.
   */
  async readUntilClosed(
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<{ data: Uint8Array; closed: boolean }> {
    const deadline = Date.now() + timeoutMs;
    let closed = this.eof;
    while (!closed) {
      try {
        closed = !(await this.fill(deadline));
      } catch (e) {
        if (e instanceof ConnectionClosed) closed = true;
        else if (e instanceof TimeoutError) break;
        else throw e;
      }
    }
    const data = this.buf.slice(this.start, this.end);
    this.start = this.end;
    return { data, closed };
  }

  /** Appends what the socket has to the buffer; false on EOF. */
  private async fill(deadline: number): Promise<boolean> {
    if (this.end === this.buf.length) {
      const live = this.end - this.start;
      const next = live * 2 > this.buf.length ? new Uint8Array(this.buf.length * 2) : this.buf;
      next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
      this.start = 0;
      this.end = live;
    }
    const wait = deadline - Date.now();
    if (wait <= 0) throw new TimeoutError("timed out waiting for a reply");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), wait);
    });
    const read = this.conn.read(this.buf.subarray(this.end)).catch((e: unknown) => {
      if (this.closed) return null;
      // A reset by the peer is the same as a close for every caller here.
      if (e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe) {
        return null;
      }
      throw e;
    });
    const n = await Promise.race([read, timeout]);
    clearTimeout(timer);
    if (n === "timeout") {
      // A pending read cannot be cancelled: closing the socket is the only way to end it.
      this.close();
      await read.catch(() => null);
      throw new TimeoutError(
        `timed out waiting for a reply; buffered: ${show(this.buf.subarray(this.start, this.end))}`,
      );
    }
    if (n === null) {
      this.eof = true;
      return false;
    }
    this.end += n;
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** Parses one complete raw reply. */
export function parse(raw: Uint8Array): Reply {
  const r = readReply(raw, 0);
  if (r === null) throw new Error(`incomplete reply: ${show(raw)}`);
  return r[0];
}

/** Reply as a latin1 string when it is a bulk/simple string, else throws. */
export function str(r: Reply): string {
  if (typeof r === "string") return r;
  if (r instanceof Uint8Array) return toLatin1(r);
  throw new Error(`expected a string reply, got ${JSON.stringify(r)}`);
}

/** Opens a connection, runs `fn`, and always closes it. */
export async function withConn<T>(port: number, fn: (c: RespConn) => Promise<T>): Promise<T> {
  const c = await RespConn.connect(port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
