// A deferred rmsnorm (decompose.ts, lower-reduce.ts lowerRmsnormDeferred): a one-row rmsnorm read only by products
// is x * g, and its 1 / rms is applied in each product's epilogue, so the products' K chains do not wait for the
// norm's sum of squares and rsqrt.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import type { KernelGraph, KOp } from "../../../compiler/passes/kernel-ir.ts";
import { compileAndRunText } from "../../e2e/helpers.ts";
import { expectExactRun } from "../../support/exact.ts";

const model = (rows: number, extra = "", eps = "1e-5") => `model t
const d = 640
input x: fp16[${rows}, d]
param g: fp16[d]
param wq: fp16[d, 960]
param wk: fp16[d, 320]
h = rmsnorm(x, g, eps=${eps})
output q = matmul(h, wq)
output k = matmul(h, wk)
${extra}`;

function kernel(text: string): KernelGraph {
  return decompose(loadModel(text, "t.model").graph!, "t.model").kernel;
}
const products = (k: KernelGraph) =>
  k.ops.filter((o): o is Extract<KOp, { kind: "matmul" }> => o.kind === "matmul");
/** The op writing tensor `id`. */
const writer = (k: KernelGraph, id: string) => k.ops.find((o) => o.out === id);

describe("a deferred rmsnorm", () => {
  it("one row read only by products: each product reads x * g, its epilogue multiplies by the one-tile 1 / rms and rounds", () => {
    const k = kernel(model(1));
    // matmul_0, matmul_1: q and k's products (their outputs keep the node names).
    for (const id of ["matmul_0", "matmul_1"]) {
      const p = products(k).find((o) => o.out === id)!;
      expect(p.a).toBe("h");
      const rows = (p.epilogue ?? []).filter((e) => e.kind === "row");
      expect(rows).toHaveLength(1);
      expect(rows[0]!.fn).toBe("mul");
      expect(p.epilogue!.at(-1)!.kind).toBe("convert");
      // The row is the rsqrt's one tile (every lane the same), not h's width.
      const inv = k.tensors.find((t) => t.id === (rows[0] as { b: string }).b)!;
      expect([inv.rows, inv.cols, inv.dtype]).toEqual([1, 320, "fp32"]);
      // h itself does not wait for the sum of squares: it is made from x and g alone.
      const h = writer(k, "h")!;
      expect(JSON.stringify(h)).not.toContain("rsqrt");
    }
  });

  it("not deferred when a reader is not a product (an output) or the norm has more than one row", () => {
    for (const text of [model(1, "output hh = h\n"), model(2)]) {
      const k = kernel(text);
      expect(
        products(k).some((p) => (p.epilogue ?? []).some((e) => e.kind === "row" && e.fn === "mul")),
      ).toBe(false);
    }
  });

  it("the scale is the norm's own: with eps = 3 (1 / rms about 1/2 for x of unit variance) the outputs still match", () => {
    // x is drawn with unit variance, so with a small eps 1 / rms is about 1 and a dropped scale or eps would pass.
    const run = compileAndRunText(model(1, "", "3"), {}, 1);
    expectExactRun(run);
    expect(run.maxRelError!).toBeLessThan(1e-2);
  });

  for (const chips of [1, 8])
    it(`on ${chips} chip(s): no hazard, cycles equal the prediction, outputs within the interpreter's tolerance`, () => {
      const run = compileAndRunText(model(1), {}, chips);
      expectExactRun(run);
      expect(run.maxRelError!).toBeLessThan(1e-2);
    });
});
