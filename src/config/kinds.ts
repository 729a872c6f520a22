/**
 * Value kinds of Redis config parameters: how a string is validated and normalized, with the
 * exact error texts of Redis 7.0 (`boolConfigSet`, `numericConfigSet`, `enumConfigSet`, ...).
 */

import {
  asciiLower,
  INT_MAX,
  INT_MIN,
  LLONG_MAX,
  memtoull,
  splitArgs,
  string2ll,
  strtoll,
  UINT_MAX,
  ULLONG_MAX,
} from "./parse.ts";

export type SetResult = { ok: true; value: string } | { ok: false; err: string };

export interface SetContext {
  /** Normalized current value of the parameter being set. */
  readonly current: string;
  /** Normalized current value of another parameter, by canonical name. */
  get(name: string): string;
}

export type ParamType =
  | "bool"
  | "integer"
  | "memory"
  | "memory-or-percent"
  | "octal"
  | "enum"
  | "string"
  | "special";

export interface Kind {
  readonly type: ParamType;
  /** What is allowed, for startup error messages. */
  readonly allowed: string;
  /** Validates `value` and returns its normalized form (as CONFIG GET shows it). */
  set(value: string, ctx: SetContext): SetResult;
}

export function ok(value: string): SetResult {
  return { ok: true, value };
}

export function fail(err: string): SetResult {
  return { ok: false, err };
}

// ---- bool ------------------------------------------------------------------------------

export function boolKind(check?: (yes: boolean) => string | null): Kind {
  return {
    type: "bool",
    allowed: "yes or no",
    set(value) {
      const v = asciiLower(value);
      if (v !== "yes" && v !== "no") return fail("argument must be 'yes' or 'no'");
      const err = check?.(v === "yes");
      return err ? fail(err) : ok(v);
    },
  };
}

// ---- numeric ---------------------------------------------------------------------------

/** The C type a Redis numeric config is stored in: decides casts and the bound check. */
export type CType =
  | "int"
  | "uint"
  | "long"
  | "ulong"
  | "llong"
  | "ullong"
  | "size_t"
  | "ssize_t"
  | "time_t"
  | "off_t";

export const MEMORY = 1;
export const PERCENT = 2;
export const OCTAL = 4;

export interface NumericKind extends Kind {
  readonly min: bigint;
  readonly max: bigint;
  readonly ctype: CType;
  readonly flags: number;
  format(v: bigint): string;
}

/** `numericBoundaryCheck` treats exactly these as unsigned. */
function checkedUnsigned(t: CType): boolean {
  return t === "ullong" || t === "uint" || t === "size_t";
}

/** Value after storing into the C type and reading back as long long (GET_NUMERIC_TYPE). */
function roundTrip(t: CType, v: bigint): bigint {
  if (t === "int") return BigInt.asIntN(32, v);
  if (t === "uint") return BigInt.asUintN(32, v);
  return BigInt.asIntN(64, v);
}

function describeNumeric(min: bigint, max: bigint, flags: number): string {
  if (flags & OCTAL) return `an octal number ${min.toString(8)}..${max.toString(8)}`;
  const range = `${min}..${max}`;
  if ((flags & MEMORY) && (flags & PERCENT)) {
    return `a byte count 0..${max} (units k kb m mb g gb) or a percentage 0%..${-min}%`;
  }
  if (flags & MEMORY) return `a byte count ${range} (units k kb m mb g gb)`;
  return `an integer ${range}`;
}

function parseNumeric(value: string, flags: number): bigint | string {
  if (flags & MEMORY) {
    const v = memtoull(value);
    if (v !== null) return BigInt.asIntN(64, v);
  }
  if ((flags & PERCENT) && value.length > 1 && value.endsWith("%")) {
    const v = string2ll(value.slice(0, -1));
    if (v !== null && v >= 0n) return -v; // Redis stores percentages as negative numbers.
  }
  if (flags & OCTAL) {
    const { value: v, end, overflow } = strtoll(value, 8);
    if (!overflow && end === value.length) return v;
  }
  if (flags === 0) {
    const v = string2ll(value);
    if (v !== null) return v;
  }
  if ((flags & MEMORY) && (flags & PERCENT)) return "argument must be a memory or percent value";
  if (flags & MEMORY) return "argument must be a memory value";
  if (flags & OCTAL) return "argument couldn't be parsed as an octal number";
  return "argument couldn't be parsed into an integer";
}

