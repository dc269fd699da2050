// auto's choice of `layers` (compiler/passes/deep-repeat.ts): a model larger than a chip whose `repeat` has 16 or
// more units on the chips given, can be stamped, and is estimated at most 1.5x slower stamped than whole is
// partitioned by layers; fewer units, or units so short that rounding each to a deskew period dominates, are
// compiled whole; an explicit --partition wins.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile, gatherRows } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { STAMP_MIN_UNITS } from "../../../compiler/passes/deep-repeat.ts";
import { OUTPUT_NODES } from "../../../compiler/passes/pack.ts";
import { type PartitionStrategy, partition } from "../../../compiler/passes/partition.ts";
import { chainModel } from "../helpers/chain-model.ts";

/** llama2-7b's layer (d 4096, 32 heads) with a short cache and vocabulary, partitioned on 576 chips (no back end). */
const LLAMA = "programs/llama2-7b.model";
function llama(layers: number) {
  const sets = { layers: String(layers), ctx: "320", vocab: "3200" };
  const graph = loadModel(readFileSync(LLAMA, "utf8"), LLAMA, sets).graph!;
  return decompose(graph, LLAMA, { gatherRows: gatherRows(TSP_V1) }).kernel;
}
const partitioned = (kernel: ReturnType<typeof llama>, strategy: PartitionStrategy) =>
  partition(kernel, TSP_V1, 576, LLAMA, strategy).partitioned;

/** Chained 640-wide matvec layers on chips of 640-word slices: the model needs 2 chips. */
const SMALL = resolveMachine("tsp-v1", { mem_words: "640" });
const chain = (layers: number) => loadModel(chainModel(layers), "chain.model").graph!;
const scheduledLayers = (r: ReturnType<typeof compile>) =>
  new Set(r.tasks!.tasks.flatMap((t) => /^layer\.(\d+)\./.exec(t.op)?.[1] ?? [])).size;

describe("auto partitions a deep repeat by layers when stamping is the better plan", () => {
  it(`16 llama2-7b layers (${STAMP_MIN_UNITS} units, each long against a deskew period) are placed a node a layer, for stamping; an explicit --partition wins`, () => {
    const kernel = llama(16);
    const p = partitioned(kernel, "auto");
    // The embedding's node, then a node per layer; the lm head after them.
    expect(p.groups).toEqual({ base: 8, width: 8, unit: 1 });
    expect(p.chips).toBeGreaterThan(8 + 16 * 8);
    const pack = partitioned(kernel, "pack");
    expect(pack.groups).toBeUndefined();
    expect(pack.chips).toBe(pack.minChips);
  }, 60_000);

  it("8 llama2-7b layers (fewer units than 16) are spread and compiled whole", () => {
    const p = partitioned(llama(8), "auto");
    expect(p.groups).toBeUndefined();
    expect(p.chips).toBeLessThan(8 + 8 * 8);
  }, 60_000);

  it("the whole llama2-70b-fp8 on 576 chips (20 units of 4 layers, estimated 1.13x slower stamped) is stamped, never compiled whole; a unit's gate and up run together over more than one of its nodes", () => {
    // The whole compile of its 80 layers runs out of Node's default heap: auto must not choose it.
    const file = "programs/llama2-70b-fp8.model";
    const graph = loadModel(readFileSync(file, "utf8"), file, { ctx: "4096" }).graph!;
    const kernel = decompose(graph, file, { gatherRows: gatherRows(TSP_V1) }).kernel;
    const p = partition(kernel, TSP_V1, 576, file, "auto").partitioned;
    expect(p.groups).toEqual({ base: 8, width: 24, unit: 4 });
    // The model's tail (final rmsnorm, lm head) over more than a node: its lm head, an output left in place, may
    // take up to OUTPUT_NODES nodes (spread.ts), and the tail's range is given them (layers.ts placeRangeOf).
    expect(p.chips).toBeGreaterThan(8 + 20 * 24 + 8);
    expect(p.chips).toBeLessThanOrEqual(8 + 20 * 24 + 8 * OUTPUT_NODES);
    // The unit owns its three nodes: its first layer's gate and up projections (heavy products, spread.ts) are
    // split by columns over the same chips of more than one of them (each chip half of each, in-place.ts), not one
    // after the other on one node's planes.
    const n = p.nSplits?.get("layer.0.matmul_4");
    expect(n).toBeDefined();
    expect(p.nSplits?.get("layer.0.matmul_5")).toEqual(n);
    expect(p.stageOf.get("layer.0.matmul_5")).toEqual(p.stageOf.get("layer.0.matmul_4"));
    expect(p.stageOf.get("layer.0.matmul_4")!.width).toBeGreaterThan(8);
  }, 60_000);

  it("16 short layers are compiled whole: stamped, each unit's deskew-period step dwarfs its few hundred cycles", () => {
    const auto = compile(chain(16), SMALL, { chips: 200, file: "chain.model" });
    expect(auto.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(scheduledLayers(auto)).toBe(16);
    // What stamping would have given: slower, as the estimate said.
    const forced = compile(chain(16), SMALL, { chips: 200, file: "chain.model", partition: "layers" });
    expect(scheduledLayers(forced)).toBe(1);
    expect(forced.report!.cycles).toBeGreaterThan(2 * auto.report!.cycles);
  });
});
