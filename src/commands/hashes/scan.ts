/** HSCAN key cursor [MATCH pattern] [COUNT count] (Redis 7.0 scanGenericCommand on a hash). */
import type { Ctx } from "../context.ts";
import type { HashValue } from "../../store/hash.ts";
import { type StringValue, TYPE_HASH } from "../../store/types.ts";
import { INVALID_CURSOR } from "../errors.ts";
import { globMatch } from "../../util/glob.ts";
import { parseCursor } from "../keys/scan.ts";
import { scanArgs, scanCount, scanPattern } from "../scan_options.ts";

/** Reused between calls; emptied before and after each use, so they never hold stale values. */
const fields: string[] = [];
const values: StringValue[] = [];

function release(): void {
  fields.length = 0;
  values.length = 0;
}

export function hscan(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  release();
  const w = ctx.w;
  const cursor = parseCursor(argv[2]);
  if (cursor < 0) return w.error(INVALID_CURSOR);
  const r = scanArgs(ctx, argv, argc, TYPE_HASH);
  if (r === 0) return;
  const h = ctx.db.object<HashValue>(r);
  const pattern = scanPattern;
  // only the cursor's low bits address buckets; a cursor beyond 2^53 keeps none we can know
  const c32 = cursor === Infinity ? 0xffffffff : cursor >>> 0;
  const next = h.scan(c32, scanCount, fields, values);
  let kept = fields.length;
  if (pattern !== null) {
    kept = 0;
    for (let i = 0; i < fields.length; i++) {
      if (!globMatch(pattern, fields[i], false)) continue;
      fields[kept] = fields[i];
      values[kept] = values[i];
      kept++;
    }
  }
  w.arrayHeader(2);
  w.bulkStr(String(next));
  w.arrayHeader(kept * 2);
  for (let i = 0; i < kept; i++) {
    w.bulkStr(fields[i]);
    w.bulkValue(values[i]);
  }
  release();
}
