/**
 * Set commands (Redis 7.0 t_set.c): SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SPOP,
 * SRANDMEMBER, SMOVE, SSCAN here; SINTER / SUNION / SDIFF and friends in sets_ops.ts.
 */
import { type CommandSpec, type Ctx, register, ROUTE_KEYS } from "./table.ts";
import { SYNTAX, WRONGTYPE } from "./errors.ts";
import { SetValue } from "../store/set.ts";
import { TYPE_SET } from "../store/types.ts";
import { latin1 } from "../util/bytes.ts";
import { globMatch } from "../config/glob.ts";
import { INVALID_CURSOR } from "./errors.ts";
import { parseCursor } from "./keys.ts";
import {
  finish,
  MAX_RANDOM_REPLY,
  maxIntset,
  MUST_BE_POSITIVE,
  randomCountArg,
  rangeArg,
  readSet,
  scanArgs,
  scanCount,
  scanPattern,
  writeMembers,
  writeSet,
} from "./sets_common.ts";
import { setOpsSpecs } from "./sets_ops.ts";

function sadd(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const key = latin1(argv[1]);
  const e = writeSet(ctx, key);
  if (e === null) return;
  const max = maxIntset(ctx);
  let added = 0;
  if (e === undefined) {
    const s = new SetValue();
    for (let i = 2; i < argc; i++) if (s.add(latin1(argv[i]), max)) added++;
    ctx.db.set(key, s, TYPE_SET);
  } else {
    const s = e.value;
    for (let i = 2; i < argc; i++) if (s.add(latin1(argv[i]), max)) added++;
    if (added > 0) ctx.db.touch(key);
  }
  ctx.w.integer(added);
}

function srem(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const e = writeSet(ctx, latin1(argv[1]));
  if (e === null) return;
  if (e === undefined) return ctx.w.integer(0);
  const s = e.value;
  let removed = 0;
  for (let i = 2; i < argc && s.size > 0; i++) if (s.remove(latin1(argv[i]))) removed++;
  if (removed > 0) finish(ctx, e);
  ctx.w.integer(removed);
}

function scard(ctx: Ctx, argv: Uint8Array[]): void {
  const s = readSet(ctx, argv[1]);
  if (s !== null) ctx.w.integer(s === undefined ? 0 : s.size);
}

function sismember(ctx: Ctx, argv: Uint8Array[]): void {
  const s = readSet(ctx, argv[1]);
  if (s !== null) ctx.w.integer(s !== undefined && s.has(latin1(argv[2])) ? 1 : 0);
}

function smismember(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const s = readSet(ctx, argv[1]);
  if (s === null) return;
  const w = ctx.w;
  w.arrayHeader(argc - 2);
  for (let i = 2; i < argc; i++) w.integer(s !== undefined && s.has(latin1(argv[i])) ? 1 : 0);
}

function smembers(ctx: Ctx, argv: Uint8Array[]): void {
  const s = readSet(ctx, argv[1]);
  if (s === null) return;
  if (s === undefined) return ctx.w.setHeader(0);
  writeMembers(ctx, s);
}

function spop(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc > 3) return ctx.w.error(SYNTAX);
  let count = -1;
  if (argc === 3) {
    const c = rangeArg(ctx, argv[2], 0, Number.MAX_VALUE, MUST_BE_POSITIVE);
    if (c === null) return;
    count = c;
  }
  const e = writeSet(ctx, latin1(argv[1]));
  if (e === null) return;
  const w = ctx.w;
  if (e === undefined) return count < 0 ? w.nullBulk() : w.setHeader(0);
  const s = e.value;
  if (count < 0) {
    w.bulkStr(s.pop());
    return finish(ctx, e);
  }
  if (count === 0) return w.setHeader(0);
  if (count >= s.size) {
    writeMembers(ctx, s);
    ctx.db.remove(e);
    return;
  }
  w.setHeader(count);
  for (let i = 0; i < count; i++) w.bulkStr(s.pop());
  ctx.db.touch(e.key);
}