function boundaryError(t: CType, v: bigint, min: bigint, max: bigint, flags: number) {
  if (checkedUnsigned(t)) {
    const u = BigInt.asUintN(64, v);
    const lo = BigInt.asUintN(64, min);
    const hi = BigInt.asUintN(64, max);
    if (u > hi || u < lo) {
      return flags & OCTAL
        ? `argument must be between ${lo.toString(8)} and ${hi.toString(8)} inclusive`
        : `argument must be between ${lo} and ${hi} inclusive`;
    }
    return null;
  }
  if ((flags & PERCENT) && v < 0n) {
    return v < min ? `percentage argument must be less or equal to ${-min}` : null;
  }
  if (v > max || v < min) return `argument must be between ${min} and ${max} inclusive`;
  return null;
}

export interface NumericOptions {
  flags?: number;
  /** Adjusts an accepted value the way Redis's apply function does (e.g. `updateHZ`). */
  adjust?: (v: bigint, ctx: SetContext) => bigint;
}

export function numericKind(
  ctype: CType,
  min: bigint,
  max: bigint,
  opts: NumericOptions = {},
): NumericKind {
  const flags = opts.flags ?? 0;
  const format = (raw: bigint): string => {
    const v = roundTrip(ctype, raw);
    if ((flags & PERCENT) && v < 0n) return `${-v}%`;
    if (flags & MEMORY) return BigInt.asUintN(64, v).toString();
    if (flags & OCTAL) return BigInt.asUintN(64, v).toString(8);
    return v.toString();
  };
  let type: ParamType = "integer";
  if (flags & OCTAL) type = "octal";
  else if ((flags & MEMORY) && (flags & PERCENT)) type = "memory-or-percent";
  else if (flags & MEMORY) type = "memory";
  return {
    type,
    allowed: describeNumeric(min, max, flags),
    min,
    max,
    ctype,
    flags,
    format,
    set(value, ctx) {
      const parsed = parseNumeric(value, flags);
      if (typeof parsed === "string") return fail(parsed);
      const err = boundaryError(ctype, parsed, min, max, flags);
      if (err) return fail(err);
      const v = roundTrip(ctype, parsed);
      return ok(format(opts.adjust ? opts.adjust(v, ctx) : v));
    },
  };
}

/** Ranges of the C types, for table readability. */
export const LIMITS = { INT_MIN, INT_MAX, UINT_MAX, LLONG_MAX, ULLONG_MAX, LONG_MAX: LLONG_MAX };

// ---- enum ------------------------------------------------------------------------------

export interface EnumKind extends Kind {
  /** Values listed by Redis (first name of each id is the canonical spelling). */
  readonly values: readonly string[];
}

export interface EnumOptions {
  /** Names accepted but left out of the error text (Skua extensions), so the text stays Redis's. */
  unlisted?: readonly (readonly [string, number])[];
  /** Multi-argument flag set (space-separated names OR-ed together), like shutdown-on-sigint. */
  bitflags?: boolean;
  /** Extra check of the combined value (`is_valid_fn`). */
  check?: (id: number) => string | null;
}

/**
 * `values` are [name, id] pairs; names sharing an id are synonyms and CONFIG GET shows the first
 * one (`configEnumGetName`).
 */
export function enumKind(
  values: readonly (readonly [string, number])[],
  opts: EnumOptions = {},
): EnumKind {
  const listed = values.map(([n]) => n);
  let err = "argument(s) must be one of the following: " + listed.join(", ");
  if (err.length > 255) err = err.slice(0, 255); // Redis copies it into a 256-byte buffer.
  const all = [...values, ...(opts.unlisted ?? [])];
  const idOf = (name: string) => {
    const v = asciiLower(name);
    return all.find(([n]) => n === v)?.[1];
  };
  const nameOf = (id: number): string => {
    let names = "";
    let unmatched = id;
    for (const [n, v] of all) {
      if (v === id) return n;
      // Flag sets print every fully contained flag, in table order.
      if (opts.bitflags && v !== 0 && (unmatched & v) === v) {
        names = names ? `${names} ${n}` : n;
        unmatched &= ~v;
      }
    }
    return names && !unmatched ? names : "unknown";
  };
  return {
    type: "enum",
    allowed: opts.bitflags
      ? "space-separated names among " + listed.join(", ")
      : "one of " + listed.join(", "),
    values: listed,
    set(value) {
      const args = opts.bitflags ? splitArgs(value) : [value];
      if (args.length === 0) return fail(err);
      let id = 0;
      for (const a of args) {
        const v = idOf(a);
        if (v === undefined) return fail(err);
        id |= v;
      }
      const bad = opts.check?.(id);
      return bad ? fail(bad) : ok(nameOf(id));
    },
  };
}

// ---- string ----------------------------------------------------------------------------

export function stringKind(
  allowed = "any string",
  check?: (v: string, ctx: SetContext) => string | null,
): Kind {
  return {
    type: "string",
    allowed,
    set(value, ctx) {
      const err = check?.(value, ctx);
      return err ? fail(err) : ok(value);
    },
  };
}
