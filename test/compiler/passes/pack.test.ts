// The partitioner's SRAM estimate and packing (compiler/passes/pack.ts): a source counted once per chip that reads
// it, an estimate that bounds what allocate places (so a packed chip never overflows), the fewest chips close to
// the bytes over the usable bytes per chip, and a matmul split unevenly over the space chips have left.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { sramBytesPerChip } from "../../../arch/machine.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { sramBytesPerChip as allocatedPerChip } from "../../../compiler/passes/allocate.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { packContext, packStages, sourceFloor } from "../../../compiler/passes/pack.ts";
import { alignToInstances } from "../../../compiler/passes/pack-align.ts";
import {
  paddedBytes,
  partition,
  spreadTiming,
  usableBytesPerChip,
} from "../../../compiler/passes/partition.ts";
import { spreadStages } from "../../../compiler/passes/spread.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { scheduledInsts } from "../../../compiler/schedule/schedule-ir.ts";
import { expectExact } from "../../support/exact.ts";
import { unlimitedPackContext } from "../helpers/pack-context.ts";

/** 640 words per MEM slice (18 MB a chip, half of it usable): small models then need several chips. */
const SMALL = resolveMachine("tsp-v1", { mem_words: "640" });

const TWO_LAYERS = `model big
input x: fp16[1, 3200]
param w1: fp16[3200, 1600]
param w2: fp16[1600, 640]
z = relu(matmul(x, w1))
output o = matmul(z, w2)
`;

function kernelOf(text: string, sets: Record<string, string> = {}) {
  const graph = loadModel(text, "test.model", sets).graph!;
  return { graph, kernel: decompose(graph, "test.model").kernel };
}

describe("the SRAM estimate", () => {
  it("counts a weight read by two matmuls on one chip once", () => {
    const { kernel } = kernelOf(`model twice
input x: fp16[1, 640]
param w: fp16[640, 640]
output y = matmul(matmul(x, w), w)
`);
    const tensors = new Map(kernel.tensors.map((t) => [t.id, t]));
    const ctx = unlimitedPackContext(kernel);
    const w = paddedBytes(tensors.get("w^T")!, 320);
    const packed = packStages(ctx);
    expect(packed.chips).toBe(1);
    expect(packed.chipBytes[0]).toBeGreaterThanOrEqual(w);
    // w once, plus a few activation vectors and fp32 partial sums (counted twice it would be 2w)
    expect(packed.chipBytes[0]).toBeLessThan(w + 16 * 320 * 4);
  });

  for (const [name, text, sets] of [
    ["two layers, the first split over two chips", TWO_LAYERS, {}],
    [
      "deep-mlp, 6 layers of 1600 x 1600",
      readFileSync("bench/models/deep-mlp.model", "utf8"),
      { d: "1600", layers: "6" },
    ],
  ] as const)
    it(`bounds what allocate places on each chip with the reserve kept for stranded space; it over-counts by at most 5% of a chip (${name})`, () => {
      const graph = loadModel(text, "test.model", sets).graph!;
      const r = compile(graph, SMALL, { chips: 64, file: "test.model" });
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const p = partition(r.kernel!, SMALL, 64, "test.model").partitioned;
      const perChip = sramBytesPerChip(SMALL);
      expect(r.tasks!.chips).toBeGreaterThan(1);
      const allocated = allocatedPerChip(r.tasks!, SMALL);
      for (let c = 0; c < r.tasks!.chips; c++) {
        const used = allocated[c]!;
        expect(used).toBeLessThanOrEqual(perChip);
        expect(used).toBeGreaterThanOrEqual(p.chipBytes[c]! - 0.05 * perChip);
      }
    });
});

