// The spread partitioner's choices (compiler/passes/spread.ts): the finish it chooses a chip by, for an op not yet
// placed, is the finish the time line books once the op is placed there, including the link its inputs share; an
// op that reads only sources (an embedding's gathers) goes to the chip of its first reader; an 8-bit weight tile
// loads at the converted width; the placement is the fastest of the greedy passes at several caps on each chip's
// fill.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { besideTiles } from "../../../compiler/passes/in-place.ts";
import { opInputs } from "../../../compiler/passes/kernel-ir.ts";
import type { Placement, Stage } from "../../../compiler/passes/pack.ts";
import { partition, spreadTiming, usableBytesPerChip } from "../../../compiler/passes/partition.ts";
import { planeTiming } from "../../../compiler/passes/plane-split.ts";
import {
  estimateNext,
  estimatePlacement,
  FULL_FILL,
  type SpreadTiming,
  spreadStages,
} from "../../../compiler/passes/spread.ts";
import { unlimitedPackContext } from "../helpers/pack-context.ts";

// Four matmuls summed: decompose fuses the adds into epilogues, so the last op reads two results besides its own
// matmul's.
const FAN = `model fan
input x: fp16[1, 640]
param w0: fp16[640, 640]
param w1: fp16[640, 640]
param w2: fp16[640, 640]
param w3: fp16[640, 640]
output y = add(add(matmul(x, w0), matmul(x, w1)), add(matmul(x, w2), matmul(x, w3)))
`;

/** Round numbers, not a machine's, with a slow link: a transfer takes longer than the compute between the inputs. */
const TIMING: SpreadTiming = {
  planes: 4,
  tileRows: 320,
  maxLoadWidth: 8,
  convertWidth: 3,
  cyclesPerVector: () => 1,
  matmulLatency: 20,
  vxmLatency: 8,
  linkLatency: 100,
  hopLatency: 50,
  gateways: true,
  bufferWords: 32,
  wordCycles: 1000,
  planeSplit: planeTiming(TSP_V1),
};

function fan() {
  const graph = loadModel(FAN, "fan.model").graph!;
  const kernel = decompose(graph, "fan.model").kernel;
  return unlimitedPackContext(kernel);
}

