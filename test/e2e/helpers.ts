// Shared by the end-to-end tests: model text -> compile (verifying every pass) -> simulate -> compare.
import { expect } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { runModel } from "../../cli/run-model.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";

export function compileAndRunText(text: string, sets: Record<string, string> = {}, chips = 1, seed = 0) {
  const loaded = loadModel(text, "test.model", sets);
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const graph = loaded.graph!;
  const r = compile(graph, TSP_V1, {
    chips,
    file: "test.model",
    sources: initialSources(graph, seed),
    verifyEach: true,
  });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return runModel(graph, r.program!, r.report!, TSP_V1, { functional: true, seed });
}
