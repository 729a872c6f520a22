/**
 * What the ACL code knows of the command table: every command and subcommand Redis 7.0 has
 * (not only those Skua implements, so rules and ACL CAT read as on redis-server), each with a
 * numeric id that indexes a user's command bitmap, its categories, its parent and subcommands.
 * The command layer builds it from Redis's metadata (src/commands/acl/catalog.ts).
 */

/** Redis's ACL categories, in its order (ACL CAT, and the order rules are described in). */
export const CATEGORIES: readonly string[] = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
];

/** The bit of a category in a command's category mask, or 0 for an unknown name. */
export function categoryBit(name: string): number {
  const i = CATEGORIES.indexOf(name.toLowerCase());
  return i < 0 ? 0 : 1 << i;
}

export interface AclCatalog {
  /** command ids are 0..count-1; bit `count` of a bitmap stands for commands to come */
  readonly count: number;
  /** full names ("config|get"), lower case */
  readonly names: readonly string[];
  /** category mask per id (bit i: CATEGORIES[i]) */
  readonly categories: Uint32Array;
  /** the parent's id of a subcommand, -1 for a top-level command */
  readonly parent: Int32Array;
  /** subcommand ids of a container command (empty for others) */
  readonly subs: readonly (readonly number[])[];
  /** ids in Redis's walk order: each top-level command followed by its subcommands */
  readonly order: readonly number[];
  /** id by lower-case full name */
  readonly byName: ReadonlyMap<string, number>;
}

/**
 * Redis's ACLLookupCommand: "name" or "parent|sub" (case-insensitive), or -1. A name with a
 * bar whose first part has no subcommands is unknown.
 */
export function lookupAclCommand(cat: AclCatalog, name: string): number {
  const lower = name.toLowerCase();
  const parts = lower.split("|");
  if (parts.length > 2) return -1;
  const base = cat.byName.get(parts[0]);
  if (base === undefined) return -1;
  if (parts.length === 1) return base;
  if (cat.subs[base].length === 0) return -1;
  return cat.byName.get(lower) ?? -1;
}
