// fuse.ts folds an fp32 product's rounding to 16 bits into its epilogue when the product already has epilogue steps
// and makes one row (a decode head's masked p . V): the steps run in fp32, the convert last, and no VXM task of its
// own rounds the product. A convert ends the epilogue (no row adds after it), and a product of several rows (a
// prefill) keeps its convert task.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import type { KernelGraph } from "../../../compiler/passes/kernel-ir.ts";

const HEAD = readFileSync("programs/attention-head.model", "utf8");

function kernel(sets: Record<string, string>): KernelGraph {
  const loaded = loadModel(HEAD, "attention-head.model", sets);
  expect(loaded.diagnostics).toEqual([]);
  return decompose(loaded.graph!, "attention-head.model").kernel;
}

const valueProducts = (k: KernelGraph) => k.ops.filter((o) => o.kind === "matmul" && o.b.includes("v_cache"));

describe("an epilogue convert", () => {
  it("a one-row head's p . V rounds to 16 bits in its epilogue, last (no convert task of its own)", () => {
    const k = kernel({});
    const pv = valueProducts(k);
    expect(pv.length).toBeGreaterThan(0);
    const dtype = new Map(k.tensors.map((t) => [t.id, t.dtype]));
    for (const op of pv) {
      if (op.kind !== "matmul") continue;
      const epi = op.epilogue ?? [];
      expect(epi.at(-1)?.kind).toBe("convert");
      expect(epi.filter((e) => e.kind === "convert")).toHaveLength(1);
      expect(dtype.get(op.out)).toBe("fp16");
    }
  });

  it("a prefill's p . V (3 rows) keeps fp32 and its convert task", () => {
    const k = kernel({ seq: "3" });
    const pv = valueProducts(k);
    expect(pv.length).toBeGreaterThan(0);
    for (const op of pv)
      if (op.kind === "matmul") expect((op.epilogue ?? []).some((e) => e.kind === "convert")).toBe(false);
  });
});
