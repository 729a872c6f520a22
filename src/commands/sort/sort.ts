/**
 * SORT and SORT_RO (Redis 7.0 sort.c, sortCommandGeneric): sorting a list, set or sorted set
 * by its elements or by weights read through a BY pattern, numerically or ALPHA, with LIMIT,
 * GET patterns and STORE into a list. Patterns, weights and the sort algorithms are in
 * pattern.ts and pqsort.ts.
 *
 * Sharding: BY and GET patterns name keys only known at run time, so they must live on the
 * sorted key's shard. With several shards a pattern is accepted only when every key it can
 * form hashes to a slot of that shard (Redis Cluster's rule and messages, with "same shard"
 * for "same slot"); with one shard every pattern is, as in standalone Redis. A STORE key on
 * another shard is routed like any multi-key command (shipped atomically, ship.ts).
 */
import type { Ctx, ShardContext } from "../context.ts";
import { SYNTAX, WRONGTYPE } from "../errors.ts";
import { intArg } from "../args.ts";
import { readRef } from "../lookup.ts";
import { type ListValue, storeNewList } from "../../store/list.ts";
import { refreshListFill } from "../lists/lookup.ts";
import type { SetValue } from "../../store/set.ts";
import type { ZSetValue } from "../../store/zset.ts";
import { ZCursor } from "../../store/zset_tree.ts";
import { type StringValue, TYPE_LIST, TYPE_SET, TYPE_ZSET } from "../../store/types.ts";
import { latin1, toValue } from "../../util/bytes.ts";
import {
  hasStar,
  isHashPattern,
  lookupByPattern,
  optIs,
  patternHashSlot,
  SortPattern,
  sortScore,
  storeKeyPosition,
} from "./pattern.ts";
import { fullSort, pqsort, setSortOrder, SortItem } from "./pqsort.ts";

const NOT_A_WEIGHT = "ERR One or more scores can't be converted into double";
export const BY_DENIED = "ERR BY option of SORT denied in Cluster mode when " +
  "keys formed by the pattern may be in different slots.";
export const GET_DENIED = "ERR GET option of SORT denied in Cluster mode when " +
  "keys formed by the pattern may be in different slots.";
const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";

/** Sort vector items, reused from call to call. */
const pool: SortItem[] = [];
const vec: SortItem[] = [];
const walk = new ZCursor();

/** Does every key the pattern can form live on the sorted key's shard? (patternHashSlot) */
function patternIsLocal(shard: ShardContext, pattern: Uint8Array, key: Uint8Array): boolean {
  const slot = patternHashSlot(pattern);
  return slot >= 0 && shard.slots.ownerOfSlot(slot) === shard.slots.ownerOf(key);
}

function pushItem(obj: StringValue): void {
  const i = vec.length;
  if (i === pool.length) pool.push(new SortItem());
  const it = pool[i];
  it.obj = obj;
  it.score = 0;
  it.key = null;
  vec.push(it);
}

