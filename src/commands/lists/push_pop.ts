/** Adding and removing at the ends of a list: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP. */
import type { Ctx } from "../context.ts";
import { MUST_BE_POSITIVE } from "../errors.ts";
import { rangeArg } from "../args.ts";
import type { ListValue } from "../../store/list.ts";
import type { StringValue } from "../../store/types.ts";
import { WRONG } from "../lookup.ts";
import { createList, finishWrite, popRange, writeList } from "./lookup.ts";

/** LPUSH / RPUSH / LPUSHX / RPUSHX. */
export function push(
  ctx: Ctx,
  argv: Uint8Array[],
  argc: number,
  front: boolean,
  xx: boolean,
): void {
  const key = argv[1];
  const r = writeList(ctx, key);
  if (r === WRONG) return;
  if (r === 0) {
    if (xx) return ctx.w.integer(0);
    // the argument bytes as they arrived: the list copies them into its listpack
    const values: StringValue[] = argv.slice(2, argc);
    createList(ctx, key, values, front);
    return ctx.w.integer(values.length);
  }
  const list = ctx.db.object<ListValue>(r);
  for (let j = 2; j < argc; j++) list.push(argv[j], front);
  ctx.db.touch(r);
  ctx.w.integer(list.size);
}

/** LPOP / RPOP with the optional count (an array reply, null array when the key is absent). */
export function pop(ctx: Ctx, argv: Uint8Array[], argc: number, front: boolean): void {
  if (argc > 3) {
    return ctx.w.error(`ERR wrong number of arguments for '${front ? "lpop" : "rpop"}' command`);
  }
  const hasCount = argc === 3;
  let count = 0;
  if (hasCount) {
    const c = rangeArg(ctx, argv[2], 0, Infinity, MUST_BE_POSITIVE);
    if (c === null) return;
    count = c;
  }
  const r = writeList(ctx, argv[1]);
  if (r === WRONG) return;
  if (r === 0) return hasCount ? ctx.w.nullArray() : ctx.w.nullBulk();
  const list = ctx.db.object<ListValue>(r);
  if (hasCount && count === 0) return ctx.w.arrayHeader(0);
  if (!hasCount) list.popTo(ctx.w, 1, front);
  else popRange(ctx, list, Math.min(count, list.size), front);
  finishWrite(ctx, r, list);
}
