// One count of a product's MXM groups (compiler/passes/product-groups.ts): the tiles (tile-matmul.ts), the SRAM
// estimate's partial sums (pack.ts `demands`) and the spread's time line (spread-timeline.ts) split a group's K chain
// over the same number of planes, for a window product (a head's p . V), a band (a lane move) and a plain one.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { demands, packContext } from "../../../compiler/passes/pack.ts";
import { productGroups, productPlaneSplits, productShape } from "../../../compiler/passes/product-groups.ts";
import { timelineSplits } from "../../../compiler/passes/spread-timeline.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { scheduledInsts } from "../../../compiler/schedule/schedule-ir.ts";

// Grouped-query decode: 8 query heads of 128 lanes over 4 kv heads (2 output tiles), 959 cached keys (3 K tiles).
const TEXT = `model gqa
input x: fp16[1, 1, 1024]
param wq: fp16[1024, 1024]
param wk: fp16[1024, 512]
param wv: fp16[1024, 512]
state k_cache: fp16[1, 959, 4, 128]
state v_cache: fp16[1, 959, 4, 128]
q = reshape(matmul(x, wq), shape=[1, 1, 8, 128])
k = reshape(matmul(x, wk), shape=[1, 1, 4, 128])
v = reshape(matmul(x, wv), shape=[1, 1, 4, 128])
output y = attention(q, k, v, k_cache, v_cache, causal=true)
`;

describe("one count of a product's MXM groups", () => {
  it("the tiles, the SRAM estimate and the spread's time line split a window, a band and a plain product's K chain over the same planes", () => {
    const m = TSP_V1;
    const graph = loadModel(TEXT, "gqa.model").graph!;
    const r = compile(graph, m, { chips: 1, file: "gqa.model", sources: initialSources(graph, 0) });
    const kernel = r.kernel!;
    const ctx = packContext(
      kernel.ops,
      new Map(kernel.tensors.map((t) => [t.id, t])),
      kernel.outputs.map((o) => o.tensor),
      { lanes: m.lanes, planes: m.mxm.planes, budget: 0, nodeChips: 8, chunkRows: m.mxm.accumulatorRows },
    );
    const mxm = [
      ...new Set(
        scheduledInsts(r.schedule!)
          .filter((i) => i.queue.kind === "mxm")
          .map((i) => i.task),
      ),
    ];
    const kinds = new Map<string, number>();
    for (const [i, op] of kernel.ops.entries()) {
      if (op.kind !== "matmul") continue;
      const shape = productShape(ctx, op);
      if (shape.kTiles < 2 || op.bLayout?.kind === "diagonal") continue;
      const kind = op.bLayout?.kind ?? "plain";
      const splits = productPlaneSplits(m.mxm.planes, shape, ctx.chunkRows, shape.kTiles);
      // The tiles: a group's MXM tasks in `.s{s}` parts, one per plane (its first output tile on the MXM, rows from 0).
      const j = op.bLayout?.kind === "band" || op.bLayout?.kind === "window" ? op.bLayout.nTiles[0] : 0;
      const parts = new Set(
        mxm
          .filter((t) => t.startsWith(`${op.id}.n${j}.m0.`))
          .map((t) => /\.s(\d+)\./.exec(t)?.[1] ?? "whole"),
      );
      expect(parts.size, `${op.id} (${kind}): the tiles`).toBe(splits);
      // The SRAM estimate: a partial sum reserved per plane of a split chain.
      const partials = demands(ctx, i)[0]!.filter((item) => item.key.startsWith(`${op.out}.c0.part`)).length;
      expect(Math.max(1, partials), `${op.id} (${kind}): the SRAM estimate`).toBe(splits);
      // The spread's time line.
      expect(timelineSplits(ctx, m.mxm.planes, op, shape.kTiles), `${op.id} (${kind}): the estimate`).toBe(
        splits,
      );
      if (splits > 1) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    // Each kind splits somewhere: a window's groups are its tiles only (p . V: 1 of 2 output tiles, its 3 K tiles
    // over 3 planes), a band's all its output's (a 2-K-tile move into a one-tile output: 2 planes), a plain
    // product's all (k: 2 output tiles of 4 K tiles, 2 planes each).
    expect([...kinds.keys()].sort()).toEqual(["band", "plain", "window"]);
    const pv = kernel.ops.find((o) => o.kind === "matmul" && o.bLayout?.kind === "window")!;
    if (pv.kind !== "matmul") throw new Error("p . V is a matmul");
    const shape = productShape(ctx, pv);
    expect(shape.outTiles).toBeGreaterThan(productGroups(shape, ctx.chunkRows));
  }, 60_000);
});
