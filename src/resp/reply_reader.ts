/**
 * Reads RESP2/RESP3 replies (as produced by ReplyWriter or a Redis server): used to fold the
 * replies of several shards into one, and by tests. Strings are decoded as latin1.
 */

export type Reply =
  | string
  | { error: string }
  | number
  | bigint
  | Uint8Array
  | null
  | Reply[]
  | { map: [Reply, Reply][] }
  | { set: Reply[] }
  | { double: number }
  | boolean
  | { verbatim: string }
  | { push: Reply[] }
  | { big: string };

const CR = 13;

/** A line's first bytes are searched by a loop: most lines are a length or a short status. */
const SHORT_LINE = 24;

/** Index of the '\r' ending the line that starts at off, or -1 if the line (with '\n') is cut. */
function lineEnd(buf: Uint8Array, off: number): number {
  // indexOf is a builtin call, which for a few bytes costs more than the search (it showed in
  // profiles of the MGET fold, a call per value)
  const stop = Math.min(buf.length, off + SHORT_LINE);
  let cr = -1;
  for (let i = off; i < stop; i++) {
    if (buf[i] === CR) {
      cr = i;
      break;
    }
  }
  if (cr < 0 && stop < buf.length) cr = buf.indexOf(CR, stop);
  return cr < 0 || cr + 1 >= buf.length ? -1 : cr;
}

