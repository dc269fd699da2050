// LlamaSpec -> model text: a pre-norm decoder with rotary attention over a KV cache (grouped-query when
// kv_heads < heads) and a gated MLP, or Mixtral's routed experts. Output is deterministic for the same spec.

import type { LlamaFamily, LlamaSpec } from "./llama.ts";
import type { PassOptions } from "./text.ts";
import {
  aligned,
  baseName,
  CTX_RULE,
  comment,
  constLines,
  formatNumber,
  passConstLines,
  weightDtypeNote,
} from "./text.ts";

const FAMILY_TITLE: Readonly<Record<LlamaFamily, string>> = {
  llama: "a Llama decoder",
  mistral: "a Mistral decoder",
  mixtral: "a Mixtral mixture-of-experts decoder",
  qwen2: "a Qwen2 decoder",
};

export interface EmitContext {
  readonly name: string;
  /** The config's path as the user gave it: named in diagnostics; the header names its last part. */
  readonly file: string;
  /** "model_type 'llama', LlamaForCausalLM": what the config said it is. */
  readonly identity: string;
  readonly pass: PassOptions;
  /** The matmul weights' type when not the checkpoint's (`--weight-dtype`). */
  readonly weightDtype?: string;
}

export function emitLlama(s: LlamaSpec, cx: EmitContext): string {
  const t = s.dtype.value;
  /** Matmul weights (not the embedding, norms, biases, experts or cache). */
  const w = cx.weightDtype ?? t;
  const act = s.act.value;
  const out: string[] = [];
  out.push(
    ...comment([
      `${cx.name}: ${FAMILY_TITLE[s.family]} (${cx.identity}),`,
      `imported from ${baseName(cx.file)} by \`lpu import-hf\`.`,
      "One pass is one decode step by default: seq new tokens per sequence read a KV cache of ctx earlier tokens.",
      ...(cx.pass.ctx === undefined ? [CTX_RULE] : []),
      "Every size is a const: override it with --set, e.g. --set ctx=8192 --set batch=8.",
      "Weights are stored [in, out] (HuggingFace's nn.Linear keeps [out, in]); names follow the checkpoint's.",
    ]),
    `model ${cx.name}`,
    "",
  );

  out.push(
    ...constLines([
      { name: "vocab", expr: String(s.vocab.value), comment: s.vocab.source },
      { name: "d", expr: String(s.d.value), comment: s.d.source },
      { name: "ff", expr: String(s.ff.value), comment: s.ff.source },
      { name: "layers", expr: String(s.layers.value), comment: s.layers.source },
      { name: "heads", expr: String(s.heads.value), comment: s.heads.source },
      { name: "kv_heads", expr: String(s.kvHeads.value), comment: s.kvHeads.source },
      {
        name: "head_dim",
        expr: s.headDim.derived ? "d / heads" : String(s.headDim.value),
        comment: s.headDim.source,
      },
      { name: "q_dim", expr: "heads * head_dim", comment: "width of all query heads" },
      { name: "kv_dim", expr: "kv_heads * head_dim", comment: "width of all key (or value) heads" },
      ...(s.moe
        ? [
            { name: "experts", expr: String(s.moe.experts.value), comment: s.moe.experts.source },
            { name: "top_k", expr: String(s.moe.topK.value), comment: s.moe.topK.source },
          ]
        : []),
      ...passConstLines(cx.pass, {
        positions: s.positions.value,
        field: "max_position_embeddings",
        sliding: s.slidingWindow,
      }),
    ]),
  );
  out.push(
    ...comment([
      `dtype ${t}: ${s.dtype.source}`,
      ...weightDtypeNote(
        cx.weightDtype,
        t,
        `the projections, ${s.moe ? "router" : "MLP"} and lm head`,
        `embeddings, norms${s.moe ? ", experts" : ""} and the KV cache`,
      ),
      `rmsnorm eps ${formatNumber(s.eps.value)}: ${s.eps.source}`,
      `rope base ${formatNumber(s.ropeBase.value)}: ${s.ropeBase.source}`,
      `context window ${s.positions.value}: ${s.positions.source}`,
      ...(s.slidingWindow !== undefined
        ? [
            `sliding_window ${s.slidingWindow}: a ctx above it over-counts attention (the language has no window)`,
          ]
        : []),
      `MLP activation ${act}: ${s.act.source}`,
      `lm head: ${s.tie.value ? "tied to embed_tokens" : "its own weight"} (${s.tie.source})`,
    ]),
    "",
  );

  const eps = formatNumber(s.eps.value);
  const base = formatNumber(s.ropeBase.value);
  out.push(
    ...aligned([
      ["input tokens: int32[batch, seq]", "token ids"],
      [`param embed_tokens: ${t}[vocab, d]`, s.tie.value ? "also the lm head (tied)" : ""],
      [`param norm: ${t}[d]`, "the final RMSNorm"],
      ...(s.tie.value ? [] : [[`param lm_head: ${w}[d, vocab]`, ""] as [string, string]]),
    ]),
    "",
  );

  const qkvBias = s.qkvBias.value;
  const mlpBias = s.mlpBias.value;
  out.push(
    ...comment([
      ...(s.moe
        ? [
            "One decoder layer: pre-norm attention with rotary positions, then a router that sends each token to",
            `top_k experts, each a gated MLP down(${act}(x @ gate) * (x @ up)), mixed by the softmax of their scores`,
            "(equal to Mixtral's softmax over all experts renormalised over the chosen ones).",
          ]
        : [
            "One decoder layer: pre-norm attention with rotary positions, then a gated MLP",
            `down(${act}(x @ gate) * (x @ up)).`,
          ]),
      ...(qkvBias ? [`q, k and v carry biases (${s.qkvBias.source}).`] : []),
    ]),
    `block layer(x: ${t}[batch, seq, d]) -> ${t}[batch, seq, d] {`,
  );
  const decls: [string, string][] = [];
  const decl = (name: string, shape: string, note = "", type: string = t) =>
    decls.push([`  param ${name}: ${type}[${shape}]`, note]);
  decl("input_layernorm", "d", "RMSNorm before attention");
  decl("q_proj", "d, q_dim", "", w);
  if (qkvBias) decl("q_proj_bias", "q_dim");
  decl("k_proj", "d, kv_dim", "", w);
  if (qkvBias) decl("k_proj_bias", "kv_dim");
  decl("v_proj", "d, kv_dim", "", w);
  if (qkvBias) decl("v_proj_bias", "kv_dim");
  decl("o_proj", "q_dim, d", "", w);
  if (s.oBias.value) decl("o_proj_bias", "d");
  decl("post_attention_layernorm", "d", "RMSNorm before the MLP");
  if (s.moe) {
    decl("router", "d, experts", "HF: block_sparse_moe.gate", w);
    decl("experts_gate", "experts, d, ff", "HF: experts.*.w1");
    decl("experts_up", "experts, d, ff", "HF: experts.*.w3");
    decl("experts_down", "experts, ff, d", "HF: experts.*.w2");
  } else {
    decl("gate_proj", "d, ff", "", w);
    if (mlpBias) decl("gate_proj_bias", "ff");
    decl("up_proj", "d, ff", "", w);
    if (mlpBias) decl("up_proj_bias", "ff");
    decl("down_proj", "ff, d", "", w);
    if (mlpBias) decl("down_proj_bias", "d");
  }
  decls.push(
    [`  state k_cache: ${t}[batch, ctx, kv_heads, head_dim]`, "keys of the ctx earlier tokens"],
    [`  state v_cache: ${t}[batch, ctx, kv_heads, head_dim]`, "their values"],
  );
  out.push(...aligned(decls), "");

  const heads4 = (n: string) => `shape=[batch, seq, ${n}, head_dim]`;
  const rope = (x: string) => `rope(${x}, start=ctx, base=${base})`;
  out.push(
    `  h = rmsnorm(x, input_layernorm, eps=${eps})`,
    `  q = reshape(${proj("h", "q_proj", qkvBias)}, ${heads4("heads")})`,
    `  k = reshape(${proj("h", "k_proj", qkvBias)}, ${heads4("kv_heads")})`,
    `  v = reshape(${proj("h", "v_proj", qkvBias)}, ${heads4("kv_heads")})`,
    `  a = attention(${rope("q")}, ${rope("k")}, v, k_cache, v_cache, causal=true)`,
    `  r = add(x, ${proj("reshape(a, shape=[batch, seq, q_dim])", "o_proj", s.oBias.value)})`,
    `  h2 = rmsnorm(r, post_attention_layernorm, eps=${eps})`,
  );
  if (s.moe) {
    out.push(
      "  top_scores, top_experts = topk(matmul(h2, router), k=top_k)",
      "  weights = softmax(top_scores, axis=-1)",
      `  m = moe(h2, weights, top_experts, experts_gate, experts_up, experts_down${act === "silu" ? "" : `, act=${act}`})`,
    );
  } else {
    const gate = proj("h2", "gate_proj", mlpBias);
    const up = proj("h2", "up_proj", mlpBias);
    out.push(`  m = ${proj(`mul(${act}(${gate}), ${up})`, "down_proj", mlpBias)}`);
  }
  out.push("  y = add(r, m)", "  return y", "}", "");

  out.push(
    "h = repeat layers layer(embedding(tokens, embed_tokens))",
    s.tie.value
      ? `output logits = matmul(rmsnorm(h, norm, eps=${eps}), embed_tokens, transpose_b=true)`
      : `output logits = matmul(rmsnorm(h, norm, eps=${eps}), lm_head)`,
  );
  return `${out.join("\n")}\n`;
}

/** A linear layer, with its bias when it has one. */
function proj(input: string, weight: string, bias: boolean): string {
  return bias ? `add(matmul(${input}, ${weight}), ${weight}_bias)` : `matmul(${input}, ${weight})`;
}
