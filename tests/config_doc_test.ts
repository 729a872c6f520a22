/**
 * README.md's list of the configuration parameters that act is generated from the table's
 * `used` flags (tools/config_doc.ts): this fails when the two differ, or when the README lost
 * its markers. Regenerate with `deno run -A tools/config_doc.ts --write`.
 */
import assert from "node:assert/strict";
import {
  BEGIN_MARKER,
  configActsMarkdown,
  END_MARKER,
  markedSection,
  sameList,
  withSection,
} from "../tools/config_doc.ts";
import { lookupParam } from "../src/config/table.ts";

const README = new URL("../README.md", import.meta.url);
const REGENERATE = "deno run -A tools/config_doc.ts --write";

Deno.test("config doc: README's list of parameters that act matches the table", () => {
  const section = markedSection(Deno.readTextFileSync(README));
  assert.ok(
    section !== null,
    `README.md must hold the list between ${BEGIN_MARKER} and ${END_MARKER} (then: ${REGENERATE})`,
  );
  assert.ok(
    sameList(section, configActsMarkdown()),
    `README.md's list is stale: run ${REGENERATE}\n${section}`,
  );
});

Deno.test("config doc: the list follows the used flags", () => {
  const list = configActsMarkdown();
  assert.equal(lookupParam("enable-debug-command")?.used, true);
  assert.match(list, /^- `enable-debug-command`: default `no`, startup only$/m);
  assert.match(list, /^- `hz`: default `10`, CONFIG SET acts at once$/m);
  // refused or cosmetic parameters are not listed as acting
  for (const name of ["daemonize"]) {
    assert.doesNotMatch(list, new RegExp(`^- \`${name}\``, "m"), name);
  }
  const readme = `intro\n${BEGIN_MARKER}\nold\n${END_MARKER}\nrest\n`;
  const next = withSection(readme, list)!;
  assert.equal(markedSection(next), list);
  assert.ok(next.startsWith("intro\n") && next.endsWith(`${END_MARKER}\nrest\n`));
  assert.equal(withSection("no markers", list), null);
});
