/**
 * Server-side request parser: RESP multibulk and inline commands, with the exact semantics and
 * error texts of Redis 7.0's `processMultibulkBuffer` / `processInlineBuffer` (networking.c).
 *
 * Redis quirks reproduced on purpose, because clients and test suites observe them:
 * - Lines are found by searching for '\r' (multibulk) or '\n' (inline) with `strchr`, which stops
 *   at a NUL byte: a NUL before the terminator means "line not complete yet", so the request
 *   waits until more than 64KB are pending and then fails with a "too big" error.
 * - The byte after a line's '\r' is skipped without being checked, and the two bytes after a bulk
 *   payload are skipped without being checked ("$3\r\nfooXY" is accepted).
 * - "expected '$'" is only reported once the whole line has arrived.
 * - Counts and lengths are parsed with `string2ll`: no sign '+', no leading zeros, no spaces, at
 *   most 20 characters, 64-bit range. A multibulk count <= 0 is an empty request and is skipped.
 */

import { string2llRange } from "../util/numbers.ts";

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLen: number;
  /** Redis 7 accepts any count up to INT_MAX (the 1024*1024 limit was removed in Redis 6). */
  maxMultibulkLen: number;
  /** PROTO_INLINE_MAX_SIZE: pending bytes allowed while a line is still incomplete */
  maxInlineLen: number;
  /**
   * client-query-buffer-limit: a connection with more `unparsed` bytes is closed. Checked by
   * the caller after each read, as Redis checks it in readQueryFromClient.
   */
  maxQueryLen: number;
}

export const DEFAULT_LIMITS: Readonly<ParserLimits> = {
  maxBulkLen: 512 * 1024 * 1024,
  maxMultibulkLen: 2147483647,
  maxInlineLen: 64 * 1024,
  maxQueryLen: 1024 * 1024 * 1024,
};

/** Redis's limits while a password is required and the client has not authenticated yet. */
const UNAUTH_MAX_MULTIBULK = 10;
const UNAUTH_MAX_BULK = 16384;

const STAR = 42;
const DOLLAR = 36;
const CR = 13;
const LF = 10;
const NUL = 0;

const INITIAL_CAPACITY = 16 * 1024;
const NO_BYTES = new Uint8Array(0);
/** An idle parser whose buffer grew past this (a big argument) drops back to a small buffer. */
const SHRINK_ABOVE = 1024 * 1024;
/**
 * Redis's PROTO_MBULK_BIG_ARG. While a bulk this long arrives, the buffer doubles with the
 * bytes that actually arrived, never past the end of its command: once the last byte is in, the
 * buffer holds the command and no more, so it can be given away as the value. A length a client
 * announces is never allocated ahead of its bytes: a stalled `$536870912` costs a 16KB buffer.
 */
const BIG_ARG = 32 * 1024;
/**
 * From this size on, a big bulk's buffer is a resizable ArrayBuffer reserved (address space
 * only) for the rest of its command and grown in place: doubling by copying would stall the
 * shard (a 256MB buffer copied at once takes a third of a second); memory is still committed
 * only as bytes arrive.
 */
const RESERVE_FROM = 1024 * 1024;
/**
 * Address space a reserved buffer keeps behind its big bulk, for the arguments after it (SET's
 * options): only what arrives is committed.
 */
const AFTER_BULK = 2 * INITIAL_CAPACITY;
/** A buffer given away with a big argument may hold this much besides it (the command head). */
const TAKE_SLACK = 64 * 1024;
/**
 * Bytes a reserved buffer keeps in front of its command: a shard that forwards the command
 * with its big value given away writes the peer's request header there (no copy of the value).
 */
const HEADROOM = 256;

/** Returned by readNumber when the line is not complete yet. */
const NEED_MORE = -Infinity;
/** Scan memo value meaning "a NUL was seen: this line can never complete". */
const BLOCKED = Number.MAX_SAFE_INTEGER;

