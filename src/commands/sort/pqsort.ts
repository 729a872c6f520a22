/**
 * SORT's ordering, as Redis's sortCompare with the qsort it is used with. Equal elements are
 * possible (ALPHA BY weights that are equal or missing), so the sort algorithm shows in the
 * reply: a whole sort is glibc's qsort, a stable merge sort (Array.prototype.sort is stable
 * too, and the comparator is a total preorder); a sort with BY and a LIMIT is Redis's pqsort
 * (pqsort.c, NetBSD's quicksort that skips the partitions outside the range), ported here
 * step for step because it is not stable.
 */
import type { StringValue } from "../../store/types.ts";

/** One element of the sort vector (Redis's redisSortObject). */
export class SortItem {
  obj: StringValue = "";
  /** the numeric weight */
  score = 0;
  /** ALPHA: the compared string (BY: null when the weight is missing) */
  key: string | null = null;
}

/** Redis keeps the sort parameters in globals for the comparator; so does this. */
let desc = false;
let alpha = false;
let byPattern = false;

export function setSortOrder(isDesc: boolean, isAlpha: boolean, isBy: boolean): void {
  desc = isDesc;
  alpha = isAlpha;
  byPattern = isBy;
}

/** compareStringObjects: memcmp of the bytes, then the length. */
function binCompare(a: StringValue, b: StringValue): number {
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  const x = typeof a === "string" ? null : a, y = typeof b === "string" ? null : b;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = (x === null ? (a as string).charCodeAt(i) : x[i]) -
      (y === null ? (b as string).charCodeAt(i) : y[i]);
    if (c !== 0) return c < 0 ? -1 : 1;
  }
  return a.length - b.length;
}

function strCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Redis's sortCompare (the ALPHA keys were prepared by the caller: strcoll or binary). */
export function sortCompare(a: SortItem, b: SortItem): number {
  let cmp: number;
  if (!alpha) {
    if (a.score > b.score) cmp = 1;
    else if (a.score < b.score) cmp = -1;
    else cmp = binCompare(a.obj, b.obj);
  } else if (byPattern) {
    const x = a.key, y = b.key;
    if (x === null || y === null) cmp = x === y ? 0 : x === null ? -1 : 1;
    else cmp = strCompare(x, y);
  } else {
    cmp = strCompare(a.key!, b.key!);
  }
  return desc ? -cmp : cmp;
}

function swap(v: SortItem[], i: number, j: number): void {
  const t = v[i];
  v[i] = v[j];
  v[j] = t;
}

function vecswap(v: SortItem[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(v, i + k, j + k);
}

function med3(v: SortItem[], a: number, b: number, c: number): number {
  return sortCompare(v[a], v[b]) < 0
    ? (sortCompare(v[b], v[c]) < 0 ? b : (sortCompare(v[a], v[c]) < 0 ? c : a))
    : (sortCompare(v[b], v[c]) > 0 ? b : (sortCompare(v[a], v[c]) < 0 ? a : c));
}

function insertion(v: SortItem[], a: number, n: number): void {
  for (let m = a + 1; m < a + n; m++) {
    for (let l = m; l > a && sortCompare(v[l - 1], v[l]) > 0; l--) swap(v, l, l - 1);
  }
}

/** The byte size of a redisSortObject: pqsort's range test works on addresses. */
const ES = 16;

/** Does the run of n elements at a overlap the byte range [lr, rr]? */
function inRange(a: number, n: number, lr: number, rr: number): boolean {
  const l = a * ES, r = (a + n) * ES - 1;
  return !((lr < l && rr < l) || (lr > r && rr > r));
}

function pqsortAt(v: SortItem[], a: number, n: number, lr: number, rr: number): void {
  for (;;) {
    let swapped = false;
    if (n < 7) return insertion(v, a, n);
    let pm = a + Math.floor(n / 2);
    if (n > 7) {
      let pl = a;
      let pn = a + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(v, pl, pl + d, pl + 2 * d);
        pm = med3(v, pm - d, pm, pm + d);
        pn = med3(v, pn - 2 * d, pn - d, pn);
      }
      pm = med3(v, pl, pm, pn);
    }
    swap(v, a, pm);
    let pa = a + 1, pb = a + 1;
    let pc = a + n - 1, pd = a + n - 1;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = sortCompare(v[pb], v[a])) <= 0) {
        if (r === 0) {
          swapped = true;
          swap(v, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (r = sortCompare(v[pc], v[a])) >= 0) {
        if (r === 0) {
          swapped = true;
          swap(v, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(v, pb, pc);
      swapped = true;
      pb++;
      pc--;
    }
    if (!swapped) return insertion(v, a, n);
    const pn = a + n;
    let r = Math.min(pa - a, pb - pa);
    vecswap(v, a, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(v, pb, pn - r, r);
    if ((r = pb - pa) > 1 && inRange(a, r, lr, rr)) pqsortAt(v, a, r, lr, rr);
    if ((r = pd - pc) > 1) {
      a = pn - r;
      n = r;
      if (inRange(a, n, lr, rr)) continue;
    }
    return;
  }
}

/**
 * Redis's pqsort(v, n, ..., lrange, rrange): sorts enough of v[0, n) that the elements at
 * positions lrange..rrange are the ones a full sort would put there.
 */
export function pqsort(v: SortItem[], n: number, lrange: number, rrange: number): void {
  pqsortAt(v, 0, n, lrange * ES, (rrange + 1) * ES - 1);
}

let order = new Uint32Array(1024);
let scores = new Float64Array(1024);
const keys: (string | null)[] = [];
const sorted: SortItem[] = [];

/**
 * sortCompare on positions into v, with the weights or ALPHA keys pulled out into arrays; one
 * closure per mode so that V8 optimizes each comparator on its own.
 */
function comparator(
  v: SortItem[],
  sc: Float64Array,
  keys: (string | null)[],
): (i: number, j: number) => number {
  const sign = desc ? -1 : 1;
  if (!alpha) {
    return (i, j) => {
      const x = sc[i], y = sc[j];
      return x > y ? sign : x < y ? -sign : sign * binCompare(v[i].obj, v[j].obj);
    };
  }
  return (i, j) => {
    const x = keys[i], y = keys[j];
    if (x === null || y === null) return x === y ? 0 : x === null ? -sign : sign;
    return x < y ? -sign : x > y ? sign : 0;
  };
}

/**
 * The whole vector, as glibc's qsort (a stable merge sort) orders it. It sorts positions in a
 * typed array (also a stable sort) over weights copied into another: several times faster in
 * V8 than sorting the objects themselves.
 */
export function fullSort(v: SortItem[]): void {
  const n = v.length;
  if (n < 2) return;
  if (order.length < n) {
    order = new Uint32Array(n + (n >> 1));
    scores = new Float64Array(order.length);
  }
  const ix = order.subarray(0, n);
  for (let i = 0; i < n; i++) {
    ix[i] = i;
    scores[i] = v[i].score;
  }
  if (alpha) {
    keys.length = n;
    for (let i = 0; i < n; i++) keys[i] = v[i].key;
  }
  ix.sort(comparator(v, scores, keys));
  for (let i = 0; i < n; i++) sorted.push(v[ix[i]]);
  for (let i = 0; i < n; i++) v[i] = sorted[i];
  sorted.length = 0;
  keys.length = 0;
}
