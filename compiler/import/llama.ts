// Reads a Llama-family config.json (Llama 1/2/3, Mistral, Mixtral, Qwen2) into a LlamaSpec: every size the
// emitter needs, each with the field it came from. Reports every missing, ill-typed or inconsistent field.

import { diag } from "../../util/diagnostics.ts";
import type { DType } from "../graph/ir.ts";
import type { ConfigFields, Sourced } from "./fields.ts";
import { IGNORED_FIELD, INCONSISTENT } from "./messages.ts";

export type LlamaFamily = "llama" | "mistral" | "mixtral" | "qwen2";

export type Activation = "silu" | "gelu";

export interface LlamaSpec {
  readonly family: LlamaFamily;
  readonly vocab: Sourced<number>;
  readonly d: Sourced<number>;
  readonly ff: Sourced<number>;
  readonly layers: Sourced<number>;
  readonly heads: Sourced<number>;
  readonly kvHeads: Sourced<number>;
  /** `derived`: head_dim = hidden_size / num_attention_heads, printed as `d / heads` so `--set d=...` follows. */
  readonly headDim: Sourced<number> & { readonly derived: boolean };
  readonly eps: Sourced<number>;
  readonly ropeBase: Sourced<number>;
  readonly tie: Sourced<boolean>;
  readonly positions: Sourced<number>;
  /** Mistral's sliding attention window, when one applies. */
  readonly slidingWindow?: number;
  readonly dtype: Sourced<DType>;
  readonly act: Sourced<Activation>;
  /** Biases on the q, k, v projections (Qwen2 always; Llama with attention_bias). */
  readonly qkvBias: Sourced<boolean>;
  /** Bias on the output projection (Llama with attention_bias). */
  readonly oBias: Sourced<boolean>;
  /** Biases on gate, up and down (Llama with mlp_bias). */
  readonly mlpBias: Sourced<boolean>;
  readonly moe?: { readonly experts: Sourced<number>; readonly topK: Sourced<number> };
}

interface FamilyDefaults {
  /** The transformers configuration class whose defaults apply to a missing field. */
  readonly cls: string;
  readonly eps: number;
  readonly ropeBase: number;
  readonly positions: number;
  readonly sliding?: number;
}

// Defaults of the transformers configuration classes (configuration_llama.py, _mistral.py, _mixtral.py,
// _qwen2.py, transformers 4.40): what a missing field means when the model is loaded.
const DEFAULTS: Readonly<Record<LlamaFamily, FamilyDefaults>> = {
  llama: { cls: "LlamaConfig", eps: 1e-6, ropeBase: 10000, positions: 2048 },
  mistral: { cls: "MistralConfig", eps: 1e-6, ropeBase: 10000, positions: 4096 * 32, sliding: 4096 },
  mixtral: { cls: "MixtralConfig", eps: 1e-5, ropeBase: 1e6, positions: 4096 * 32 },
  qwen2: { cls: "Qwen2Config", eps: 1e-6, ropeBase: 10000, positions: 32768 },
};

// HuggingFace activation names -> the language's. HF's "gelu" is the erf form; the language's gelu is the tanh
// approximation (a difference below 1e-3 in value and none in cost).
const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  silu: "silu",
  swish: "silu",
  gelu: "gelu",
  gelu_new: "gelu",
  gelu_pytorch_tanh: "gelu",
};

/** Reads the fields; `f.failed` says whether the spec may be used. */
export function readLlama(f: ConfigFields, family: LlamaFamily, file: string): LlamaSpec {
  const def = DEFAULTS[family];
  const vocab = f.size("vocab_size");
  const d = f.size("hidden_size");
  const ff = f.size("intermediate_size");
  const layers = f.size("num_hidden_layers");
  const heads = f.size("num_attention_heads");
  const kvGiven = f.optionalSize("num_key_value_heads");
  const kvHeads: Sourced<number> =
    kvGiven === undefined
      ? { value: heads.value, source: "num_key_value_heads missing: as many as num_attention_heads" }
      : { value: kvGiven, source: "num_key_value_heads" };
  const headDim = readHeadDim(f, d.value, heads.value, file);
  const eps = f.positive("rms_norm_eps", def.eps, def.cls);
  const ropeBase = readRopeBase(f, def, file);
  const tie = f.flag("tie_word_embeddings", false, def.cls);
  const positions = f.has("max_position_embeddings")
    ? f.size("max_position_embeddings")
    : { value: def.positions, source: `max_position_embeddings missing: ${def.cls} default` };
  const dtype = f.dtype();
  const act = f.choice("hidden_act", ACTIVATIONS, "silu", def.cls);
  const biases = readBiases(f, family, def.cls);
  const moe =
    family === "mixtral"
      ? { experts: f.size("num_local_experts"), topK: f.size("num_experts_per_tok") }
      : undefined;
  const slidingWindow = readSlidingWindow(f, family, def);

  if (!f.failed) {
    const inconsistent = (text: string) => f.report(diag(INCONSISTENT, file, undefined, [text]));
    if (heads.value % kvHeads.value !== 0) {
      inconsistent(
        `num_attention_heads (${heads.value}) is not a multiple of num_key_value_heads (${kvHeads.value})`,
      );
    }
    if (moe && moe.topK.value > moe.experts.value) {
      inconsistent(
        `num_experts_per_tok (${moe.topK.value}) is more than num_local_experts (${moe.experts.value})`,
      );
    }
  }
  return {
    family,
    vocab,
    d,
    ff,
    layers,
    heads,
    kvHeads,
    headDim,
    eps,
    ropeBase,
    tie,
    positions,
    slidingWindow,
    dtype,
    act,
    ...biases,
    moe,
  };
}

