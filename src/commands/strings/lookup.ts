/** Typed lookups of string values, over the one key lookup in src/commands/lookup.ts. */
import type { Ctx } from "../context.ts";
import { readValue, writeEntry } from "../lookup.ts";
import type { Entry } from "../../store/keyspace.ts";
import { type StringValue, TYPE_STRING } from "../../store/types.ts";

/** An entry known to hold a string. */
export type StringEntry = Entry & { value: StringValue };

/**
 * The string entry at key, undefined when absent, null when of another type (error replied).
 * Not counted in keyspace hits and misses.
 */
export const stringEntry = (ctx: Ctx, key: Uint8Array): StringEntry | undefined | null =>
  writeEntry(ctx, key, TYPE_STRING) as StringEntry | undefined | null;

/**
 * The string value at key for a read, counted as a keyspace hit or miss: undefined when
 * absent, null when of another type (error replied).
 */
export const readString = (ctx: Ctx, key: Uint8Array): StringValue | undefined | null =>
  readValue(ctx, key, TYPE_STRING) as StringValue | undefined | null;
