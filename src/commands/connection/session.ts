/**
 * The connection's own state: SELECT (its database), HELLO (protocol, name, AUTH), QUIT. They
 * run on the client's own shard.
 */
import type { Ctx } from "../context.ts";
import { INVALID_DB } from "../errors.ts";
import { int32Arg } from "../args.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { parseInt64 } from "../../util/numbers.ts";
import { REDIS_VERSION } from "../../util/version.ts";
import { authenticate } from "../acl/auth.ts";
import { WRONGPASS } from "../acl/deny.ts";

/** QUIT: +OK, then the connection closes once its replies are out. */
export function quit(ctx: Ctx): void {
  ctx.w.ok();
  if (ctx.client !== null) ctx.client.closing = true;
}

/** SELECT index */
export function select(ctx: Ctx, argv: Uint8Array[]): void {
  const id = int32Arg(ctx, argv[1], null);
  if (id === null) return;
  if (id < 0 || id >= ctx.shard.dbs.length) return ctx.w.error(INVALID_DB);
  ctx.client!.db = id;
  ctx.w.ok();
}

/** Client names: printable ASCII without spaces, as Redis's clientSetName requires. */
export function validClientName(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] < 33 || b[i] > 126) return false;
  return true;
}
export const BAD_CLIENT_NAME =
  "ERR Client names cannot contain spaces, newlines or special characters.";

/** HELLO [protover [AUTH username password] [SETNAME clientname]] */
export function hello(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const c = ctx.client!;
  let ver = 0;
  let next = 1;
  if (argc >= 2) {
    const v = parseInt64(argv[next++]);
    if (v === null) {
      return ctx.w.error("ERR Protocol version is not an integer or out of range");
    }
    if (v < 2 || v > 3) return ctx.w.error("NOPROTO unsupported protocol version");
    ver = Number(v);
  }
  let name: Uint8Array | null = null;
  for (let j = next; j < argc; j++) {
    const more = argc - 1 - j;
    if (eqi(argv[j], "auth") && more >= 2) {
      if (!authenticate(c, argv[0], argv[j + 1], argv[j + 2])) return ctx.w.error(WRONGPASS);
      j += 2;
    } else if (eqi(argv[j], "setname") && more >= 1) {
      name = argv[++j];
    } else {
      return ctx.w.error(`ERR Syntax error in HELLO option '${latin1(argv[j])}'`);
    }
  }
  if (name !== null) {
    if (!validClientName(name)) return ctx.w.error(BAD_CLIENT_NAME);
    c.name = latin1(name);
  }
  if (!c.authenticated) {
    return ctx.w.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the " +
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select " +
        "the RESP protocol version at the same time",
    );
  }
  if (ver !== 0) c.proto = ver as 2 | 3;
  const w = ctx.w;
  w.proto = c.proto;
  w.mapHeader(7);
  w.bulkStr("server");
  w.bulkStr("redis");
  w.bulkStr("version");
  w.bulkStr(REDIS_VERSION);
  w.bulkStr("proto");
  w.integer(c.proto);
  w.bulkStr("id");
  w.integer(c.id);
  w.bulkStr("mode");
  w.bulkStr("standalone");
  w.bulkStr("role");
  w.bulkStr("master");
  w.bulkStr("modules");
  w.arrayHeader(0);
}
