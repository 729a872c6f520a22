/**
 * List commands (Redis 7.0 t_list.c, without the blocking variants): LPUSH, RPUSH, LPUSHX,
 * RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET, LINSERT here; LREM, LTRIM, LPOS, LMOVE,
 * RPOPLPUSH and LMPOP in lists_more.ts. Argument checks, lookups and errors come in Redis's
 * order, so the same bad request gets the same error.
 */
import { type CommandSpec, type Ctx, register, ROUTE_KEYS } from "./table.ts";
import { SYNTAX } from "./errors.ts";
import { intArg } from "./args.ts";
import { eqi, latin1, toValue } from "../util/bytes.ts";
import { ListValue } from "../store/list.ts";
import {
  createList,
  finishWrite,
  INDEX_OUT_OF_RANGE,
  longInRange,
  MUST_BE_POSITIVE,
  NO_SUCH_KEY,
  popRange,
  readList,
  writeList,
  writeRange,
} from "./lists_common.ts";
import { lmove, lmpop, lmpopTarget, lpos, lrem, ltrim, rpoplpush } from "./lists_more.ts";

/** LPUSH / RPUSH / LPUSHX / RPUSHX. */
function push(ctx: Ctx, argv: Uint8Array[], argc: number, front: boolean, xx: boolean): void {
  const key = latin1(argv[1]);
  const e = writeList(ctx, key);
  if (e === null) return;
  if (e === undefined) {
    if (xx) return ctx.w.integer(0);
    const list = new ListValue(argc - 2);
    for (let j = 2; j < argc; j++) {
      if (front) list.pushFront(toValue(argv[j]));
      else list.pushBack(toValue(argv[j]));
    }
    createList(ctx, key, list);
    return ctx.w.integer(list.size);
  }
  const list = e.value;
  for (let j = 2; j < argc; j++) {
    if (front) list.pushFront(toValue(argv[j]));
    else list.pushBack(toValue(argv[j]));
  }
  ctx.db.touch(key);
  ctx.w.integer(list.size);
}

/** LPOP / RPOP with the optional count (an array reply, null array when the key is absent). */
function pop(ctx: Ctx, argv: Uint8Array[], argc: number, front: boolean): void {
  if (argc > 3) {
    return ctx.w.error(`ERR wrong number of arguments for '${front ? "lpop" : "rpop"}' command`);
  }
  const hasCount = argc === 3;
  let count = 0;
  if (hasCount) {
    count = longInRange(ctx, argv[2], 0, MUST_BE_POSITIVE);
    if (Number.isNaN(count)) return;
  }
  const e = writeList(ctx, latin1(argv[1]));
  if (e === null) return;
  if (e === undefined) return hasCount ? ctx.w.nullArray() : ctx.w.nullBulk();
  const list = e.value;
  if (hasCount && count === 0) return ctx.w.arrayHeader(0);
  if (!hasCount) ctx.w.bulkValue(front ? list.popFront() : list.popBack());
  else popRange(ctx, list, Math.min(count, list.size), front);
  finishWrite(ctx, e);
}

function llen(ctx: Ctx, argv: Uint8Array[]): void {
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  ctx.w.integer(list === undefined ? 0 : list.size);
}

function lrange(ctx: Ctx, argv: Uint8Array[]): void {
  const start = intArg(ctx, argv[2]);
  if (start === null) return;
  const end = intArg(ctx, argv[3]);
  if (end === null) return;
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  if (list === undefined) return ctx.w.arrayHeader(0);
  writeRange(ctx, list, start, end);
}

function lindex(ctx: Ctx, argv: Uint8Array[]): void {
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  if (list === undefined) return ctx.w.nullBulk();
  let i = intArg(ctx, argv[2]);
  if (i === null) return;
  if (i < 0) i += list.size;
  if (i < 0 || i >= list.size) return ctx.w.nullBulk();
  ctx.w.bulkValue(list.at(i));
}

function lset(ctx: Ctx, argv: Uint8Array[]): void {
  const e = writeList(ctx, latin1(argv[1]));
  if (e === null) return;
  if (e === undefined) return ctx.w.error(NO_SUCH_KEY);
  let i = intArg(ctx, argv[2]);
  if (i === null) return;
  const list = e.value;
  if (i < 0) i += list.size;
  if (i < 0 || i >= list.size) return ctx.w.error(INDEX_OUT_OF_RANGE);
  list.setAt(i, toValue(argv[3]));
  ctx.db.touch(e.key);
  ctx.w.ok();
}

function linsert(ctx: Ctx, argv: Uint8Array[]): void {
  let after: boolean;
  if (eqi(argv[2], "after")) after = true;
  else if (eqi(argv[2], "before")) after = false;
  else return ctx.w.error(SYNTAX);
  const e = writeList(ctx, latin1(argv[1]));
  if (e === null) return;
  if (e === undefined) return ctx.w.integer(0);
  const list = e.value;
  const at = list.indexOf(toValue(argv[3]));
  if (at < 0) return ctx.w.integer(-1);
  list.insert(after ? at + 1 : at, toValue(argv[4]));
  ctx.db.touch(e.key);
  ctx.w.integer(list.size);
}

export const specs: CommandSpec[] = [
  { name: "lpush", route: ROUTE_KEYS, handler: (c, a, n) => push(c, a, n, true, false) },
  { name: "rpush", route: ROUTE_KEYS, handler: (c, a, n) => push(c, a, n, false, false) },
  { name: "lpushx", route: ROUTE_KEYS, handler: (c, a, n) => push(c, a, n, true, true) },
  { name: "rpushx", route: ROUTE_KEYS, handler: (c, a, n) => push(c, a, n, false, true) },
  { name: "lpop", route: ROUTE_KEYS, handler: (c, a, n) => pop(c, a, n, true) },
  { name: "rpop", route: ROUTE_KEYS, handler: (c, a, n) => pop(c, a, n, false) },
  { name: "llen", route: ROUTE_KEYS, handler: llen },
  { name: "lrange", route: ROUTE_KEYS, handler: lrange },
  { name: "lindex", route: ROUTE_KEYS, handler: lindex },
  { name: "lset", route: ROUTE_KEYS, handler: lset },
  { name: "linsert", route: ROUTE_KEYS, handler: linsert },
  { name: "lrem", route: ROUTE_KEYS, handler: lrem },
  { name: "ltrim", route: ROUTE_KEYS, handler: ltrim },
  { name: "lpos", route: ROUTE_KEYS, handler: lpos },
  { name: "lmove", route: ROUTE_KEYS, handler: lmove },
  { name: "rpoplpush", route: ROUTE_KEYS, handler: rpoplpush },
  { name: "lmpop", route: ROUTE_KEYS, handler: lmpop, target: lmpopTarget },
];

register(specs);
