// End to end: model text -> compiler -> simulator, against the compiler's prediction and the reference interpreter.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { runModel } from "../../cli/run-model.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";

function compileAndRun(path: string, sets: Record<string, string> = {}, seed = 0) {
  const loaded = loadModel(readFileSync(path, "utf8"), path, sets);
  const graph = loaded.graph!;
  const r = compile(graph, TSP_V1, {
    chips: 1,
    file: path,
    sources: initialSources(graph, seed),
    verifyEach: true,
  });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return runModel(graph, r.program!, r.report!, TSP_V1, { functional: true, seed });
}

describe("programs/mlp2.model compiled for one chip and simulated", () => {
  const cases: [string, Record<string, string>][] = [
    ["as written (batch 1, 784 -> 256 -> 10, K split over planes)", {}],
    ["batch 4 (fp16 ABC takes a vector every 4 cycles)", { batch: "4" }],
    ["several output tiles and K tiles", { batch: "3", hidden: "700", d_out: "650" }],
  ];
  for (const [name, sets] of cases)
    it(`${name}: no hazard, simulated cycles equal the prediction, outputs match the interpreter`, () => {
      const run = compileAndRun("programs/mlp2.model", sets);
      expect(run.hazards).toEqual([]);
      expect(run.cycles).toBe(run.predictedCycles);
      expect(run.outputsMatch).toBe(true);
      expect(run.maxRelError!).toBeLessThan(1e-2);
    });
  it("another seed gives other values that still match", () => {
    const run = compileAndRun("programs/mlp2.model", {}, 7);
    expect(run.hazards).toEqual([]);
    expect(run.outputsMatch).toBe(true);
  });
});
