// The GPU lowering of `moe` against hand counts: tensor-parallel experts (each GPU holds F/N of every expert's
// width, so 1/N of the MACs and of a touched expert's bytes), the all-reduce after the experts, the replicated
// router, the expected number of experts a batch touches under uniform routing, the fallbacks, and expert
// parallelism (whole experts per GPU, the busiest GPU's expected load).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type ComputeKernel, type Kernel, kernelFlops } from "../../../arch/gpu/kernels.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { lowerToKernels } from "../../../compiler/gpu/lower.ts";
import { busiestGpuLoad, expectedExpertsTouched } from "../../../compiler/gpu/routing.ts";
import { planShards } from "../../../compiler/gpu/shard.ts";
import { graphFacts } from "../../../compiler/gpu/walk.ts";

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
  it("fall back to expert parallelism when E divides N: 4 experts over 4 GPUs, one whole expert each", () => {
    const list = lowerText(SMALL_MOE, "small.model", 4);
    expect(list.notes).toContain(
      "moe_0: expert width 18 does not split over 4 GPUs; expert parallel instead",
    );
    // One token's two experts are always on two different GPUs: the busiest serves one route of one whole expert.
    const k = moeKernel(list.kernels);
    expect(k.macs).toBe(1 * 3 * 64 * 18);
    expect(expertBytes(k)).toBe(1 * 3 * 64 * 18 * 2);
    expect(list.kernels.filter((x) => x.kind === "allreduce").map((x) => x.name)).toEqual([
      "allreduce.moe_0",
    ]);
  });

  it("stay whole on every GPU when neither the width nor the expert count divides N (full MACs and bytes)", () => {
    const list = lowerText(SMALL_MOE, "small.model", 8);
    const k = moeKernel(list.kernels);
    expect(k.macs).toBe(2 * 3 * 64 * 18);
    expect(expertBytes(k)).toBe(2 * 3 * 64 * 18 * 2);
    expect(list.kernels.some((x) => x.kind === "allreduce")).toBe(false);
    expect(list.notes).toContain("moe_0: expert width 18 does not split over 8 GPUs; experts replicated");
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

describe("expert parallelism (--moe expert): E/N whole experts per GPU, the busiest GPU sets the pace", () => {
  const lowerEp = (gpus: number, set: Record<string, string> = {}) => {
    const loaded = loadModel(readFileSync(MIXTRAL, "utf8"), MIXTRAL, { layers: "1", ...set });
    return lowerToKernels(loaded.graph!, { gpus, sms: 132, moe: "expert" }).kernels!;
  };

  it("one token on 8 GPUs (one expert each): the busiest GPU runs one whole expert for one route", () => {
    const k = moeKernel(lowerEp(8).kernels);
    expect(k.macs).toBe(3 * D * F);
    expect(expertBytes(k)).toBe(3 * D * F * 2);
    // Four times the tensor-parallel kernel's bytes: there each GPU reads 1/8 of two experts.
    expect(expertBytes(k)).toBe(4 * expertBytes(moeKernel(mixtral(8).kernels)));
  });

  it("one token on 2 GPUs: both picks land on one GPU with chance 2 C(4,2) / C(8,2) = 3/7, so 10/7 experts", () => {
    const k = moeKernel(lowerEp(2).kernels);
    expect(k.macs).toBe(Math.round((10 / 7) * 3 * D * F));
    expect(expertBytes(k)).toBe(Math.round((10 / 7) * 3 * D * F * 2));
    expect(busiestGpuLoad(8, 2, 1, 4)).toEqual({ experts: 8 / 7, routes: 8 / 7 });
  });

  it("is all-reduced like tensor parallelism (tokens are already on every GPU) and stores the same bytes", () => {
    const ks = lowerEp(4).kernels;
    const i = ks.findIndex((k) => k.kind === "compute" && k.class === "moe");
    expect(ks[i + 1]!.kind).toBe("allreduce");
    const facts = graphFacts(loadModel(readFileSync(MIXTRAL, "utf8"), MIXTRAL, { layers: "1" }).graph!);
    for (const w of ["layer.0.experts_gate", "layer.0.experts_up", "layer.0.experts_down"]) {
      expect(planShards(facts, 4, "expert").weightSplit(w)).toBe(4);
      expect(planShards(facts, 4, "tensor").weightSplit(w)).toBe(4);
    }
  });

  it("a large batch touches every expert: the busiest GPU reads E/N whole experts, the same bytes as 1/N of all", () => {
    const load = busiestGpuLoad(8, 2, 64, 8);
    expect(load.experts).toBeCloseTo(1, 6);
    // Routes: more than the mean 64 x 2 / 8 = 16 (imbalance), at most all 64 tokens.
    expect(load.routes).toBeGreaterThan(16);
    expect(load.routes).toBeLessThanOrEqual(64);
    expect(busiestGpuLoad(8, 2, 64, 8)).toEqual(load); // seeded: the same every time
  });
});

describe("lpu gpu --moe", () => {
  it("--moe expert runs the expert-parallel lowering and says so; any other layout is a usage error (exit 1)", () => {
    const args = ["gpu", MIXTRAL, "--gpus", "8", "--runs", "1", "--set", "layers=1", "--threads", "1"];
    const ok = spawnSync("./bin/lpu.js", [...args, "--moe", "expert"], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(ok.stdout.split("\n")[0]).toContain("expert-parallel MoE");
    const bad = spawnSync("./bin/lpu.js", [...args, "--moe", "data"], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("takes tensor or expert");
  });
});
