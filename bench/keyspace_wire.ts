/**
 * How bench/keyspace.ts talks to a server and watches its process: a raw RESP connection of
 * its own (timed requests, replies of any size read straight into the caller's buffer; no
 * dependency on Skua's own code, which may be mid-change), the server's RSS from /proc, and
 * this process's file descriptor limit.
 */

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** An error reply ("-ERR ..."), returned rather than thrown so callers can report it. */
export class ReplyError {
  constructor(readonly message: string) {}
  toString(): string {
    return `-${this.message}`;
  }
}

export type Reply = string | number | null | ReplyError | Reply[];

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One command as a RESP multibulk request. */
export function encode(args: string[]): Uint8Array {
  const parts = args.map((a) => enc.encode(a));
  const text = `*${parts.length}\r\n` +
    parts.map((p, i) => `$${p.length}\r\n${args[i]}\r\n`).join("");
  return enc.encode(text);
}

/** Rejects with `what` timed out (after calling `onTimeout`, e.g. to close a socket). */
export async function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  what: string,
  onTimeout: () => void = () => {},
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what}: no reply within ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A loopback TCP connection with a small read buffer for reply lines. */
export class Wire {
  private buf = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;

  private constructor(readonly conn: Deno.TcpConn) {}

  static async connect(port: number): Promise<Wire> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new Wire(conn);
  }

  async write(bytes: Uint8Array): Promise<void> {
    for (let o = 0; o < bytes.length;) o += await this.conn.write(bytes.subarray(o));
  }

  private async fill(): Promise<void> {
    if (this.start === this.end) this.start = this.end = 0;
    if (this.end === this.buf.length) {
      if (this.start === 0) throw new Error("reply line longer than 64 KiB");
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    const n = await this.conn.read(this.buf.subarray(this.end));
    if (n === null) throw new Error("connection closed by the server");
    this.end += n;
  }

  /** The next line, without its CRLF. */
  async line(): Promise<string> {
    for (;;) {
      const lf = this.buf.subarray(this.start, this.end).indexOf(10);
      if (lf >= 0) {
        const line = dec.decode(this.buf.subarray(this.start, this.start + lf));
        this.start += lf + 1;
        return line.endsWith("\r") ? line.slice(0, -1) : line;
      }
      await this.fill();
    }
  }

  /** Fills `into` completely: buffered bytes first, then straight from the socket. */
  async readInto(into: Uint8Array): Promise<void> {
    let o = Math.min(into.length, this.end - this.start);
    into.set(this.buf.subarray(this.start, this.start + o));
    this.start += o;
    while (o < into.length) {
      const n = await this.conn.read(into.subarray(o));
      if (n === null) throw new Error("connection closed by the server mid-reply");
      o += n;
    }
  }

  /**
   * Reads `n` bytes through one reusable `chunk` buffer (so a huge reply costs the client no
   * huge allocation), handing each piece to `see`.
   */
  async readThrough(n: number, chunk: Uint8Array, see: (piece: Uint8Array) => void): Promise<void> {
    const buffered = Math.min(n, this.end - this.start);
    see(this.buf.subarray(this.start, this.start + buffered));
    this.start += buffered;
    for (let left = n - buffered; left > 0;) {
      const got = await this.conn.read(chunk.subarray(0, Math.min(left, chunk.length)));
      if (got === null) throw new Error("connection closed by the server mid-reply");
      see(chunk.subarray(0, got));
      left -= got;
    }
  }

  /** One whole reply; bulk strings come back decoded as UTF-8. */
  async reply(): Promise<Reply> {
    const l = await this.line();
    const rest = l.slice(1);
    switch (l[0]) {
      case "+":
        return rest;
      case "-":
        return new ReplyError(rest);
      case ":":
        return Number(rest);
      case "$": {
        const n = Number(rest);
        if (n < 0) return null;
        const b = new Uint8Array(n + 2);
        await this.readInto(b);
        return dec.decode(b.subarray(0, n));
      }
      case "*": {
        const n = Number(rest);
        if (n < 0) return null;
        const out: Reply[] = [];
        for (let i = 0; i < n; i++) out.push(await this.reply());
        return out;
      }
      default:
        throw new Error(`unexpected reply line: ${JSON.stringify(l)}`);
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** Sends one command on a fresh connection; an error reply throws. */
export async function call(port: number, ...args: string[]): Promise<Reply> {
  const w = await Wire.connect(port);
  try {
    await w.write(encode(args));
    const r = await withTimeout(w.reply(), 60_000, args.join(" "), () => w.close());
    if (r instanceof ReplyError) throw new Error(`${args.join(" ")}: ${r}`);
    return r;
  } finally {
    w.close();
  }
}

export async function dbsize(port: number): Promise<number> {
  const n = await call(port, "DBSIZE");
  if (typeof n !== "number") throw new Error(`DBSIZE replied ${String(n)}`);
  return n;
}

/** A numeric field of INFO `section`, e.g. used_memory of INFO memory. */
export async function infoField(port: number, section: string, field: string): Promise<number> {
  const text = String(await call(port, "INFO", section));
  const m = new RegExp(`^${field}:(\\d+)`, "m").exec(text);
  if (m === null) throw new Error(`no ${field} in INFO ${section}`);
  return Number(m[1]);
}

/** FLUSHALL, then MEMORY PURGE (give freed memory back to the system). */
export async function flushAndPurge(port: number): Promise<void> {
  await call(port, "FLUSHALL");
  await call(port, "MEMORY", "PURGE");
}

/** Resident set size of `pid` in bytes: VmRSS, which covers all of the process's threads. */
export async function rss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (m === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Samples the RSS of `pid` every `ms` until `stop()`, which returns the highest value seen. */
export function rssPeak(pid: number, ms = 20): { stop(): Promise<number> } {
  let peak = 0;
  let pending: Promise<void> = Promise.resolve();
  const sample = () => {
    pending = rss(pid).then((v) => {
      peak = Math.max(peak, v);
    }, () => {});
  };
  sample();
  const timer = setInterval(sample, ms);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      sample();
      await pending;
      return peak;
    },
  };
}
