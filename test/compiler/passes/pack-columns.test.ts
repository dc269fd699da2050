// The packing's column split (compiler/passes/pack.ts `columnSplit`): a product whose K split cannot fit, because
// the split's first chip holds every other chip's fp32 partial sum of the whole output (a prefill's lm head: 32 rows
// x 128,256 columns), splits by output columns instead, so the model compiles on the fewest chips that hold it
// (issue 4: every program compiles on a chip count that fits it; prefill compiles), exactly and with the
// interpreter's values. Before, packStages stopped with LPU5003 ("needs more than one node's SRAM") under every
// partition strategy (llama3-8b --set layers=1 --set seq=32).
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { demands, packStages } from "../../../compiler/passes/pack.ts";
import { partition, usableBytesPerChip } from "../../../compiler/passes/partition.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { expectExact } from "../../support/exact.ts";
import { budgetPackContext } from "../helpers/pack-context.ts";

/** 480 words per MEM slice: 13.5 MB a chip, 4.2 MB of it usable by the packing. */
const SMALL = resolveMachine("tsp-v1", { mem_words: "480" });

/** 64 rows x 3,520 columns: a 4.5 MB weight of 2 K tiles, an fp32 partial sum of 0.9 MB; a K split's first chip
 * would hold two partial sums and the 0.45 MB output besides its own 2.25 MB K tile (4.5 MB > 4.2 MB). */
const wide = (read: boolean) => `model wide
input x: fp16[64, 640]
param w: fp16[640, 3520]
output o = ${read ? "relu(matmul(x, w))" : "matmul(x, w)"}
`;

function contextOf(text: string) {
  const kernel = decompose(loadModel(text, "test.model", {}).graph!, "test.model").kernel;
  return { kernel, ctx: budgetPackContext(kernel, usableBytesPerChip(SMALL)) };
}

describe("a product no K split fits is packed by output columns", () => {
  for (const read of [false, true])
    it(`on the fewest chips that hold it, each chip within its budget, exact with the interpreter's values (${read ? "output read by a relu, tiles sent back" : "a model output left in place"})`, () => {
      const { kernel, ctx } = contextOf(wide(read));
      const i = kernel.ops.findIndex((op) => op.kind === "matmul");
      // The K split of two chips already overflows its first chip: the partial sums are the cause, not the weight.
      const [first] = demands(ctx, i, [0, 1, 2]);
      expect(first!.reduce((s, it) => s + it.bytes, 0)).toBeGreaterThan(ctx.budget);
      const packed = packStages(ctx);
      expect(packed.ok).toBe(true);
      const place = packed.stages[i]!;
      expect(place.kBounds).toBeUndefined();
      expect(place.nBounds!.at(-1)).toBe(11);
      expect(place.width).toBeGreaterThan(1);
      for (const b of packed.chipBytes) expect(b).toBeLessThanOrEqual(ctx.budget);

      const graph = loadModel(wide(read), "test.model", {}).graph!;
      const chips = packed.chips;
      // One chip fewer: the clear LPU5001 with the fewest chips, not an internal error.
      const short = partition(kernel, SMALL, chips - 1, "test.model", "pack");
      expect(short.diagnostics.map((d) => d.code)).toEqual(["LPU5001"]);
      expect(short.partitioned.minChips).toBe(chips);
      for (const strategy of ["pack", "auto"] as const) {
        const r = compile(graph, SMALL, {
          chips,
          file: "test.model",
          sources: initialSources(graph, 0),
          partition: strategy,
        });
        expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        expectExact(graph, r, SMALL);
      }
    });
});

/** A moe of 2 experts whose gate and up weights ([E, D, F] stored as one [E * F, D] of 2 transposed matrices,
 * TensorSource.batches; each expert's product reads its rows of it, lower-routing.ts) hold 4.5 MB an expert, an
 * fp32 [48, 3,520] output: no K split of an expert's gate product fits. */
const MOE = `model moe_wide
input x: fp16[1, 48, 640]
input w: fp16[1, 48, 2]
input idx: int32[1, 48, 2]
param experts_gate: fp16[2, 640, 3520]
param experts_up: fp16[2, 640, 3520]
param experts_down: fp16[2, 3520, 640]
output m = moe(x, w, idx, experts_gate, experts_up, experts_down, act=gelu)
`;

describe("a weight stored as several transposed matrices splits by columns", () => {
  it("moe's expert weights: each chip of an expert's split holds its rows of that expert's rows of the stacked transposed matrices (tile-columns.ts columnRows); packed and spread, exact with the interpreter's values (packed; before the rows composed every chip loaded expert 0's rows, max error 6.8)", () => {
    const graph = loadModel(MOE, "test.model", {}).graph!;
    const kernel = decompose(graph, "test.model").kernel;
    for (const strategy of ["pack", "spread"] as const) {
      const p = partition(kernel, SMALL, 16, "test.model", strategy).partitioned;
      const gate = kernel.ops.find((op) => op.kind === "matmul" && op.b === "experts_gate^T.e0")!;
      expect(p.nSplits?.get(gate.id)?.at(-1)).toBe(11);
    }
    const r = compile(graph, SMALL, {
      chips: 16,
      file: "test.model",
      sources: initialSources(graph, 0),
      partition: "pack",
    });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expectExact(graph, r, SMALL);
  });
});

describe("an op the partitioner does not split, larger than a chip", () => {
  it("is an LPU5003 that names the op, its bytes and the chip's, not a node's SRAM", () => {
    // 64 x 16,000 fp32 in and out: 4.1 MB each, a chip takes 4.2 MB.
    const { kernel } = contextOf(`model big_relu
input x: fp32[64, 16000]
output y = relu(x)
`);
    const p = partition(kernel, SMALL, 16, "test.model");
    expect(p.diagnostics.map((d) => d.code)).toEqual(["LPU5003"]);
    expect(p.diagnostics[0]!.message).toMatch(
      /op 'relu_0' \(unary\) reads and writes 8\.2 MB on one chip, more than a chip's 4\.2 MB usable/,
    );
  });
});
