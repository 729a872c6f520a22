/**
 * Parameters with their own formats (Redis's "special" configs and string validators): save,
 * client-output-buffer-limit, oom-score-adj-values, notify-keyspace-events, bind, replicaof,
 * latency-tracking-info-percentiles, dir, proc-title-template, file and host names.
 * Multi-argument values are split on single spaces, as CONFIG SET does.
 */

import { resolve } from "node:path";
import { enumKind, fail, type Kind, ok, type SetContext, stringKind } from "./kinds.ts";
import {
  asciiLower,
  formatTrimmedDouble,
  memtoull,
  splitArgs,
  string2d,
  strtoll,
  strtollFull,
} from "./parse.ts";

function special(allowed: string, set: Kind["set"]): Kind {
  return { type: "special", allowed, set };
}

export const saveKind: Kind = special(
  'pairs "<seconds> <changes>" (seconds >= 1, changes >= 0), e.g. "3600 1 300 100", or "" for none',
  (value) => {
    const args = splitArgs(value);
    if (args.length % 2 !== 0) return fail("Invalid save parameters");
    const out: string[] = [];
    for (let j = 0; j < args.length; j++) {
      const v = strtollFull(args[j]);
      if (v === null || (j % 2 === 0 && v < 1n) || (j % 2 === 1 && v < 0n)) {
        return fail("Invalid save parameters");
      }
      // Seconds are a time_t, changes an int: Redis prints them back after those casts.
      out.push((j % 2 === 0 ? v : BigInt.asIntN(32, v)).toString());
    }
    return ok(out.join(" "));
  },
);

const SHUTDOWN_SAVE = 1, SHUTDOWN_NOSAVE = 2;

/** shutdown-on-sigint / shutdown-on-sigterm: default, save, nosave, now, force (OR-ed). */
export const shutdownKind = enumKind(
  [["default", 0], ["save", SHUTDOWN_SAVE], ["nosave", SHUTDOWN_NOSAVE], ["now", 4], ["force", 8]],
  {
    bitflags: true,
    check: (id) =>
      (id & SHUTDOWN_SAVE) && (id & SHUTDOWN_NOSAVE)
        ? "shutdown options SAVE and NOSAVE can't be used simultaneously"
        : null,
  },
);

const OBUF_CLASSES = ["normal", "slave", "pubsub"] as const;

function obufClass(name: string): number {
  const n = asciiLower(name);
  if (n === "normal") return 0;
  if (n === "slave" || n === "replica") return 1;
  if (n === "pubsub") return 2;
  if (n === "master") return 3;
  return -1;
}

