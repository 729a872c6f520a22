/** The comparison shared by the randomized sequence tests: same replies, same final state. */
import assert from "node:assert/strict";
import type { Target } from "./diff.ts";
import type { Arg } from "./resp.ts";

/** What one server did with a sequence: each step's reply, rendered, and its final state. */
export interface Outcome {
  replies: string[];
  state: string[];
}

/** Runs `steps` on every target; each must reply and end exactly as the first one did. */
export async function compareOutcomes(
  targets: Target[],
  label: string,
  steps: { args: Arg[] }[],
  run: (port: number) => Promise<Outcome>,
): Promise<void> {
  const [ref, ...rest] = targets;
  const want = await run(ref.port);
  for (const t of rest) {
    const got = await run(t.port);
    for (let i = 0; i < steps.length; i++) {
      assert.equal(
        got.replies[i],
        want.replies[i],
        `${label}, ${t.name}, step #${i} ${steps[i].args.join(" ")}`,
      );
    }
    assert.deepEqual(got.state, want.state, `${label}, ${t.name}: final state differs`);
  }
}
