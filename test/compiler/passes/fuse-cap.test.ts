// fuse.ts keeps an epilogue to a few row operands: allocate places the tensors one task reads in different slice
// groups, so a 64-way fused sum (llama2-70b's attention heads at decode) could not be placed at all.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { opInputs } from "../../../compiler/passes/kernel-ir.ts";

describe("epilogue fusion", () => {
  it("folds at most 8 one-row adds into a matmul's epilogue; the rest stay VXM ops, fused at most 4 inputs a task", () => {
    const adds = Array.from({ length: 20 }, (_, i) => `param b${i}: fp16[1, 64]`).join("\n");
    const chain = Array.from({ length: 20 }, (_, i) => i).reduce(
      (e, i) => `add(${e}, b${i})`,
      "matmul(x, w)",
    );
    const text = `model chain\ninput x: fp16[1, 64]\nparam w: fp16[64, 64]\n${adds}\noutput y = ${chain}\n`;
    const loaded = loadModel(text, "t.model", {});
    expect(loaded.diagnostics).toEqual([]);
    const k = decompose(loaded.graph!, "t.model").kernel;
    const mm = k.ops.filter((o) => o.kind === "matmul");
    expect(mm).toHaveLength(1);
    const rows = mm[0]!.kind === "matmul" ? (mm[0]!.epilogue ?? []).filter((e) => e.kind === "row") : [];
    expect(rows).toHaveLength(8);
    // The other 12 adds: chains of fused pointwise ops, each reading at most 4 tensors (allocate's rule again).
    const vxm = k.ops.filter((o) => o.kind === "binary" || o.kind === "pointwise");
    expect(vxm.map((o) => (o.kind === "pointwise" ? o.steps.length : 1)).reduce((a, b) => a + b)).toBe(12);
    for (const o of vxm) expect(opInputs(o).length).toBeLessThanOrEqual(4);
  });
});
