/** HRANDFIELD (Redis 7.0 hrandfieldWithCountCommand): its replies depend on the encoding. */
import type { Ctx } from "../context.ts";
import type { StringValue } from "../../store/types.ts";
import type { HashValue } from "../../store/hash.ts";
import { NOT_INTEGER, SYNTAX } from "../errors.ts";
import { eqi } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { readHash } from "./lookup.ts";

const INT64_MIN = -9223372036854775808n;
/** LONG_MAX / 2: the largest |count| HRANDFIELD accepts WITHVALUES */
const HALF_LONG_MAX = 4611686018427387903n;
/** Random picks with repetition are made and written in chunks of this many (as Redis does). */
const SAMPLE_CHUNK = 1000;

/** Reused between calls; emptied before and after each use, so they never hold stale values. */
const fields: string[] = [];
const values: StringValue[] = [];

function release(): void {
  fields.length = 0;
  values.length = 0;
}

/** Writes fields[i] (and values[i]) for every collected entry, in the reply shape of HRANDFIELD. */
function writePicked(ctx: Ctx, withValues: boolean): void {
  const w = ctx.w;
  const nested = withValues && w.proto === 3;
  for (let i = 0; i < fields.length; i++) {
    if (nested) w.arrayHeader(2);
    w.bulkStr(fields[i]);
    if (withValues) w.bulkValue(values[i]);
  }
  release();
}

/** HRANDFIELD key [count [WITHVALUES]] */
export function hrandfield(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  release();
  if (argc >= 3) {
    const l = parseInt64(argv[2]);
    if (l === null) return ctx.w.error(NOT_INTEGER);
    if (l === INT64_MIN) {
      return ctx.w.error(
        "ERR value is out of range, value must between -9223372036854775807 and " +
          "9223372036854775807",
      );
    }
    if (argc > 4 || (argc === 4 && !eqi(argv[3], "withvalues"))) return ctx.w.error(SYNTAX);
    const withValues = argc === 4;
    if (withValues && (l < -HALF_LONG_MAX || l > HALF_LONG_MAX)) {
      return ctx.w.error("ERR value is out of range");
    }
    return withCount(ctx, argv, Number(l), withValues);
  }
  const h = readHash(ctx, argv[1]);
  if (h === null) return;
  if (h === undefined) return ctx.w.nullBulk();
  h.randomWithRepeats(1, fields, values);
  ctx.w.bulkStr(fields[0]);
  release();
}

function withCount(ctx: Ctx, argv: Uint8Array[], l: number, withValues: boolean): void {
  const w = ctx.w;
  const h: HashValue | undefined | null = readHash(ctx, argv[1]);
  if (h === null) return;
  if (h === undefined || l === 0) return w.arrayHeader(0);
  const flat = withValues && w.proto === 2;
  let count = l < 0 ? -l : l;
  if (l < 0 || count === 1) {
    // with repetitions, in random order
    w.arrayHeader(flat ? count * 2 : count);
    while (count > 0) {
      const n = count > SAMPLE_CHUNK ? SAMPLE_CHUNK : count;
      count -= n;
      h.randomWithRepeats(n, fields, values);
      writePicked(ctx, withValues);
    }
    return;
  }
  const size = h.size;
  const n = count < size ? count : size;
  w.arrayHeader(flat ? n * 2 : n);
  if (count >= size) h.entries(fields, values);
  else h.randomUnique(count, fields, values);
  writePicked(ctx, withValues);
}