describe("the spread estimate", () => {
  it("an op whose inputs come over one link waits for them one after another, in the trial as once placed", () => {
    const ctx = fan();
    const last = ctx.ops.length - 1;
    const lastOp = ctx.ops[last]!;
    expect(lastOp.kind).toBe("matmul");
    // Every op before the last on chip 1: the last op's two computed inputs cross the link 1 -> 0 if it goes to
    // chip 0.
    const before: Placement[] = ctx.ops.slice(0, last).map(() => ({ base: 1, width: 1 }));
    const computed = new Set(ctx.ops.map((op) => op.out));
    const remote = opInputs(lastOp).filter((x) => computed.has(x));
    expect(remote).toHaveLength(2);
    const onChip0: Placement = { base: 0, width: 1 };
    const trial = estimateNext(ctx, TIMING, before, onChip0);
    expect(trial).toBe(estimatePlacement(ctx, TIMING, [...before, onChip0]));
    // Placed with its inputs, nothing crosses a link.
    const alone = estimateNext(ctx, TIMING, before, { base: 1, width: 1 });
    expect(trial).toBeGreaterThan(alone);
  });

  it("an op that reads only sources is placed on the chip of its first reader (llama2-7b's embedding gathers beside their sums)", () => {
    const path = "programs/llama2-7b.model";
    const graph = loadModel(readFileSync(path, "utf8"), path, { layers: "1" }).graph!;
    const kernel = decompose(graph, path).kernel;
    const { partitioned } = partition(kernel, TSP_V1, 576, path, "spread");
    const temps = new Set(kernel.tensors.filter((t) => t.role === "temp").map((t) => t.id));
    let checked = 0;
    kernel.ops.forEach((op, i) => {
      if (op.kind === "matmul" || opInputs(op).some((x) => temps.has(x))) return;
      const reader = kernel.ops.slice(i + 1).find((r) => opInputs(r).includes(op.out));
      if (!reader) return;
      expect(partitioned.stageOf.get(op.id)!.base, op.id).toBe(partitioned.stageOf.get(reader.id)!.base);
      checked++;
    });
    // The 63 gathers of the 32,000-row table, 510 rows each.
    expect(checked).toBeGreaterThanOrEqual(63);
  });

  it("a K split over two whole nodes gets its far node's input tiles over the wires of their positions, side by side, not one chip's after another", () => {
    const text = `model wide
input x: fp16[64, 640]
param w0: fp16[640, 5120]
param w1: fp16[5120, 640]
output y = matmul(matmul(x, w0), w1)
`;
    const kernel = decompose(loadModel(text, "wide.model").graph!, "wide.model").kernel;
    const ctx = unlimitedPackContext(kernel);
    expect(ctx.ops).toHaveLength(2);
    const made = estimatePlacement(ctx, TIMING, [{ base: 0, width: 1 }]);
    // 16 K tiles over the 16 chips of nodes 0 and 1, one each; the input is made on chip 0.
    const bounds = Array.from({ length: 17 }, (_, c) => c);
    const end = estimatePlacement(ctx, TIMING, [
      { base: 0, width: 1 },
      { base: 0, width: 16, kBounds: bounds },
    ]);
    // Node 1's eight K tiles of 64 rows (128 words each) cross at their chips' eight positions (stages.ts `route`),
    // each on its own wire, then its chips' partial sums (2 output tiles of 64 fp32 rows: 512 words) come back.
    const wire = 64 * 2 * TIMING.wordCycles;
    const sums = 2 * 64 * 4 * TIMING.wordCycles;
    expect(end - made).toBeGreaterThanOrEqual(wire + sums);
    expect(end - made).toBeLessThan(8 * wire + sums);
  });

  it("an 8-bit weight tile is estimated at the converted load width (320 / 3 rows), not the fp16 width (320 / 8)", () => {
    const one = (dtype: string) => {
      const text = `model one\ninput x: fp16[1, 640]\nparam w: ${dtype}[640, 640]\noutput y = matmul(x, w)\n`;
      const kernel = decompose(loadModel(text, "one.model").graph!, "one.model").kernel;
      const ctx = unlimitedPackContext(kernel);
      return estimatePlacement(
        ctx,
        TIMING,
        ctx.ops.map(() => ({ base: 0, width: 1 })),
      );
    };
    // Two output tiles on four planes: each plane runs one K tile, so the estimates differ by one tile's load.
    expect(one("fp8") - one("fp16")).toBe(Math.ceil(320 / 3) - 320 / 8);
  });

  it("llama2-70b-fp8's gate and up projections (heavy siblings) are column split over the same chips by the same ranges, more than a node's, filled to the brim or capped", () => {
    const path = "programs/llama2-70b-fp8.model";
    const graph = loadModel(readFileSync(path, "utf8"), path, { layers: "1" }).graph!;
    const kernel = decompose(graph, path).kernel;
    const { partitioned: p } = partition(kernel, TSP_V1, 576, path, "spread");
    const [gate, up] = ["layer.0.matmul_4", "layer.0.matmul_5"].map((m) => {
      expect(p.nSplits?.get(m)?.length, m).toBe(p.stageOf.get(m)!.width + 1);
      return p.stageOf.get(m)!;
    }) as [Stage, Stage];
    // Each chip half of each (in-place.ts): the plane work of the pair side by side, and their tiles stay where the
    // product `mul` reads them. More planes than one node's.
    expect(up).toEqual(gate);
    expect(p.nSplits?.get("layer.0.matmul_5")).toEqual(p.nSplits?.get("layer.0.matmul_4"));
    expect(gate.width).toBeGreaterThan(8);
    // Filled to the brim, node 0 (the embedding, the attention, the gate) once left the up projection chips 4..7
    // (what the fill caps were for); the pair goes on over the next nodes instead.
    const ctx = { ...unlimitedPackContext(kernel), budget: usableBytesPerChip(TSP_V1) };
    const full = spreadStages(ctx, spreadTiming(TSP_V1), 576, FULL_FILL)!;
    const at = (m: string) => full.stages[kernel.ops.findIndex((op) => op.id === m)]!;
    expect(at("layer.0.matmul_5")).toEqual(at("layer.0.matmul_4"));
    expect(at("layer.0.matmul_4").width).toBeGreaterThan(8);
  }, 60_000);

  it("llama2-70b-fp8's MLP stays in place: silu and the product split by gate's ranges, the down projection K split by them over the same chips, from a node's first (its partial sums stream out under its planes' work), gate and up not K split", () => {
    const path = "programs/llama2-70b-fp8.model";
    const graph = loadModel(readFileSync(path, "utf8"), path, { layers: "1" }).graph!;
    const kernel = decompose(graph, path).kernel;
    const { partitioned: p } = partition(kernel, TSP_V1, 576, path, "spread");
    const gate = p.stageOf.get("layer.0.matmul_4")!;
    const n = p.nSplits!.get("layer.0.matmul_4")!;
    for (const o of ["layer.0.silu_0.0", "layer.0.silu_0.4", "layer.0.mul_0"]) {
      expect(p.stageOf.get(o), o).toEqual(gate);
      expect(p.nSplits?.get(o), o).toEqual(n);
    }
    const down = p.stageOf.get("layer.0.m")!;
    expect(down).toEqual(gate);
    // From a node's first chip over the next nodes: since the chains run in rounds over the planes (plane-split.ts),
    // into a fourth node (gate's split over two, up's beside it).
    expect(down.base % 8).toBe(0);
    expect(down.width).toBeGreaterThan(24);
    expect(p.kSplits?.get("layer.0.m")).toEqual(n);
    for (const m of ["layer.0.matmul_4", "layer.0.matmul_5"]) expect(p.kSplits?.get(m), m).toBeUndefined();
    // Each chip's gate tiles have as many of up's beside them on its planes (in-place.ts besideTiles: the chains
    // run in rounds, plane-split.ts), and none of an op not kept in parts.
    const op = (id: string) => kernel.ops.find((o) => o.id === id)!;
    const splitOf = (o: (typeof kernel.ops)[number]) =>
      o.id === "layer.0.matmul_4" || o.id === "layer.0.matmul_5"
        ? { base: p.stageOf.get(o.id)!.base, bounds: p.nSplits!.get(o.id)! }
        : undefined;
    const readers = kernel.ops.filter(
      (o) => o.kind === "matmul" && o.a === (op("layer.0.matmul_4") as { a: string }).a,
    );
    for (let c = 0; c + 1 < n.length; c++) {
      expect(besideTiles(readers, op("layer.0.matmul_4"), splitOf, c)).toBe(n[c + 1]! - n[c]!);
      expect(besideTiles(readers, op("layer.0.matmul_0"), splitOf, c)).toBe(0);
    }
  }, 60_000);
});
