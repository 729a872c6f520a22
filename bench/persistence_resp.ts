/**
 * A pipelining RESP client for reading a whole keyspace quickly: requests go out in batches
 * and replies are parsed synchronously out of one growing buffer (bench/keyspace_wire.ts's
 * Wire awaits every element of an array, which is what a read of millions of list items and
 * hash fields would spend its time on). Bulk strings come back as latin1 strings, one char per
 * byte, so binary values (DUMP payloads) compare exactly.
 */

import { encode } from "./keyspace_wire.ts";
import { latin1Range } from "../src/util/bytes.ts";

export class ErrorReply {
  constructor(readonly message: string) {}
  toString(): string {
    return `-${this.message}`;
  }
}

export type Value = string | number | null | ErrorReply | Value[];

const INCOMPLETE = Symbol("incomplete");
type Parsed = [Value, number] | typeof INCOMPLETE;

export class Conn {
  private buf = new Uint8Array(1 << 20);
  private start = 0;
  private end = 0;

  private constructor(private readonly conn: Deno.TcpConn) {}

  static async connect(port: number): Promise<Conn> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new Conn(conn);
  }

  /** Sends `cmds` in one write and returns their `cmds.length` replies. */
  async run(cmds: string[][]): Promise<Value[]> {
    const parts = cmds.map(encode);
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    for (let w = 0; w < out.length;) w += await this.conn.write(out.subarray(w));
    const replies: Value[] = [];
    while (replies.length < cmds.length) {
      const r = this.parse(this.start);
      if (r === INCOMPLETE) {
        await this.fill();
        continue;
      }
      replies.push(r[0]);
      this.start = r[1];
    }
    return replies;
  }

  /** One command whose error reply throws. */
  async call(...args: string[]): Promise<Value> {
    const [r] = await this.run([args]);
    if (r instanceof ErrorReply) throw new Error(`${args.join(" ")}: ${r}`);
    return r;
  }

  private async fill(): Promise<void> {
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    const n = await this.conn.read(this.buf.subarray(this.end));
    if (n === null) throw new Error("connection closed by the server");
    this.end += n;
  }

  /** The reply starting at `p`, and where it ends; INCOMPLETE if not all of it is here. */
  private parse(p: number): Parsed {
    const b = this.buf;
    let lf = p;
    while (lf < this.end && b[lf] !== 10) lf++;
    if (lf >= this.end) return INCOMPLETE;
    const type = b[p];
    const line = latin1Range(b, p + 1, lf - 1);
    const next = lf + 1;
    switch (type) {
      case 43: // +
        return [line, next];
      case 45: // -
        return [new ErrorReply(line), next];
      case 58: // :
        return [Number(line), next];
      case 36: { // $
        const n = Number(line);
        if (n < 0) return [null, next];
        if (next + n + 2 > this.end) return INCOMPLETE;
        return [latin1Range(b, next, next + n), next + n + 2];
      }
      case 42: { // *
        const n = Number(line);
        if (n < 0) return [null, next];
        const items: Value[] = [];
        let at = next;
        for (let i = 0; i < n; i++) {
          const r = this.parse(at);
          if (r === INCOMPLETE) return INCOMPLETE;
          items.push(r[0]);
          at = r[1];
        }
        return [items, at];
      }
    }
    throw new Error(`unexpected reply type ${String.fromCharCode(type)}`);
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}