function readHeadDim(f: ConfigFields, d: number, heads: number, file: string): LlamaSpec["headDim"] {
  const given = f.optionalSize("head_dim");
  if (given !== undefined)
    return { value: given, source: "head_dim", derived: heads > 0 && given * heads === d };
  if (heads > 0 && d % heads !== 0 && !f.failed) {
    f.report(
      diag(INCONSISTENT, file, undefined, [
        `hidden_size (${d}) is not a multiple of num_attention_heads (${heads}) and there is no head_dim`,
      ]),
    );
  }
  return {
    value: heads > 0 ? Math.floor(d / heads) : 0,
    source: "hidden_size / num_attention_heads (no head_dim field)",
    derived: true,
  };
}

/** rope_theta, or `rope_parameters.rope_theta` in transformers 5 configs; scaled rope is reported, not modelled. */
function readRopeBase(f: ConfigFields, def: FamilyDefaults, file: string): Sourced<number> {
  const params = f.raw("rope_parameters");
  const nested =
    params !== null && typeof params === "object" ? (params as Record<string, unknown>) : undefined;
  if (!f.has("rope_theta") && nested && typeof nested.rope_theta === "number" && nested.rope_theta > 0) {
    return { value: nested.rope_theta, source: "rope_parameters.rope_theta" };
  }
  const scaling = f.has("rope_scaling")
    ? (f.raw("rope_scaling") as Record<string, unknown>)
    : nested && nested.rope_type !== undefined && nested.rope_type !== "default"
      ? nested
      : undefined;
  if (scaling !== undefined) {
    const kind = typeof scaling === "object" ? (scaling.rope_type ?? scaling.type) : scaling;
    f.report(
      diag(IGNORED_FIELD, file, undefined, [
        f.has("rope_scaling") ? "rope_scaling" : "rope_parameters",
        `the language's rope has no frequency scaling (${JSON.stringify(kind)}); plain rope is used`,
      ]),
    );
  }
  return f.positive("rope_theta", def.ropeBase, def.cls);
}

function readBiases(
  f: ConfigFields,
  family: LlamaFamily,
  cls: string,
): Pick<LlamaSpec, "qkvBias" | "oBias" | "mlpBias"> {
  const none = (why: string): Sourced<boolean> => ({ value: false, source: why });
  switch (family) {
    case "llama": {
      const attention = f.flag("attention_bias", false, cls);
      return { qkvBias: attention, oBias: attention, mlpBias: f.flag("mlp_bias", false, cls) };
    }
    case "qwen2":
      return {
        qkvBias: { value: true, source: "Qwen2 projects q, k and v with a bias" },
        oBias: none("Qwen2's o_proj has no bias"),
        mlpBias: none("Qwen2's MLP has no bias"),
      };
    case "mistral":
    case "mixtral":
      return { qkvBias: none("no biases"), oBias: none("no biases"), mlpBias: none("no biases") };
  }
}

/** Mistral attends to a sliding window of past tokens; Qwen2 only when use_sliding_window is set. */
function readSlidingWindow(f: ConfigFields, family: LlamaFamily, def: FamilyDefaults): number | undefined {
  if (family === "qwen2" && f.raw("use_sliding_window") !== true) return undefined;
  if (family === "llama") return undefined;
  if (f.raw("sliding_window") === null) return undefined;
  return f.optionalSize("sliding_window") ?? def.sliding;
}
