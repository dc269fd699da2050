// GPT-2 config.json (n_embd, n_head, n_layer, n_positions, n_inner) -> model text: learned positions, pre-norm
// layernorm blocks with biased projections, a gelu MLP, and an lm head tied to the token embedding by default.
import { type Diagnostic, diag } from "../../util/diagnostics.ts";
import { ConfigFields, type Sourced } from "./fields.ts";
import type { EmitContext } from "./llama-emit.ts";
import { INCONSISTENT } from "./messages.ts";
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

type Gpt2Activation = "gelu" | "relu";

// HuggingFace ACT2FN names -> the language's; "gelu_new" is exactly the tanh approximation the language's gelu
// computes, "gelu" (erf) differs from it by less than 1e-3.
const ACTIVATIONS: Readonly<Record<string, Gpt2Activation>> = {
  gelu_new: "gelu",
  gelu: "gelu",
  gelu_pytorch_tanh: "gelu",
  relu: "relu",
};

interface Gpt2Spec {
  readonly vocab: Sourced<number>;
  readonly d: Sourced<number>;
  readonly heads: Sourced<number>;
  readonly layers: Sourced<number>;
  readonly positions: Sourced<number>;
  /** undefined: n_inner is null or absent, so 4 * n_embd. */
  readonly inner?: number;
  readonly eps: Sourced<number>;
  readonly act: Sourced<Gpt2Activation>;
  readonly tie: Sourced<boolean>;
  readonly dtype: ReturnType<ConfigFields["dtype"]>;
}

export function importGpt2(
  config: Readonly<Record<string, unknown>>,
  cx: EmitContext,
): { text?: string; diagnostics: Diagnostic[] } {
  const f = new ConfigFields(config, "gpt2", cx.file);
  // GPT2Config's defaults (transformers configuration_gpt2.py): layer_norm_epsilon 1e-5, activation gelu_new;
  // tie_word_embeddings is PretrainedConfig's default, true.
  const spec: Gpt2Spec = {
    vocab: f.size("vocab_size"),
    d: f.size("n_embd"),
    heads: f.size("n_head"),
    layers: f.size("n_layer"),
    positions: f.size("n_positions"),
    inner: f.optionalSize("n_inner"),
    eps: f.positive("layer_norm_epsilon", 1e-5, "GPT2Config"),
    act: f.choice("activation_function", ACTIVATIONS, "gelu", "GPT2Config"),
    tie: f.flag("tie_word_embeddings", true, "PretrainedConfig"),
    dtype: f.dtype(),
  };
  if (!f.failed && spec.d.value % spec.heads.value !== 0) {
    f.report(
      diag(INCONSISTENT, cx.file, undefined, [
        `n_embd (${spec.d.value}) is not a multiple of n_head (${spec.heads.value})`,
      ]),
    );
  }
  if (f.failed) return { diagnostics: f.diagnostics };
  return { text: emitGpt2(spec, cx), diagnostics: f.diagnostics };
}

