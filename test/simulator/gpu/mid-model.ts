// A decoder whose weights (about 100 MB) do not fit in L2, so every pass streams from HBM (the model of runs.test.ts),
// and a helper that lowers and prepares it once per (preset, GPU count, settings).
import type { GpuPreset } from "../../../arch/gpu/presets.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { lowerToKernels } from "../../../compiler/gpu/lower.ts";
import { type PreparedPlan, prepare } from "../../../simulator/gpu/prepare.ts";

export const MID_MODEL = `
model mid
const d = 1024
const heads = 8
const head_dim = d / heads
const ff = 2816
const layers = 4
const batch = 1
const seq = 1
const ctx = 512
input x0: fp16[batch, seq, d]
block layer(x: fp16[batch, seq, d]) -> fp16[batch, seq, d] {
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
  h = rmsnorm(x, g1)
  q = reshape(matmul(h, wq), shape=[batch, seq, heads, head_dim])
  k = reshape(matmul(h, wk), shape=[batch, seq, heads, head_dim])
  v = reshape(matmul(h, wv), shape=[batch, seq, heads, head_dim])
  a = attention(rope(q, start=ctx), rope(k, start=ctx), v, k_cache, v_cache, causal=true)
  r = add(x, matmul(reshape(a, shape=[batch, seq, d]), wo))
  h2 = rmsnorm(r, g2)
  y = add(r, matmul(mul(silu(matmul(h2, w_gate)), matmul(h2, w_up)), w_down))
  return y
}
output y = repeat layers layer(x0)
`;

/** plans(batch) for the mid model on `gpus` GPUs of `preset` with model settings `sets`, cached per batch. */
export function midPlans(
  preset: GpuPreset,
  gpus: number,
  sets: Record<string, string> = {},
): (batch: number) => PreparedPlan {
  const cache = new Map<number, PreparedPlan>();
  return (batch) => {
    let plan = cache.get(batch);
    if (!plan) {
      const graph = loadModel(MID_MODEL, "mid.model", { ...sets, batch: String(batch) }).graph!;
      plan = prepare(lowerToKernels(graph, { gpus, sms: preset.sms }).kernels!, preset);
      cache.set(batch, plan);
    }
    return plan;
  };
}
