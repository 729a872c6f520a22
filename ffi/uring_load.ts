/**
 * Finding, building (on first use) and opening the io_uring shim, and probing
 * whether io_uring works on this machine.
 */
import { ABI_VERSION, SYMBOLS, type UringLib } from "./uring_symbols.ts";

const LIB_NAME = "libskua_uring.so";
const SOURCES = ["skua_uring.c", "skua_net.c", "skua_probe.c", "skua_uring.h", "skua_internal.h"];

let cached: UringLib | { error: string } | undefined;
let probed: { ok: true } | { ok: false; reason: string } | undefined;

/** native/ next to this file's parent, when this module is a local file. */
function nativeDir(): string | null {
  const url = new URL("../native/", import.meta.url);
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : null;
}

function mtime(path: string): number | null {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return null;
  }
}

/** True when the .so is missing or older than any shim source that exists. */
function needsBuild(dir: string, lib: string): boolean {
  const built = mtime(lib);
  if (built === null) return true;
  return SOURCES.some((f) => (mtime(dir + f) ?? 0) > built);
}

/** Runs native/build.sh; returns null on success, else its one-line reason. */
function build(dir: string): string | null {
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command("sh", { args: [dir + "build.sh"], stdout: "null", stderr: "piped" })
      .outputSync();
  } catch (e) {
    const why = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "needs --allow-run"
      : (e as Error).message;
    return `cannot run native/build.sh (${why})`;
  }
  if (out.success) return null;
  const text = new TextDecoder().decode(out.stderr).trim().split("\n");
  return text[text.length - 1] || `native/build.sh exited with ${out.code}`;
}

function open(path: string): UringLib | { error: string } {
  let lib: UringLib;
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch (e) {
    return { error: `cannot load ${path}: ${(e as Error).message}` };
  }
  const abi = lib.symbols.sk_abi_version();
  if (abi !== ABI_VERSION) {
    lib.close();
    return {
      error: `${path} has ABI ${abi}, expected ${ABI_VERSION} (rebuild: deno task build:native)`,
    };
  }
  return lib;
}

/**
 * Opens the shim, building it first when it is missing or older than its
 * sources and a C compiler is available. `SKUA_URING_LIB` overrides the path
 * (e.g. for a `deno compile`d binary, whose sources are not on disk). The
 * result is cached per isolate (each shard Worker opens its own handle to the
 * same library).
 */
export function loadUring(): UringLib | { error: string } {
  if (cached) return cached;
  cached = locateAndOpen();
  return cached;
}

function locateAndOpen(): UringLib | { error: string } {
  if (Deno.build.os !== "linux") return { error: "io_uring is Linux-only" };
  let override: string | undefined;
  try {
    override = Deno.env.get("SKUA_URING_LIB");
  } catch { /* no --allow-env: use the default location */ }
  if (override) return open(override);
  const dir = nativeDir();
  if (dir === null) return { error: `cannot locate native/ from ${import.meta.url}` };
  const libPath = dir + "build/" + LIB_NAME;
  let stale: boolean;
  try {
    stale = needsBuild(dir, libPath);
  } catch (e) {
    return { error: `cannot stat ${libPath}: ${(e as Error).message}` };
  }
  if (stale && mtime(dir + "build.sh") !== null) {
    const failure = build(dir);
    // A stale library still beats none; a missing one is fatal.
    if (failure !== null && mtime(libPath) === null) return { error: failure };
  }
  return open(libPath);
}

/** Last failure reason recorded by the shim on the calling thread. */
export function lastError(lib: UringLib): string {
  const buf = new Uint8Array(256);
  const n = lib.symbols.sk_last_error(buf, buf.length);
  return new TextDecoder().decode(buf.subarray(0, Math.max(0, n)));
}

/**
 * Can the io_uring reactor run here? Loads (or builds) the shim, then has it
 * exercise every feature the reactor uses on a throwaway ring. Cached.
 */
export function probeUring(): { ok: true } | { ok: false; reason: string } {
  if (probed) return probed;
  const lib = loadUring();
  if ("error" in lib) {
    probed = { ok: false, reason: lib.error };
  } else {
    const rc = lib.symbols.sk_probe();
    probed = rc === 0 ? { ok: true } : { ok: false, reason: lastError(lib) || `sk_probe: ${rc}` };
  }
  return probed;
}