const ERR_MBULK = "Protocol error: invalid multibulk length";
const ERR_BULK = "Protocol error: invalid bulk length";
const ERR_QUOTES = "Protocol error: unbalanced quotes in request";
const ERR_BIG_INLINE = "Protocol error: too big inline request";
const ERR_BIG_MBULK = "Protocol error: too big mbulk count string";
const ERR_BIG_BULK = "Protocol error: too big bulk count string";
const ERR_UNAUTH_MBULK = "Protocol error: unauthenticated multibulk length";
const ERR_UNAUTH_BULK = "Protocol error: unauthenticated bulk length";

export class RequestParser {
  /** Mutable: CONFIG SET proto-max-bulk-len changes it live. */
  limits: ParserLimits;
  /** Set while `requirepass` is on and the client has not authenticated (Redis's authRequired). */
  authRequired = false;
  /**
   * Arguments of the command returned by the last next(): entries [0, n) are views into the
   * internal buffer, valid until the next push(). Entries at n and beyond are stale.
   */
  readonly argv: Uint8Array[] = [];

  private buf: Uint8Array;
  /** The parser's own buffer while `buf` is a borrowed chunk (see borrow()). */
  private own: Uint8Array | null = null;
  /** Start of the first unconsumed line (or of the awaited bulk payload). */
  private pos = 0;
  private end = 0;
  /** Start of the command being parsed; bytes from here on are kept by push(). */
  private cmdStart = 0;
  /** Argument count of the multibulk command in progress; 0 between commands. */
  private mbCount = 0;
  private argc = 0;
  /** Length of the bulk whose header has been read but whose payload has not; -1 if none. */
  private bulkLen = -1;
  private readonly offs: number[] = [];
  private readonly lens: number[] = [];
  /** Index just past the '\r\n' of the line most recently read by readNumber(). */
  private lineNext = 0;
  /** Scan memo: the line starting at scanLine has no terminator before scanTo. */
  private scanLine = -1;
  private scanTo = 0;

