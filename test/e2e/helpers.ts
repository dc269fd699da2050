// Shared by the end-to-end tests: model text -> compile (verifying every pass) -> simulate -> compare.
import { expect } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { runModel } from "../../cli/run-model.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";

export function compileAndRunText(text: string, sets: Record<string, string> = {}, chips = 1, seed = 0) {
  const loaded = loadModel(text, "test.model", sets);
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const graph = loaded.graph!;
  const r = compile(graph, TSP_V1, {
    chips,
    file: "test.model",
    sources: initialSources(graph, seed),
    verifyEach: true,
  });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return runModel(graph, r.program!, r.report!, TSP_V1, { functional: true, seed });
}

/** Four query heads over kv_heads kv heads, split from one row by reshape and merged back. */
export const GQA = `model gqa
const batch = 1
const seq = 1
const ctx = 8
const heads = 4
const kv_heads = 2
const head_dim = 16
const d = heads * head_dim
const dkv = kv_heads * head_dim
input x: fp16[batch, seq, d]
param wq: fp16[d, d]
param wk: fp16[d, dkv]
param wv: fp16[d, dkv]
state k_cache: fp16[batch, ctx, kv_heads, head_dim]
state v_cache: fp16[batch, ctx, kv_heads, head_dim]
q = reshape(matmul(x, wq), shape=[batch, seq, heads, head_dim])
k = reshape(matmul(x, wk), shape=[batch, seq, kv_heads, head_dim])
v = reshape(matmul(x, wv), shape=[batch, seq, kv_heads, head_dim])
a = attention(q, k, v, k_cache, v_cache, causal=true)
output y = reshape(a, shape=[batch, seq, d])
`;
