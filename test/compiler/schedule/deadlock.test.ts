// Regression tests for two scheduler deadlocks ("every ready task waits for an MXM plane") on pipelines: a group
// whose input reused the space of its own weights, and a send that pinned at the head of its link's FIFO a recv
// waiting on MXM groups. Both programs compile, run hazard-free, cycle-exact and match the interpreter.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { runModel } from "../../../cli/run-model.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { expectExactRun } from "../../support/exact.ts";

const TINY = "programs/tiny-gpt.model";

function compileAndRun(sets: Record<string, string>, chips: number) {
  const graph = loadModel(readFileSync(TINY, "utf8"), TINY, sets).graph!;
  const r = compile(graph, TSP_V1, {
    chips,
    file: TINY,
    partition: "pipeline",
    sources: initialSources(graph, 0),
  });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const run = runModel(graph, r.program!, r.report!, TSP_V1, { functional: true, seed: 0 });
  return { r, run };
}

describe("no scheduler deadlock on pipelines", () => {
  it("space read by an MXM group's weight load is freed only after the group's last task (tiny-gpt, 3 chips)", () => {
    // Before: the copy of the attention query on chip 1 reused the space of the keys copy that the scores group
    // loads as weights, so the group's `abc` waited on its own `lw`; three such groups held three planes and the
    // group that could free them needed two free planes.
    const { r, run } = compileAndRun({}, 3);
    const allocated = r.tasks!;
    const groupLast = new Map<string, number>();
    allocated.tasks.forEach((t, i) => {
      if (t.mxmGroup) groupLast.set(t.mxmGroup, i);
    });
    const index = new Map(allocated.tasks.map((t, i) => [t.id, i]));
    // No task depends on a task of a group unless it comes after that group's last task in list order or is in it.
    for (const [i, t] of allocated.tasks.entries())
      for (const a of t.after) {
        const p = allocated.tasks[index.get(a)!]!;
        if (p.mxmGroup && p.mxmGroup !== t.mxmGroup) expect(i).toBeGreaterThan(groupLast.get(p.mxmGroup)!);
      }
    expectExactRun(run);
  });
  it("a send waits for everything its recv waits for, so link FIFO order never blocks (tiny-gpt d=128, 6 chips)", () => {
    // Before: a send placed early fixed its recv at the head of the link's FIFO while that recv waited (through
    // reused space) on MXM groups that waited for a later recv of the same link.
    const { r, run } = compileAndRun({ d: "128", ff: "256" }, 6);
    expect(r.report!.chips).toBeGreaterThan(3);
    expectExactRun(run);
  });
});
