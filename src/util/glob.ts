/**
 * Redis's glob matcher (`stringmatchlen` in util.c, 7.0 line), used by CONFIG GET (nocase)
 * and usable by KEYS/SCAN/PSUBSCRIBE (case-sensitive).
 *
 * Strings are latin1 ("one char per byte"), so char codes are the C bytes. Reading past the
 * end of the pattern yields 0, like the NUL terminator the C code relies on.
 *
 * Rules: `*` any run, `?` one byte, `[abc]`, `[^abc]`, `[a-z]` (reversed ranges are swapped),
 * `\x` escapes x (also inside brackets), an unterminated `[` matches as if closed at the end of
 * the pattern. Patterns nested more than 1000 `*` deep never match (Redis's protection).
 */

const NESTING_LIMIT = 1000;

/** Shared between the recursive calls of one match, like the C `skipLongerMatches` pointer. */
interface MatchState {
  skipLonger: boolean;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function signed(c: number): number {
  return c > 127 ? c - 256 : c;
}

/** Byte at `i` of `s`, or 0 past the end (the C string terminator). */
function at(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : 0;
}

export function globMatch(pattern: string, str: string, nocase: boolean): boolean {
  const state: MatchState = { skipLonger: false };
  return matchImpl(pattern, 0, pattern.length, str, 0, str.length, nocase, state, 0);
}

function matchImpl(
  pat: string,
  p: number,
  plen: number,
  s: string,
  si: number,
  slen: number,
  nocase: boolean,
  state: MatchState,
  nesting: number,
): boolean {
  if (nesting > NESTING_LIMIT) return false;
  while (plen > 0 && slen > 0) {
    const pc = at(pat, p);
    if (pc === 42 /* * */) {
      while (plen > 0 && at(pat, p + 1) === 42) {
        p++;
        plen--;
      }
      if (plen === 1) return true;
      while (slen > 0) {
        if (matchImpl(pat, p + 1, plen - 1, s, si, slen, nocase, state, nesting + 1)) return true;
        if (state.skipLonger) return false;
        si++;
        slen--;
      }
      // The rest of the pattern matches nowhere in the rest of the string, so earlier stars
      // cannot help by consuming more.
      state.skipLonger = true;
      return false;
    } else if (pc === 63 /* ? */) {
      si++;
      slen--;
    } else if (pc === 91 /* [ */) {
      p++;
      plen--;
      const not = at(pat, p) === 94; /* ^ */
      if (not) {
        p++;
        plen--;
      }
      let match = false;
      const sc = at(s, si);
      for (;;) {
        const c = at(pat, p);
        if (c === 92 /* \ */ && plen >= 2) {
          p++;
          plen--;
          if (at(pat, p) === sc) match = true;
        } else if (c === 93 /* ] */) {
          break;
        } else if (plen === 0) {
          p--;
          plen++;
          break;
        } else if (plen >= 3 && at(pat, p + 1) === 45 /* - */) {
          // C compares these as (signed) chars: bytes >= 0x80 sort below 0.
          let start = signed(c);
          let end = signed(at(pat, p + 2));
          let ch = signed(sc);
          if (start > end) [start, end] = [end, start];
          if (nocase) {
            start = lower(start);
            end = lower(end);
            ch = lower(ch);
          }
          p += 2;
          plen -= 2;
          if (ch >= start && ch <= end) match = true;
        } else if (nocase ? lower(c) === lower(sc) : c === sc) {
          match = true;
        }
        p++;
        plen--;
      }
      if (not) match = !match;
      if (!match) return false;
      si++;
      slen--;
    } else {
      if (pc === 92 /* \ */ && plen >= 2) {
        p++;
        plen--;
      }
      const c = at(pat, p);
      const sc = at(s, si);
      if (nocase ? lower(c) !== lower(sc) : c !== sc) return false;
      si++;
      slen--;
    }
    p++;
    plen--;
    if (slen === 0) {
      while (at(pat, p) === 42) {
        p++;
        plen--;
      }
      break;
    }
  }
  return plen === 0 && slen === 0;
}