function srandmember(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc > 3) return ctx.w.error(SYNTAX);
  const w = ctx.w;
  if (argc === 2) {
    const s = readSet(ctx, argv[1]);
    if (s === null) return;
    return s === undefined ? w.nullBulk() : w.bulkStr(s.random());
  }
  const l = randomCountArg(ctx, argv[2]);
  if (l === null) return;
  const s = readSet(ctx, argv[1]);
  if (s === null) return;
  if (s === undefined || l === 0) return w.arrayHeader(0);
  if (l < 0 || l === 1) {
    const n = -l > 0 ? -l : l;
    if (n > MAX_RANDOM_REPLY) return w.error("ERR value is out of range");
    w.arrayHeader(n);
    for (let i = 0; i < n; i++) w.bulkStr(s.random());
    return;
  }
  const size = s.size;
  if (l >= size) {
    const m = s.members();
    w.arrayHeader(m.length);
    for (let i = 0; i < m.length; i++) w.bulkStr(m[i]);
    return;
  }
  w.arrayHeader(l);
  const items = s.items;
  if (l * 3 > size) {
    // a partial Fisher-Yates shuffle of a copy
    const copy = items.slice();
    for (let i = 0; i < l; i++) {
      const j = i + ((Math.random() * (size - i)) | 0);
      const t = copy[j];
      copy[j] = copy[i];
      copy[i] = t;
      w.bulkStr(t);
    }
    return;
  }
  const picked = new Set<number>();
  while (picked.size < l) {
    const j = (Math.random() * size) | 0;
    if (picked.has(j)) continue;
    picked.add(j);
    w.bulkStr(items[j]);
  }
}

function smove(ctx: Ctx, argv: Uint8Array[]): void {
  const srcKey = latin1(argv[1]), dstKey = latin1(argv[2]);
  const src = ctx.db.get(srcKey, ctx.now);
  const dst = ctx.db.get(dstKey, ctx.now);
  if (src === undefined) return ctx.w.integer(0);
  if (src.type !== TYPE_SET || (dst !== undefined && dst.type !== TYPE_SET)) {
    return ctx.w.error(WRONGTYPE);
  }
  const m = latin1(argv[3]);
  const ss = src.value as SetValue;
  if (src === dst) return ctx.w.integer(ss.has(m) ? 1 : 0);
  if (!ss.remove(m)) return ctx.w.integer(0);
  if (ss.size === 0) ctx.db.remove(src);
  else ctx.db.touch(srcKey);
  const max = maxIntset(ctx);
  if (dst === undefined) {
    const s = new SetValue();
    s.add(m, max);
    ctx.db.set(dstKey, s, TYPE_SET);
  } else if ((dst.value as SetValue).add(m, max)) {
    ctx.db.touch(dstKey);
  }
  ctx.w.integer(1);
}

const page: string[] = [];

function sscan(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const cursor = parseCursor(argv[2]);
  if (cursor < 0) return ctx.w.error(INVALID_CURSOR);
  const e = scanArgs(ctx, argv, argc, TYPE_SET);
  if (e === undefined) return;
  const s = e.value as SetValue;
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

export const specs: CommandSpec[] = [
  { name: "sadd", route: ROUTE_KEYS, handler: sadd },
  { name: "srem", route: ROUTE_KEYS, handler: srem },
  { name: "scard", route: ROUTE_KEYS, handler: scard },
  { name: "sismember", route: ROUTE_KEYS, handler: sismember },
  { name: "smismember", route: ROUTE_KEYS, handler: smismember },
  { name: "smembers", route: ROUTE_KEYS, handler: smembers },
  { name: "spop", route: ROUTE_KEYS, handler: spop },
  { name: "srandmember", route: ROUTE_KEYS, handler: srandmember },
  { name: "smove", route: ROUTE_KEYS, handler: smove },
  { name: "sscan", route: ROUTE_KEYS, handler: sscan },
  ...setOpsSpecs,
];

register(specs);
