/**
 * Does another process listen on our port beside us? The startup probe (supervisor.ts) finds a
 * port taken before the shards bind it, but two servers started at the same moment both pass
 * it, and their shards, binding with SO_REUSEPORT, then join one group: each server gets a
 * share of the other's connections, with its own keys and config, and nothing says so. Once
 * the shards listen, Linux's socket tables tell: /proc/net/tcp and tcp6 list every listening
 * socket with its inode, and this process's sockets are the inodes its descriptors name. Two
 * servers that raced both see the other and give up, as the later of them would at the probe.
 */

const LISTEN = "0A";

/** The inodes of the sockets listening on `port`, any address (empty where /proc cannot tell). */
function listeners(port: number): Set<string> {
  const out = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== LISTEN) continue;
      const local = cols[1];
      if (parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) out.add(cols[9]);
    }
  }
  return out;
}

/** The inodes of this process's sockets. */
function ownSockets(): Set<string> {
  const out = new Set<string>();
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/self/fd/${e.name}`));
      if (m !== null) out.add(m[1]);
    } catch {
      // closed meanwhile (the directory's own descriptor, a socket of a Worker)
    }
  }
  return out;
}

/** True when a socket of another process listens on `port` too (Linux; elsewhere false). */
export function sharedPort(port: number): boolean {
  if (Deno.build.os !== "linux") return false;
  const all = listeners(port);
  if (all.size === 0) return false;
  const ours = ownSockets();
  for (const ino of all) if (!ours.has(ino)) return true;
  return false;
}
