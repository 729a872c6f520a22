/** ZSCAN (Redis 7.0 scanGenericCommand on a sorted set). */
import type { Ctx } from "../context.ts";
import { INVALID_CURSOR } from "../errors.ts";
import type { ZSetValue } from "../../store/zset.ts";
import { ZCursor } from "../../store/zset_tree.ts";
import { TYPE_ZSET } from "../../store/types.ts";
import { formatDouble } from "../../util/numbers.ts";
import { globMatch } from "../../util/glob.ts";
import { parseCursor } from "../keys/scan.ts";
import { scanArgs, scanCount, scanPattern } from "../scan_options.ts";

// scratch cursor and page, reused by every call (a Worker runs one command at a time)
const cur = new ZCursor();
const page: number[] = [];

/**
 * Redis's d2string, as ZSCAN prints scores: integral values within +-LLONG_MAX/2 as integers
 * (exactly, beyond 2^53 too), the rest as "%.17g". A listpack never holds -0.
 */
function scanScore(d: number): string {
  if (Number.isInteger(d) && d >= -4611686018427387904 && d <= 4611686018427387904) {
    if (d === 0) return Object.is(d, -0) ? "-0" : "0";
    return Number.isSafeInteger(d) ? String(d) : BigInt(d).toString();
  }
  return formatDouble(d);
}

/** ZSCAN key cursor [MATCH pattern] [COUNT n]: members with their scores. */
export function zscan(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const cursor = parseCursor(argv[2]);
  if (cursor < 0) return ctx.w.error(INVALID_CURSOR);
  const r = scanArgs(ctx, argv, argc, TYPE_ZSET);
  if (r === 0) return;
  const z = ctx.db.object<ZSetValue>(r);
  const pat = scanPattern;
  const w = ctx.w;
  w.arrayHeader(2);
  if (z.listpack) {
    // a listpack is answered in one page, in order, whatever the cursor
    w.bulkStr("0");
    let n = 0;
    for (z.first(cur); cur.valid; cur.next()) {
      if (pat === null || globMatch(pat, cur.member, false)) n++;
    }
    w.arrayHeader(n * 2);
    for (z.first(cur); cur.valid; cur.next()) {
      if (pat !== null && !globMatch(pat, cur.member, false)) continue;
      w.bulkStr(cur.member);
      w.bulkStr(scanScore(cur.score));
    }
    return;
  }
  page.length = 0;
  const next = cursor === Infinity ? 0 : z.scanStep(cursor, scanCount, page);
  let n = page.length;
  if (pat !== null) {
    n = 0;
    for (let i = 0; i < page.length; i++) {
      if (globMatch(pat, z.members[page[i]], false)) page[n++] = page[i];
    }
  }
  w.bulkStr(String(next));
  w.arrayHeader(n * 2);
  for (let i = 0; i < n; i++) {
    w.bulkStr(z.members[page[i]]);
    w.bulkStr(scanScore(z.scores[page[i]]));
  }
  page.length = 0;
}
