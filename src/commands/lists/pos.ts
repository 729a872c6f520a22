/** LPOS: the positions of the elements equal to a value (Redis 7.0 lposCommand). */
import type { Ctx } from "../context.ts";
import { SYNTAX } from "../errors.ts";
import { int64Arg, rangeArg } from "../args.ts";
import { eqi, toValue } from "../../util/bytes.ts";
import { readList } from "./lookup.ts";

const RANK_ZERO = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the " +
  "second ... or use negative to start from the end of the list";
const INT64_MIN = -9223372036854775808n;

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
export function lpos(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let rank = 1;
  // RANK -2^63 cannot be negated in C: every match qualifies and COUNT never stops the walk
  let rankMin = false;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argc; j++) {
    const more = argc - 1 - j;
    const o = argv[j];
    if (eqi(o, "rank") && more > 0) {
      const r = int64Arg(ctx, argv[++j]);
      if (r === null) return;
      if (r === 0) return ctx.w.error(RANK_ZERO);
      rankMin = r === INT64_MIN;
      rank = Number(r);
    } else if (eqi(o, "count") && more > 0) {
      const c = rangeArg(ctx, argv[++j], 0, Infinity, "ERR COUNT can't be negative");
      if (c === null) return;
      count = c;
    } else if (eqi(o, "maxlen") && more > 0) {
      const m = rangeArg(ctx, argv[++j], 0, Infinity, "ERR MAXLEN can't be negative");
      if (m === null) return;
      maxlen = m;
    } else return ctx.w.error(SYNTAX);
  }
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  const w = ctx.w;
  if (list === undefined) return count !== -1 ? w.arrayHeader(0) : w.nullBulk();
  const v = toValue(argv[2]);
  const len = list.size;
  const limit = maxlen === 0 || maxlen > len ? len : maxlen;
  let matches = 0;
  if (count === -1) {
    for (let k = 0; k < limit; k++) {
      const i = fromTail ? len - 1 - k : k;
      if (list.equalsAt(i, v) && (++matches >= rank || rankMin)) return w.integer(i);
    }
    return w.nullBulk();
  }
  const found: number[] = [];
  for (let k = 0; k < limit; k++) {
    const i = fromTail ? len - 1 - k : k;
    if (!list.equalsAt(i, v)) continue;
    matches++;
    if (matches < rank && !rankMin) continue;
    found.push(i);
    if (count !== 0 && !rankMin && matches - rank + 1 >= count) break;
  }
  w.arrayHeader(found.length);
  for (const i of found) w.integer(i);
}
