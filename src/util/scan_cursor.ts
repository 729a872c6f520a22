/**
 * Redis's SCAN cursor (dictScan): the bucket index counted up in reverse-binary order, so a
 * scan neither misses nor repeats keys when the table grows or shrinks between calls.
 */

function rev32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

/** The cursor after bucket `v & mask` (0 when the scan is complete). */
export function nextCursor(v: number, mask: number): number {
  v = (v | ~mask) >>> 0;
  return rev32((rev32(v) + 1) >>> 0);
}
