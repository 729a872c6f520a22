/**
 * The generic keyspace: keys one at a time (delete.ts), walking the keyspace (scan.ts), names
 * and databases of a value (rename.ts), whole databases (databases.ts), OBJECT (object.ts) and
 * values as RDB payloads, DUMP / RESTORE (dump.ts).
 * The expiry commands are their own family (../expire/).
 */
import { cmd, type CommandSpec } from "../table.ts";
import { foldAllOk, foldConcat, foldSum } from "../folds.ts";
import { del, exists, touch, type } from "./delete.ts";
import { foldRandomKey, keysPart, randomkeyPart, scan, scanTarget } from "./scan.ts";
import { copy, copyKeyDb, move, renameGeneric } from "./rename.ts";
import { dbsize, flushall, flushdb, swapdb } from "./databases.ts";
import { dump, restore } from "./dump.ts";
import {
  objectEncoding,
  objectFreq,
  objectHelp,
  objectIdletime,
  objectRefcount,
} from "./object.ts";

export const keys: CommandSpec[] = [
  cmd("del", del, { fold: foldSum }),
  cmd("unlink", del, { fold: foldSum }),
  cmd("exists", exists, { fold: foldSum }),
  cmd("touch", touch, { fold: foldSum }),
  cmd("type", type),
  cmd("keys", keysPart, { fanout: foldConcat }),
  cmd("scan", scan, { target: scanTarget }),
  cmd("randomkey", randomkeyPart, { fanout: foldRandomKey }),
  cmd("rename", (c, a) => renameGeneric(c, a, false)),
  cmd("renamenx", (c, a) => renameGeneric(c, a, true)),
  cmd("copy", copy, { keyDb: copyKeyDb }),
  cmd("move", move),
  cmd("dump", dump),
  cmd("restore", restore),
  cmd("dbsize", dbsize, { fanout: foldSum }),
  cmd("flushdb", flushdb, { fanout: foldAllOk }),
  cmd("flushall", flushall, { fanout: foldAllOk }),
  cmd("swapdb", swapdb, { fanout: foldAllOk }),
  cmd("object|encoding", objectEncoding),
  cmd("object|freq", objectFreq),
  cmd("object|idletime", objectIdletime),
  cmd("object|refcount", objectRefcount),
  cmd("object|help", objectHelp),
];
