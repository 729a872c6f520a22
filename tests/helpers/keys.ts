/**
 * Picking keys by hash slot, so multi-key tests really span the shards of a sharded server.
 * Shards own contiguous slot ranges; keys are chosen away from the range edges so the test
 * does not depend on exactly where one range ends.
 */

import { keySlotStr } from "../../src/util/crc16.ts";

const SLOTS = 16384;

/** Which of `parts` equal slot ranges `key` falls in (-1 if within 2% of an edge). */
export function rangeOf(key: string, parts: number): number {
  const slot = keySlotStr(key);
  const width = SLOTS / parts;
  const i = Math.floor(slot / width);
  const within = slot - i * width;
  return within < width * 0.02 || within > width * 0.98 ? -1 : i;
}

/**
 * `count` distinct keys `${prefix}<n>` cycling through the `parts` slot ranges: with
 * parts=3, keys 0,3,6... are on the first third of the slots, 1,4,7... on the second, etc.
 */
export function spreadKeys(prefix: string, count: number, parts = 3): string[] {
  const buckets: string[][] = Array.from({ length: parts }, () => []);
  const perBucket = Math.ceil(count / parts);
  for (let n = 0; buckets.some((b) => b.length < perBucket); n++) {
    const k = `${prefix}${n}`;
    const r = rangeOf(k, parts);
    if (r >= 0 && buckets[r].length < perBucket) buckets[r].push(k);
  }
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) out.push(buckets[i % parts][Math.floor(i / parts)]);
  return out;
}
