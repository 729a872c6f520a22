/**
 * The README's list of configuration parameters Skua acts on, generated from the parameter
 * table's `used` flags (src/config/table.ts) so the documentation cannot drift from the code.
 *
 *   deno run -A tools/config_doc.ts           print the list (Markdown)
 *   deno run -A tools/config_doc.ts --write   replace the list in README.md between
 *                                             <!-- config-acts:begin --> and <!-- config-acts:end -->
 *
 * tests/config_doc_test.ts fails when README.md's list differs from this output.
 */
import { PARAMS } from "../src/config/table.ts";

export const BEGIN_MARKER = "<!-- config-acts:begin -->";
export const END_MARKER = "<!-- config-acts:end -->";

/** One Markdown line per parameter that acts, sorted by name. */
export function configActsMarkdown(): string {
  const lines: string[] = [];
  for (const d of [...PARAMS].filter((p) => p.used).sort((a, b) => a.name.localeCompare(b.name))) {
    const dflt = d.default === "" ? '""' : d.default;
    const notes: string[] = [`default \`${dflt}\``];
    if (d.redisDefault !== undefined) notes.push(`Redis's is \`${d.redisDefault}\``);
    notes.push(d.immutable ? "startup only" : "CONFIG SET acts at once");
    if (d.protected) notes.push("protected");
    const alias = d.alias === null ? "" : ` (alias \`${d.alias}\`)`;
    lines.push(`- \`${d.name}\`${alias}: ${notes.join(", ")}`);
  }
  return lines.join("\n") + "\n";
}

/** Whether two renderings of the list say the same (deno fmt may wrap and space them). */
export function sameList(a: string, b: string): boolean {
  const words = (s: string) => s.replace(/\s+/g, " ").trim();
  return words(a) === words(b);
}

/** The text between the markers of `readme`, or null when they are missing. */
export function markedSection(readme: string): string | null {
  const b = readme.indexOf(BEGIN_MARKER);
  const e = readme.indexOf(END_MARKER);
  if (b < 0 || e < b) return null;
  return readme.slice(b + BEGIN_MARKER.length, e).replace(/^\n/, "");
}

/** `readme` with the marked section replaced by `list`; null when the markers are missing. */
export function withSection(readme: string, list: string): string | null {
  const b = readme.indexOf(BEGIN_MARKER);
  const e = readme.indexOf(END_MARKER);
  if (b < 0 || e < b) return null;
  return readme.slice(0, b + BEGIN_MARKER.length) + "\n" + list + readme.slice(e);
}

if (import.meta.main) {
  const list = configActsMarkdown();
  if (!Deno.args.includes("--write")) {
    console.log(list.trimEnd());
  } else {
    const path = new URL("../README.md", import.meta.url);
    const next = withSection(Deno.readTextFileSync(path), list);
    if (next === null) {
      console.error(`README.md has no ${BEGIN_MARKER} ... ${END_MARKER} section`);
      Deno.exit(1);
    }
    Deno.writeTextFileSync(path, next);
    // deno fmt wraps long lines and spaces the list; sameList ignores that layout
    new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", path.pathname] }).outputSync();
  }
}
