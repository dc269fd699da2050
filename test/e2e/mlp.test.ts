// End to end: model text -> compiler -> simulator, against the compiler's prediction and the reference interpreter.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { runModel } from "../../cli/run-model.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { expectExactRun } from "../support/exact.ts";

function compileAndRun(path: string, sets: Record<string, string> = {}, seed = 0, chips = 1) {
  const loaded = loadModel(readFileSync(path, "utf8"), path, sets);
  const graph = loaded.graph!;
  const r = compile(graph, TSP_V1, {
    chips,
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
      expectExactRun(run);
      expect(run.maxRelError!).toBeLessThan(1e-2);
    });
  it("an output region missing from the program is a mismatch, not a smaller comparison", () => {
    const path = "programs/mlp2.model";
    const graph = loadModel(readFileSync(path, "utf8"), path, { batch: "3", d_out: "650" }).graph!;
    const r = compile(graph, TSP_V1, { chips: 1, file: path, sources: initialSources(graph, 0) });
    const program = r.program!;
    const [chip, ...rest] = program.chips;
    expect(chip!.outputs.length).toBeGreaterThan(1);
    const cut = { ...program, chips: [{ ...chip!, outputs: chip!.outputs.slice(1) }, ...rest] };
    expect(runModel(graph, program, r.report!, TSP_V1, { functional: true, seed: 0 }).outputsMatch).toBe(
      true,
    );
    expect(runModel(graph, cut, r.report!, TSP_V1, { functional: true, seed: 0 }).outputsMatch).toBe(false);
  });
  it("another seed gives other values that still match", () => {
    const run = compileAndRun("programs/mlp2.model", {}, 7);
    expect(run.hazards).toEqual([]);
    expect(run.outputsMatch).toBe(true);
  });
});

describe("programs/mlp2.model split over chips (K tiles per chip, partial sums over links to chip 0)", () => {
  const cases: [number, Record<string, string>][] = [
    [2, {}],
    [3, { batch: "2" }],
    [8, { d_in: "2560", batch: "10" }],
    // 64-row chunks: each chunk's partial sums cross the link and are added on their own.
    [2, { batch: "150" }],
  ];
  for (const [chips, sets] of cases)
    it(`${chips} chips ${JSON.stringify(sets)}: no hazard, cycles equal the prediction, outputs match`, () => {
      const run = compileAndRun("programs/mlp2.model", sets, 0, chips);
      expectExactRun(run);
    });
  it("the same 2-chip program gives the same cycles and values for every clock-drift seed (deskew aligns the chips)", () => {
    const path = "programs/mlp2.model";
    const graph = loadModel(readFileSync(path, "utf8"), path).graph!;
    const r = compile(graph, TSP_V1, { chips: 2, file: path, sources: initialSources(graph, 0) });
    const runs = [1, 2, 3, 99].map((clockSeed) =>
      runModel(graph, r.program!, r.report!, TSP_V1, { functional: true, seed: 0, clockSeed }),
    );
    for (const run of runs) {
      expect(run.hazards).toEqual([]);
      expect(run.cycles).toBe(r.report!.cycles);
      expect(run.maxAbsError).toBe(runs[0]!.maxAbsError);
    }
  });
});