export const clientOutputBufferLimitKind: Kind = special(
  "groups of <class> <hard> <soft> <soft-seconds>, class normal, replica or pubsub",
  (value, ctx) => {
    const args = splitArgs(value);
    if (args.length % 4 !== 0) {
      return fail("Wrong number of arguments in buffer limit configuration.");
    }
    // Unchanged classes keep their current limits.
    const cur = splitArgs(ctx.current);
    const limits = OBUF_CLASSES.map((_, i) => cur.slice(i * 4 + 1, i * 4 + 4));
    for (let j = 0; j < args.length; j += 4) {
      const cls = obufClass(args[j]);
      if (cls < 0 || cls > 2) {
        return fail("Invalid client class specified in buffer limit configuration.");
      }
      const hard = memtoull(args[j + 1]);
      const soft = memtoull(args[j + 2]);
      const secs = strtollFull(args[j + 3]);
      // soft_seconds is an int in Redis, checked after the cast.
      const secs32 = secs === null ? -1n : BigInt.asIntN(32, secs);
      if (hard === null || soft === null || secs32 < 0n) {
        return fail("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
      }
      limits[cls] = [hard.toString(), soft.toString(), secs32.toString()];
    }
    return ok(OBUF_CLASSES.map((c, i) => `${c} ${limits[i].join(" ")}`).join(" "));
  },
);

export const oomScoreAdjValuesKind: Kind = special(
  "three integers -2000..2000 (master, replica, background child)",
  (value) => {
    const args = splitArgs(value);
    if (args.length !== 3) return fail("wrong number of arguments");
    const out: string[] = [];
    for (const a of args) {
      const v = strtollFull(a);
      if (v === null || v < -2000n || v > 2000n) {
        return fail("Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
      }
      out.push(v.toString());
    }
    return ok(out.join(" "));
  },
);

// Bits of Redis's NOTIFY_* flags.
const NOTIFY: Record<string, number> = {
  K: 1 << 0,
  E: 1 << 1,
  g: 1 << 2,
  $: 1 << 3,
  l: 1 << 4,
  s: 1 << 5,
  h: 1 << 6,
  z: 1 << 7,
  x: 1 << 8,
  e: 1 << 9,
  t: 1 << 10,
  m: 1 << 11,
  d: 1 << 13,
  n: 1 << 14,
};
const NOTIFY_ALL = "g$lshzxetd".split("").reduce((f, c) => f | NOTIFY[c], 0);

/** Order in which `keyspaceEventsFlagsToString` prints the class characters. */
const NOTIFY_ORDER = "g$lshzxetdn";

export const notifyKeyspaceEventsKind: Kind = special(
  "a set of the characters Ag$lshzxeKEtmdn, or empty",
  (value) => {
    let flags = 0;
    for (const c of value) {
      if (c === "A") flags |= NOTIFY_ALL;
      else if (NOTIFY[c] !== undefined) flags |= NOTIFY[c];
      else return fail("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    }
    let out = "";
    if ((flags & NOTIFY_ALL) === NOTIFY_ALL) out = "A";
    else for (const c of NOTIFY_ORDER) if (flags & NOTIFY[c]) out += c;
    for (const c of "KEm") if (flags & NOTIFY[c]) out += c;
    return ok(out);
  },
);

const BIND_MAX = 16;

export const bindKind: Kind = special(
  `up to ${BIND_MAX} space-separated addresses`,
  (value) => {
    const args = splitArgs(value);
    if (args.length > BIND_MAX) return fail("Too many bind addresses specified.");
    return ok(args.join(" "));
  },
);

export const replicaofKind: Kind = special('"<host> <port>" or "no one"', (value) => {
  const args = splitArgs(value);
  if (args.length !== 2) return fail("wrong number of arguments");
  if (asciiLower(args[0]) === "no" && asciiLower(args[1]) === "one") return ok("");
  // strtol, then a range and end-of-string check.
  const { value: port, end } = strtoll(args[1]);
  if (port < 0n || port > 65535n || end !== args[1].length) return fail("Invalid master port");
  return ok(`${args[0]} ${port}`);
});

export const latencyPercentilesKind: Kind = special(
  "space-separated numbers 0..100, or empty",
  (value) => {
    const args = splitArgs(value);
    const out: string[] = [];
    for (const a of args) {
      const v = string2d(a);
      if (v === null) return fail("Invalid latency-tracking-info-percentiles parameters");
      if (v > 100 || v < 0) {
        return fail("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
      }
      out.push(formatTrimmedDouble(v));
    }
    return ok(out.join(" "));
  },
);

function errnoText(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (e instanceof Deno.errors.NotADirectory) return "Not a directory";
  return e instanceof Error ? e.message : String(e);
}

/**
 * `dir` must name an existing directory; like Redis (which reports getcwd()) the value is
 * shown as an absolute, resolved path. Skua does not chdir: shards share one process.
 */
export const dirKind: Kind = special("an existing directory", (value, ctx) => {
  if (value === "") return fail("No such file or directory");
  try {
    // Relative to the current `dir`, as Redis's chdir() would resolve it.
    const real = Deno.realPathSync(ctx.current ? resolve(ctx.current, value) : value);
    if (!Deno.statSync(real).isDirectory) return fail("Not a directory");
    return ok(real);
  } catch (e) {
    return fail(errnoText(e));
  }
});

/** `pathIsBaseName`: no '/' nor '\'. */
function isBaseName(v: string): boolean {
  return !v.includes("/") && !v.includes("\\");
}

export const dbfilenameKind = stringKind(
  "a file name without '/'",
  (v) => isBaseName(v) ? null : "dbfilename can't be a path, just a filename",
);

export const appendfilenameKind = stringKind("a non-empty file name without '/'", (v) => {
  if (v === "") return "appendfilename can't be empty";
  return isBaseName(v) ? null : "appendfilename can't be a path, just a filename";
});

export const appenddirnameKind = stringKind("a non-empty directory name without '/'", (v) => {
  if (v === "") return "appenddirname can't be empty";
  return isBaseName(v) ? null : "appenddirname can't be a path, just a dirname";
});

const NET_HOST_STR_LEN = 256;

export const hostnameKind = stringKind(
  "a host name (letters, digits, '-' and '.') shorter than 256 characters",
  (v) => {
    if (v.length >= NET_HOST_STR_LEN) {
      return `Hostnames must be less than ${NET_HOST_STR_LEN} characters`;
    }
    if (!/^[A-Za-z0-9.-]*$/.test(v)) {
      return "Hostnames may only contain alphanumeric characters, hyphens or dots";
    }
    return null;
  },
);

/** Expansion of one proc-title variable, or null for an unknown one (`redisProcTitleGetVariable`). */
function procTitleVariable(name: string, ctx: SetContext): string | null {
  switch (name) {
    case "title":
      return ""; // validation expands with an empty title
    case "listen-addr":
    case "port":
    case "tls-port":
      return "x"; // never empty
    case "server-mode":
      return ctx.get("cluster-enabled") === "yes" ? "[cluster]" : "";
    case "config-file":
      return "-";
    case "unixsocket":
      return ctx.get("unixsocket");
    default:
      return null;
  }
}

/** `validateProcTitleTemplate`: `sdstemplate` expansion succeeds and is not blank. */
function validProcTitle(template: string, ctx: SetContext): boolean {
  let out = "";
  let p = 0;
  while (p < template.length) {
    const sv = template.indexOf("{", p);
    if (sv < 0) {
      out += template.slice(p);
      break;
    }
    out += template.slice(p, sv);
    if (sv + 1 >= template.length) return false;
    if (template[sv + 1] === "{") {
      out += "{";
      p = sv + 2;
      continue;
    }
    const ev = template.indexOf("}", sv + 1);
    if (ev < 0) return false;
    const val = procTitleVariable(template.slice(sv + 1, ev), ctx);
    if (val === null) return false;
    out += val;
    p = ev + 1;
  }
  return out.replace(/^ +| +$/g, "").length > 0;
}

export const procTitleTemplateKind = stringKind(
  "a template using {title} {listen-addr} {server-mode} {port} {tls-port} {unixsocket} " +
    "{config-file} that is not blank",
  (v, ctx) =>
    validProcTitle(v, ctx) ? null : "template format is invalid or contains unknown variables",
);
