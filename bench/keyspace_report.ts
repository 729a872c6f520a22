/**
 * The pieces every bench/keyspace.ts table is made of: a column per server (with the shard
 * count and io engine it reported), rows of formatted numbers, Skua/Redis ratio rows, and the
 * log of every redis-benchmark invocation for bench/keyspace_results.md.
 */

/** What a table says about the server behind a column. */
export interface Head {
  label: string;
  redis: boolean;
  shards: number;
  io: string;
}

export type Row = [name: string, cells: string[]];

function line(cells: string[]): string {
  return `| ${cells.map((c) => c.replaceAll("|", "\\|").replaceAll("\n", " ")).join(" | ")} |`;
}

/** A markdown table: a heading, a column per server, its shards and io engine, then `rows`. */
export function table(title: string, heads: Head[], rows: Array<Row | null>): string {
  return [
    `### ${title}`,
    "",
    line(["", ...heads.map((h) => h.label)]),
    line(["---", ...heads.map(() => "---:")]),
    line(["shards", ...heads.map((h) => String(h.shards))]),
    line(["io engine", ...heads.map((h) => h.io)]),
    ...rows.filter((r): r is Row => r !== null).map(([name, cells]) => line([name, ...cells])),
  ].join("\n");
}

/**
 * `name`: each Skua column's value over the Redis column's (empty in the Redis column); null
 * (no row) when there is no Redis column or no Skua column to compare.
 */
export function ratioRow(name: string, heads: Head[], values: number[]): Row | null {
  const at = heads.findIndex((h) => h.redis);
  if (at < 0 || heads.length < 2) return null;
  return [name, values.map((v, i) => i === at ? "" : fixed(v / values[at], 2))];
}

export function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "n/a";
}

export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
}

export function mib(bytes: number): string {
  return fixed(bytes / (1024 * 1024), 1);
}

export function ms(n: number): string {
  return fixed(n, 3);
}

/** Every redis-benchmark command line run, in order, with repeats counted. */
export class Invocations {
  private seen = new Map<string, number>();

  add(args: string[], note: string): void {
    const key = `redis-benchmark ${args.join(" ")}   # ${note}`;
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
  }

  lines(): string[] {
    return [...this.seen].map(([cmd, k]) => `    ${cmd}${k > 1 ? ` ×${k}` : ""}`);
  }
}
