/** Reading a key's expiry: TTL, PTTL, EXPIRETIME, PEXPIRETIME. */
import type { Ctx } from "../context.ts";

/**
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME: the remaining time or the absolute expiry (`absolute`),
 * in milliseconds (`ms`) or rounded seconds; -2 when the key is absent, -1 without a TTL.
 */
export function ttlGeneric(ctx: Ctx, argv: Uint8Array[], ms: boolean, absolute: boolean): void {
  const db = ctx.db;
  const r = db.peek(argv[1], ctx.now);
  if (r === 0) return ctx.w.integer(-2);
  const exact = db.expireExact(r);
  if (exact === -1) return ctx.w.integer(-1);
  if (typeof exact === "bigint") {
    const x = absolute ? exact : exact - BigInt(ctx.now);
    return ctx.w.int64(ms ? x : (x + 500n) / 1000n);
  }
  if (absolute) return ctx.w.integer(ms ? exact : Math.floor((exact + 500) / 1000));
  const ttl = Math.max(0, exact - ctx.now);
  ctx.w.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
}
