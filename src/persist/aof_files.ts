/**
 * Redis 7.0's multi-part AOF on disk: `dir`/`appenddirname` holds a base file (an RDB with
 * aof-use-rdb-preamble yes, commands otherwise), incr files of commands, and the manifest
 * `appendfilename`.manifest naming them, one line each, exactly as aofInfoFormat writes it:
 * `file appendonly.aof.1.base.rdb seq 1 type b`. Also the reader of AOF commands (RESP arrays,
 * `#` annotation lines skipped) with Redis's handling of a torn tail.
 */
import type { ConfigStore } from "../config/mod.ts";
import { RdbWriter } from "./rdb/writer.ts";
import { syncDir } from "./fsync.ts";
import { eofBytes, writeHeader } from "./rdb/file.ts";

export interface AofFileInfo {
  file: string;
  seq: number;
  type: "b" | "h" | "i";
}

export interface Manifest {
  base: AofFileInfo | null;
  incrs: AofFileInfo[];
}

export interface AofPaths {
  /** `dir`/`appenddirname` */
  dir: string;
  /** appendfilename */
  name: string;
  manifest: string;
}

export function aofPaths(config: ConfigStore): AofPaths {
  const dir = `${config.value("dir") ?? "."}/${config.value("appenddirname") ?? "appendonlydir"}`;
  const name = config.value("appendfilename") ?? "appendonly.aof";
  return { dir, name, manifest: `${dir}/${name}.manifest` };
}

/** Split a manifest line as Redis's sdssplitargs would (quoted names included). */
function splitArgs(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]);
  }
  return out;
}

/** The manifest, or null when there is none; throws with Redis's reason when it is invalid. */
export function readManifest(p: AofPaths): Manifest | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(p.manifest);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const m: Manifest = { base: null, incrs: [] };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const a = splitArgs(line);
    const info: Partial<AofFileInfo> = {};
    for (let i = 0; i + 1 < a.length; i += 2) {
      if (a[i] === "file") info.file = a[i + 1];
      else if (a[i] === "seq") info.seq = Number(a[i + 1]);
      else if (a[i] === "type") info.type = a[i + 1] as AofFileInfo["type"];
    }
    if (info.file === undefined || info.seq === undefined || info.type === undefined) {
      throw new Error("Invalid AOF manifest file format");
    }
    if (info.type === "b") m.base = info as AofFileInfo;
    else if (info.type === "i") m.incrs.push(info as AofFileInfo);
  }
  return m;
}

function line(i: AofFileInfo): string {
  const f = /[\s"]/.test(i.file) ? `"${i.file.replace(/(["\\])/g, "\\$1")}"` : i.file;
  return `file ${f} seq ${i.seq} type ${i.type}\n`;
}

/** Write the manifest atomically (temp file, fsync, rename, fsync of the directory). */
export function writeManifest(p: AofPaths, m: Manifest): void {
  let text = "";
  if (m.base !== null) text += line(m.base);
  for (const i of m.incrs) text += line(i);
  const tmp = `${p.dir}/temp-${p.name}.manifest`;
  writeSynced(tmp, new TextEncoder().encode(text));
  Deno.renameSync(tmp, p.manifest);
  syncDir(p.dir);
}

function writeSynced(path: string, bytes: Uint8Array): void {
  const f = Deno.openSync(path, { write: true, create: true, truncate: true });
  try {
    let off = 0;
    while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
    f.syncSync();
  } finally {
    f.close();
  }
}

/** An RDB of an empty dataset (the base when the AOF starts with nothing in memory). */
export function emptyRdb(checksum: boolean): Uint8Array {
  const w = new RdbWriter({ crc: true });
  writeHeader(w, {
    redisVersion: "7.0.15",
    ctime: Math.floor(Date.now() / 1000),
    usedMem: 0,
  });
  w.byte(0xff);
  const sum = w.checksum();
  const body = w.take();
  const eof = eofBytes(checksum ? sum : null);
  const out = new Uint8Array(body.length - 1 + eof.length);
  out.set(body.subarray(0, body.length - 1));
  out.set(eof, body.length - 1);
  return out;
}

export function incrName(p: AofPaths, seq: number): string {
  return `${p.name}.${seq}.incr.aof`;
}

/**
 * A fresh AOF generation `seq`: an empty base, an empty incr file, then the manifest naming
 * them; the files of the previous manifest are removed (Redis deletes history files).
 */
export function createGeneration(p: AofPaths, seq: number, config: ConfigStore): void {
  Deno.mkdirSync(p.dir, { recursive: true });
  const old = readManifest(p);
  const rdb = config.value("aof-use-rdb-preamble") !== "no";
  const base: AofFileInfo = {
    file: `${p.name}.${seq}.base.${rdb ? "rdb" : "aof"}`,
    seq,
    type: "b",
  };
  writeSynced(
    `${p.dir}/${base.file}`,
    rdb ? emptyRdb(config.value("rdbchecksum") !== "no") : new Uint8Array(0),
  );
  const incr: AofFileInfo = { file: incrName(p, seq), seq, type: "i" };
  Deno.openSync(`${p.dir}/${incr.file}`, { write: true, create: true }).close();
  writeManifest(p, { base, incrs: [incr] });
  if (old === null) return;
  for (const f of [old.base, ...old.incrs]) {
    if (f === null || f.file === base.file || f.file === incr.file) continue;
    try {
      Deno.removeSync(`${p.dir}/${f.file}`);
    } catch {
      // already gone
    }
  }
}

/** One command read from an AOF file; `end` is the offset just past it. */
export interface AofCommand {
  argv: Uint8Array[];
  end: number;
}

export class AofFormatError extends Error {}

/**
 * Every whole command of `buf` (from `from`); `torn` tells the file ended inside a command
 * (Redis's unexpected EOF). A byte that cannot start a command is a format error.
 */
export function readCommands(
  buf: Uint8Array,
  from: number,
): { cmds: AofCommand[]; torn: boolean } {
  const cmds: AofCommand[] = [];
  let p = from;
  const n = buf.length;
  const lineEnd = (q: number): number => {
    const e = buf.indexOf(10, q);
    return e < 0 ? -1 : e;
  };
  const intAt = (s: number, e: number): number => {
    let v = 0;
    for (let i = s; i < e; i++) {
      const c = buf[i] - 48;
      if (c < 0 || c > 9) throw new AofFormatError("bad number");
      v = v * 10 + c;
    }
    return v;
  };
  outer: while (p < n) {
    if (buf[p] === 35) { // '#': an annotation line
      const e = lineEnd(p);
      if (e < 0) return { cmds, torn: true };
      p = e + 1;
      continue;
    }
    if (buf[p] !== 42) throw new AofFormatError("expected '*'");
    const e = lineEnd(p);
    if (e < 0 || buf[e - 1] !== 13) return { cmds, torn: true };
    const argc = intAt(p + 1, e - 1);
    if (argc < 1) throw new AofFormatError("bad argument count");
    let q = e + 1;
    const argv: Uint8Array[] = [];
    for (let i = 0; i < argc; i++) {
      if (q >= n) return { cmds, torn: true };
      if (buf[q] !== 36) throw new AofFormatError("expected '$'");
      const le = lineEnd(q);
      if (le < 0 || buf[le - 1] !== 13) return { cmds, torn: true };
      const len = intAt(q + 1, le - 1);
      const s = le + 1;
      if (s + len + 2 > n) return { cmds, torn: true };
      argv.push(buf.subarray(s, s + len));
      q = s + len + 2;
      if (q > n) break outer;
    }
    cmds.push({ argv, end: q });
    p = q;
  }
  return { cmds, torn: false };
}
