// The GPU lowering of `moe` against hand counts: tensor-parallel experts (each GPU holds F/N of every expert's
// width, so 1/N of the MACs and of a touched expert's bytes), the all-reduce after the experts, the replicated
// router, the expected number of experts a batch touches under uniform routing, and the replicated fallback.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type ComputeKernel, type Kernel, kernelFlops } from "../../../arch/gpu/kernels.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { expectedExpertsTouched } from "../../../compiler/gpu/cost.ts";
import { lowerToKernels } from "../../../compiler/gpu/lower.ts";

const MIXTRAL = "programs/mixtral-8x7b.model";

function lowerText(text: string, file: string, gpus: number, set: Record<string, string> = {}) {
  const loaded = loadModel(text, file, set);
  if (!loaded.graph) throw new Error(JSON.stringify(loaded.diagnostics));
  const r = lowerToKernels(loaded.graph, { gpus, sms: 132 });
  if (!r.kernels) throw new Error(JSON.stringify(r.diagnostics));
  return r.kernels;
}

/** One Mixtral layer (the layers are identical), lowered for `gpus` GPUs. */
const mixtral = (gpus: number, set: Record<string, string> = {}) =>
  lowerText(readFileSync(MIXTRAL, "utf8"), MIXTRAL, gpus, { layers: "1", ...set });

const moeKernel = (ks: readonly Kernel[]): ComputeKernel => {
  const found = ks.filter((k): k is ComputeKernel => k.kind === "compute" && k.class === "moe");
  expect(found).toHaveLength(1);
  return found[0]!;
};
const expertBytes = (k: ComputeKernel) => k.reads.find((r) => r.tensor.endsWith(".experts"))!.bytes;

// Mixtral: d = 4096, F = 14336, E = 8, k = 2, bf16 (2 bytes); batch 1, one new token.
const D = 4096;
const F = 14336;

describe("mixture of experts on several GPUs, tensor parallel", () => {
  it("one token touches exactly k = 2 experts; each GPU does 1/N of their MACs and reads 1/N of their bytes", () => {
    for (const gpus of [1, 2, 4, 8]) {
      const k = moeKernel(mixtral(gpus).kernels);
      const fLocal = F / gpus;
      // 2 routes x (gate + up + down) x d x F/N.
      expect(k.macs).toBe(2 * 3 * D * fLocal);
      // Two experts' gate, up and down slices of F/N columns (rows for down), 2 bytes each.
      expect(expertBytes(k)).toBe(2 * 3 * D * fLocal * 2);
      // Vector work: SiLU (4) and the gating multiply (1) over F/N per route; weight and sum over d per route.
      expect(k.vectorFlops).toBe(2 * fLocal * 5 + 2 * D * 2);
    }
  });

  it("FLOPs of one moe kernel on 8 GPUs: 2 x 44,040,192 MACs + 34,304 vector = 88,114,688", () => {
    const k = moeKernel(mixtral(8).kernels);
    expect(k.macs).toBe(44_040_192); // 2 x 3 x 4096 x 1792
    expect(kernelFlops(k)).toBe(88_114_688);
    expect(expertBytes(k)).toBe(88_080_384); // 2 experts x 3 x 4096 x 1792 x 2 bytes
    expect(k.grid).toBe(2 * 14); // touched experts x ceil(1792 / 128-column tiles)
  });

  it("the experts' partial sums are all-reduced right after the moe kernel, over the full [b, s, d] output", () => {
    for (const gpus of [2, 8]) {
      const ks = mixtral(gpus).kernels;
      const i = ks.findIndex((k) => k.kind === "compute" && k.class === "moe");
      const next = ks[i + 1]!;
      expect(next.kind).toBe("allreduce");
      expect(next.kind === "allreduce" && next.bytes).toBe(1 * 1 * D * 2);
    }
    // One GPU: nothing to reduce.
    expect(mixtral(1).kernels.some((k) => k.kind === "allreduce")).toBe(false);
  });

  it("the router is replicated, as vLLM's ReplicatedLinear gate: whole weight, all E scores, no all-gather", () => {
    const list = mixtral(8);
    const router = list.kernels.find(
      (k): k is ComputeKernel => k.kind === "compute" && k.reads.some((r) => r.tensor.endsWith(".router")),
    )!;
    expect(router.reads.find((r) => r.tensor.endsWith(".router"))!.bytes).toBe(D * 8 * 2);
    expect(router.macs).toBe(D * 8);
    expect(list.kernels.filter((k) => k.kind === "allgather").map((k) => k.name)).toEqual([
      "gather.matmul_0", // the vocabulary-parallel LM head (the call behind output logits) only
    ]);
    expect(list.notes).toContain("layer.0.matmul_4: MoE router (4096x8) replicated on every GPU");
  });

  it("a batch touches E (1 - (1 - k/E)^T) experts in expectation under uniform routing, at most min(E, T k)", () => {
    expect(expectedExpertsTouched(8, 2, 1)).toBe(2);
    expect(expectedExpertsTouched(8, 2, 4)).toBeCloseTo(8 * (1 - 0.75 ** 4), 12); // 5.46875 < min(8, 8)
    for (const t of [1, 2, 3, 16, 256]) {
      expect(expectedExpertsTouched(8, 2, t)).toBeLessThanOrEqual(Math.min(8, 2 * t));
    }
    // Batch 4 on 4 GPUs: 8 routes; 5.46875 experts' slices of F/4 columns.
    const k = moeKernel(mixtral(4, { batch: "4" }).kernels);
    expect(k.macs).toBe(8 * 3 * D * (F / 4));
    expect(expertBytes(k)).toBe(Math.round(5.46875 * 3 * D * (F / 4) * 2));
    expect(k.grid).toBe(6 * Math.ceil(F / 4 / 128));
  });
});

// A routed MLP alone: d = 64, 4 experts of width 18, top 2, fp16.
const SMALL_MOE = `
model small_moe
const d = 64
const ff = 18
input x: fp16[1, 1, d]
param g: fp16[d]
param router: fp16[d, 4]
param w_gate: fp16[4, d, ff]
param w_up: fp16[4, d, ff]
param w_down: fp16[4, ff, d]
h = rmsnorm(x, g)
s, e = topk(matmul(h, router), k=2)
output y = moe(h, softmax(s, axis=-1), e, w_gate, w_up, w_down)
`;

describe("experts whose width does not split", () => {
  it("stay whole on every GPU (full MACs and bytes, no all-reduce) and the lowering says so", () => {
    const list = lowerText(SMALL_MOE, "small.model", 4);
    const k = moeKernel(list.kernels);
    expect(k.macs).toBe(2 * 3 * 64 * 18);
    expect(expertBytes(k)).toBe(2 * 3 * 64 * 18 * 2);
    expect(list.kernels.some((x) => x.kind === "allreduce")).toBe(false);
    expect(list.notes).toContain("moe_0: expert width 18 does not split over 4 GPUs; experts replicated");
  });

  it("split when the width divides the GPU count: 18 over 2 GPUs is 9 columns each", () => {
    const list = lowerText(SMALL_MOE, "small.model", 2);
    const k = moeKernel(list.kernels);
    expect(k.macs).toBe(2 * 3 * 64 * 9);
    expect(list.kernels.filter((x) => x.kind === "allreduce").map((x) => x.name)).toEqual([
      "allreduce.moe_0",
    ]);
  });
});
