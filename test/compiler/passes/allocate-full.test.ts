// LPU5005 says what ran out when a tensor's block finds no place in SRAM (allocate-full.ts): the chip's bytes, a
// slice group's run of free words (bytes free, in shorter runs), slices that the same task's other tiles hold, or a
// block taller than a slice; each with the numbers and what the user can do.
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import type { Machine } from "../../../arch/machine.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { allocate } from "../../../compiler/passes/allocate.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import type { Step, TaskGraph, VecRef } from "../../../compiler/passes/task-ir.ts";
import { tile } from "../../../compiler/passes/tile.ts";
import { chainModel } from "../helpers/chain-model.ts";
import { oneTileTensor } from "../helpers/tiled.ts";

/** `layers` chained 640 x 640 fp16 products packed on one tsp-v1 chip by the partitioner, allocated on a machine of
 * `words`-word slices (the partitioner's estimate is tsp-v1's; only the allocator sees the short slices). */
function allocateChain(layers: number, words: number) {
  const file = "chain.model";
  const { kernel } = decompose(loadModel(chainModel(layers), file).graph!, file);
  const p = partition(kernel, TSP_V1, 1, file, "pack");
  expect(p.diagnostics).toEqual([]);
  const small: Machine = { ...TSP_V1, mem: { ...TSP_V1.mem, wordsPerSlice: words } };
  return allocate(tile(p.partitioned, TSP_V1), small, file).diagnostics;
}

const compileText = (text: string, m: Machine) =>
  compile(loadModel(text, "x.model").graph!, m, { chips: 1, file: "x.model" });

describe("LPU5005 names the resource that ran out", () => {
  it("bytes: a 320-word weight block on 88 slices of 320 words each already full says the chip's free bytes (none) against the block's, and suggests more chips", () => {
    const d = allocateChain(12, 320);
    expect(d.map((x) => x.code)).toEqual(["LPU5005"]);
    // 88 slices x 320 words x 320 bytes = 9,011,200; the block: 320 words x 2 slices x 320 lanes = 204,800.
    expect(d[0]!.message).toBe(
      "SRAM of chip 0 is full: a block of tensor 'layer.9.w^T' needs 204800 bytes (320 words in each of 2 slices), and 0 of the chip's 9011200 bytes are free; more chips with --partition spread, or a smaller model (--set, e.g. ctx or batch)",
    );
  });

  it("slice groups: 480-word slices each holding one 320-word weight block leave a third of the chip free in 160-word runs, which the message says instead of 'full'", () => {
    const d = allocateChain(30, 480);
    expect(d.map((x) => x.code)).toEqual(["LPU5005"]);
    // 88 slices x 160 words x 320 bytes = 4,505,600 free of 88 x 480 x 320 = 13,516,800.
    expect(d[0]!.message).toBe(
      "SRAM of chip 0 has bytes free but no slice group for tensor 'layer.19.w^T': its block needs 320 free words in a row in a group of 2 slices, the longest such run is 160 words, and the chip's 4505600 free bytes (of 13516800) are in shorter runs (slice ends, freed blocks, words below wide weight blocks); more chips with --partition spread put fewer tensors on each",
    );
  });

  it("slices held by the same task: one task reading 23 fp32 tiles (each a param of its own) needs 23 of the 22 groups of 4 slices, on a nearly empty chip", () => {
    // No lowering builds such a task today (a fused task reads at most 4 inputs, an epilogue 8 rows); a tile that
    // many tasks read with tiles of their own (an fp32 layernorm's broadcast copy over 30 tiles) has a group
    // reserved instead (allocate-hubs.ts, test/compiler/passes/allocate-hubs.test.ts).
    const ref = (tensor: string): VecRef => ({ tensor, tile: 0, row: 0, n: 1, stride: 1 });
    const params = Array.from({ length: 23 }, (_, i) => `a${String(i).padStart(2, "0")}`);
    const g: TaskGraph = {
      name: "wide_task",
      chips: 1,
      batch: 1,
      tokensPerPass: 1,
      tasks: [
        {
          id: "sum",
          chip: 0,
          op: "sum",
          after: [],
          steps: [
            ...params.map((p): Step => ({ kind: "read", ref: ref(p), type: "fp32" })),
            { kind: "write", ref: ref("y"), type: "fp32", src: 0 },
          ],
        },
      ],
      tensors: [
        ...params.map((p) => oneTileTensor(p, "fp32", 1, "param")),
        oneTileTensor("y", "fp32", 1, "temp"),
      ],
      outputs: [{ name: "y", tensor: "y" }],
    };
    const full = allocate(g, TSP_V1, "x.model").diagnostics;
    expect(full.map((x) => x.code)).toEqual(["LPU5005"]);
    expect(full[0]!.message).toMatch(
      /^SRAM of chip 0 has bytes free but no slice group for tensor '[^']+': \d+ groups of 4 slices have room for its block of 1 words, but tiles that the same task reads or writes sit on every one \(a task's tiles take distinct slices\), with (\d+) of the chip's 230686720 bytes free: a limit of the compiler's layout, not of the chip's size$/,
    );
    const free = Number(/with (\d+) of/.exec(full[0]!.message)![1]);
    expect(free).toBeGreaterThan(0.99 * 230686720);
  });

  it("a block taller than a slice: a 960-row activation block on 640-word slices, whatever the chip count", () => {
    const text = `model tall
input x: fp16[1280, 640]
param w: fp16[640, 640]
output y = matmul(relu(x), w)
`;
    const r = compileText(text, resolveMachine("tsp-v1", { mem_words: "640" }));
    expect(r.program).toBeUndefined();
    const full = r.diagnostics.filter((x) => x.code === "LPU5005").map((x) => x.message);
    expect(full[0]).toBe(
      "SRAM of chip 0 cannot hold tensor 'x': its blocks of 960 words are taller than a MEM slice (640 words), whatever the chip count; a machine with longer slices (--arch-set mem_words=...)",
    );
  });
});
