// The packing counts the relay copies of tensors read across nodes (pack-relay.ts): a computed tensor made on a
// chip of one node and read on a chip of the next crosses the chip of the first node at the reader's position
// (stages.ts `route`), which holds a copy of it; the packing keeps room for those copies where a chip would pass
// its budget with them, so allocation finds the room (mixtral-8x7b, `--set seq=64 --partition pack`: LPU5005).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { allocate } from "../../../compiler/passes/allocate.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { packContext } from "../../../compiler/passes/pack.ts";
import { relayPeaks } from "../../../compiler/passes/pack-relay.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { placeStages } from "../../../compiler/passes/stages.ts";
import { tile } from "../../../compiler/passes/tile.ts";

describe("relay copies in the packing", () => {
  it("counts a tensor made on chip 2 and read on chip 12 on chip 4, its route's middle, from maker to reader", () => {
    const graph = loadModel(
      `model relay
input x: fp16[4, 640]
param w1: fp16[640, 640]
param w2: fp16[640, 320]
h = matmul(x, w1)
output y = matmul(h, w2)
`,
      "t.model",
      {},
    ).graph!;
    const kernel = decompose(graph, "t.model").kernel;
    const ctx = packContext(
      kernel.ops,
      new Map(kernel.tensors.map((t) => [t.id, t])),
      kernel.outputs.map((o) => o.tensor),
      { lanes: 320, planes: 4, budget: 1e9, nodeChips: 8, chunkRows: 1024, gateways: true },
    );
    expect(kernel.ops.map((op) => op.kind)).toEqual(["matmul", "matmul"]);
    // x @ w1 on chip 2, h @ w2 on chip 12: h crosses chip 4 (node 0, position 4).
    const stages = [
      { base: 2, width: 1 },
      { base: 12, width: 1 },
    ];
    const peaks = relayPeaks(ctx, stages, 13);
    // h: 4 rows, 2 tiles of 320 lanes, fp16.
    expect(peaks[4]).toBe(2 * 4 * 320 * 2);
    expect(peaks.filter((b) => b > 0)).toEqual([peaks[4]]);
    // Without the route's rule (no `gateways`), nothing is counted.
    expect(relayPeaks({ ...ctx, gateways: undefined }, stages, 13).every((b) => b === 0)).toBe(true);
  });

  it("leaves room for them where a packed chip is full: mixtral-8x7b, one layer, a prefill of 64, packed", () => {
    const file = "programs/mixtral-8x7b.model";
    const graph = loadModel(readFileSync(file, "utf8"), file, { seq: "64", layers: "1" }).graph!;
    const kernel = decompose(graph, file, { gatherRows: 512 }).kernel;
    const p = partition(kernel, TSP_V1, 576, file, "pack");
    expect(p.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const tasks = placeStages(tile(p.partitioned, TSP_V1), p.partitioned, TSP_V1);
    // Chip 4 relays the experts' fp32 products from chips 2..7 to chip 12 (LPU5005 there before).
    expect(tasks.tensors.some((t) => t.chip === 4 && t.id.includes("@p4") && t.role === "temp")).toBe(true);
    const a = allocate(tasks, TSP_V1, file);
    expect(a.diagnostics.map((d) => d.code)).toEqual([]);
  });
});
