/**
 * Redis-style log lines (`pid:M 23 Nov 2026 10:00:00.000 * message`) filtered by loglevel, on
 * stdout or appended to `logfile`. Each Worker holds its own threshold and file handle; lines
 * are written with O_APPEND in one write each, so the threads' lines never interleave.
 */
const LEVELS = ["debug", "verbose", "notice", "warning", "nothing"];
const MARKS = [".", "-", "*", "#", ""];
let threshold = 2;
let file: Deno.FsFile | null = null;
const enc = new TextEncoder();

export function setLogLevel(level: string): void {
  const i = LEVELS.indexOf(level);
  if (i >= 0) threshold = i;
}

/**
 * Log to `path` (appending, created when missing); "" logs to stdout, as Redis's `logfile ""`.
 * Throws when the file cannot be opened.
 */
export function setLogFile(path: string): void {
  const next = path === "" ? null : Deno.openSync(path, { append: true, create: true });
  file?.close();
  file = next;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function log(level: string, msg: string): void {
  const i = LEVELS.indexOf(level);
  if (i < threshold || i >= 4) return;
  const line = `${Deno.pid}:M ${stamp(new Date())} ${MARKS[i]} ${msg}`;
  if (file === null) return console.log(line);
  try {
    file.writeSync(enc.encode(line + "\n"));
  } catch {
    // a full disk must not take the server down: the line goes to stdout instead
    console.log(line);
  }
}
