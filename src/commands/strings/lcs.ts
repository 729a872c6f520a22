/**
 * LCS: the longest common subsequence of two string values, by the same dynamic programming
 * table and the same backtracking as Redis, so that among equally long answers the same one
 * (and the same match ranges) come out.
 */
import type { Ctx } from "../context.ts";
import { NOT_INTEGER, SYNTAX } from "../errors.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { TYPE_STRING } from "../../store/types.ts";
import { maxStringLen } from "./bytes.ts";

const EMPTY = new Uint8Array(0);

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN] */
export function lcs(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const w = ctx.w;
  const db = ctx.db;
  const ra = db.lookup(argv[1], ctx.now);
  const rb = db.lookup(argv[2], ctx.now);
  if ((ra !== 0 && db.typeOf(ra) !== TYPE_STRING) || (rb !== 0 && db.typeOf(rb) !== TYPE_STRING)) {
    return w.error("ERR The specified keys must contain string values");
  }
  let getidx = false, getlen = false, withmatchlen = false;
  let minmatchlen = 0;
  for (let j = 3; j < argc; j++) {
    const o = argv[j];
    if (eqi(o, "idx")) getidx = true;
    else if (eqi(o, "len")) getlen = true;
    else if (eqi(o, "withmatchlen")) withmatchlen = true;
    else if (eqi(o, "minmatchlen") && j < argc - 1) {
      const v = parseInt64(argv[++j]);
      if (v === null) return w.error(NOT_INTEGER);
      minmatchlen = v < 0 ? 0 : Number(v);
    } else return w.error(SYNTAX);
  }
  if (getidx && getlen) {
    return w.error("ERR If you want both the length and indexes, please just use IDX.");
  }
  // copies: the tables below are built while nothing else may move the values
  const a = ra === 0 ? EMPTY : db.str(ra).slice();
  const b = rb === 0 ? EMPTY : db.str(rb).slice();
  const alen = a.length, blen = b.length;
  if ((alen + 1) * (blen + 1) * 4 > maxStringLen(ctx)) {
    return w.error(
      "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
    );
  }
  if (getlen) return w.integer(lcsLength(a, b));
  // LCS(i, j) at dp[j + i * (blen + 1)]; its values never exceed min(alen, blen)
  const cols = blen + 1;
  const cells = (alen + 1) * cols;
  const dp = Math.min(alen, blen) < 65536 ? new Uint16Array(cells) : new Uint32Array(cells);
  for (let i = 1; i <= alen; i++) {
    const ai = a[i - 1];
    const row = i * cols, up = row - cols;
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) dp[row + j] = dp[up + j - 1] + 1;
      else {
        const l1 = dp[up + j], l2 = dp[row + j - 1];
        dp[row + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  const total = dp[alen * cols + blen];

  const result = new Uint8Array(total);
  let idx = total;
  // ranges are collected first: the reply needs their count before them
  const ranges: number[] = [];
  let aStart = alen, aEnd = 0, bStart = 0, bEnd = 0;
  let i = alen, j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--, i--, j--;
    } else {
      if (dp[(i - 1) * cols + j] > dp[i * cols + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (getidx && (minmatchlen === 0 || matchLen >= minmatchlen)) {
        ranges.push(aStart, aEnd, bStart, bEnd, matchLen);
      }
      aStart = alen;
    }
  }
  if (!getidx) return w.bulkStr(latin1(result));
  w.mapHeader(2);
  w.bulkStr("matches");
  w.arrayHeader(ranges.length / 5);
  for (let k = 0; k < ranges.length; k += 5) {
    w.arrayHeader(withmatchlen ? 3 : 2);
    w.arrayHeader(2);
    w.integer(ranges[k]);
    w.integer(ranges[k + 1]);
    w.arrayHeader(2);
    w.integer(ranges[k + 2]);
    w.integer(ranges[k + 3]);
    if (withmatchlen) w.integer(ranges[k + 4]);
  }
  w.bulkStr("len");
  w.integer(total);
}

/** The LCS length alone: the same recurrence, two rows at a time. */
function lcsLength(a: Uint8Array, b: Uint8Array): number {
  const blen = b.length;
  let up = new Uint32Array(blen + 1);
  let row = new Uint32Array(blen + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) row[j] = up[j - 1] + 1;
      else {
        const l1 = up[j], l2 = row[j - 1];
        row[j] = l1 > l2 ? l1 : l2;
      }
    }
    const t = up;
    up = row;
    row = t;
  }
  return up[blen];
}
