/**
 * A few glibc calls through Deno.dlopen, opened on first use. Where libc.so.6 is not there
 * (not Linux, or not glibc) they do nothing.
 *
 * - malloc_trim, for MEMORY PURGE: V8 allocates ArrayBuffers with malloc, and glibc keeps
 *   freed chunks below its mmap threshold in each thread's arena until asked to give them back
 *   (Redis's MEMORY PURGE asks jemalloc the same).
 * - setsockopt/getsockopt/getsockname, for tcp-keepalive under the listen engine: Deno's
 *   TcpConn.setKeepAlive sets SO_KEEPALIVE only and no API gives a socket's fd, so the options
 *   go on the listening sockets (found in /proc/self/fd), which accepted sockets inherit.
 * - getrlimit/setrlimit, to raise the open-files limit to what maxclients needs (Redis's
 *   adjustOpenFilesLimit).
 * - sched_yield, for a shard loop that waits for work on a core other threads want
 *   (src/io/uring.ts).
 */

const SYMBOLS = {
  malloc_trim: { parameters: ["usize"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  sched_yield: { parameters: [], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>;

let libc: Libc | null | undefined;

function open(): Libc | null {
  if (libc === undefined) {
    try {
      libc = Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", SYMBOLS) : null;
    } catch {
      libc = null;
    }
  }
  return libc;
}

/** Returns memory freed by malloc to the system; false where that is not available. */
export function mallocTrim(): boolean {
  const l = open();
  if (l === null) return false;
  l.symbols.malloc_trim(0n);
  return true;
}

/**
 * Give the CPU to another runnable thread, if one waits for it; false (nothing done) where libc
 * cannot be called.
 */
export function yieldCpu(): boolean {
  const l = open();
  if (l === null) return false;
  l.symbols.sched_yield();
  return true;
}

// Linux values
const SOL_SOCKET = 1, SO_KEEPALIVE = 9, SO_ACCEPTCONN = 30;
const IPPROTO_TCP = 6, TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6;
const AF_INET = 2, AF_INET6 = 10;

function setInt(l: Libc, fd: number, level: number, opt: number, v: number): boolean {
  return l.symbols.setsockopt(fd, level, opt, new Int32Array([v]), 4) === 0;
}

/**
 * Redis's anetKeepAlive (SO_KEEPALIVE; TCP_KEEPIDLE secs, TCP_KEEPINTVL secs/3, TCP_KEEPCNT 3;
 * secs 0: SO_KEEPALIVE off) on every listening TCP socket of this process bound to `port`.
 * Linux copies these options into each socket a listener accepts. Listeners of the same port
 * are the shards' SO_REUSEPORT group and all get the same values, so any shard may set them
 * all. Returns how many listeners were set, or -1 where this cannot be done.
 */
export function keepAliveListeners(port: number, secs: number): number {
  const l = open();
  if (l === null) return -1;
  let names: string[];
  try {
    names = [...Deno.readDirSync("/proc/self/fd")].map((e) => e.name);
  } catch {
    return -1;
  }
  const val = new Int32Array(1), len = new Uint32Array(1);
  const addr = new Uint8Array(128), alen = new Uint32Array(1);
  let n = 0;
  for (const name of names) {
    const fd = Number(name);
    len[0] = 4;
    if (l.symbols.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, val, len) !== 0 || val[0] !== 1) {
      continue;
    }
    alen[0] = addr.length;
    if (l.symbols.getsockname(fd, addr, alen) !== 0) continue;
    const family = addr[0] | (addr[1] << 8);
    if (family !== AF_INET && family !== AF_INET6) continue;
    if (((addr[2] << 8) | addr[3]) !== port) continue;
    let ok = setInt(l, fd, SOL_SOCKET, SO_KEEPALIVE, secs > 0 ? 1 : 0);
    if (ok && secs > 0) {
      ok = setInt(l, fd, IPPROTO_TCP, TCP_KEEPIDLE, secs) &&
        setInt(l, fd, IPPROTO_TCP, TCP_KEEPINTVL, Math.max(1, Math.floor(secs / 3))) &&
        setInt(l, fd, IPPROTO_TCP, TCP_KEEPCNT, 3);
    }
    if (ok) n++;
  }
  return n;
}

const RLIMIT_NOFILE = 7;

/** The process's open-files limits (soft, hard), or null where they cannot be read. */
export function nofileLimit(): { soft: number; hard: number } | null {
  const l = open();
  if (l === null) return null;
  const r = new BigUint64Array(2);
  if (l.symbols.getrlimit(RLIMIT_NOFILE, r) !== 0) return null;
  return { soft: Number(r[0]), hard: Number(r[1]) };
}

/**
 * Raises the soft open-files limit toward `want`, as Redis's adjustOpenFilesLimit: the hard
 * limit is raised with it where the process may (root), else the best value under it is
 * taken, trying 16 fewer each time. Returns the soft limit now, or null where unknown.
 */
export function raiseNofile(want: number): number | null {
  const l = open();
  const now = nofileLimit();
  if (l === null || now === null) return null;
  if (now.soft >= want) return now.soft;
  const r = new BigUint64Array(2);
  for (let best = want; best > now.soft; best -= 16) {
    r[0] = BigInt(best);
    r[1] = BigInt(Math.max(best, now.hard));
    if (l.symbols.setrlimit(RLIMIT_NOFILE, r) === 0) return best;
  }
  return now.soft;
}
