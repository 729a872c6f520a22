/**
 * Expiry arithmetic exactly as Redis does it in int64 milliseconds. Ordinary values stay JS
 * numbers; values beyond 2^53 ms (only ever set on purpose) keep their exact bigint so that
 * EXPIRETIME/PEXPIRETIME echo them digit for digit.
 */

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
const SMALL = 2 ** 40;

/** An absolute expiry in ms; `exact` keeps the int64 digit for digit when beyond 2^53. */
export interface ExpireAt {
  when: number;
  exact?: bigint;
}

/**
 * `v` seconds or milliseconds, plus `base` ms; null when the result leaves int64 (Redis's
 * "invalid expire time" cases).
 */
export function computeExpire(v: number | bigint, seconds: boolean, base: number): ExpireAt | null {
  if (typeof v === "number" && Math.abs(v) < SMALL) {
    return { when: (seconds ? v * 1000 : v) + base };
  }
  let b = BigInt(v);
  if (seconds) {
    if (b > I64_MAX / 1000n || b < I64_MIN / 1000n) return null;
    b *= 1000n;
  }
  if (b > I64_MAX - BigInt(base)) return null;
  b += BigInt(base);
  const when = Number(b);
  return Number.isSafeInteger(when) ? { when } : { when, exact: b };
}

/** a < b for mixed number/bigint expiry values */
export function lessThan(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  return BigInt(a) < BigInt(b);
}
