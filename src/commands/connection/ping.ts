/** Answers that need no state: PING, ECHO, TIME. */
import type { Ctx } from "../context.ts";

/** PING [message] */
export function ping(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc > 2) return ctx.w.error("ERR wrong number of arguments for 'ping' command");
  if (argc === 1) ctx.w.simple("PONG");
  else ctx.w.bulk(argv[1]);
}

/** ECHO message */
export function echo(ctx: Ctx, argv: Uint8Array[]): void {
  ctx.w.bulk(argv[1]);
}

/** TIME: [unix seconds, microseconds], as strings. */
export function time(ctx: Ctx): void {
  const us = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  ctx.w.arrayHeader(2);
  ctx.w.bulkStr(String(us / 1000000n));
  ctx.w.bulkStr(String(us % 1000000n));
}
