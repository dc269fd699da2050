// The GPU memory-capacity check: weights stored per GPU (split only where a column- or row-parallel GEMM or a
// tensor-parallel moe reads them), the KV cache from the kernels' cache reads, peak live activations, and the LPU7008 stop in `lpu gpu`,
// `lpu sweep` rows and (test/cli/compare.test.ts) `lpu compare`, with the smallest GPU count that fits.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deriveGpu } from "../../../arch/gpu/derive.ts";
import type { KernelList, TensorAccess } from "../../../arch/gpu/kernels.ts";
import {
  memoryDiagnostic,
  smallestFittingGpus,
  storedWeightBytes,
} from "../../../cli/pipeline/gpu-memory.ts";
import { evaluateGpu } from "../../../cli/sweep/gpu.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { lowerToKernels } from "../../../compiler/gpu/lower.ts";
import { graphStats } from "../../../compiler/graph/stats.ts";
import { hbmCapacityBytes, kvCacheBytes, peakActivationBytes } from "../../../simulator/gpu/memory.ts";

const h100 = deriveGpu("h100-sxm").preset!;
const graphOf = (file: string, set: Record<string, string> = {}) =>
  loadModel(readFileSync(file, "utf8"), file, set).graph!;
const lowered = (file: string, gpus: number, set: Record<string, string> = {}) =>
  lowerToKernels(graphOf(file, set), { gpus, sms: h100.sms }).kernels!;

describe("what one GPU holds", () => {
  it("HBM capacity is the data sheet's decimal 80 GB on both presets", () => {
    expect(hbmCapacityBytes(h100)).toBe(80e9);
    expect(hbmCapacityBytes(deriveGpu("a100-sxm").preset!)).toBe(80e9);
  });

  it("weights: all of them on one GPU; on two, the GEMM weights halve and embeddings and norms stay whole (hand count)", () => {
    const g = graphOf("programs/tiny-gpt.model");
    expect(storedWeightBytes(g, 1)).toBe(graphStats(g).params.bytes);
    expect(storedWeightBytes(g, 1)).toBe(238_848);
    // Per layer wqkv 64x192, wo 64x64, w1 64x256, w2 256x64 in fp16 = 98,304 B, halved; four norm vectors 512 B;
    // wte 256x64 (tied with the lm head: the embedding reads it whole) 32,768 B, wpe 64x64 8,192 B, ln_f 256 B.
    expect(storedWeightBytes(g, 2)).toBe(2 * (98_304 / 2 + 512) + 32_768 + 8_192 + 256);
  });

  it("mixtral-8x7b weights: each GPU stores 1/N of every expert; embedding, norms and router stay whole (hand count)", () => {
    const g = graphOf("programs/mixtral-8x7b.model");
    // 46,702,792,704 bf16 params.
    expect(storedWeightBytes(g, 1)).toBe(93_405_585_408);
    // Split over N, per layer: experts 3 x 8 x 4096 x 14336, q and o 4096 x 4096 each, k and v 4096 x 1024 each;
    // plus the lm head 4096 x 32000 (vocabulary-parallel); all x 2 bytes.
    const layer = 3 * 8 * 4096 * 14336 + 2 * 4096 * 4096 + 2 * 4096 * 1024;
    const split = (32 * layer + 4096 * 32000) * 2;
    // Whole on each GPU: the embedding 32000 x 4096, per layer two norms of 4096 and the router 4096 x 8, the final
    // norm 4096; all x 2 bytes.
    const whole = (32000 * 4096 + 32 * (2 * 4096 + 4096 * 8) + 4096) * 2;
    expect(split + whole).toBe(93_405_585_408);
    for (const gpus of [2, 4, 8]) expect(storedWeightBytes(g, gpus)).toBe(split / gpus + whole);
    expect(storedWeightBytes(g, 2)).toBe(46_835_179_520);
    expect(storedWeightBytes(g, 4)).toBe(23_549_976_576);
    expect(storedWeightBytes(g, 8)).toBe(11_907_375_104);
  });

  it("KV cache: layers x (K and V) x batch x ctx x heads x head_dim x 2 bytes, heads split over GPUs", () => {
    expect(kvCacheBytes(lowered("programs/tiny-gpt.model", 1))).toBe(2 * 2 * 1 * 32 * 4 * 16 * 2);
    expect(kvCacheBytes(lowered("programs/tiny-gpt.model", 2))).toBe((2 * 2 * 1 * 32 * 4 * 16 * 2) / 2);
    const set = { batch: "3", ctx: "8" };
    expect(kvCacheBytes(lowered("programs/tiny-gpt.model", 1, set))).toBe(2 * 2 * 3 * 8 * 4 * 16 * 2);
  });

  it("activations: a tensor lives from its writer to its last reader, an input from the start, an output to the end", () => {
    const act = (tensor: string, bytes: number): TensorAccess => ({ tensor, bytes, role: "activation" });
    const kernel = (name: string, reads: TensorAccess[], writes: TensorAccess[]) => ({
      kind: "compute" as const,
      name,
      class: "elementwise" as const,
      macs: 0,
      macDtype: "fp16" as const,
      vectorFlops: 0,
      reads,
      writes,
      grid: 1,
      blocksPerSm: 1,
      sources: [],
    });
    const ws: TensorAccess = { tensor: "ws", bytes: 50, role: "workspace" };
    const list: KernelList = {
      model: "hand",
      gpus: 1,
      batch: 1,
      seq: 1,
      notes: [],
      kernels: [
        kernel("k0", [act("x", 100), { tensor: "w", bytes: 1e6, role: "weight" }], [act("a", 200)]),
        kernel("k1", [act("a", 200), ws], [act("b", 300), ws]),
        kernel("k2", [act("b", 300), act("x", 100)], [act("y", 10)]),
        kernel("k3", [{ tensor: "w", bytes: 1e6, role: "weight" }], []),
      ],
    };
    // k1 holds x (read again by k2), a, b and the workspace: 100 + 200 + 300 + 50; weights are not activations.
    expect(peakActivationBytes(list)).toBe(650);
  });
});

