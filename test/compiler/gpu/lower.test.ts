// GPU lowering checked against hand counts: fused QKV and gate/up GEMMs, fused attention with RoPE, fused
// add + RMSNorm, tensor-parallel splits with all-reduces, and the error for a GPU count that does not divide heads.
import { describe, expect, it } from "vitest";
import type { ComputeKernel, Kernel } from "../../../arch/gpu/kernels.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { lowerToKernels } from "../../../compiler/gpu/lower.ts";

// d = 64, 4 heads of 16, ff 128, ctx 32, fp16 (2 bytes), batch 1, one new token.
const MODEL = `
model small
const d = 64
const heads = 4
const head_dim = d / heads
const ff = 128
const batch = 1
const seq = 1
const ctx = 32
input x0: fp16[batch, seq, d]
param g1: fp16[d]
param wq: fp16[d, d]
param wk: fp16[d, d]
param wv: fp16[d, d]
param wo: fp16[d, d]
param g2: fp16[d]
param w_gate: fp16[d, ff]
param w_up: fp16[d, ff]
param w_down: fp16[ff, d]
state k_cache: fp16[batch, ctx, heads, head_dim]
state v_cache: fp16[batch, ctx, heads, head_dim]
h = rmsnorm(x0, g1)
q = reshape(matmul(h, wq), shape=[batch, seq, heads, head_dim])
k = reshape(matmul(h, wk), shape=[batch, seq, heads, head_dim])
v = reshape(matmul(h, wv), shape=[batch, seq, heads, head_dim])
a = attention(rope(q, start=ctx), rope(k, start=ctx), v, k_cache, v_cache, causal=true)
r = add(x0, matmul(reshape(a, shape=[batch, seq, d]), wo))
h2 = rmsnorm(r, g2)
output y = add(r, matmul(mul(silu(matmul(h2, w_gate)), matmul(h2, w_up)), w_down))
`;

function lower(gpus: number) {
  const loaded = loadModel(MODEL, "small.model");
  if (!loaded.graph) throw new Error(JSON.stringify(loaded.diagnostics));
  return lowerToKernels(loaded.graph, { gpus, sms: 132 });
}

const compute = (ks: readonly Kernel[]) => ks.filter((k): k is ComputeKernel => k.kind === "compute");
const bytesOf = (k: ComputeKernel, role: string) =>
  k.reads.filter((r) => r.role === role).reduce((s, r) => s + r.bytes, 0);

describe("GPU lowering", () => {
  it("makes one kernel per fused unit: norm, QKV, attention, o_proj, add+norm, gate/up, down with the residual add", () => {
    const ks = lower(1).kernels!.kernels;
    expect(ks.map((k) => (k.kind === "compute" ? k.class : k.kind))).toEqual([
      "norm",
      "gemm",
      "attention",
      "gemm",
      "norm",
      "gemm",
      "gemm",
    ]);
    const down = ks.at(-1)!;
    expect(down.kind === "compute" && down.sources.some((id) => id.startsWith("add"))).toBe(true);
  });

  it("fused QKV GEMM: d x 3d MACs and the three weights read once as one tensor", () => {
    const qkv = compute(lower(1).kernels!.kernels)[1]!;
    expect(qkv.macs).toBe(64 * 3 * 64);
    expect(bytesOf(qkv, "weight")).toBe(3 * 64 * 64 * 2);
    expect(qkv.reads.filter((r) => r.role === "weight")).toHaveLength(1);
    expect(bytesOf(qkv, "activation")).toBe(64 * 2);
  });

  it("fused attention: QK and PV over C + 1 keys, caches read whole, new K and V appended, RoPE inside", () => {
    const att = compute(lower(1).kernels!.kernels)[2]!;
    const keys = 32 + 1;
    expect(att.macs).toBe(2 * 4 * 16 * keys);
    expect(bytesOf(att, "kv")).toBe(2 * 32 * 4 * 16 * 2);
    expect(att.writes.filter((w) => w.role === "kv").reduce((s, w) => s + w.bytes, 0)).toBe(2 * 4 * 16 * 2);
    expect(att.sources.filter((s) => s.includes("rope"))).toHaveLength(2);
  });

  it("gate/up GEMM carries SiLU(gate) * up in its epilogue and writes only the product", () => {
    const gu = compute(lower(1).kernels!.kernels)[5]!;
    expect(gu.macs).toBe(64 * 2 * 128);
    expect(bytesOf(gu, "weight")).toBe(2 * 64 * 128 * 2);
    expect(gu.writes.reduce((s, w) => s + w.bytes, 0)).toBe(128 * 2);
    expect(gu.vectorFlops).toBe(128 * (4 + 1));
  });

  it("the residual add before a norm runs inside it and writes the sum too", () => {
    const norm = compute(lower(1).kernels!.kernels)[4]!;
    expect(norm.sources.map((s) => s.replace(/_\d+$/, ""))).toContain("r");
    expect(norm.writes.map((w) => w.tensor).sort()).toEqual(["h2", "r"]);
  });

  it("every weight is read exactly once over the pass", () => {
    const ks = compute(lower(1).kernels!.kernels);
    const weights = ks.reduce((s, k) => s + bytesOf(k, "weight"), 0);
    // rmsnorm gains 2 x 64, QKV 3 x 64 x 64, wo 64 x 64, gate/up 2 x 64 x 128, down 128 x 64; all fp16.
    expect(weights).toBe(2 * (2 * 64 + 4 * 64 * 64 + 3 * 64 * 128));
  });

  it("two GPUs: column-parallel QKV and gate/up, row-parallel o_proj and down, each followed by an all-reduce", () => {
    const ks = lower(2).kernels!.kernels;
    expect(
      ks.filter((k) => k.kind === "allreduce").map((k) => k.sources[0]!.replace(/\d+$/, "")),
    ).toHaveLength(2);
    const reduces = ks.filter((k) => k.kind === "allreduce");
    for (const r of reduces) expect(r.kind === "allreduce" && r.bytes).toBe(64 * 2);
    const c1 = compute(lower(1).kernels!.kernels);
    const c2 = compute(ks);
    for (let i = 0; i < c1.length; i++) {
      if (c1[i]!.class === "gemm" || c1[i]!.class === "attention") expect(c2[i]!.macs).toBe(c1[i]!.macs / 2);
    }
    expect(bytesOf(c2[1]!, "weight")).toBe(bytesOf(c1[1]!, "weight") / 2);
    // The all-reduce comes right after each row-parallel GEMM.
    const kinds = ks.map((k) => k.kind);
    expect(kinds.indexOf("allreduce")).toBe(4);
  });

  it("refuses a GPU count that does not divide the heads", () => {
    const r = lower(3);
    expect(r.kernels).toBeUndefined();
    expect(r.diagnostics[0]!.code).toBe("LPU7007");
    expect(r.diagnostics[0]!.message).toContain("4 query heads");
  });
});
