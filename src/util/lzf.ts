/**
 * Redis's LZF (liblzf 3.6 with Redis's settings: HLOG 16, VERY_FAST): compression for RDB and
 * DUMP (Redis LZF-compresses strings over 20 bytes when that shrinks them), its length alone for
 * DEBUG OBJECT's `serializedlength`, and decompression for loading.
 * Redis leaves the hash table uninitialised (INIT_HTAB 0); this one starts empty, which is
 * what a first compression on a fresh table does.
 */

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * Per-Worker scratch: positions of the last 3-byte prefix per hash, stored as base + position + 1
 * so a slot at or below the current call's `base` reads as empty: a call need not clear 256 KB
 * (RDB compresses millions of small strings), only when base would overflow.
 */
const htab = new Uint32Array(HSIZE);
let htabBase = 0;

function idx(h: number): number {
  return ((h >>> (24 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * The bytes lzf_compress(in, in.length, out, outLen) would produce, or 0 when the result does
 * not fit in `outLen` bytes (Redis then saves the string uncompressed).
 */
export function lzfCompressedLength(inp: Uint8Array, outLen: number): number {
  return compress(inp, null, outLen);
}

/**
 * Redis's lzf_compress: compresses `inp` into out[0, outLen) and returns the bytes written, or
 * 0 when they would not fit (RDB then stores the string as it is). Byte-identical to Redis's
 * output, so DUMP payloads match. `out` must hold at least outLen bytes.
 */
export function lzfCompress(inp: Uint8Array, out: Uint8Array, outLen = out.length): number {
  return compress(inp, out, Math.min(outLen, out.length));
}

/**
 * Redis's lzf_decompress of inp[from, to) into out (its length is the expected size): the
 * bytes written, or -1 when the input is corrupt (a run or back reference past either end).
 * RDB loading wants exactly out.length bytes back.
 */
export function lzfDecompress(inp: Uint8Array, out: Uint8Array, from = 0, to = inp.length): number {
  let ip = from, op = 0;
  const outEnd = out.length;
  while (ip < to) {
    let ctrl = inp[ip++];
    if (ctrl < 32) {
      ctrl++; // a literal run
      if (op + ctrl > outEnd || ip + ctrl > to) return -1;
      for (let k = 0; k < ctrl; k++) out[op++] = inp[ip++];
    } else {
      let len = ctrl >>> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= to) return -1;
      if (len === 7) {
        len += inp[ip++];
        if (ip >= to) return -1;
      }
      ref -= inp[ip++];
      if (op + len + 2 > outEnd || ref < 0) return -1;
      // byte by byte: a reference may overlap what it writes (runs)
      for (let k = len + 2; k > 0; k--) out[op++] = out[ref++];
    }
  }
  return op;
}

/** lzf_compress, writing to `out` unless it is null (then only the length is computed). */
function compress(inp: Uint8Array, out: Uint8Array | null, outLen: number): number {
  const inEnd = inp.length;
  if (inEnd === 0 || outLen === 0) return 0;
  if (htabBase + inEnd + 2 > 0xffffffff) {
    htab.fill(0);
    htabBase = 0;
  }
  const base = htabBase;
  htabBase += inEnd + 1;
  let ip = 0, op = 1, lit = 0; // op: the first literal run's header is reserved
  let hval = ((inp[0] << 8) | inp[1]) >>> 0;
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | inp[ip + 2]) >>> 0;
    const h = idx(hval);
    const slot = htab[h];
    const ref = slot > base ? slot - base - 1 : -1;
    htab[h] = base + ip + 1;
    const off = ip - ref - 1;
    if (
      ref > 0 && off >= 0 && off < MAX_OFF && inp[ref + 2] === inp[ip + 2] &&
      inp[ref] === inp[ip] && inp[ref + 1] === inp[ip + 1]
    ) {
      let len = 2;
      const maxlen = Math.min(inEnd - ip - len, MAX_REF);
      if (op + 3 + 1 >= outLen && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outLen) return 0;
      if (out !== null) out[op - lit - 1] = lit - 1; // stop the run
      if (lit === 0) op--; // undo the empty run
      let mismatch = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (inp[ref + len] !== inp[ip + len]) {
            mismatch = true;
            break;
          }
        }
      }
      if (!mismatch) {
        do len++; while (len < maxlen && inp[ref + len] === inp[ip + len]);
      }
      len -= 2;
      ip++;
      // the back reference
      if (out !== null) {
        if (len < 7) out[op++] = (off >>> 8) + (len << 5);
        else {
          out[op++] = (off >>> 8) + (7 << 5);
          out[op++] = len - 7;
        }
        out[op++] = off & 0xff;
      } else op += len < 7 ? 2 : 3;
      lit = 0;
      op++; // the next run's header
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      // VERY_FAST: hash the last two positions of the match
      ip -= 2;
      hval = ((inp[ip] << 8) | inp[ip + 1]) >>> 0;
      for (let k = 0; k < 2; k++) {
        hval = ((hval << 8) | inp[ip + 2]) >>> 0;
        htab[idx(hval)] = base + ip + 1;
        ip++;
      }
    } else {
      if (op >= outLen) return 0;
      lit++;
      if (out !== null) out[op] = inp[ip];
      op++;
      ip++;
      if (lit === MAX_LIT) {
        if (out !== null) out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outLen) return 0;
  while (ip < inEnd) {
    lit++;
    if (out !== null) out[op] = inp[ip];
    op++;
    ip++;
    if (lit === MAX_LIT) {
      if (out !== null) out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  if (out !== null) out[op - lit - 1] = lit - 1; // end the run
  if (lit === 0) op--;
  return op;
}