describe("a model that does not fit stops with LPU7008", () => {
  const g70 = graphOf("programs/llama2-70b.model");

  it("llama2-70b on one H100: 138 GB of fp16 weights > 80 GB; the smallest count that fits is 2", () => {
    const d = memoryDiagnostic(
      "programs/llama2-70b.model",
      g70,
      lowerToKernels(g70, { gpus: 1, sms: 132 }).kernels!,
      h100,
    )!;
    expect(d.code).toBe("LPU7008");
    expect(d.message).toContain("on 1 x h100-sxm");
    expect(d.message).toMatch(
      /needs 138,\d{3},\d{3},\d{3} bytes \(138\.\d\d GB\) per GPU \(weights 137\.95 GB/,
    );
    expect(d.message).toContain("each GPU has 80,000,000,000 bytes (80.00 GB)");
    expect(d.hint).toBe("the smallest GPU count that fits: --gpus 2");
    expect(smallestFittingGpus(g70, h100)).toBe(2);
    expect(
      memoryDiagnostic("x", g70, lowerToKernels(g70, { gpus: 2, sms: 132 }).kernels!, h100),
    ).toBeUndefined();
  });

  it("mixtral-8x7b: 93.4 GB of bf16 weights do not fit one H100; with the experts split, 2 GPUs do", () => {
    const g = graphOf("programs/mixtral-8x7b.model");
    const d = memoryDiagnostic("m", g, lowerToKernels(g, { gpus: 1, sms: 132 }).kernels!, h100)!;
    expect(d.code).toBe("LPU7008");
    expect(d.message).toContain("weights 93.41 GB");
    expect(d.hint).toBe("the smallest GPU count that fits: --gpus 2");
    for (const gpus of [2, 4, 8]) {
      expect(memoryDiagnostic("m", g, lowerToKernels(g, { gpus, sms: 132 }).kernels!, h100)).toBeUndefined();
    }
  });

  it("a KV cache that outgrows HBM: llama2-7b at batch 64, ctx 4096 needs 137 GB of cache on one GPU", () => {
    const g = graphOf("programs/llama2-7b.model", { batch: "64", ctx: "4096" });
    const d = memoryDiagnostic("m", g, lowerToKernels(g, { gpus: 1, sms: 132 }).kernels!, h100)!;
    // 32 layers x 2 x 64 x 4096 x 4096 (32 heads x 128) x 2 bytes = 137.44 GB.
    expect(d.message).toContain("KV cache 137.44 GB");
    expect(d.message).toContain("at batch 64, ctx 4096");
    expect(d.hint).toBe("the smallest GPU count that fits: --gpus 2");
  });

  it("lpu gpu exits 1 with the message before any run", () => {
    const r = spawnSync("./bin/lpu.js", ["gpu", "programs/llama2-70b.model", "--runs", "1"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      "programs/llama2-70b.model: error LPU7008: the model does not fit in HBM on 1 x h100-sxm",
    );
    expect(r.stderr).toContain("the smallest GPU count that fits: --gpus 2");
  });

  it("an lpu sweep row of a configuration that does not fit fails with the same message", () => {
    const ctx = {
      file: "programs/llama2-70b.model",
      text: readFileSync("programs/llama2-70b.model", "utf8"),
      seed: 1,
      runs: 1,
      simulateUpTo: 0,
    };
    const row = evaluateGpu({ index: 0, target: "gpu", params: { gpus: "1" } }, ctx);
    expect(row.kind).toBe("failed");
    expect(row.kind === "failed" && row.reason).toMatch(
      /^LPU7008: the model does not fit .*\(the smallest GPU count that fits: --gpus 2\)$/,
    );
  });
});
