/**
 * The length LZF would compress bytes to: Redis's lzf_compress (liblzf 3.6 with Redis's
 * settings: HLOG 16, VERY_FAST) run without writing its output, for DEBUG OBJECT's
 * `serializedlength` (Redis LZF-compresses RDB strings over 20 bytes when that shrinks them).
 * Redis leaves the hash table uninitialised (INIT_HTAB 0); this one starts empty, which is
 * what a first compression on a fresh table does.
 */

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/** Per-Worker scratch: positions (plus one; 0 is empty) of the last 3-byte prefix per hash. */
const htab = new Uint32Array(HSIZE);

function idx(h: number): number {
  return ((h >>> (24 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * The bytes lzf_compress(in, in.length, out, outLen) would produce, or 0 when the result does
 * not fit in `outLen` bytes (Redis then saves the string uncompressed).
 */
export function lzfCompressedLength(inp: Uint8Array, outLen: number): number {
  const inEnd = inp.length;
  if (inEnd === 0 || outLen === 0) return 0;
  htab.fill(0);
  let ip = 0, op = 1, lit = 0; // op: the first literal run's header is reserved
  let hval = ((inp[0] << 8) | inp[1]) >>> 0;
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | inp[ip + 2]) >>> 0;
    const h = idx(hval);
    const ref = htab[h] - 1;
    htab[h] = ip + 1;
    const off = ip - ref - 1;
    if (
      ref > 0 && off >= 0 && off < MAX_OFF && inp[ref + 2] === inp[ip + 2] &&
      inp[ref] === inp[ip] && inp[ref + 1] === inp[ip + 1]
    ) {
      let len = 2;
      const maxlen = Math.min(inEnd - ip - len, MAX_REF);
      if (op + 3 + 1 >= outLen && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outLen) return 0;
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
      op += len < 7 ? 2 : 3; // the back reference
      lit = 0;
      op++; // the next run's header
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      // VERY_FAST: hash the last two positions of the match
      ip -= 2;
      hval = ((inp[ip] << 8) | inp[ip + 1]) >>> 0;
      for (let k = 0; k < 2; k++) {
        hval = ((hval << 8) | inp[ip + 2]) >>> 0;
        htab[idx(hval)] = ip + 1;
        ip++;
      }
    } else {
      if (op >= outLen) return 0;
      lit++;
      op++;
      ip++;
      if (lit === MAX_LIT) {
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outLen) return 0;
  while (ip < inEnd) {
    lit++;
    op++;
    ip++;
    if (lit === MAX_LIT) {
      lit = 0;
      op++;
    }
  }
  if (lit === 0) op--;
  return op;
}
