/**
 * Server commands: INFO (info.ts), CONFIG (config.ts), CLIENT (client.ts), COMMAND
 * (command.ts). None has keys: each runs on the client's own shard, or on every shard with
 * the replies folded where each shard answers for what it owns.
 */
import { cmd, type CommandSpec } from "../table.ts";
import { foldAllOk } from "../folds.ts";
import { foldInfo, infoPart } from "./info.ts";
import { debug, debugTarget } from "./debug.ts";
import { isReload } from "./debug_reload.ts";
import { configGet, configResetstat, configSet } from "./config.ts";
import {
  clientGetname,
  clientId,
  clientInfo,
  clientKill,
  clientList,
  clientSetname,
  foldKill,
  foldList,
} from "./client.ts";
import {
  commandAll,
  commandCount,
  commandDocs,
  commandGetkeys,
  commandInfo,
  commandList,
} from "./command.ts";
import {
  foldMemoryDoctor,
  foldMemoryPurge,
  foldMemoryStats,
  memoryHelp,
  memoryMallocStats,
  memoryPart,
  memoryUsage,
} from "./memory.ts";

export const server: CommandSpec[] = [
  cmd("info", infoPart, { fanout: foldInfo }),
  cmd("config|get", configGet),
  cmd("config|set", configSet, { fanout: foldAllOk }),
  cmd("config|resetstat", configResetstat, { fanout: foldAllOk }),
  cmd("client|id", clientId),
  cmd("client|setname", clientSetname),
  cmd("client|getname", clientGetname),
  cmd("client|info", clientInfo),
  cmd("client|list", clientList, { fanout: foldList }),
  cmd("client|kill", clientKill, { fanout: foldKill }),
  // COMMAND itself has a handler (COMMAND INFO of everything), listed before its subcommands
  cmd("command", commandAll),
  cmd("command|count", commandCount),
  cmd("command|info", commandInfo),
  cmd("command|docs", commandDocs),
  cmd("command|getkeys", commandGetkeys),
  cmd("command|list", commandList),
  cmd("memory|usage", memoryUsage),
  cmd("memory|stats", memoryPart, { fanout: foldMemoryStats }),
  cmd("memory|doctor", memoryPart, { fanout: foldMemoryDoctor }),
  cmd("memory|purge", memoryPart, { fanout: foldMemoryPurge }),
  cmd("memory|malloc-stats", memoryMallocStats),
  cmd("memory|help", memoryHelp),
  cmd("debug", debug, {
    target: debugTarget,
    protectedBy: "enable-debug-command",
    everyWhen: { test: isReload, fold: foldAllOk },
  }),
];