describe("the fewest chips", () => {
  it("is close to the weights over the usable bytes per chip (deep-mlp, 24 layers of 4096 x 4096)", () => {
    const { kernel } = kernelOf(readFileSync("bench/models/deep-mlp.model", "utf8"), { layers: "24" });
    const p = partition(kernel, TSP_V1, 1, "test.model");
    const weights = kernel.tensors
      .filter((t) => t.role === "param")
      .reduce((s, t) => s + paddedBytes(t, 320), 0);
    const ideal = Math.ceil(weights / usableBytesPerChip(TSP_V1));
    expect(p.diagnostics[0]!.code).toBe("LPU5001");
    expect(p.partitioned.minChips).toBeGreaterThanOrEqual(ideal);
    expect(p.partitioned.minChips).toBeLessThanOrEqual(ideal + 1);
  });
});

describe("the sources' floor", () => {
  // What partition's searches skip by (layers.ts, spread.ts): no placement holds the ops in fewer bytes than their
  // sources once each, and no chip holds more than its budget.
  for (const [name, text, sets] of [
    ["two layers, the first split over two chips", TWO_LAYERS, {}],
    [
      "deep-mlp, 6 layers of 1600 x 1600",
      readFileSync("bench/models/deep-mlp.model", "utf8"),
      { d: "1600", layers: "6" },
    ],
  ] as const)
    it(`is every source tile once, and every packing and spread holds at least it over chips of at most their budget (${name})`, () => {
      const { kernel } = kernelOf(text, sets);
      const budget = usableBytesPerChip(SMALL);
      const ctx = packContext(
        kernel.ops,
        new Map(kernel.tensors.map((t) => [t.id, t])),
        kernel.outputs.map((o) => o.tensor),
        { lanes: 320, planes: 4, budget, nodeChips: 8, chunkRows: 1024 },
      );
      const floor = sourceFloor(ctx);
      const sources = kernel.tensors
        .filter((t) => t.role !== "temp")
        .reduce((s, t) => s + paddedBytes(t, 320), 0);
      expect(floor).toBe(sources);
      const packed = packStages(ctx);
      const spread = spreadStages(ctx, spreadTiming(SMALL), 16);
      expect(packed.chips).toBeGreaterThan(1);
      for (const p of [packed, spread!]) {
        expect(p.chipBytes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(floor);
        for (const b of p.chipBytes) expect(b).toBeLessThanOrEqual(budget);
        expect(p.chips).toBeGreaterThanOrEqual(Math.ceil(floor / budget));
      }
      // Chips that cannot hold the floor place nothing.
      expect(spreadStages(ctx, spreadTiming(SMALL), Math.ceil(floor / budget) - 1)).toBeUndefined();
    });
});

describe("uneven K splits", () => {
  it("a matmul larger than a chip takes as many K tiles as fit on each chip (not 5 and 5), with the interpreter's values", () => {
    const graph = loadModel(TWO_LAYERS, "test.model", {}).graph!;
    // `pack`: auto would spread this model over the 8 chips (spread.ts), not pack it.
    const r = compile(graph, SMALL, {
      chips: 8,
      file: "test.model",
      sources: initialSources(graph, 0),
      partition: "pack",
    });
    const p = partition(r.kernel!, SMALL, 8, "test.model", "pack").partitioned;
    expect([...(p.kSplits ?? new Map()).values()]).toEqual([[0, 8, 10]]);
    expectExact(graph, r, SMALL);
  });

  it("a split that runs past a node's end sends its partial sums over the gateway chips, with the interpreter's values", () => {
    const tiny = resolveMachine("tsp-v1", { mem_words: "360" });
    const text = readFileSync("bench/models/deep-mlp.model", "utf8");
    const graph = loadModel(text, "test.model", { d: "960", layers: "3" }).graph!;
    const r = compile(graph, tiny, {
      chips: 16,
      file: "test.model",
      sources: initialSources(graph, 0),
      partition: "pack",
    });
    const p = partition(r.kernel!, tiny, 16, "test.model", "pack").partitioned;
    const across = [...(p.kSplits ?? new Map()).keys()].filter((op) => {
      const st = p.stageOf.get(op)!;
      return Math.floor(st.base / 8) !== Math.floor((st.base + st.width - 1) / 8);
    });
    expect(across.length).toBeGreaterThan(0);
    expectExact(graph, r, tiny);
  });

  it("a split with several chips in a later node adds their partial sums on that node's first chip: one sum a tile crosses the gateway, with the interpreter's values", () => {
    // Nodes of 4 chips: layer 1's product is K split over chips 3 | 4, 5.
    const tiny = resolveMachine("tsp-v1", { mem_words: "360", chips_per_node: "4" });
    const text = readFileSync("bench/models/deep-mlp.model", "utf8");
    const graph = loadModel(text, "test.model", { d: "960", layers: "3" }).graph!;
    const r = compile(graph, tiny, {
      chips: 16,
      file: "test.model",
      sources: initialSources(graph, 0),
      partition: "pack",
    });
    const p = partition(r.kernel!, tiny, 16, "test.model", "pack").partitioned;
    expect(p.stageOf.get("layer.1.matmul_0")).toEqual({ base: 3, width: 3 });
    const chipsOf = (test: (op: string, task: string) => boolean) =>
      [
        ...new Set(
          scheduledInsts(r.schedule!)
            .filter((i) => test(i.op, i.task))
            .map((i) => i.chip),
        ),
      ].sort();
    // Chip 5's partial sum goes to chip 4 only (a local link), chip 4 adds the two, and only that sum goes on.
    expect(chipsOf((op) => op === "move.layer.1.h.c2.part0")).toEqual([4, 5]);
    expect(chipsOf((_, task) => /^layer\.1\.matmul_0\.n\d+\.m0\.node1$/.test(task))).toEqual([4]);
    expect(chipsOf((op) => op.startsWith("move.layer.1.h.node1."))).toEqual([3, 4]);
    expectExact(graph, r, tiny);
  });
});

/** A repeat whose instances hold two 640 x 640 weights each (819,200 bytes apiece). */
const PAIRS = `model pairs
const layers = 4
block layer(x: fp16[1, 640]) -> fp16[1, 640] {
  param w1: fp16[640, 640]
  param w2: fp16[640, 640]
  h = relu(matmul(relu(matmul(x, w1)), w2))
  return h
}
input x: fp16[1, 640]
output y = repeat layers layer(x)
`;

describe("stages aligned to a repeat's instances", () => {
  const contextOf = (budget: number) => {
    const { kernel } = kernelOf(PAIRS);
    return packContext(
      kernel.ops,
      new Map(kernel.tensors.map((t) => [t.id, t])),
      kernel.outputs.map((o) => o.tensor),
      { lanes: 320, planes: 4, budget, nodeChips: 8, chunkRows: 1024 },
    );
  };
  const chipsOf = (ctx: ReturnType<typeof contextOf>, p: ReturnType<typeof packStages>) => {
    const chips = new Map<string, Set<number>>();
    ctx.ops.forEach((op, i) => {
      const k = /^layer\.\d+\./.exec(op.id)?.[0];
      if (k) chips.set(k, (chips.get(k) ?? new Set()).add(p.stages[i]!.base));
    });
    return chips;
  };

  it("a chip change inside an instance moves to the instance's first op, so every instance sits on one chip", () => {
    // Three weights a chip: the packing cuts inside layers 1 and 2.
    const ctx = contextOf(3.2 * 819_200);
    const packed = packStages(ctx);
    expect(packed.chips).toBe(3);
    expect([...chipsOf(ctx, packed).values()].some((c) => c.size > 1)).toBe(true);
    const aligned = alignToInstances(ctx, packed);
    expect(aligned.ok).toBe(true);
    expect(aligned.chips).toBe(4);
    expect([...chipsOf(ctx, aligned).values()].map((c) => [...c])).toEqual([[0], [1], [2], [3]]);
  });

  it("an instance larger than a chip keeps the packing's cuts (a fresh chip for it would only leave one part empty)", () => {
    const ctx = contextOf(1.5 * 819_200);
    const packed = packStages(ctx);
    expect(alignToInstances(ctx, packed).stages).toEqual(packed.stages);
  });
});
