/**
 * Values Skua parses exactly as Redis does but refuses, because accepting them would promise
 * something Skua does not do yet (replicas, client eviction, daemonizing, a unix
 * socket, service-manager notification, OOM score changes, syslog). Each is refused with the
 * reason rather than stored and ignored; the default values, which promise nothing, pass.
 */
import {
  boolKind,
  enumKind,
  type Kind,
  LIMITS,
  MEMORY,
  numericKind,
  PERCENT,
  stringKind,
} from "./kinds.ts";
import { replicaofKind } from "./special.ts";

/**
 * A parameter parsed exactly as Redis parses it, of which Skua accepts only the values it
 * honours: a value implying a promise Skua cannot keep yet (persistence, replicas, client
 * eviction) is refused with `why` rather than stored and ignored.
 */
function honoured(
  kind: Kind,
  allowed: string,
  keeps: (normalized: string) => boolean,
  why: string,
): Kind {
  return {
    type: kind.type,
    allowed,
    set(value, ctx) {
      const r = kind.set(value, ctx);
      return !r.ok || keeps(r.value) ? r : { ok: false, err: why };
    },
  };
}

const NOT_YET = "is not supported yet: Skua has no";

export const noMinReplicasKind = honoured(
  numericKind("int", 0n, LIMITS.INT_MAX),
  "0 (Skua has no replication yet)",
  (v) => v === "0",
  `min-replicas-to-write ${NOT_YET} replication, writes could not wait for replicas`,
);

export const noClientEvictionKind = honoured(
  numericKind("ssize_t", -100n, LIMITS.LONG_MAX, { flags: MEMORY | PERCENT }),
  "0 (Skua does not evict clients yet)",
  (v) => v === "0",
  `maxmemory-clients ${NOT_YET} client eviction, no client would be evicted`,
);

export const noReplicaofKind = honoured(
  replicaofKind,
  '"no one" (Skua has no replication yet)',
  (v) => v === "",
  `replicaof ${NOT_YET} replication, nothing would be replicated`,
);

export const noDaemonizeKind = honoured(
  boolKind(),
  "no (Skua runs in the foreground: use systemd, see the README)",
  (v) => v === "no",
  "daemonize yes is not supported: Skua runs in the foreground; run it under systemd " +
    "(Type=simple, see the README) or another supervisor",
);

export const noUnixSocketKind = honoured(
  stringKind(),
  '"" (Skua listens on TCP only)',
  (v) => v === "",
  "unixsocket is not supported yet: Skua listens on TCP only, no socket would be created",
);

export const noSupervisedKind = honoured(
  enumKind([["upstart", 0], ["systemd", 1], ["auto", 2], ["no", 3]]),
  "no (Skua sends no readiness notification: use systemd's Type=simple)",
  (v) => v === "no",
  "supervised is not supported yet: Skua sends no readiness notification to upstart or " +
    "systemd; use supervised no (with systemd, Type=simple: see the README)",
);

export const noOomScoreAdjKind = honoured(
  enumKind([["no", 0], ["yes", 1], ["relative", 1], ["absolute", 2]]),
  "no (Skua does not change its OOM score)",
  (v) => v === "no",
  "oom-score-adj is not supported yet: Skua does not change its OOM score; set " +
    "OOMScoreAdjust= in its systemd unit instead",
);

export const noSyslogKind = honoured(
  boolKind(),
  "no (Skua logs to stdout or logfile)",
  (v) => v === "no",
  "syslog-enabled yes is not supported yet: Skua logs to stdout or to logfile",
);

export const noAofTimestampKind = honoured(
  boolKind(),
  "no (Skua writes no timestamp annotations yet)",
  (v) => v === "no",
  "aof-timestamp-enabled yes is not supported yet: Skua writes no #TS annotations into the AOF",
);
