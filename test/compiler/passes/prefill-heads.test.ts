// The attention head's chain in a prefill (issue 4, docs/compiler.md "bert-base's prefill"): softmax's padding lanes
// capped before exp in the scores' epilogue, and a masked query computed only over the tiles its scores read.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import type { KernelGraph } from "../../../compiler/passes/kernel-ir.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { tile } from "../../../compiler/passes/tile.ts";
import { liveTiles } from "../../../compiler/passes/tile-live.ts";

/** Self-attention of `seq` tokens over `heads` heads of 64 lanes (d = 64 * heads), as bert-base's layer has it. */
function attention(seq: number, heads: number): KernelGraph {
  const text = `model t
const s = ${seq}
const h = ${heads}
const d = 64 * h
input x: fp16[1, s, d]
param wq: fp16[d, d]
param wk: fp16[d, d]
param wv: fp16[d, d]
q = reshape(matmul(x, wq), shape=[1, s, h, 64])
k = reshape(matmul(x, wk), shape=[1, s, h, 64])
v = reshape(matmul(x, wv), shape=[1, s, h, 64])
output a = attention(q, k, v, causal=false)
`;
  return decompose(loadModel(text, "t.model").graph!, "t.model").kernel;
}

describe("softmax's padding cap", () => {
  it("scores of one partial tile are capped by min with -inf in the product's epilogue, with no keep mask after exp", () => {
    const k = attention(128, 2);
    const scores = k.ops.filter(
      (op) => op.kind === "matmul" && (op.epilogue ?? []).some((e) => e.kind === "unary" && e.fn === "exp"),
    );
    expect(scores).toHaveLength(2);
    for (const op of scores) {
      if (op.kind !== "matmul") throw new Error("not a matmul");
      const epi = op.epilogue!;
      const cap = epi.find((e) => e.kind === "row" && e.fn === "min");
      expect(cap).toBeDefined();
      // The cap comes before exp, and the scores' padding lanes meet -inf, the kept lanes +inf.
      expect(epi.indexOf(cap!)).toBeLessThan(epi.findIndex((e) => e.kind === "unary" && e.fn === "exp"));
      const values = k.constants?.get(cap?.kind === "row" ? cap.b : "");
      if (!values) throw new Error("no cap constant");
      expect(values.length).toBe(320);
      expect(values.slice(0, 128).every((x) => x === Number.POSITIVE_INFINITY)).toBe(true);
      expect(values.slice(128).every((x) => x === Number.NEGATIVE_INFINITY)).toBe(true);
      // Nothing multiplies the exps by a keep mask afterwards.
      const keepAfter = k.ops.filter(
        (o) => o.kind === "binary" && o.a === op.out && o.b.startsWith("const.keep."),
      );
      expect(keepAfter).toEqual([]);
    }
  });

  it("scores wider than a tile keep the keep mask before and after exp", () => {
    const k = attention(330, 1);
    const keep = k.ops.filter((o) => o.kind === "binary" && o.b.startsWith("const.keep.fp32.330"));
    expect(keep).toHaveLength(1);
    expect(k.tensors.some((t) => t.id.startsWith("const.cap."))).toBe(false);
  });
});

describe("a VXM op computes only the column tiles its readers read", () => {
  it("a head's masked query is computed over its lanes' tile only (1 of 768 lanes' 3), the others skipped", () => {
    const k = attention(128, 12);
    const masks = k.ops.filter(
      (o) => o.kind === "binary" && o.fn === "mul" && o.b.startsWith("const.mask.fp16"),
    );
    expect(masks).toHaveLength(12);
    const live = liveTiles(
      k,
      (x) => Math.ceil(k.tensors.find((t) => t.id === x)!.cols / 320),
      () => false,
    );
    // Head g's lanes 64g..64g+63 lie in tile floor(64g / 320).
    masks.forEach((m, g) => {
      const t = Math.floor((64 * g) / 320);
      expect(live.get(m.out)).toEqual({ j0: t, j1: t + 1 });
    });
    // And the task graph writes only that tile of each.
    const p = partition(k, TSP_V1, 1, "t.model");
    const g = tile(p.partitioned, TSP_V1);
    masks.forEach((m, h) => {
      const tiles = new Set(
        g.tasks
          .filter((t) => t.op === m.id)
          .flatMap((t) => t.steps.flatMap((s) => (s.kind === "write" ? [s.ref.tile] : []))),
      );
      expect([...tiles]).toEqual([Math.floor((64 * h) / 320)]);
    });
  });

  it("a result read whole (a model output, a product's weights) keeps every tile", () => {
    const k = attention(128, 12);
    const live = liveTiles(
      k,
      (x) => Math.ceil(k.tensors.find((t) => t.id === x)!.cols / 320),
      () => false,
    );
    for (const o of k.outputs) expect(live.has(o.tensor)).toBe(false);
    // The keys are the scores' weights (read whole): the ops making them, if VXM ops, are not narrowed.
    for (const op of k.ops) if (op.kind === "matmul") expect(live.has(op.b)).toBe(false);
  });
});