function emitGpt2(s: Gpt2Spec, cx: EmitContext): string {
  const t = s.dtype.value;
  /** Matmul weights (not the embeddings, layernorms, biases or cache). */
  const w = cx.weightDtype ?? t;
  const eps = formatNumber(s.eps.value);
  const out: string[] = [
    ...comment([
      `${cx.name}: a GPT-2 decoder (${cx.identity}),`,
      `imported from ${baseName(cx.file)} by \`lpu import-hf\`.`,
      "One pass is one decode step by default: seq new tokens per sequence read a KV cache of ctx earlier tokens.",
      ...(cx.pass.ctx === undefined ? [CTX_RULE] : []),
      "Every size is a const: override it with --set, e.g. --set ctx=1000 --set batch=8.",
      "Weights are [in, out], as GPT-2's Conv1D stores them; names follow the checkpoint's.",
    ]),
    `model ${cx.name}`,
    "",
    ...constLines([
      { name: "vocab", expr: String(s.vocab.value), comment: s.vocab.source },
      { name: "d", expr: String(s.d.value), comment: "n_embd" },
      { name: "heads", expr: String(s.heads.value), comment: "n_head" },
      { name: "head_dim", expr: "d / heads", comment: "n_embd / n_head" },
      {
        name: "ff",
        expr: s.inner === undefined ? "4 * d" : String(s.inner),
        comment: s.inner === undefined ? "n_inner is null or absent: 4 * n_embd" : "n_inner",
      },
      { name: "layers", expr: String(s.layers.value), comment: "n_layer" },
      {
        name: "max_positions",
        expr: String(s.positions.value),
        comment: "n_positions: rows of the position table",
      },
      ...passConstLines(cx.pass, { positions: s.positions.value, field: "n_positions" }),
    ]),
    ...comment([
      `dtype ${t}: ${s.dtype.source}`,
      ...weightDtypeNote(
        cx.weightDtype,
        t,
        "the projections, MLP and lm head",
        "embeddings, layernorms, biases and the KV cache",
      ),
      `layernorm eps ${eps}: ${s.eps.source}`,
      `MLP activation ${s.act.value}: ${s.act.source}`,
      `lm head: ${s.tie.value ? "tied to wte" : "its own weight"} (${s.tie.source})`,
    ]),
    "",
    ...aligned([
      ["input tokens: int32[batch, seq]", "token ids"],
      ["input positions: int32[batch, seq]", "their positions: ctx, ctx + 1, ..."],
      [
        `param wte: ${t}[vocab, d]`,
        s.tie.value ? "token embedding, also the lm head (tied)" : "token embedding",
      ],
      [`param wpe: ${t}[max_positions, d]`, "learned position embedding"],
      [`param ln_f_g: ${t}[d]`, "the final layernorm"],
      [`param ln_f_b: ${t}[d]`, ""],
      ...(s.tie.value ? [] : [[`param lm_head: ${w}[d, vocab]`, ""] as [string, string]]),
    ]),
    "",
    "# One GPT-2 block: pre-norm attention (one fused q, k, v projection), then a pre-norm MLP; biases everywhere.",
    `block layer(x: ${t}[batch, seq, d]) -> ${t}[batch, seq, d] {`,
    ...aligned([
      [`  param ln_1_g: ${t}[d]`, "layernorm before attention"],
      [`  param ln_1_b: ${t}[d]`, ""],
      [`  param c_attn_w: ${w}[d, 3 * d]`, "q, k and v side by side"],
      [`  param c_attn_b: ${t}[3 * d]`, ""],
      [`  param attn_proj_w: ${w}[d, d]`, "HF: attn.c_proj"],
      [`  param attn_proj_b: ${t}[d]`, ""],
      [`  param ln_2_g: ${t}[d]`, "layernorm before the MLP"],
      [`  param ln_2_b: ${t}[d]`, ""],
      [`  param c_fc_w: ${w}[d, ff]`, ""],
      [`  param c_fc_b: ${t}[ff]`, ""],
      [`  param mlp_proj_w: ${w}[ff, d]`, "HF: mlp.c_proj"],
      [`  param mlp_proj_b: ${t}[d]`, ""],
      [`  state k_cache: ${t}[batch, ctx, heads, head_dim]`, "keys of the ctx earlier tokens"],
      [`  state v_cache: ${t}[batch, ctx, heads, head_dim]`, "their values"],
    ]),
    "",
    `  h = layernorm(x, ln_1_g, ln_1_b, eps=${eps})`,
    "  q, k, v = split(add(matmul(h, c_attn_w), c_attn_b), axis=-1, sizes=[d, d, d])",
    "  q4 = reshape(q, shape=[batch, seq, heads, head_dim])",
    "  k4 = reshape(k, shape=[batch, seq, heads, head_dim])",
    "  v4 = reshape(v, shape=[batch, seq, heads, head_dim])",
    "  a = attention(q4, k4, v4, k_cache, v_cache, causal=true)",
    "  r = add(x, add(matmul(reshape(a, shape=[batch, seq, d]), attn_proj_w), attn_proj_b))",
    `  h2 = layernorm(r, ln_2_g, ln_2_b, eps=${eps})`,
    `  m = add(matmul(${s.act.value}(add(matmul(h2, c_fc_w), c_fc_b)), mlp_proj_w), mlp_proj_b)`,
    "  y = add(r, m)",
    "  return y",
    "}",
    "",
    "h = repeat layers layer(add(embedding(tokens, wte), embedding(positions, wpe)))",
    `hn = layernorm(h, ln_f_g, ln_f_b, eps=${eps})`,
    s.tie.value ? "output logits = matmul(hn, wte, transpose_b=true)" : "output logits = matmul(hn, lm_head)",
  ];
  return `${out.join("\n")}\n`;
}
