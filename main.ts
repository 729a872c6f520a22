/**
 * `deno run -A main.ts [flags]`: configuration -> supervisor -> shard Workers.
 * Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 1 on a configuration or startup error,
 * 70 when a shard crashed after startup (logged with its id and stack: src/server/failure.ts).
 */
import { ConfigError, HELP_TEXT, loadConfig } from "./src/config/mod.ts";
import { startServer, StartupError } from "./src/server/supervisor.ts";
import { log, setLogFile, setLogLevel } from "./src/util/log.ts";
import { SKUA_VERSION } from "./src/util/version.ts";

function fail(msg: string): never {
  console.error(`skua: ${msg}`);
  Deno.exit(1);
}

async function main(args: string[]): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP_TEXT);
    return;
  }
  if (args.includes("--version") || args.includes("-v")) {
    console.log(`skua ${SKUA_VERSION}`);
    return;
  }
  let cfg;
  try {
    cfg = loadConfig(args, Deno.env.toObject(), (p) => {
      try {
        return Deno.readTextFileSync(p);
      } catch {
        return null;
      }
    });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  setLogLevel(cfg.loglevel);
  try {
    setLogFile(cfg.params.get("logfile") ?? "");
  } catch (e) {
    fail(`Can't open the log file: ${(e as Error).message}`);
  }
  const pidfile = cfg.params.get("pidfile") ?? "";
  // listen for signals before the ready line: a SIGTERM right after it must still exit 0
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  const shutdown = async (sig: string) => {
    log("notice", `received ${sig}, shutting down`);
    await server?.stop();
    if (pidfile !== "") removePidFile(pidfile);
    log("notice", "bye");
    Deno.exit(0);
  };
  // with a save to do (save points, shutdown-on-sig* save) the shards save first, then exit
  const onSignal = (sig: "SIGINT" | "SIGTERM") => {
    if (server === null || !server.signal(sig === "SIGINT" ? 2 : 15)) shutdown(sig);
  };
  Deno.addSignalListener("SIGINT", () => onSignal("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => onSignal("SIGTERM"));
  // before the ready line, as Redis does: whoever waits for that line may read the pidfile
  if (pidfile !== "") writePidFile(pidfile);
  try {
    server = await startServer(cfg);
  } catch (e) {
    if (pidfile !== "") removePidFile(pidfile);
    if (e instanceof StartupError) fail(e.message);
    throw e;
  }
  // SHUTDOWN (or a signal's, once saved): the same clean exit
  server.onShutdown = (why) => shutdown(why);
}

/** Redis's createPidFile: a failure is logged, not fatal. */
function writePidFile(path: string): void {
  try {
    Deno.writeTextFileSync(path, `${Deno.pid}\n`);
  } catch (e) {
    log("warning", `Failed to write PID file: ${(e as Error).message}`);
  }
}

function removePidFile(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // already gone: nothing to clean
  }
}

if (import.meta.main) await main(Deno.args);
