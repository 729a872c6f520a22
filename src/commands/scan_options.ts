/**
 * The options of the scans of one key (SSCAN, HSCAN, ZSCAN; Redis's scanGenericCommand):
 * the key and its type are checked first, then COUNT and MATCH, in Redis's order, so the same
 * bad request gets the same reply. The cursor is parsed before (parseCursor, keys/scan.ts).
 */
import type { Ctx } from "./context.ts";
import { NOT_INTEGER, SYNTAX } from "./errors.ts";
import { readTyped, WRONG } from "./lookup.ts";
import { eqi, latin1 } from "../util/bytes.ts";
import { parseInt64 } from "../util/numbers.ts";

/** Redis's reply to a scan of a missing key (the same bytes in RESP2 and RESP3). */
const EMPTY_SCAN = Uint8Array.from("*2\r\n$1\r\n0\r\n*0\r\n", (c) => c.charCodeAt(0));

/** COUNT of the last scanArgs() call (per-Worker; read right after the call) */
export let scanCount = 10;
/** MATCH of the last scanArgs() call, null for none or "*" (per-Worker; read right after) */
export let scanPattern: string | null = null;

/**
 * SSCAN / HSCAN / ZSCAN after the cursor: the key (missing: Redis's empty page) and its type,
 * then the COUNT / MATCH options (left in scanCount / scanPattern). Returns the key's record
 * (a ref, valid until the next write), or 0 when replied.
 */
export function scanArgs(ctx: Ctx, argv: Uint8Array[], argc: number, type: number): number {
  const r = readTyped(ctx, argv[1], type);
  if (r === 0) {
    ctx.w.raw(EMPTY_SCAN);
    return 0;
  }
  if (r === WRONG) return 0;
  scanCount = 10;
  scanPattern = null;
  for (let i = 3; i < argc; i += 2) {
    const o = argv[i];
    if (i + 1 >= argc) return error(ctx, SYNTAX);
    if (eqi(o, "count")) {
      const v = parseInt64(argv[i + 1]);
      if (v === null) return error(ctx, NOT_INTEGER);
      if (v < 1) return error(ctx, SYNTAX);
      scanCount = Number(v);
    } else if (eqi(o, "match")) {
      const p = latin1(argv[i + 1]);
      scanPattern = p === "*" ? null : p;
    } else {
      return error(ctx, SYNTAX);
    }
  }
  return r;
}

/** Replies msg; 0, scanArgs's "replied". */
function error(ctx: Ctx, msg: string): number {
  ctx.w.error(msg);
  return 0;
}
