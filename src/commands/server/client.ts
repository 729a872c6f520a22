/**
 * CLIENT ID/SETNAME/GETNAME/INFO run on the client's own shard; CLIENT LIST and KILL run on
 * every shard (each lists or kills its own connections) and are folded.
 */
import type { Ctx } from "../context.ts";
import type { ReplyWriter } from "../../resp/writer.ts";
import type { SplitPlan } from "../table.ts";
import { NO_SUCH_CLIENT, SYNTAX } from "../errors.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { BAD_CLIENT_NAME, validClientName } from "../connection/session.ts";
import { readInteger, readReply } from "../../resp/reply_reader.ts";
import { clientInfoLine } from "./client_info.ts";
import { aclUsers } from "../acl/state.ts";

export { clientInfoLine };

/** CLIENT ID */
export function clientId(ctx: Ctx): void {
  ctx.w.integer(ctx.client!.id);
}

/** CLIENT SETNAME name */
export function clientSetname(ctx: Ctx, argv: Uint8Array[]): void {
  if (!validClientName(argv[2])) return ctx.w.error(BAD_CLIENT_NAME);
  ctx.client!.name = latin1(argv[2]);
  ctx.w.ok();
}

/** CLIENT GETNAME: null when no name was set. */
export function clientGetname(ctx: Ctx): void {
  const n = ctx.client!.name;
  if (n === "") ctx.w.nullBulk();
  else ctx.w.bulkStr(n);
}

/** CLIENT INFO: the connection's own CLIENT LIST line. */
export function clientInfo(ctx: Ctx): void {
  ctx.w.verbatim(clientInfoLine(ctx.client!, ctx.now));
}

/** CLIENT LIST [TYPE type] [ID id ...]: this shard's part. */
export function clientList(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let ids: Set<number> | null = null;
  let typeOk = true;
  for (let i = 2; i < argc; i++) {
    if (eqi(argv[i], "type") && i + 1 < argc) {
      const t = latin1(argv[++i]).toLowerCase();
      if (!["normal", "master", "replica", "slave", "pubsub"].includes(t)) {
        return ctx.w.error(`ERR Unknown client type '${latin1(argv[i])}'`);
      }
      typeOk = t === "normal";
    } else if (eqi(argv[i], "id") && i + 1 < argc) {
      ids = new Set();
      for (i++; i < argc; i++) {
        const v = parseInt64(argv[i]);
        if (v === null || v <= 0) return ctx.w.error("ERR Invalid client ID");
        ids.add(Number(v));
      }
    } else {
      return ctx.w.error(SYNTAX);
    }
  }
  let out = "";
  if (typeOk) {
    for (const c of ctx.shard.clients()) {
      if (ids === null || ids.has(c.id)) out += clientInfoLine(c, ctx.now);
    }
  }
  ctx.w.bulkStr(out);
}

/** CLIENT LIST's fold: the shards' lines joined. */
export function foldList(parts: Uint8Array[], w: ReplyWriter): void {
  let out = "";
  for (const p of parts) {
    const r = readReply(p, 0)![0];
    if (r !== null && typeof r === "object" && "error" in r) return w.raw(p);
    if (r instanceof Uint8Array) out += latin1(r);
  }
  w.verbatim(out);
}

interface KillFilter {
  id?: number;
  addr?: string;
  laddr?: string;
  skipme: boolean;
  maxage?: number;
  normalOnly: boolean;
  user?: string;
}

/** CLIENT KILL addr:port | CLIENT KILL <filter> <value> ...: this shard's part (a count). */
export function clientKill(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const f: KillFilter = { skipme: true, normalOnly: false };
  if (argc === 3) {
    f.addr = latin1(argv[2]);
    f.skipme = false;
  } else if (argc > 3) {
    for (let i = 2; i < argc; i += 2) {
      if (i + 1 >= argc) return ctx.w.error(SYNTAX);
      const v = argv[i + 1];
      if (eqi(argv[i], "id")) {
        const n = parseInt64(v);
        if (n === null || n <= 0) return ctx.w.error("ERR client-id should be greater than 0");
        f.id = Number(n);
      } else if (eqi(argv[i], "type")) {
        const t = latin1(v).toLowerCase();
        if (!["normal", "master", "replica", "slave", "pubsub"].includes(t)) {
          return ctx.w.error(`ERR Unknown client type '${latin1(v)}'`);
        }
        f.normalOnly = true;
        if (t !== "normal") f.id = -1; // no such clients here
      } else if (eqi(argv[i], "addr")) f.addr = latin1(v);
      else if (eqi(argv[i], "laddr")) f.laddr = latin1(v);
      else if (eqi(argv[i], "user")) {
        f.user = latin1(v);
        if (aclUsers().get(f.user) === undefined) {
          return ctx.w.error(`ERR No such user '${f.user}'`);
        }
      } else if (eqi(argv[i], "skipme")) {
        if (eqi(v, "yes")) f.skipme = true;
        else if (eqi(v, "no")) f.skipme = false;
        else return ctx.w.error(SYNTAX);
      } else if (eqi(argv[i], "maxage")) {
        const n = parseInt64(v);
        if (n === null || n < 0) return ctx.w.error(SYNTAX);
        f.maxage = Number(n);
      } else return ctx.w.error(SYNTAX);
    }
  } else {
    return ctx.w.error(SYNTAX);
  }
  let n = 0;
  for (const c of [...ctx.shard.clients()]) {
    // already killed, on its way out: not killed twice (the listen engine drops it later)
    if (c.killed) continue;
    if (f.id !== undefined && c.id !== f.id) continue;
    if (f.addr !== undefined && c.addr !== f.addr) continue;
    if (f.laddr !== undefined && c.laddr !== f.laddr) continue;
    if (f.user !== undefined && c.user.name !== f.user) continue;
    if (f.maxage !== undefined && (ctx.now - c.createdAt) / 1000 < f.maxage) continue;
    if (c === ctx.client && f.skipme) continue;
    n++;
    c.closing = true;
    if (c !== ctx.client) c.kill();
  }
  ctx.w.integer(n);
}

/**
 * CLIENT KILL's fold: the count added up; the old addr:port form answers +OK or "No such
 * client" instead.
 */
export function foldKill(parts: Uint8Array[], w: ReplyWriter, plan: SplitPlan): void {
  let n = 0;
  for (const p of parts) {
    if (p[0] === 45) return w.raw(p);
    n += readInteger(p, 0);
  }
  if (plan.argc !== 3) return w.integer(n);
  if (n === 0) w.error(NO_SUCH_CLIENT);
  else w.ok();
}
