/**
 * The ACL catalog built from Redis's metadata (meta.json): every Redis 7.0 command and
 * subcommand with an id, so every Worker numbers them alike and a user's bitmap means the
 * same on every shard.
 */
import { type AclCatalog, categoryBit } from "../../acl/catalog.ts";
import { allCommandNames, commandMeta } from "../meta.ts";

let built: AclCatalog | null = null;

/** This Worker's catalog (built once; read-only). */
export function aclCatalog(): AclCatalog {
  if (built !== null) return built;
  const all = allCommandNames();
  const tops = all.filter((n) => !n.includes("|")).sort();
  const order: string[] = [];
  for (const t of tops) {
    order.push(t);
    for (const s of commandMeta(t)!.subcommands.slice().sort()) order.push(s);
  }
  const count = order.length;
  const byName = new Map<string, number>();
  order.forEach((n, i) => byName.set(n, i));
  const categories = new Uint32Array(count);
  const parent = new Int32Array(count).fill(-1);
  const subs: number[][] = order.map(() => []);
  for (let i = 0; i < count; i++) {
    const m = commandMeta(order[i])!;
    for (const c of m.aclCategories) categories[i] |= categoryBit(c.replace(/^@/, ""));
    const bar = order[i].indexOf("|");
    if (bar >= 0) {
      const p = byName.get(order[i].slice(0, bar))!;
      parent[i] = p;
      subs[p].push(i);
    }
  }
  built = {
    count,
    names: order,
    categories,
    parent,
    subs,
    order: order.map((_, i) => i),
    byName,
  };
  return built;
}

/** The ACL id of a command or subcommand by full name ("config|get"), or -1. */
export function aclCommandId(fullName: string): number {
  return aclCatalog().byName.get(fullName) ?? -1;
}