/** Signed decimal in buf[s, e); NaN if malformed. */
function parseIntAt(buf: Uint8Array, s: number, e: number): number {
  let p = s;
  const neg = buf[p] === 45;
  if (neg) p++;
  if (p >= e) return NaN;
  let v = 0;
  for (; p < e; p++) {
    const c = buf[p] - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

function latin1(buf: Uint8Array, s: number, e: number): string {
  let out = "";
  for (let i = s; i < e; i += 8192) {
    out += String.fromCharCode.apply(
      null,
      buf.subarray(i, Math.min(e, i + 8192)) as unknown as number[],
    );
  }
  return out;
}

function malformed(buf: Uint8Array, off: number): Error {
  return new Error(`malformed RESP reply at offset ${off} (type byte ${buf[off]})`);
}

/** Reads the `<type><n>\r\n` line at off: n, with the next offset left in `cursor`. */
let cursor = 0;
function headerAt(buf: Uint8Array, off: number): number {
  const cr = lineEnd(buf, off);
  if (cr < 0) return NaN;
  const n = parseIntAt(buf, off + 1, cr);
  if (n !== n) throw malformed(buf, off);
  cursor = cr + 2;
  return n;
}

function parseDouble(s: string): number {
  if (s === "inf" || s === "+inf") return Infinity;
  if (s === "-inf") return -Infinity;
  if (s === "nan" || s === "-nan") return NaN;
  return Number(s);
}

/**
 * Parses one complete reply starting at `off`; returns [reply, nextOffset] or null if the bytes
 * end before the reply does. Bulk strings are copies. Throws on bytes that are not RESP.
 */
export function readReply(buf: Uint8Array, off = 0): [Reply, number] | null {
  if (off >= buf.length) return null;
  const type = buf[off];
  switch (type) {
    case 43: // + simple
    case 45: // - error
    case 40: // ( big number
    case 44: // , double
    case 35: // # boolean
    case 95: { // _ null
      const cr = lineEnd(buf, off);
      if (cr < 0) return null;
      const next = cr + 2;
      if (type === 95) return [null, next];
      if (type === 35) return [buf[off + 1] === 116, next];
      const s = latin1(buf, off + 1, cr);
      if (type === 43) return [s, next];
      if (type === 45) return [{ error: s }, next];
      if (type === 40) return [{ big: s }, next];
      return [{ double: parseDouble(s) }, next];
    }
    case 58: { // : integer
      const cr = lineEnd(buf, off);
      if (cr < 0) return null;
      const v = parseIntAt(buf, off + 1, cr);
      if (v !== v) throw malformed(buf, off);
      const value = Number.isSafeInteger(v) ? v : BigInt(latin1(buf, off + 1, cr));
      return [value, cr + 2];
    }
    case 36: // $ bulk
    case 33: // ! blob error
    case 61: { // = verbatim
      const n = headerAt(buf, off);
      if (n !== n) return null;
      const start = cursor;
      if (n < 0) return [null, start];
      if (start + n + 2 > buf.length) return null;
      const next = start + n + 2;
      if (type === 36) return [buf.slice(start, start + n), next];
      if (type === 33) return [{ error: latin1(buf, start, start + n) }, next];
      return [{ verbatim: latin1(buf, start + 4, start + n) }, next];
    }
    case 42: // * array
    case 126: // ~ set
    case 62: // > push
    case 37: // % map
    case 124: { // | attribute: read and dropped, the reply it annotates follows
      const n = headerAt(buf, off);
      if (n !== n) return null;
      let p = cursor;
      if (n < 0) return [null, p];
      const count = type === 37 || type === 124 ? n * 2 : n;
      const items: Reply[] = [];
      for (let i = 0; i < count; i++) {
        const r = readReply(buf, p);
        if (r === null) return null;
        items.push(r[0]);
        p = r[1];
      }
      if (type === 124) return readReply(buf, p);
      if (type === 42) return [items, p];
      if (type === 126) return [{ set: items }, p];
      if (type === 62) return [{ push: items }, p];
      const map: [Reply, Reply][] = [];
      for (let i = 0; i < count; i += 2) map.push([items[i], items[i + 1]]);
      return [{ map }, p];
    }
    default:
      throw malformed(buf, off);
  }
}

/** Offset just after the complete reply starting at `off`, or -1 if incomplete. No allocation. */
export function skipReply(buf: Uint8Array, off: number): number {
  let p = off;
  let todo = 1;
  while (todo > 0) {
    if (p >= buf.length) return -1;
    const type = buf[p];
    const cr = lineEnd(buf, p);
    if (cr < 0) return -1;
    switch (type) {
      case 43:
      case 45:
      case 58:
      case 40:
      case 44:
      case 35:
      case 95:
        p = cr + 2;
        todo--;
        break;
      case 36:
      case 33:
      case 61: {
        const n = parseIntAt(buf, p + 1, cr);
        if (n !== n) throw malformed(buf, p);
        p = n < 0 ? cr + 2 : cr + 2 + n + 2;
        if (p > buf.length) return -1;
        todo--;
        break;
      }
      case 42:
      case 126:
      case 62:
      case 37:
      case 124: {
        const n = parseIntAt(buf, p + 1, cr);
        if (n !== n) throw malformed(buf, p);
        p = cr + 2;
        // An attribute map is extra: the reply it annotates still counts as this element.
        if (type !== 124) todo--;
        if (n > 0) todo += type === 37 || type === 124 ? n * 2 : n;
        break;
      }
      default:
        throw malformed(buf, p);
    }
  }
  return p;
}

/** The offset of the first element of the aggregate whose header is at `off` (readHeader's third). */
export function headerEnd(buf: Uint8Array, off: number): number {
  const type = buf[off];
  if (type === 95 && lineEnd(buf, off) === off + 1) return off + 3;
  if (type !== 42 && type !== 37 && type !== 126 && type !== 62) throw malformed(buf, off);
  const n = headerAt(buf, off);
  if (n !== n) throw new Error(`incomplete RESP header at offset ${off}`);
  return cursor;
}

/**
 * For an aggregate header at `off` (`*N`, `%N`, `~N`, `>N`, also `*-1` and `_`):
 * [type char code, N, offset of the first element]. Throws if there is no such header.
 */
export function readHeader(buf: Uint8Array, off: number): [number, number, number] {
  const type = buf[off];
  if (type === 95 && lineEnd(buf, off) === off + 1) return [type, -1, off + 3];
  if (type !== 42 && type !== 37 && type !== 126 && type !== 62) throw malformed(buf, off);
  const n = headerAt(buf, off);
  if (n !== n) throw new Error(`incomplete RESP header at offset ${off}`);
  return [type, n, cursor];
}

/** Value of the `:n\r\n` integer reply at off (beyond 2^53 it comes back rounded). */
export function readInteger(buf: Uint8Array, off: number): number {
  const cr = lineEnd(buf, off);
  const v = buf[off] === 58 && cr > 0 ? parseIntAt(buf, off + 1, cr) : NaN;
  if (v !== v) throw malformed(buf, off);
  return v;
}
