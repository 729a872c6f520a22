/** Reading a key's expiry: TTL, PTTL, EXPIRETIME, PEXPIRETIME. */
import type { Ctx } from "../context.ts";
import { latin1 } from "../../util/bytes.ts";

/**
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME: the remaining time or the absolute expiry (`absolute`),
 * in milliseconds (`ms`) or rounded seconds; -2 when the key is absent, -1 without a TTL.
 */
export function ttlGeneric(ctx: Ctx, argv: Uint8Array[], ms: boolean, absolute: boolean): void {
  const e = ctx.db.peek(latin1(argv[1]), ctx.now);
  if (e === undefined) return ctx.w.integer(-2);
  if (e.expireAt === 0) return ctx.w.integer(-1);
  if (e.expireExact !== undefined) {
    const x = absolute ? e.expireExact : e.expireExact - BigInt(ctx.now);
    return ctx.w.int64(ms ? x : (x + 500n) / 1000n);
  }
  if (absolute) return ctx.w.integer(ms ? e.expireAt : Math.floor((e.expireAt + 500) / 1000));
  const ttl = Math.max(0, e.expireAt - ctx.now);
  ctx.w.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
}
