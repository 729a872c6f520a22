/** SSCAN key cursor [MATCH pattern] [COUNT count] (Redis 7.0 scanGenericCommand on a set). */
import type { Ctx } from "../context.ts";
import { INVALID_CURSOR } from "../errors.ts";
import type { SetValue } from "../../store/set.ts";
import { TYPE_SET } from "../../store/types.ts";
import { globMatch } from "../../util/glob.ts";
import { parseCursor } from "../keys/scan.ts";
import { scanArgs, scanCount, scanPattern } from "../scan_options.ts";

/** scratch page, reused by every call (a Worker runs one command at a time) */
const page: string[] = [];

export function sscan(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const cursor = parseCursor(argv[2]);
  if (cursor < 0) return ctx.w.error(INVALID_CURSOR);
  const r = scanArgs(ctx, argv, argc, TYPE_SET);
  if (r === 0) return;
  const s = ctx.db.object<SetValue>(r);
  let next = 0;
  page.length = 0;
  if (s.intset) {
    // Redis answers a small encoding in one page, whatever the cursor
    const m = s.members();
    for (let i = 0; i < m.length; i++) page.push(m[i]);
  } else if (cursor !== Infinity) {
    next = s.scanStep(cursor, scanCount, page);
  }
  const w = ctx.w;
  w.arrayHeader(2);
  w.bulkStr(String(next));
  const pat = scanPattern;
  let n = page.length;
  if (pat !== null) {
    n = 0;
    for (let i = 0; i < page.length; i++) if (globMatch(pat, page[i], false)) page[n++] = page[i];
  }
  w.arrayHeader(n);
  for (let i = 0; i < n; i++) w.bulkStr(page[i]);
  page.length = 0;
}
