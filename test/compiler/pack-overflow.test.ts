// auto's fallback when its own packing overflows allocation (compile.ts): the packing fills the fewest chips up to
// an SRAM estimate, and allocation can still find no slice group for a block (gpt2-small, prefill of 32 at batch
// 2, `--chips 8`: LPU5005 on the packing's 3 chips). With at least the chips the packing used given, the spread
// over them is compiled instead, with warning LPU5011; when that fails too, the packing's own errors stand. Issue 4:
// every program compiles on a chip count that fits it. The overflow is injected (the first allocations fail) so
// that the rule is tested on a small model: the real case takes a minute to compile.
import { describe, expect, it, vi } from "vitest";
import { resolveMachine } from "../../arch/derive.ts";
import { runModel } from "../../cli/run-model.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import type * as Allocate from "../../compiler/passes/allocate.ts";
import { M } from "../../compiler/passes/messages.ts";
import { diag } from "../../util/diagnostics.ts";

/** How many of the next allocations report a full chip. */
const inject = vi.hoisted(() => ({ failures: 0 }));

vi.mock("../../compiler/passes/allocate.ts", async (importOriginal) => {
  const real = await importOriginal<typeof Allocate>();
  const allocate: typeof real.allocate = (g, m, file, opts) => {
    if (inject.failures === 0) return real.allocate(g, m, file, opts);
    inject.failures--;
    const full = diag(M.sliceFull, file, undefined, [1, "h", 64, 4, 58, 1000, 2000]);
    return { graph: g, diagnostics: [full], fullChips: [1], clashed: false };
  };
  return { ...real, allocate };
});

/** 480 words per MEM slice: auto packs this model on 5 chips (a 256-row activation costs more link time than a
 * spread saves). */
const SMALL = resolveMachine("tsp-v1", { mem_words: "480" });
const TWO = `model two
input x: fp16[256, 1280]
param w1: fp16[1280, 2560]
param w2: fp16[2560, 640]
output o = matmul(relu(matmul(x, w1)), w2)
`;

function compileTwo(chips: number) {
  const graph = loadModel(TWO, "test.model", {}).graph!;
  return { graph, r: compile(graph, SMALL, { chips, file: "test.model" }) };
}

describe("auto's packing that overflows allocation", () => {
  it("is compiled as the spread over the chips given (warning LPU5011), simulated in exactly its predicted cycles", () => {
    inject.failures = 0;
    const packed = compileTwo(8).r;
    expect(packed.report!.chips).toBeLessThan(8);
    inject.failures = 1;
    const { graph, r } = compileTwo(8);
    expect(inject.failures).toBe(0);
    const codes = r.diagnostics.map((d) => `${d.code} ${d.severity}`);
    expect(codes).toContain("LPU5011 warning");
    expect(codes.filter((c) => c.endsWith("error"))).toEqual([]);
    // Timing only (the values of a spread are tested in spread.test.ts): no hazard, the predicted cycles.
    const run = runModel(graph, r.program!, r.report!, SMALL, { functional: false, seed: 0 });
    expect(run.hazards).toEqual([]);
    expect(run.cycles).toBe(run.predictedCycles);
  });

  it("keeps the packing's error when the spread overflows too", () => {
    inject.failures = 2;
    const both = compileTwo(8).r;
    expect(both.program).toBeUndefined();
    expect(both.diagnostics.map((d) => d.code)).toEqual(["LPU5006", "LPU5005"]);
  });

  it("spreads over exactly the packing's chips too: LPU5001 names them as the fewest that fit", () => {
    // gpt2-small, prefill of 32 at batch 2: `--chips 2` says at least 3, and the packing on 3 overflows.
    inject.failures = 0;
    const fewest = compileTwo(8).r.report!.chips;
    inject.failures = 1;
    const same = compileTwo(fewest).r;
    expect(inject.failures).toBe(0);
    expect(same.diagnostics.map((d) => d.code)).toContain("LPU5011");
    expect(same.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(same.report!.chips).toBeLessThanOrEqual(fewest);
    inject.failures = 2;
    const none = compileTwo(fewest).r;
    expect(inject.failures).toBe(0);
    expect(none.program).toBeUndefined();
    expect(none.diagnostics.map((d) => d.code)).toEqual(["LPU5005"]);
  });
});
