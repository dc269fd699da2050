import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { packContext } from "../../../compiler/passes/pack.ts";
import { partition, spreadTiming } from "../../../compiler/passes/partition.ts";
import { planeSplits, planeTiming } from "../../../compiler/passes/plane-split.ts";
import { heavy } from "../../../compiler/passes/spread.ts";
import { columnChain } from "../../../compiler/passes/spread-timeline.ts";
import { scheduledInsts } from "../../../compiler/schedule/schedule-ir.ts";
import { expectExact } from "../../support/exact.ts";
import { compileSpread, fp8Layer } from "../../support/spread.ts";

describe("a column split's chips use their idle planes", () => {
  it("a chip of a column split with g < 4 output tiles runs each tile's K tiles over the planes plane-split.ts gives (up to floor(4 / g)), its partial sums added on the chip: exact with the interpreter's values", () => {
    // 640 words a slice and nodes of 4 chips keep it small; an 8-bit 5 x 5 tile product, its input computed.
    const m = resolveMachine("tsp-v1", { mem_words: "640", chips_per_node: "4" });
    const text = `model t
input x: fp16[1, 1600]
param w: fp8[1600, 1600]
param v: fp8[1600, 1280]
output y = matmul(silu(matmul(x, w)), v)
`;
    const { graph, r, p } = compileSpread(text, "t.model", m, 4);
    const kernel = r.kernel!;
    const ctx = packContext(
      kernel.ops,
      new Map(kernel.tensors.map((t) => [t.id, t])),
      kernel.outputs.map((o) => o.tensor),
      { lanes: m.lanes, planes: m.mxm.planes, budget: 0, nodeChips: 4, chunkRows: m.mxm.accumulatorRows },
    );
    const op = kernel.ops.find((o) => o.id === "matmul_0")!;
    if (op.kind !== "matmul") throw new Error("matmul_0 is a matmul");
    const n = p.nSplits?.get("matmul_0");
    expect(n, "the first product split by columns").toBeDefined();
    const base = p.stageOf.get("matmul_0")!.base;
    const mxm = scheduledInsts(r.schedule!).filter((i) => i.op === "matmul_0" && i.queue.kind === "mxm");
    let split = 0;
    for (let c = 0; c + 1 < n!.length; c++) {
      const tiles = n![c + 1]! - n![c]!;
      // fp8 weights converted on their way, 5 K tiles: a chip's single tile takes 3 planes (2 K tiles a plane, as
      // on 4, and one add fewer), 2 tiles 2 each.
      const chain = {
        groups: tiles,
        kTiles: 5,
        rows: 1,
        weightBytes: 1,
        activationBytes: 2,
        computedWeight: false,
      };
      const splits = planeSplits(planeTiming(m), chain);
      expect(splits, `${tiles} tiles`).toBe(tiles === 1 ? 3 : tiles === 2 ? 2 : 1);
      // The spread's estimate asks the same rule of the same chain.
      expect(planeSplits(spreadTiming(m).planeSplit, columnChain(ctx, op, tiles, 5))).toBe(splits);
      if (splits > 1) split++;
      for (let j = n![c]!; j < n![c + 1]!; j++) {
        const groups = new Set(
          mxm
            .filter((i) => i.task.startsWith(`matmul_0.n${j}.m0.c${c}.`))
            .map((i) => /\.s(\d+)\./.exec(i.task)?.[1] ?? "whole"),
        );
        expect(groups.size, `tile ${j} on chip ${base + c}`).toBe(splits);
      }
      // Every plane of a chip with fewer tiles than planes takes part.
      const planes = new Set(mxm.filter((i) => i.chip === base + c).map((i) => i.queue.index));
      if (tiles < 4) expect(planes.size).toBe(tiles * splits);
    }
    expect(split, "some chip splits its tiles over planes").toBeGreaterThan(0);
    expectExact(graph, r, m);
  }, 60_000);
});

describe("a column split into the next node", () => {
  it("any product's column split may run into the next node when the estimate says it finishes first: llama2-70b-fp8's q and o (not heavy) over two nodes", () => {
    const { file: FP8, kernel, ctx } = fp8Layer();
    const p = partition(kernel, TSP_V1, 576, FP8).partitioned;
    const node = (c: number) => Math.floor(c / 8);
    // matmul_0: q, matmul_3: o.
    for (const id of ["layer.0.matmul_0", "layer.0.matmul_3"]) {
      const op = kernel.ops.find((o) => o.id === id)!;
      expect(heavy(ctx, spreadTiming(TSP_V1), op), `${id} is not heavy`).toBe(false);
      const at = p.stageOf.get(id)!;
      expect(p.nSplits?.get(id), `${id} split by columns`).toBeDefined();
      expect(node(at.base + at.width - 1), `${id} over two nodes`).toBe(node(at.base) + 1);
    }
  }, 60_000);
});