  constructor(limits?: Partial<ParserLimits>) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    // allocated when a partial command must be kept (an idle connection holds no buffer)
    this.buf = NO_BYTES;
  }

  /**
   * Give back the buffer once nothing is pending: when it grew past 1 MiB, or whatever its size
   * when `all`. Returns the bytes released.
   */
  shrink(all: boolean): number {
    const b = this.own ?? this.buf;
    if (this.own !== null || this.pending !== 0 || b.length === 0) return 0;
    if (!all && b.length <= SHRINK_ABOVE) return 0;
    this.buf = NO_BYTES;
    this.pos = this.end = this.cmdStart = 0;
    this.scanLine = -1;
    return b.length;
  }

  /** Bytes of the parser's own buffer (memory accounting). */
  get bufferBytes(): number {
    return (this.own ?? this.buf).length;
  }

  /** Bytes of requests received but not yet returned by next() (client-info qbuf, EOF check). */
  get pending(): number {
    return this.end - (this.mbCount > 0 ? this.cmdStart : this.pos);
  }

  /**
   * Bytes not yet parsed into arguments: Redis's query buffer length, which
   * client-query-buffer-limit bounds (the arguments of a command in progress are not counted,
   * as Redis moves them out of its query buffer).
   */
  get unparsed(): number {
    return this.end - this.pos;
  }

  /** The first `max` unparsed bytes (for a log line). */
  unparsedHead(max: number): Uint8Array {
    return this.buf.subarray(this.pos, Math.min(this.end, this.pos + max));
  }

  /** Appends received bytes. Invalidates argv views returned before. */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.mbCount === 0 && this.pos === this.end) {
      // Everything consumed: restart at the front instead of compacting.
      this.pos = this.end = this.cmdStart = 0;
      this.scanLine = -1;
      if (this.buf.length > SHRINK_ABOVE && n <= INITIAL_CAPACITY) this.buf = NO_BYTES;
    }
    if (this.end + n > this.buf.length) this.makeRoom(n);
    this.buf.set(chunk, this.end);
    this.end += n;
  }

  /**
   * Parses the next complete command: returns its argument count and fills argv[0, n), or 0 if
   * more bytes are needed. Empty requests are skipped. Throws ProtocolError on malformed input.
   */
  next(): number {
    for (;;) {
      let n: number;
      if (this.mbCount > 0) {
        n = this.readArgs();
      } else {
        const p = this.pos;
        if (p >= this.end) return 0;
        this.cmdStart = p;
        n = this.buf[p] === STAR ? this.readCount(p) : this.readInline(p);
      }
      if (n !== 0) return n > 0 ? n : 0;
    }
  }

  /**
   * Where the second argument of each of the next complete commands lies, without parsing
   * them: up to `max` commands, from the one after the last returned, into `offs`/`lens` (into
   * `input`), for the keys a pipeline is about to look up (most commands name a key there).
   * Returns how many commands were looked at; one without a second argument fills a range of
   * length -1. Stops at anything but a complete multibulk command: next() is the judge of it.
   */
  peekKeys(max: number, offs: Int32Array, lens: Int32Array): number {
    if (this.mbCount !== 0) return 0;
    const d = this.buf, end = this.end;
    let p = this.pos, n = 0;
    // readNumber's lineNext is only read right after it: between commands nothing waits on it
    while (n < max && p < end && d[p] === STAR) {
      const count = this.readNumber(p);
      if (!(count >= 0)) break;
      p = this.lineNext;
      let a = 0;
      lens[n] = -1;
      for (; a < count; a++) {
        if (p >= end || d[p] !== DOLLAR) break;
        const len = this.readNumber(p);
        if (!(len >= 0) || end - this.lineNext < len + 2) break;
        p = this.lineNext;
        if (a === 1) {
          offs[n] = p;
          lens[n] = len;
        }
        p += len + 2;
      }
      if (a < count) break;
      n++;
    }
    return n;
  }

  /** The buffer `peekKeys`'s ranges are in (until the next push or release). */
  get input(): Uint8Array {
    return this.buf;
  }

  /**
   * Parse straight out of `chunk` (a kernel-provided receive buffer) when no earlier bytes are
   * pending, without copying it; otherwise append it like push(). The caller runs next() to
   * exhaustion and then release(), which copies only an incomplete trailing command.
   */
  borrow(chunk: Uint8Array): void {
    if (this.own !== null || this.mbCount !== 0 || this.pos !== this.end) return this.push(chunk);
    this.own = this.buf;
    this.buf = chunk;
    this.pos = this.end = this.cmdStart = 0;
    this.end = chunk.length;
    this.scanLine = -1;
  }

  /** Stop using a borrowed chunk: keep its unparsed tail in the parser's own buffer. */
  release(): void {
    const dst0 = this.own;
    if (dst0 === null) return;
    this.own = null;
    const src = this.buf;
    const base = this.mbCount > 0 ? this.cmdStart : this.pos;
    const keep = this.end - base;
    const need = keep;
    const dst = need > dst0.length ? this.grown(base, need, dst0) : dst0;
    dst.set(src.subarray(base, this.end));
    this.buf = dst;
    this.pos -= base;
    this.cmdStart -= base;
    const offs = this.offs;
    for (let i = 0; i < this.argc; i++) offs[i] -= base;
    this.end = keep;
    this.scanLine = -1;
  }

  /** Moves the kept bytes to the front of a buffer large enough for `n` more. */
  private makeRoom(n: number): void {
    const base = this.mbCount > 0 ? this.cmdStart : this.pos;
    const keep = this.end - base;
    const need = keep + n;
    const old = this.buf;
    if (need > old.length) {
      const grown = this.grown(base, need, old);
      if (grown !== old) grown.set(old.subarray(base, this.end));
      else if (base > 0) old.copyWithin(0, base, this.end);
      this.buf = grown;
    } else if (base > 0) {
      this.buf.copyWithin(0, base, this.end);
    }
    if (base > 0) {
      this.pos -= base;
      this.cmdStart -= base;
      const offs = this.offs;
      for (let i = 0; i < this.argc; i++) offs[i] -= base;
    }
    this.end = keep;
    this.scanLine = -1;
  }

  /**
   * A buffer for at least `need` bytes kept from `base` on, doubling (so at most twice what
   * arrived). While a big bulk is under way: never past the end of its command, and `had`
   * itself when it is the resizable buffer of that command and can grow in place. The
   * arguments after a big bulk (SET's EX 10) go into that buffer's reserve too: a new buffer
   * would copy the value.
   */
  private grown(base: number, need: number, had: Uint8Array): Uint8Array {
    const size = Math.max(need, had.length * 2, INITIAL_CAPACITY);
    const ab = had.buffer;
    const at = had.byteOffset;
    const reserved = ab instanceof ArrayBuffer && ab.resizable;
    const bulk = this.mbCount > 0 ? this.bulkLen : -1;
    if (bulk < BIG_ARG) {
      if (reserved && this.mbCount > 0 && ab.maxByteLength >= at + need) {
        ab.resize(Math.min(ab.maxByteLength, at + need + INITIAL_CAPACITY));
        return had;
      }
      return new Uint8Array(size);
    }
    const whole = this.pos - base + bulk + 2;
    // the bulk's end came with the next request: room for that one too
    const max = need <= whole ? whole : need + INITIAL_CAPACITY;
    const len = Math.min(size, max);
    if (reserved && ab.maxByteLength >= at + len) {
      ab.resize(at + len); // `had` tracks the length
      return had;
    }
    if (len < RESERVE_FROM) return new Uint8Array(len);
    try {
      const room = HEADROOM;
      const reserve = room + max + AFTER_BULK;
      return new Uint8Array(new ArrayBuffer(room + len, { maxByteLength: reserve }), room);
    } catch {
      // the address space was not to be had: plain buffers, copied at each doubling
      return new Uint8Array(len);
    }
  }

  /**
   * Give away the buffer holding `arg`, an argument of the command next() just returned, when
   * it is a big bulk that fills the buffer (Redis keeps such a query buffer as the value the
   * same way). What follows the command moves to a fresh buffer; the command's other argument
   * views stay valid. True when the caller may keep `arg` as its own.
   */
  take(arg: Uint8Array): boolean {
    const b = this.buf;
    if (this.own !== null || this.mbCount !== 0 || arg.buffer !== b.buffer) return false;
    if (arg.length < BIG_ARG || b.length - arg.length > TAKE_SLACK) return false;
    const rest = this.end - this.pos;
    this.buf = rest === 0 ? NO_BYTES : b.slice(this.pos, this.end);
    this.pos = this.cmdStart = 0;
    this.end = rest;
    this.scanLine = -1;
    return true;
  }

  /**
   * Room for more of the big bulk being received, once at least `min` of its bytes have come
   * and at least `min` are still to come: a view into the buffer for the caller to fill (then
   * filled()), as Redis reads a big bulk straight into its query buffer. The room is never more
   * than what already arrived (an announced length is not allocated ahead of its bytes). The
   * view stays valid until filled(): nothing else is pushed meanwhile.
   */
  bigTail(min: number): Uint8Array | null {
    const n = this.tailRoom(min);
    if (n === 0) return null;
    if (this.end + n > this.buf.length) this.makeRoom(n);
    return this.buf.subarray(this.end, this.end + n);
  }

  /** Whether bigTail(min) has room to give now (nothing is grown to tell). */
  bigTailDue(min: number): boolean {
    return this.tailRoom(min) > 0;
  }

  /** The length of the room bigTail(min) gives, or 0. */
  private tailRoom(min: number): number {
    if (this.own !== null || this.mbCount === 0 || this.bulkLen < BIG_ARG) return 0;
    const arrived = this.end - this.pos;
    const rest = this.pos + this.bulkLen + 2 - this.end;
    return arrived < min || rest < min ? 0 : Math.min(rest, arrived);
  }

  /** `n` bytes were written at the end of the buffer, into the view bigTail() gave. */
  filled(n: number): void {
    this.end += n;
  }

  /** Reads the `*<count>` line at p, then as many arguments as are available. */
  private readCount(p: number): number {
    const ll = this.readNumber(p);
    if (ll === NEED_MORE) {
      if (this.end - p > this.limits.maxInlineLen) throw new ProtocolError(ERR_BIG_MBULK);
      return -1;
    }
    if (!(ll <= this.limits.maxMultibulkLen)) throw new ProtocolError(ERR_MBULK);
    if (ll > UNAUTH_MAX_MULTIBULK && this.authRequired) throw new ProtocolError(ERR_UNAUTH_MBULK);
    this.pos = this.lineNext;
    if (ll <= 0) return 0;
    this.mbCount = ll;
    this.argc = 0;
    this.bulkLen = -1;
    return this.readArgs();
  }

  /** Continues the multibulk command in progress; -1 if it is still incomplete. */
  private readArgs(): number {
    const d = this.buf;
    const end = this.end;
    const count = this.mbCount;
    const offs = this.offs;
    const lens = this.lens;
    let p = this.pos;
    let argc = this.argc;
    let len = this.bulkLen;
    while (argc < count) {
      if (len < 0) {
        if (p >= end) break;
        const ll = this.readNumber(p);
        if (ll === NEED_MORE) {
          if (end - p > this.limits.maxInlineLen) throw new ProtocolError(ERR_BIG_BULK);
          break;
        }
        if (d[p] !== DOLLAR) throw new ProtocolError(expectedDollar(d[p]));
        if (!(ll >= 0 && ll <= this.limits.maxBulkLen)) throw new ProtocolError(ERR_BULK);
        if (ll > UNAUTH_MAX_BULK && this.authRequired) throw new ProtocolError(ERR_UNAUTH_BULK);
        p = this.lineNext;
        len = ll;
      }
      if (end - p < len + 2) break;
      offs[argc] = p;
      lens[argc] = len;
      argc++;
      p += len + 2;
      len = -1;
    }
    this.pos = p;
    this.argc = argc;
    this.bulkLen = len;
    if (argc < count) return -1;
    this.mbCount = 0;
    return this.fillArgv(argc);
  }

  private fillArgv(argc: number): number {
    const d = this.buf;
    const argv = this.argv;
    const offs = this.offs;
    const lens = this.lens;
    // the constructor is cheaper than subarray (no species lookup): one view per argument
    const ab = d.buffer, base = d.byteOffset;
    for (let i = 0; i < argc; i++) argv[i] = new Uint8Array(ab, base + offs[i], lens[i]);
    return argc;
  }

  /**
   * Reads the number on the line at p (after its one-byte type prefix, whatever it is). Returns
   * NEED_MORE if the line is incomplete, NaN if it is not a valid `string2ll` number. On success
   * lineNext is set past the line.
   */
  private readNumber(p: number): number {
    const d = this.buf;
    const end = this.end;
    // Fast path: 1 to 15 digits, no sign, then '\r' and at least one more byte.
    let i = p + 1;
    if (i < end) {
      let c = d[i];
      if (c >= 49 && c <= 57) {
        let v = c - 48;
        const stop = Math.min(end, i + 15);
        for (i++; i < stop; i++) {
          c = d[i];
          if (c < 48 || c > 57) break;
          v = v * 10 + c - 48;
        }
        if (i + 1 < end && d[i] === CR) {
          this.lineNext = i + 2;
          return v;
        }
      }
    }
    const cr = this.findLine(p, CR);
    if (cr < 0) return NEED_MORE;
    this.lineNext = cr + 2;
    return string2llRange(d, p + 1, cr);
  }

  /**
   * Index of the first `term` byte at or after p, as strchr finds it (a NUL stops the search);
   * -1 if none yet. A '\r' must also be followed by one more byte (the skipped '\n').
   */
  private findLine(p: number, term: number): number {
    const d = this.buf;
    const end = this.end;
    let i = this.scanLine === p ? this.scanTo : p;
    for (; i < end; i++) {
      const c = d[i];
      if (c === term) {
        if (term === CR && i + 1 >= end) break;
        return i;
      }
      if (c === NUL) {
        i = BLOCKED;
        break;
      }
    }
    this.scanLine = p;
    this.scanTo = i;
    return -1;
  }

  private readInline(p: number): number {
    const nl = this.findLine(p, LF);
    if (nl < 0) {
      if (this.end - p > this.limits.maxInlineLen) throw new ProtocolError(ERR_BIG_INLINE);
      return -1;
    }
    const stop = nl > p && this.buf[nl - 1] === CR ? nl - 1 : nl;
    const argc = this.splitInline(p, stop);
    this.pos = nl + 1;
    return argc === 0 ? 0 : this.fillArgv(argc);
  }

  /**
   * Splits [p, stop) into arguments like Redis's sdssplitargs. Unescaped argument bytes are
   * written back in place (they never outgrow their source), so argv can still be views.
   */
  private splitInline(p: number, stop: number): number {
    const d = this.buf;
    const offs = this.offs;
    const lens = this.lens;
    let argc = 0;
    for (;;) {
      while (p < stop && isSpace(d[p])) p++;
      if (p >= stop) return argc;
      const start = p;
      let w = p;
      let quote = 0; // 0, or the open quote character (34 '"' or 39 '\'')
      for (;;) {
        if (p >= stop) {
          if (quote !== 0) throw new ProtocolError(ERR_QUOTES);
          break;
        }
        const c = d[p];
        if (quote === 34) {
          if (c === 92 && p + 3 < stop && d[p + 1] === 120 && isHex(d[p + 2]) && isHex(d[p + 3])) {
            d[w++] = hexValue(d[p + 2]) * 16 + hexValue(d[p + 3]);
            p += 4;
          } else if (c === 92 && p + 1 < stop) {
            d[w++] = unescape(d[p + 1]);
            p += 2;
          } else if (c === 34) {
            // The closing quote must be followed by a space or the end of the line.
            if (p + 1 < stop && !isSpace(d[p + 1])) throw new ProtocolError(ERR_QUOTES);
            p++;
            break;
          } else {
            d[w++] = c;
            p++;
          }
        } else if (quote === 39) {
          if (c === 92 && p + 1 < stop && d[p + 1] === 39) {
            d[w++] = 39;
            p += 2;
          } else if (c === 39) {
            if (p + 1 < stop && !isSpace(d[p + 1])) throw new ProtocolError(ERR_QUOTES);
            p++;
            break;
          } else {
            d[w++] = c;
            p++;
          }
        } else if (c === 32 || c === 10 || c === 13 || c === 9) {
          p++;
          break;
        } else {
          if (c === 34 || c === 39) quote = c;
          else d[w++] = c;
          p++;
        }
      }
      offs[argc] = start;
      lens[argc] = w - start;
      argc++;
    }
  }
}

function expectedDollar(c: number): string {
  // addReplyErrorFormat turns '\r' and '\n' into spaces so the reply stays one line.
  const shown = c === CR || c === LF ? 32 : c;
  return `Protocol error: expected '$', got '${String.fromCharCode(shown)}'`;
}

/** C isspace() in the "C" locale. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

function unescape(c: number): number {
  switch (c) {
    case 110: // n
      return 10;
    case 114: // r
      return 13;
    case 116: // t
      return 9;
    case 98: // b
      return 8;
    case 97: // a
      return 7;
    default:
      return c;
  }
}
