/**
 * Every command family, registered explicitly from this one place. Each family's folder has a
 * `mod.ts` that lists its commands one per line (`cmd(name, handler, exceptions)`); from that
 * list to a handler is one hop.
 */
import { CommandTable, commandTable, installCommandTable } from "./table.ts";
import { connection } from "./connection/mod.ts";
import { server } from "./server/mod.ts";
import { transactions } from "./transactions/mod.ts";
import { keys } from "./keys/mod.ts";
import { expire } from "./expire/mod.ts";
import { strings } from "./strings/mod.ts";
import { bitmaps } from "./bitmaps/mod.ts";
import { hyperloglog } from "./hyperloglog/mod.ts";
import { lists } from "./lists/mod.ts";
import { hashes } from "./hashes/mod.ts";
import { sets } from "./sets/mod.ts";
import { zsets } from "./zsets/mod.ts";
import { sort } from "./sort/mod.ts";
import { acl } from "./acl/mod.ts";
import { persistence } from "./persistence/mod.ts";

/** The families, in the order COMMAND's sources list them. */
export const FAMILIES = [
  connection,
  server,
  transactions,
  keys,
  expire,
  strings,
  bitmaps,
  hyperloglog,
  lists,
  hashes,
  sets,
  zsets,
  sort,
  acl,
  persistence,
] as const;

let registered = false;

/** Build this Worker's command table from the families (once; later calls return it). */
export function registerCommands(): CommandTable {
  if (!registered) {
    installCommandTable(new CommandTable(FAMILIES.flat()));
    registered = true;
  }
  return commandTable();
}
