/** Redis-style log lines (`pid:M 23 Nov 2026 10:00:00.000 * message`) filtered by loglevel. */
const LEVELS = ["debug", "verbose", "notice", "warning", "nothing"];
const MARKS = [".", "-", "*", "#", ""];
let threshold = 2;

export function setLogLevel(level: string): void {
  const i = LEVELS.indexOf(level);
  if (i >= 0) threshold = i;
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
  console.log(`${Deno.pid}:M ${stamp(new Date())} ${MARKS[i]} ${msg}`);
}
