// The critical path of a stamped program (compiler/schedule/stamp-bound.ts): the chain of its units computed from
// the reduced model's relaxed schedule. It must stay a lower bound (never above the whole program's relaxed
// critical path, nor the simulated cycles), be tighter than the reduced model's own path, and grow by one step
// per added unit.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { runModel } from "../../../cli/run-model.ts";
import { compile, gatherRows, relaxedPaths } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { allocate } from "../../../compiler/passes/allocate.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { reduceRepeat } from "../../../compiler/passes/reduce-repeat.ts";
import { placeStages } from "../../../compiler/passes/stages.ts";
import { tile } from "../../../compiler/passes/tile.ts";
import { withDataOrder } from "../../../compiler/schedule/bounds.ts";
import { schedule } from "../../../compiler/schedule/scheduler.ts";
import { stampedTasks } from "../helpers/stamped-tasks.ts";

const TINY = "programs/tiny-gpt.model";

function stamped(layers: number, chips: number) {
  const graph = loadModel(readFileSync(TINY, "utf8"), TINY, { layers: String(layers) }).graph!;
  const r = compile(graph, TSP_V1, { chips, file: TINY, partition: "layers" });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { graph, r, report: r.report! };
}

/** The reduced model's passes as compile.ts runs them, and the stamped program's task graph written out from them:
 * its relaxed critical path is the bound's definition for the stamped program. */
function writtenOut(layers: number, chips: number) {
  const graph = loadModel(readFileSync(TINY, "utf8"), TINY, { layers: String(layers) }).graph!;
  const k = decompose(graph, TINY, { gatherRows: gatherRows(TSP_V1) }).kernel;
  const groups = partition(k, TSP_V1, chips, TINY, "layers").partitioned.groups!;
  const reduced = reduceRepeat(k, groups.unit, 1)!;
  const p = partition(reduced.kernel, TSP_V1, chips, TINY, "layers", groups.unit).partitioned;
  const tiled = placeStages(tile(p, TSP_V1), p, TSP_V1);
  const a = allocate(tiled, TSP_V1, TINY).graph;
  const shape = {
    name: "layer",
    unit: groups.unit,
    units: layers / groups.unit,
    base: groups.base,
    width: groups.width,
    reduced: reduced.units,
  };
  const full = stampedTasks(withDataOrder(a, tiled), schedule(a, TSP_V1), shape);
  return relaxedPaths(full, TSP_V1).criticalPath;
}

describe("the critical path of a stamped program: the chain of its units", () => {
  it("is at most the relaxed critical path of the stamped program's tasks written out and the simulated cycles, and above the reduced model's path", () => {
    // 4 layers a node each; 8 layers in units of two on 48 chips.
    for (const [layers, chips, reducedLayers] of [
      [4, 64, 1],
      [8, 48, 2],
    ] as const) {
      const { graph, r, report } = stamped(layers, chips);
      const bound = report.bounds.criticalPath;
      expect(bound).toBeLessThanOrEqual(writtenOut(layers, chips));
      const run = runModel(graph, r.program!, report, TSP_V1, { functional: false, seed: 0 });
      expect(run.hazards).toEqual([]);
      expect(bound).toBeLessThanOrEqual(run.cycles);
      // The reduced model's tasks alone (what the report used to print): the chain adds the stamped units.
      const reduced = relaxedPaths(r.tasks!, TSP_V1).criticalPath;
      expect(bound).toBeGreaterThan(reduced);
      expect(r.tasks!.tasks.some((t) => t.op.startsWith(`layer.${reducedLayers}.`))).toBe(false);
    }
  });

  it("grows by the same step per added unit (each stamped unit adds its input-to-output chain)", () => {
    const [three, four, five] = [3, 4, 5].map((n) => stamped(n, 64).report.bounds.criticalPath);
    expect(four! - three!).toBeGreaterThan(0);
    expect(five! - four!).toBe(four! - three!);
  });
});
