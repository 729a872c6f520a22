/**
 * COMMAND, COMMAND COUNT/INFO/DOCS/GETKEYS/LIST, generated from the command table joined with
 * Redis's metadata. Only what Skua implements is listed (subcommands included).
 */
import type { Ctx } from "../context.ts";
import { arityOk, type Command, commandTable } from "../table.ts";
import { keyPositions } from "../keyspec.ts";
import {
  commandDocsReply,
  commandInfoReply,
  commandMeta,
  encodeMetaReply,
  type MetaReply,
} from "../meta.ts";
import { eqi, latin1 } from "../../util/bytes.ts";
import { globMatch } from "../../util/glob.ts";
import { SYNTAX } from "../errors.ts";

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

/** COMMAND: COMMAND INFO of every command. */
export function commandAll(ctx: Ctx): void {
  const cmds = commandTable().all();
  ctx.w.arrayHeader(cmds.length);
  for (const c of cmds) ctx.w.raw(entryBytes(c, false, ctx.w.proto === 3));
}

/** COMMAND COUNT */
export function commandCount(ctx: Ctx): void {
  ctx.w.integer(commandTable().all().length);
}

/** COMMAND INFO [name ...] */
export function commandInfo(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  if (argc === 2) return commandAll(ctx);
  ctx.w.arrayHeader(argc - 2);
  for (let i = 2; i < argc; i++) {
    const c = commandTable().find(latin1(argv[i]));
    if (c === undefined) ctx.w.nullBulk();
    else ctx.w.raw(entryBytes(c, false, ctx.w.proto === 3));
  }
}

/** COMMAND DOCS [name ...] */
export function commandDocs(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  const found: Command[] = [];
  if (argc === 2) found.push(...commandTable().all());
  else {
    for (let i = 2; i < argc; i++) {
      const c = commandTable().find(latin1(argv[i]));
      if (c !== undefined) found.push(c);
    }
  }
  ctx.w.mapHeader(found.length);
  for (const c of found) ctx.w.raw(entryBytes(c, true, ctx.w.proto === 3));
}

/** COMMAND GETKEYS command [arg ...] */
export function commandGetkeys(ctx: Ctx, argv: Uint8Array[], argc: number): void {
  let c = commandTable().find(latin1(argv[2]));
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

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern] */
export function commandList(ctx: Ctx, argv: Uint8Array[], argc: number): void {
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
  for (const c of commandTable().all()) {
    if (filter(c)) names.push(c.fullName);
    if (c.sub !== null) {
      for (const s of new Set(c.sub.values())) if (filter(s)) names.push(s.fullName);
    }
  }
  ctx.w.arrayHeader(names.length);
  for (const n of names) ctx.w.bulkStr(n);
}
