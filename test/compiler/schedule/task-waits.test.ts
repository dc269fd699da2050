// The times `lpu explain` reads its waits from (TaskTimes): a task's readiness from its dependencies alone, then from
// its MXM plane's state as well, then its start; a group's own previous step is a dependency, not an MXM wait.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";

function tasks(file: string, chips: number) {
  const graph = loadModel(readFileSync(file, "utf8"), file, {}).graph!;
  const r = compile(graph, TSP_V1, { chips, file });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.schedule!.tasks;
}

describe("a task's waits beyond its dependencies", () => {
  const times = tasks("programs/tiny-gpt.model", 1);

  it("come in order: ready from dependencies <= ready from the plane's state too <= start", () => {
    for (const t of times) {
      expect(t.ready).toBeLessThanOrEqual(t.planeReady);
      expect(t.planeReady).toBeLessThanOrEqual(t.start);
    }
  });
  it("count an acc's wait for its own group's products as a dependency, not as waiting on the MXM", () => {
    // An acc's only MXM state is its group's results (resultsReady); it never waits on another group's work.
    const accs = times.filter((t) => t.task.endsWith(".acc"));
    expect(accs.length).toBeGreaterThan(0);
    for (const t of accs) expect(t.planeReady).toBe(t.ready);
  });
  it("count a weight load held by its plane's other loads as waiting on the MXM", () => {
    // tiny-gpt's products have more weight tiles than the 4 planes: some loads wait for a plane's staging buffer.
    const held = times.filter((t) => t.task.endsWith(".lw") && t.planeReady > t.ready);
    expect(held.length).toBeGreaterThan(0);
  });
});
