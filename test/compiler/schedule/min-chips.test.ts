// LPU5001's chip count is one that compiles: the packing's fewest chips, and when allocation finds the packing's
// SRAM full there (LPU5005, a layout limit the packing's estimate misses), auto spreads the model over that same
// count instead (LPU5011), so the count the error names is not a dead end.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";

const GPT2 = "programs/gpt2-small.model";

describe("the smallest chip count LPU5001 names", () => {
  it("compiles on that count even where the packing overflows there (gpt2-small, prefill of 32 at batch 2)", () => {
    const graph = loadModel(readFileSync(GPT2, "utf8"), GPT2, { seq: "32", batch: "2" }).graph!;
    const short = compile(graph, TSP_V1, { chips: 2, file: GPT2 });
    expect(short.diagnostics.map((d) => d.code)).toEqual(["LPU5001"]);
    expect(short.diagnostics[0]!.message).toContain(`needs at least ${short.minChips} chips`);
    const packed = compile(graph, TSP_V1, { chips: short.minChips!, file: GPT2, partition: "pack" });
    // The case this guards: the packing alone finds no slice group on its own chip count.
    expect(packed.diagnostics.map((d) => d.code)).toContain("LPU5005");
    const auto = compile(graph, TSP_V1, { chips: short.minChips!, file: GPT2 });
    expect(auto.diagnostics.map((d) => d.code)).toEqual(["LPU5011"]);
    expect(auto.report!.chips).toBe(short.minChips);
  });
});