/** An ALPHA key: compared with strcoll (ends at a NUL; the C locale's byte order) or binary. */
function alphaKey(v: StringValue, binary: boolean): string {
  const s = typeof v === "string" ? v : latin1(v);
  if (binary) return s;
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

interface Options {
  desc: boolean;
  alpha: boolean;
  dontsort: boolean;
  limitStart: number;
  limitCount: number;
  sortby: Uint8Array | null;
  storekey: Uint8Array | null;
  gets: Uint8Array[];
}

/** The option loop of sortCommandGeneric; null once an error was replied. */
function parseOptions(ctx: Ctx, argv: Uint8Array[], argc: number, ro: boolean): Options | null {
  const o: Options = {
    desc: false,
    alpha: false,
    dontsort: false,
    limitStart: 0,
    limitCount: -1,
    sortby: null,
    storekey: null,
    gets: [],
  };
  const shard = ctx.shard;
  const sharded = shard.n > 1;
  for (let j = 2; j < argc; j++) {
    const a = argv[j];
    const left = argc - j - 1;
    if (optIs(a, "asc")) o.desc = false;
    else if (optIs(a, "desc")) o.desc = true;
    else if (optIs(a, "alpha")) o.alpha = true;
    else if (optIs(a, "limit") && left >= 2) {
      const start = intArg(ctx, argv[j + 1]);
      if (start === null) return null;
      const count = intArg(ctx, argv[j + 2]);
      if (count === null) return null;
      o.limitStart = start;
      o.limitCount = count;
      j += 2;
    } else if (!ro && optIs(a, "store") && left >= 1) {
      o.storekey = argv[++j];
    } else if (optIs(a, "by") && left >= 1) {
      const p = argv[++j];
      o.sortby = p;
      // a pattern without '*' is a constant weight: nothing to sort (a later BY does not undo it)
      if (!hasStar(p)) o.dontsort = true;
      else if (sharded && !patternIsLocal(shard, p, argv[1])) {
        ctx.w.error(BY_DENIED);
        return null;
      }
    } else if (optIs(a, "get") && left >= 1) {
      const p = argv[++j];
      if (sharded && !isHashPattern(p) && !patternIsLocal(shard, p, argv[1])) {
        ctx.w.error(GET_DENIED);
        return null;
      }
      o.gets.push(p);
    } else {
      ctx.w.error(SYNTAX);
      return null;
    }
  }
  return o;
}

/** Will the sort read keys through a BY or GET pattern? */
function usesPatterns(o: Options): boolean {
  if (o.sortby !== null && !o.dontsort) return true;
  for (const g of o.gets) if (!isHashPattern(g) && hasStar(g)) return true;
  return false;
}

function sortGeneric(ctx: Ctx, argv: Uint8Array[], argc: number, ro: boolean): void {
  const o = parseOptions(ctx, argv, argc, ro);
  if (o === null) return;
  const shard = ctx.shard;
  // The home database holds the keys patterns form; ctx.db differs only when the router ran
  // the command on copies of its keys (ship.ts), which then go home by themselves.
  const home = shard.dbs[ctx.dbIndex] ?? ctx.db;
  const { storekey } = o;
  if (
    storekey !== null && shard.n > 1 && ctx.db === home &&
    shard.slots.ownerOf(storekey) !== shard.id
  ) {
    // the destination lives elsewhere and routing did not bring it here
    return ctx.w.error(CROSSSLOT);
  }
  if (ctx.db !== home && usesPatterns(o)) {
    // Running on shipped copies (the STORE key is on another shard than the sorted key): the
    // keys the patterns form cannot be shipped along, being unknown before the sort. Redis
    // Cluster refuses any STORE into another slot the same way.
    return ctx.w.error(CROSSSLOT);
  }
  const stats = shard.stats;
  const r = readRef(ctx, argv[1]);
  let type = TYPE_LIST;
  let size = 0;
  // the sorted collection (the object stays valid across the pattern lookups; the ref may not)
  let coll: ListValue | SetValue | ZSetValue | null = null;
  if (r !== 0) {
    type = ctx.db.typeOf(r);
    if (type !== TYPE_LIST && type !== TYPE_SET && type !== TYPE_ZSET) {
      return ctx.w.error(WRONGTYPE);
    }
    coll = ctx.db.object<ListValue | SetValue | ZSetValue>(r);
    size = coll.size;
  }
  let { desc, alpha, dontsort, sortby } = o;
  // a set in hash order is not a stable result to store: sort it instead
  if (dontsort && type === TYPE_SET && storekey !== null) {
    dontsort = false;
    alpha = true;
    sortby = null;
  }
  // Redis converts a sorted set to a skiplist for SORT, for good
  if (type === TYPE_ZSET) (coll as ZSetValue).toSkiplist();

  // LIMIT, clamped as Redis does
  let vectorlen = size;
  let start = Math.min(Math.max(o.limitStart, 0), vectorlen);
  const count = Math.min(Math.max(o.limitCount, -1), vectorlen);
  let end = count < 0 ? vectorlen - 1 : start + count - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;
  const ordered = type === TYPE_LIST || type === TYPE_ZSET;
  if (ordered && dontsort && (start !== 0 || end !== vectorlen - 1)) vectorlen = end - start + 1;

  vec.length = 0;
  if (coll !== null) {
    if (type === TYPE_LIST) {
      const list = coll as ListValue;
      if (!dontsort) {
        for (let i = 0; i < size; i++) pushItem(list.at(i));
      } else if (end >= start) {
        const from = desc ? size - start - 1 : start;
        for (let j = 0; j < vectorlen; j++) pushItem(list.at(desc ? from - j : from + j));
        end -= start;
        start = 0;
      }
    } else if (type === TYPE_SET) {
      for (const m of (coll as SetValue).members()) pushItem(m);
    } else {
      const tree = (coll as ZSetValue).tree;
      if (!dontsort) {
        for (tree.first(walk); walk.valid; walk.next()) pushItem(walk.member);
      } else {
        tree.seekRank(walk, desc ? size - start - 1 : start);
        for (let j = 0; j < vectorlen; j++) {
          pushItem(walk.member);
          if (desc) walk.prev();
          else walk.next();
        }
        end -= start;
        start = 0;
      }
    }
  }

  let notWeight = false;
  if (!dontsort) {
    const by = sortby === null ? null : new SortPattern(sortby);
    const binary = storekey !== null;
    for (let j = 0; j < vectorlen; j++) {
      const it = vec[j];
      let byval: StringValue | null = it.obj;
      // a weight read through the pattern is a window on the arena: used before the next lookup
      if (by !== null) {
        byval = lookupByPattern(home, ctx.now, stats, by, it.obj);
        if (byval === null) continue;
      }
      if (alpha) it.key = alphaKey(byval, binary);
      else {
        it.score = sortScore(byval);
        if (it.score !== it.score) notWeight = true;
      }
    }
    setSortOrder(desc, alpha, sortby !== null);
    if (sortby !== null && (start !== 0 || end !== vectorlen - 1)) {
      pqsort(vec, vectorlen, start, end);
    } else fullSort(vec);
  }

  if (notWeight) ctx.w.error(NOT_A_WEIGHT);
  else writeResult(ctx, home, o.gets, storekey, start, end);
  for (let j = 0; j < vec.length; j++) {
    vec[j].obj = "";
    vec[j].key = null;
  }
  vec.length = 0;
}

/** The reply, or the list stored at the destination: vec[start..end], through the GETs. */
function writeResult(
  ctx: Ctx,
  home: Ctx["db"],
  getArgs: Uint8Array[],
  storekey: Uint8Array | null,
  start: number,
  end: number,
): void {
  const gets = getArgs.map((p) => new SortPattern(p));
  const getop = gets.length;
  const outputlen = getop > 0 ? getop * (end - start + 1) : end - start + 1;
  const stats = ctx.shard.stats, now = ctx.now, w = ctx.w;
  if (storekey === null) {
    w.arrayHeader(outputlen);
    for (let j = start; j <= end; j++) {
      const obj = vec[j].obj;
      if (getop === 0) w.bulkValue(obj);
      for (let g = 0; g < getop; g++) {
        const val = lookupByPattern(home, now, stats, gets[g], obj);
        if (val === null) w.nullBulk();
        else w.bulkValue(val);
      }
    }
    return;
  }
  const list: StringValue[] = [];
  for (let j = start; j <= end; j++) {
    const obj = vec[j].obj;
    if (getop === 0) list.push(obj);
    for (let g = 0; g < getop; g++) {
      const val = lookupByPattern(home, now, stats, gets[g], obj);
      // a string key's bytes are a window on the arena: the list gets its own copy
      list.push(val === null ? "" : typeof val === "string" ? val : toValue(val));
    }
  }
  // a small result is a blob, as every new list is
  refreshListFill(ctx);
  if (outputlen > 0) storeNewList(ctx.db, storekey, list, false, now);
  else ctx.db.delete(storekey, now);
  w.integer(outputlen);
}

/** SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dst] */
export function sortCommand(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  sortGeneric(ctx, argv, argc, false);
}

/** SORT_RO: SORT without STORE. */
export function sortRoCommand(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  sortGeneric(ctx, argv, argc, true);
}

/** sortGetKeys: the sorted key, and the destination when there is a STORE */
export function sortKeys(argv: Uint8Array[], argc: number, out: number[]): number {
  out.push(1);
  const store = storeKeyPosition(argv, argc);
  if (store > 0) out.push(store);
  return out.length;
}
