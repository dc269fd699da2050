// The check most compiler tests end with: a compiled model run functionally by the simulator has no hazard, takes
// exactly the predicted cycles and gives the reference interpreter's outputs. In: the graph, compile()'s result and
// the machine it was compiled for (expectExact), or a functional run already made (expectExactRun).
import { expect } from "vitest";
import type { Machine } from "../../arch/machine.ts";
import { type ModelRun, runModel } from "../../cli/run-model.ts";
import type { compile } from "../../compiler/compile.ts";
import type { ModelGraph } from "../../compiler/graph/ir.ts";

export function expectExact(graph: ModelGraph, r: ReturnType<typeof compile>, m: Machine): void {
  expectExactRun(runModel(graph, r.program!, r.report!, m, { functional: true, seed: 0 }));
}

/** The same check on a functional run (`runModel`'s `predictedCycles` is the compile report's `cycles`). */
export function expectExactRun(run: ModelRun): void {
  expect(run.hazards).toEqual([]);
  expect(run.cycles).toBe(run.predictedCycles);
  expect(run.outputsMatch).toBe(true);
}
