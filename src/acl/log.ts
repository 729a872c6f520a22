/**
 * The ACL log (ACL LOG): denied commands, keys, channels and failed authentications, newest
 * first, similar events within a minute grouped into one entry with a count (acl.c's
 * addACLLogEntry). Each shard keeps the log of its own clients; ACL LOG merges them.
 */

export const DENIED_CMD = 1;
export const DENIED_KEY = 2;
export const DENIED_AUTH = 3;
export const DENIED_CHANNEL = 4;

export const CTX_TOPLEVEL = 0;
export const CTX_MULTI = 1;
export const CTX_LUA = 2;

const GROUPING_MS = 60000;
/** how many recent entries a new one is compared with */
const SCAN_ENTRIES = 10;

export interface AclLogEntry {
  count: number;
  reason: number;
  context: number;
  object: string;
  username: string;
  /** milliseconds since the epoch of the last event */
  ctime: number;
  /** the last event's place in the order of every shard's events (the shards' logs merge by it) */
  seq: number;
  /** the client's CLIENT LIST line at the last event */
  cinfo: string;
}

export const REASON_NAMES: Record<number, string> = {
  [DENIED_CMD]: "command",
  [DENIED_KEY]: "key",
  [DENIED_CHANNEL]: "channel",
  [DENIED_AUTH]: "auth",
};
export const CONTEXT_NAMES = ["toplevel", "multi", "lua", "module"];

export class AclLog {
  entries: AclLogEntry[] = [];
  maxLen = 128;
  private localSeq = 0;
  /** Numbers events in the order of every shard's (the mesh's sequence; a counter alone). */
  sequence: () => number = () => ++this.localSeq;

  add(e: AclLogEntry): void {
    e.seq = this.sequence();
    const n = Math.min(SCAN_ENTRIES, this.entries.length);
    for (let i = 0; i < n; i++) {
      const cur = this.entries[i];
      if (
        cur.reason === e.reason && cur.context === e.context &&
        Math.abs(cur.ctime - e.ctime) <= GROUPING_MS && cur.object === e.object &&
        cur.username === e.username
      ) {
        this.entries.splice(i, 1);
        this.entries.unshift(cur);
        cur.cinfo = e.cinfo;
        cur.ctime = e.ctime;
        cur.seq = e.seq;
        cur.count++;
        return;
      }
    }
    this.entries.unshift(e);
    this.trim();
  }

  trim(): void {
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }

  reset(): void {
    this.entries = [];
  }
}
