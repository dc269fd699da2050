// Each task's estimated length is computed once per compile, before allocate (compile.ts), and read again by the
// relaxed runs and the schedule's priorities: allocation must leave every length as it was, also where it gives a
// weight load its width (a wide `lw` is shorter, never below the read that feeds it).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { allocate } from "../../../compiler/passes/allocate.ts";
import { taskLengths } from "../../../compiler/passes/allocate-estimate.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { placeStages } from "../../../compiler/passes/stages.ts";
import { tile } from "../../../compiler/passes/tile.ts";

/** fp16 weights then 8-bit ones on one chip: both loaded wide. */
const MIXED = `model mixed
input x: fp16[1, 960]
param w: fp16[960, 1280]
param v: fp8[1280, 640]
output y = matmul(matmul(x, w), v)
`;

function tiled(text: string, file: string, chips: number, strategy: "pack" | "pipeline") {
  const graph = loadModel(text, file).graph!;
  const p = partition(decompose(graph, file).kernel, TSP_V1, chips, file, strategy);
  return placeStages(tile(p.partitioned, TSP_V1), p.partitioned, TSP_V1);
}

describe("allocate-estimate: lengths computed once", () => {
  it.each([
    ["mixed.model (fp16 and fp8 weights, wide loads)", MIXED, 1, "pack"],
    ["tiny-gpt on 2 chips", readFileSync("programs/tiny-gpt.model", "utf8"), 2, "pipeline"],
  ] as const)("allocate leaves every task's estimated length as it was: %s", (_, text, chips, strategy) => {
    const g = tiled(text, "x.model", chips, strategy);
    const a = allocate(g, TSP_V1, "x.model");
    expect(a.graph.tasks.map((t) => t.id)).toEqual(g.tasks.map((t) => t.id));
    expect(taskLengths(a.graph.tasks, TSP_V1)).toEqual(taskLengths(g.tasks, TSP_V1));
    if (text === MIXED) {
      // The case the rule is about: weight loads given a width by allocate.
      const wide = a.graph.tasks.flatMap((t) => t.steps).filter((s) => s.kind === "lw" && (s.width ?? 1) > 1);
      expect(wide.length).toBeGreaterThan(0);
    }
  });
});
