// End to end: 8-bit weights (fp8 e4m3, int8) stay 1 byte in SRAM and are converted to the activations' fp16 on
// the VXM on their way to the MXM; the products then equal the interpreter's (docs/language.md: a float activation
// times 8-bit weights gives the float type), on one chip and on two.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { runModel } from "../../cli/run-model.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import type { PartitionStrategy } from "../../compiler/passes/partition.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { expectExactRun } from "../support/exact.ts";

const FP8_MLP = `model fp8mlp
input x: fp16[1, 640]
param w1: fp8[640, 960]
param b1: fp16[960]
param w2: fp8[960, 640]
z = relu(add(matmul(x, w1), b1))
output o = matmul(z, w2)
`;

// int8 weights over their whole range make large sums: one product keeps them inside fp16.
const INT8_MATMUL = `model int8mm
input x: fp16[2, 700]
param w: int8[700, 500]
output o = matmul(x, w)
`;

function build(text: string, chips: number, partition?: PartitionStrategy) {
  const graph = loadModel(text, "test.model", {}).graph!;
  const r = compile(graph, TSP_V1, {
    chips,
    file: "test.model",
    sources: initialSources(graph, 0),
    verifyEach: true,
    partition,
  });
  return { graph, r };
}

function run(text: string, chips: number, partition?: PartitionStrategy) {
  const { graph, r } = build(text, chips, partition);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { r, run: runModel(graph, r.program!, r.report!, TSP_V1, { functional: true, seed: 0 }) };
}

describe("8-bit weights", () => {
  const cases: [string, string, number, PartitionStrategy | undefined][] = [
    ["fp8 two-layer MLP on one chip", FP8_MLP, 1, undefined],
    ["fp8 two-layer MLP, one layer per chip on two chips", FP8_MLP, 2, "pipeline"],
    ["int8 weights on one chip", INT8_MATMUL, 1, undefined],
    ["int8 weights with the K tiles split over two chips", INT8_MATMUL, 2, "k-split"],
  ];
  for (const [name, text, chips, partition] of cases)
    it(`${name}: no hazard, cycles equal the prediction, outputs equal the interpreter's`, () => {
      const { r, run: res } = run(text, chips, partition);
      expect(r.report!.chips).toBe(chips);
      expectExactRun(res);
      // The conversion is exact; only the order of fp32 partial sums can move a result by an fp16 ulp.
      expect(res.maxRelError).toBeLessThanOrEqual(2 ** -10);
    });

  it("an 8-bit weight loads floor(alus / planes) - 1 rows a cycle: one convert per stream group, each on its own ALU, all in the same cycle", () => {
    const { r } = build(FP8_MLP, 1);
    const width = Math.floor(TSP_V1.vxm.alus / TSP_V1.mxm.planes) - 1;
    const insts = r.program!.chips[0]!.queues.flatMap((q) => q.instructions.map((i) => ({ q, i })));
    const lws = insts.filter(({ i }) => i.inst.op === "lw");
    expect(lws.length).toBeGreaterThan(0);
    for (const { i } of lws) expect(i.inst.op === "lw" && i.inst.width).toBe(width);
    // Each load's converts: `width` of them, one per ALU queue, issued together (the rows reach the plane
    // `width` a cycle only if every group is converted in the same cycles).
    const task = lws[0]!.i.note;
    const converts = insts.filter(({ i }) => i.inst.op === "convert" && i.note === task);
    expect(converts.length).toBe(width);
    expect(new Set(converts.map(({ q }) => q.queue.index)).size).toBe(width);
    expect(new Set(converts.map(({ i }) => i.cycle)).size).toBe(1);
  });
  it("an 8-bit weight takes 1 byte in SRAM: the fp8 MLP's weight blocks use half the words of the fp16 one", () => {
    const words = (text: string) => {
      const t = build(text, 1).r.tasks!;
      return t
        .placements!.filter((p) => p.tensor.startsWith("w"))
        .reduce(
          (s, p) =>
            // rows x byte planes (a wide block's slices are width groups of planes), without the rounding of a
            // width-6 chunk's rows up to whole words per group
            s + p.blocks.reduce((b, k) => b + k.rows * (k.slices.length / (k.width ?? 1)), 0),
          0,
        );
    };
    expect(words(FP8_MLP) * 2).toBe(words(FP8_MLP.replaceAll("fp8", "fp16")));
  });

  it("an fp8 param read by anything but a matmul's weight is still refused (LPU5004)", () => {
    const text = `model bad
input x: fp16[1, 64]
param s: fp8[64]
output o = add(x, cast(s, to=fp16))
`;
    const loaded = loadModel(text, "test.model", {});
    expect(loaded.diagnostics).toEqual([]);
    const { r } = build(text, 1);
    expect(r.diagnostics.map((d) => d.code)).toContain("LPU5004");
  });
});
