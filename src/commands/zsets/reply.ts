/** The member/score reply shapes of the sorted-set commands, in RESP2 and RESP3. */
import type { ReplyWriter } from "../../resp/writer.ts";

/** Array header for n members, with scores (flat in RESP2, pairs in RESP3) or without. */
export function pairsHeader(w: ReplyWriter, n: number, withscores: boolean): void {
  w.arrayHeader(withscores && w.proto !== 3 ? n * 2 : n);
}

/** One member, with its score as a RESP3 pair or two RESP2 bulks when withscores. */
export function writePair(w: ReplyWriter, member: string, score: number, withscores: boolean) {
  if (withscores && w.proto === 3) w.arrayHeader(2);
  w.bulkStr(member);
  if (withscores) w.double(score);
}
