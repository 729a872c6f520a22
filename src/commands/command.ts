/**
 * COMMAND, COMMAND COUNT/INFO/DOCS/GETKEYS/LIST, generated from the command table joined with
 * Redis's metadata. Only what Skua implements is listed (subcommands included).
 */
import {
  allCommands,
  arityOk,
  type Command,
  type CommandSpec,
  type Ctx,
  findCommand,
  keyPositions,
  register,
  ROUTE_LOCAL,
} from "./table.ts";
import {
  commandDocsReply,
  commandInfoReply,
  commandMeta,
  encodeMetaReply,
  type MetaReply,
} from "./meta.ts";
import { eqi, latin1 } from "../util/bytes.ts";
import { globMatch } from "../config/glob.ts";
import { SYNTAX } from "./errors.ts";

const cache = new Map<string, Uint8Array>();

function implementedSubs(c: Command): string[] {
  if (c.sub === null) return [];
  const names = new Set<string>();
  for (const s of c.sub.values()) names.add(s.fullName);
  return [...names].sort();
}

/** RESP bytes of one COMMAND INFO element, or DOCS entry (name + docs map). */
function entryBytes(c: Command, docs: boolean, resp3: boolean): Uint8Array {
  const key = `${docs ? "d" : "i"}${resp3 ? 3 : 2}${c.fullName}`;
  let b = cache.get(key);
  if (b !== undefined) return b;
  const meta = { ...commandMeta(c.fullName)!, subcommands: implementedSubs(c) };
  if (docs) {
    const r: MetaReply = { t: "array", v: [{ t: "bulk", v: c.fullName }, commandDocsReply(meta)] };
    const full = encodeMetaReply(r, resp3);
    // drop the 2-element array header: callers write a map header and then name + docs pairs
    b = full.subarray(full.indexOf(10) + 1);
  } else {
    b = encodeMetaReply(commandInfoReply(meta), resp3);
  }
  cache.set(key, b);
  return b;
}

function all(ctx: Ctx): void {
  const cmds = allCommands();
  ctx.w.arrayHeader(cmds.length);
  for (const c of cmds) ctx.w.raw(entryBytes(c, false, ctx.w.proto === 3));
}

function count(ctx: Ctx): void {
  ctx.w.integer(allCommands().length);
}

function info(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc === 2) return all(ctx);
  ctx.w.arrayHeader(argc - 2);
  for (let i = 2; i < argc; i++) {
    const c = findCommand(latin1(argv[i]));
    if (c === undefined) ctx.w.nullBulk();
    else ctx.w.raw(entryBytes(c, false, ctx.w.proto === 3));
  }
}

function docs(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const found: Command[] = [];
  if (argc === 2) found.push(...allCommands());
  else {
    for (let i = 2; i < argc; i++) {
      const c = findCommand(latin1(argv[i]));
      if (c !== undefined) found.push(c);
    }
  }
  ctx.w.mapHeader(found.length);
  for (const c of found) ctx.w.raw(entryBytes(c, true, ctx.w.proto === 3));
}

function getkeys(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let c = findCommand(latin1(argv[2]));
  if (c !== undefined && c.sub !== null && argc > 3) {
    c = c.sub.get(latin1(argv[3]).toLowerCase()) ?? c;
  }
  if (c === undefined) return ctx.w.error("ERR Invalid command specified");
  const av = argv.slice(2, argc);
  if (!arityOk(c, av.length)) {
    return ctx.w.error("ERR Invalid number of arguments specified for command");
  }
  const pos: number[] = [];
  keyPositions(c, av.length, pos, av);
  if (pos.length === 0) return ctx.w.error("ERR The command has no key arguments");
  ctx.w.arrayHeader(pos.length);
  for (const p of pos) ctx.w.bulk(av[p]);
}

function list(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let filter: (c: Command) => boolean = () => true;
  if (argc === 5 && eqi(argv[2], "filterby")) {
    const v = latin1(argv[4]);
    if (eqi(argv[3], "module")) filter = () => false;
    else if (eqi(argv[3], "aclcat")) {
      filter = (c) => commandMeta(c.fullName)!.aclCategories.includes("@" + v.toLowerCase());
    } else if (eqi(argv[3], "pattern")) filter = (c) => globMatch(v, c.fullName, true);
    else return ctx.w.error(SYNTAX);
  } else if (argc !== 2) {
    return ctx.w.error(SYNTAX);
  }
  const names: string[] = [];
  for (const c of allCommands()) {
    if (filter(c)) names.push(c.fullName);
    if (c.sub !== null) {
      for (const s of new Set(c.sub.values())) if (filter(s)) names.push(s.fullName);
    }
  }
  ctx.w.arrayHeader(names.length);
  for (const n of names) ctx.w.bulkStr(n);
}

export const specs: CommandSpec[] = [
  {
    name: "command",
    route: ROUTE_LOCAL,
    handler: all,
    sub: [
      { name: "count", route: ROUTE_LOCAL, handler: count },
      { name: "info", route: ROUTE_LOCAL, handler: info },
      { name: "docs", route: ROUTE_LOCAL, handler: docs },
      { name: "getkeys", route: ROUTE_LOCAL, handler: getkeys },
      { name: "list", route: ROUTE_LOCAL, handler: list },
    ],
  },
];

register(specs);
