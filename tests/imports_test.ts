/**
 * The house stays acyclic and layered: no import cycle under src/ (type-only imports count
 * too), each layer imports only the layers below it, families are folders with a mod.ts, and
 * no file is named for its size (`_more`, `_common`).
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");

function walk(dir: string, out: string[] = []): string[] {
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) walk(p, out);
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Every relative module a file imports or re-exports (also `import type`, also dynamic). */
function importsOf(file: string): string[] {
  const text = Deno.readTextFileSync(file);
  const out: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|new URL\(\s*["']([^"']+\.ts)["']/g;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith(".")) out.push(resolve(dirname(file), spec));
  }
  // side-effect imports: `import "./x.ts";`
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+["']([^"']+)["']/g)) {
    if (m[1].startsWith(".")) out.push(resolve(dirname(file), m[1]));
  }
  return out;
}

const files = walk(SRC);
const graph = new Map<string, string[]>();
for (const f of files) graph.set(f, importsOf(f).filter((t) => t.startsWith(SRC)));

const rel = (p: string) => relative(ROOT, p);

/** Strongly connected components with more than one file, or a file importing itself. */
function cycles(): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.map(rel).sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return out;
}

Deno.test("no import cycle under src/", () => {
  assert.deepEqual(cycles(), []);
});

/**
 * The floors, top down: a folder may import its own floor's folders only as listed, and any
 * folder on a lower floor. server -> shard -> io -> commands -> persist -> store -> the rest.
 */
const FLOOR: Record<string, number> = {
  server: 6,
  shard: 5,
  io: 4,
  commands: 3,
  // RDB and snapshots: below the commands (DUMP, SAVE) and the shard, above the store
  persist: 2.5,
  store: 2,
  acl: 1,
  cluster: 1,
  config: 1,
  mesh: 1,
  resp: 1,
  util: 0,
};

Deno.test("imports flow down: server -> shard -> io -> commands -> store -> util", () => {
  const bad: string[] = [];
  for (const [f, deps] of graph) {
    const from = relative(SRC, f).split("/")[0];
    for (const d of deps) {
      const to = relative(SRC, d).split("/")[0];
      if (from === to) continue;
      assert.ok(from in FLOOR && to in FLOOR, `unknown folder in ${rel(f)} -> ${rel(d)}`);
      if (FLOOR[to] >= FLOOR[from]) bad.push(`${rel(f)} -> ${rel(d)}`);
    }
  }
  assert.deepEqual(bad, []);
});

Deno.test("no file is named for its size, families are folders with one mod.ts", () => {
  const sized = files.filter((f) => /_(more|common|misc|utils?)\.ts$/.test(f)).map(rel);
  assert.deepEqual(sized, []);
  const registry = Deno.readTextFileSync(join(SRC, "commands", "mod.ts"));
  const families = [...registry.matchAll(/from "\.\/([a-z_]+)\/mod\.ts"/g)].map((m) => m[1]);
  assert.ok(families.length >= 10, "the registry lists the families");
  for (const fam of families) {
    const mod = Deno.readTextFileSync(join(SRC, "commands", fam, "mod.ts"));
    assert.match(mod, new RegExp(`export const ${fam}: CommandSpec\\[\\] = \\[`), fam);
    // a family's list is registered from the registry, never by importing it for side effects
    assert.doesNotMatch(mod, /\bregister\(/, fam);
  }
});
