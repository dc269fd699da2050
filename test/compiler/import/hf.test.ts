// Importer rules, one family at a time: derived fields, tied embeddings, defaults named in comments, and the exact
// text of every error. Full outputs of three fixtures are golden files; the other fixtures are pinned by the
// programs generated from them (test/programs/models.test.ts).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importHfConfig, importHfJson } from "../../../compiler/import/hf.ts";
import { formatDiagnostics } from "../../../util/diagnostics.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8")) as Record<string, unknown>;
}

/** Imports and insists on success, returning the text. */
function text(config: unknown, opts: Parameters<typeof importHfConfig>[1] = {}): string {
  const r = importHfConfig(config, opts);
  expect(formatDiagnostics(r.diagnostics)).toBe("");
  expect(r.text).toBeDefined();
  return r.text!;
}

/** The formatted errors of an import that must fail. */
function errors(config: unknown, opts: Parameters<typeof importHfConfig>[1] = {}): string {
  const r = importHfConfig(config, opts);
  expect(r.text).toBeUndefined();
  return formatDiagnostics(r.diagnostics);
}

/** The expression of `const NAME = ...` in a model text (without its comment). */
function constExpr(t: string, name: string): string | undefined {
  const m = new RegExp(`^const ${name} = (.*?)\\s*(#.*)?$`, "m").exec(t);
  return m?.[1];
}

function without(config: Record<string, unknown>, ...fields: string[]): Record<string, unknown> {
  const copy = { ...config };
  for (const f of fields) delete copy[f];
  return copy;
}

describe("llama family: derived fields", () => {
  it("a missing num_key_value_heads means as many kv heads as attention heads (Llama 1)", () => {
    const t = text(fixture("llama1-7b"));
    expect(constExpr(t, "kv_heads")).toBe("32");
    expect(t).toContain("num_key_value_heads missing: as many as num_attention_heads");
  });

  it("without head_dim, head_dim is hidden_size / num_attention_heads, written d / heads so --set d follows", () => {
    const t = text(fixture("llama2-7b"));
    expect(constExpr(t, "head_dim")).toBe("d / heads");
    expect(text({ ...fixture("llama2-7b"), head_dim: null })).toBe(t);
  });

  it("a given head_dim that differs from hidden / heads is kept and sizes q_proj and o_proj", () => {
    // Mistral-Nemo's shape: hidden 5120, 32 heads of 128 (4096 wide, not 5120).
    const t = text({ ...fixture("mistral-7b"), hidden_size: 5120, head_dim: 128 });
    expect(constExpr(t, "head_dim")).toBe("128");
    expect(t).toContain("param q_proj: bf16[d, q_dim]");
    expect(t).toContain("param o_proj: bf16[q_dim, d]");
    expect(constExpr(t, "q_dim")).toBe("heads * head_dim");
  });

  it("a given head_dim equal to hidden / heads is still written d / heads", () => {
    expect(constExpr(text({ ...fixture("llama3-8b"), head_dim: 128 }), "head_dim")).toBe("d / heads");
  });

  it("rope_theta becomes the rope base; without it, the family default is used and named", () => {
    expect(text(fixture("llama3-8b"))).toContain("rope(q, start=ctx, base=500000)");
    const t = text(fixture("llama2-7b"));
    expect(t).toContain("rope(k, start=ctx, base=10000)");
    expect(t).toContain("# rope base 10000: rope_theta missing: LlamaConfig default");
  });

  it("rope_theta inside rope_parameters (transformers 5 configs) is read too", () => {
    const config = {
      ...without(fixture("mixtral-8x7b"), "rope_theta"),
      rope_parameters: { rope_theta: 250000 },
    };
    expect(text(config)).toContain("base=250000");
  });

  it("rms_norm_eps becomes every rmsnorm's eps", () => {
    const t = text(fixture("llama1-7b"));
    expect(t.match(/eps=1e-6/g)?.length).toBe(3); // two per layer block, one final
    expect(text(fixture("llama2-7b")).match(/eps=1e-5/g)?.length).toBe(3);
  });

  it("torch_dtype (or dtype) picks the weights' dtype; none given means fp16, said in a comment", () => {
    expect(text(fixture("llama2-7b"))).toContain("param embed_tokens: fp16[vocab, d]");
    expect(text(fixture("llama3-8b"))).toContain("param embed_tokens: bf16[vocab, d]");
    const newer = { ...without(fixture("llama3-8b"), "torch_dtype"), dtype: "float32" };
    expect(text(newer)).toContain("param embed_tokens: fp32[vocab, d]");
    const none = text(without(fixture("llama3-8b"), "torch_dtype"));
    expect(none).toContain("param embed_tokens: fp16[vocab, d]");
    expect(none).toContain("torch_dtype missing: fp16 assumed");
  });

  it("an untied lm head is its own [d, vocab] weight", () => {
    const t = text(fixture("llama2-7b"));
    expect(t).toContain("param lm_head: fp16[d, vocab]");
    expect(t).toContain("output logits = matmul(rmsnorm(h, norm, eps=1e-5), lm_head)");
  });

  it("tie_word_embeddings: the lm head reuses embed_tokens with transpose_b=true and declares no lm_head", () => {
    const t = text(fixture("qwen2-0.5b"));
    expect(t).not.toContain("lm_head");
    expect(t).toContain("output logits = matmul(rmsnorm(h, norm, eps=1e-6), embed_tokens, transpose_b=true)");
  });

  it("Qwen2 gives q, k and v a bias each, and o_proj and the MLP none", () => {
    const t = text(fixture("qwen2-0.5b"));
    expect(t).toContain("param q_proj_bias: bf16[q_dim]");
    expect(t).toContain("param k_proj_bias: bf16[kv_dim]");
    expect(t).toContain("param v_proj_bias: bf16[kv_dim]");
    expect(t).toContain(
      "q = reshape(add(matmul(h, q_proj), q_proj_bias), shape=[batch, seq, heads, head_dim])",
    );
    expect(t).not.toContain("o_proj_bias");
    expect(t).not.toContain("gate_proj_bias");
  });

  it("Llama's attention_bias adds biases to q, k, v and o; mlp_bias to gate, up and down", () => {
    const t = text({ ...fixture("llama3-8b"), attention_bias: true, mlp_bias: true });
    for (const b of ["q_proj_bias", "k_proj_bias", "v_proj_bias", "o_proj_bias"]) expect(t).toContain(b);
    for (const b of ["gate_proj_bias", "up_proj_bias", "down_proj_bias"]) expect(t).toContain(b);
    expect(text(fixture("llama3-8b"))).not.toContain("_bias");
  });

  it("Mixtral routes with matmul -> topk(k = num_experts_per_tok) -> softmax -> moe over num_local_experts", () => {
    const t = text(fixture("mixtral-8x7b"));
    expect(constExpr(t, "experts")).toBe("8");
    expect(constExpr(t, "top_k")).toBe("2");
    expect(t).toContain("param router: bf16[d, experts]");
    expect(t).toContain("param experts_gate: bf16[experts, d, ff]");
    expect(t).toContain("param experts_down: bf16[experts, ff, d]");
    expect(t).toContain("top_scores, top_experts = topk(matmul(h2, router), k=top_k)");
    expect(t).toContain("m = moe(h2, weights, top_experts, experts_gate, experts_up, experts_down)");
    expect(t).not.toContain("gate_proj");
  });

  it("a gelu hidden_act becomes the gated MLP's activation", () => {
    expect(text({ ...fixture("llama2-7b"), hidden_act: "gelu_pytorch_tanh" })).toContain(
      "mul(gelu(matmul(h2",
    );
    expect(text({ ...fixture("mixtral-8x7b"), hidden_act: "gelu" })).toContain("experts_down, act=gelu)");
  });

  it("rope_scaling is reported as ignored (a warning), and the import still succeeds", () => {
    const r = importHfConfig({ ...fixture("llama3-8b"), rope_scaling: { rope_type: "llama3", factor: 8 } });
    expect(r.text).toBeDefined();
    expect(formatDiagnostics(r.diagnostics)).toBe(
      "config.json: warning LPU6101: field 'rope_scaling' is ignored: the language's rope has no frequency " +
        'scaling ("llama3"); plain rope is used',
    );
  });
});

describe("pass sizes", () => {
  it("a default import is one decode step of one sequence with ctx = half the window, at most 4096", () => {
    const t = text(fixture("llama2-7b"));
    expect([constExpr(t, "batch"), constExpr(t, "seq"), constExpr(t, "ctx")]).toEqual(["1", "1", "2048"]);
    expect(constExpr(text(fixture("mixtral-8x7b")), "ctx")).toBe("4096");
    expect(constExpr(text(fixture("gpt2")), "ctx")).toBe("512");
  });

  it("Mistral's sliding window caps the default ctx (the rolling cache never holds more)", () => {
    const t = text({ ...fixture("mistral-7b"), sliding_window: 1024 });
    expect(constExpr(t, "ctx")).toBe("1024");
    expect(t).toContain("tokens already in the KV cache: the sliding window");
  });

  it("ctx, batch and seq options replace the defaults, and the rope start follows ctx", () => {
    const t = text(fixture("llama3-8b"), { ctx: 8000, batch: 4, seq: 16 });
    expect([constExpr(t, "batch"), constExpr(t, "seq"), constExpr(t, "ctx")]).toEqual(["4", "16", "8000"]);
    expect(t).toContain("start=ctx");
  });

  it("an option that is not a positive whole number is an error naming it", () => {
    expect(errors(fixture("llama3-8b"), { ctx: 0 })).toBe(
      "config.json: error LPU6008: option 'ctx' must be a positive whole number, got 0",
    );
  });
});

describe("gpt2", () => {
  it("n_inner null or absent means 4 * n_embd; a given n_inner is used as is", () => {
    expect(constExpr(text(fixture("gpt2")), "ff")).toBe("4 * d");
    expect(constExpr(text({ ...fixture("gpt2"), n_inner: null }), "ff")).toBe("4 * d");
    expect(constExpr(text({ ...fixture("gpt2"), n_inner: 2048 }), "ff")).toBe("2048");
  });

  it("learned positions: a positions input looks up an n_positions-row table added to the token embedding", () => {
    const t = text(fixture("gpt2"));
    expect(constExpr(t, "max_positions")).toBe("1024");
    expect(t).toContain("param wpe: fp16[max_positions, d]");
    expect(t).toContain("layer(add(embedding(tokens, wte), embedding(positions, wpe)))");
  });

  it("the lm head is tied by default (PretrainedConfig) and untied when the config says so", () => {
    expect(text(fixture("gpt2"))).toContain("output logits = matmul(hn, wte, transpose_b=true)");
    const untied = text({ ...fixture("gpt2"), tie_word_embeddings: false });
    expect(untied).toContain("param lm_head: fp16[d, vocab]");
    expect(untied).toContain("output logits = matmul(hn, lm_head)");
  });

  it("layer_norm_epsilon becomes every layernorm's eps and activation_function the MLP's", () => {
    const t = text({ ...fixture("gpt2"), layer_norm_epsilon: 1e-6, activation_function: "relu" });
    expect(t.match(/eps=1e-6/g)?.length).toBe(3);
    expect(t).toContain("relu(add(matmul(h2, c_fc_w), c_fc_b))");
  });
});

describe("family detection and names", () => {
  it("without model_type, the architectures entry decides", () => {
    const t = text(without(fixture("mixtral-8x7b"), "model_type"));
    expect(t).toContain("model_type 'mixtral', MixtralForCausalLM");
  });

  it("the model name comes from --name, else _name_or_path's last part, else the model_type", () => {
    expect(text(fixture("llama2-7b"))).toContain("\nmodel llama_2_7b_hf\n");
    expect(text(fixture("llama2-7b"), { name: "Llama2_7B" })).toContain("\nmodel Llama2_7B\n");
    expect(text(fixture("llama2-7b"), { name: "my model-1" })).toContain("\nmodel my_model_1\n");
    expect(text(fixture("llama3-8b"))).toContain("\nmodel llama\n");
    expect(text(fixture("llama3-8b"), { name: "7b" })).toContain("\nmodel m_7b\n");
    expect(text(fixture("llama3-8b"), { name: "const" })).toContain("\nmodel const_model\n");
  });

  it("the field order of the JSON does not change a byte of the output", () => {
    const config = fixture("mixtral-8x7b");
    const reversed = Object.fromEntries(Object.entries(config).reverse());
    expect(text(reversed)).toBe(text(config));
  });
});

describe("errors name the field at fault", () => {
  it("a missing size field: one error per field, naming the family", () => {
    expect(errors(without(fixture("llama2-7b"), "num_attention_heads"))).toBe(
      "config.json: error LPU6002: missing field 'num_attention_heads' (needed for llama)",
    );
    expect(errors(without(fixture("gpt2"), "n_embd", "n_layer"), { file: "gpt2/config.json" })).toBe(
      "gpt2/config.json: error LPU6002: missing field 'n_embd' (needed for gpt2)\n" +
        "gpt2/config.json: error LPU6002: missing field 'n_layer' (needed for gpt2)",
    );
  });

  it("Mixtral without its expert counts", () => {
    expect(errors(without(fixture("mixtral-8x7b"), "num_local_experts", "num_experts_per_tok"))).toBe(
      "config.json: error LPU6002: missing field 'num_experts_per_tok' (needed for mixtral)\n" +
        "config.json: error LPU6002: missing field 'num_local_experts' (needed for mixtral)",
    );
  });

  it("an ill-typed field says what it must be and what it got", () => {
    expect(
      errors({ ...fixture("llama2-7b"), hidden_size: "4096", rms_norm_eps: -1, tie_word_embeddings: 1 }),
    ).toBe(
      [
        `config.json: error LPU6003: field 'hidden_size' must be a positive whole number, got "4096"`,
        "config.json: error LPU6003: field 'rms_norm_eps' must be a positive number, got -1",
        "config.json: error LPU6003: field 'tie_word_embeddings' must be true or false, got 1",
      ].join("\n"),
    );
    expect(errors({ ...fixture("llama2-7b"), num_key_value_heads: 2.5 })).toBe(
      "config.json: error LPU6003: field 'num_key_value_heads' must be a positive whole number, got 2.5",
    );
  });

  it("an unknown model_type lists the supported ones and suggests a near miss", () => {
    expect(errors({ ...fixture("llama2-7b"), model_type: "lama" })).toBe(
      "config.json: error LPU6001: unknown model_type 'lama'; supported: gpt2, llama, mistral, mixtral, qwen2\n" +
        "  did you mean 'llama'?",
    );
    expect(errors({ model_type: "bert" })).toBe(
      "config.json: error LPU6001: unknown model_type 'bert'; supported: gpt2, llama, mistral, mixtral, qwen2",
    );
  });

  it("no model_type and no known architecture", () => {
    expect(errors({ architectures: ["BertModel"], hidden_size: 768 })).toBe(
      "config.json: error LPU6006: cannot tell the model family: no 'model_type' and no known 'architectures' " +
        "entry; supported: gpt2, llama, mistral, mixtral, qwen2",
    );
  });

  it("sizes that cannot fit together", () => {
    expect(errors({ ...fixture("llama3-8b"), num_key_value_heads: 5 })).toBe(
      "config.json: error LPU6004: inconsistent sizes: num_attention_heads (32) is not a multiple of " +
        "num_key_value_heads (5)",
    );
    expect(errors({ ...fixture("llama3-8b"), hidden_size: 4100 })).toBe(
      "config.json: error LPU6004: inconsistent sizes: hidden_size (4100) is not a multiple of " +
        "num_attention_heads (32) and there is no head_dim",
    );
    expect(errors({ ...fixture("mixtral-8x7b"), num_experts_per_tok: 9 })).toBe(
      "config.json: error LPU6004: inconsistent sizes: num_experts_per_tok (9) is more than num_local_experts (8)",
    );
  });

  it("an unsupported activation or dtype names the field and the supported values", () => {
    expect(errors({ ...fixture("llama2-7b"), hidden_act: "mish", torch_dtype: "int4" })).toBe(
      [
        `config.json: error LPU6007: field 'hidden_act' is "mish", which the importer does not support ` +
          "(supported: gelu, gelu_new, gelu_pytorch_tanh, silu, swish)",
        `config.json: error LPU6007: field 'torch_dtype' is "int4", which the importer does not support ` +
          "(supported: bfloat16, float, float16, float32, half)",
      ].join("\n"),
    );
  });

  it("a config that is not a JSON object, or not JSON at all", () => {
    expect(errors([1, 2])).toBe(
      "config.json: error LPU6005: a config.json must hold a JSON object, got an array",
    );
    const r = importHfJson('{\n  "model_type": "llama",\n}', { file: "c.json" });
    expect(r.text).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["LPU6000"]);
    expect(r.diagnostics[0]!.span?.start).toBe(27); // the '}' after the trailing comma
  });
});

describe("--weight-dtype", () => {
  it("fp8 changes the matmul weights only: embeddings, norms and the KV cache keep the checkpoint's dtype", () => {
    const t = text(fixture("llama2-70b"), { weightDtype: "fp8" });
    const fp8 = [...t.matchAll(/param (\w+): fp8\[/g)].map((m) => m[1]).sort();
    expect(fp8).toEqual([
      "down_proj",
      "gate_proj",
      "k_proj",
      "lm_head",
      "o_proj",
      "q_proj",
      "up_proj",
      "v_proj",
    ]);
    expect(t).toContain("param embed_tokens: fp16[vocab, d]");
    expect(t).toContain("state k_cache: fp16[");
    expect(t).toContain("# matmul weights fp8 (--weight-dtype fp8)");
  });
  it("a tied lm head stays in the checkpoint's dtype: the embedding reads it too", () => {
    const t = text(fixture("gpt2"), { weightDtype: "fp8" });
    expect(t).toContain("param wte: fp16[vocab, d]");
    expect(t).toContain("param c_fc_w: fp8[d, ff]");
  });
  it("an unknown weight type is LPU6009 with a suggestion", () => {
    expect(errors(fixture("llama2-70b"), { weightDtype: "fp9" })).toBe(
      "config.json: error LPU6009: --weight-dtype 'fp9' is not a weight type the importer offers: fp8\n  did you mean 'fp8'?",
    );
  });
});

describe("golden outputs", () => {
  for (const name of ["llama1-7b", "mistral-7b", "qwen2-0.5b"]) {
    it(`${name}.json imports to the text in golden/${name}.model`, async () => {
      await expect(text(fixture(name))).toMatchFileSnapshot(`./golden/${name}.model`);
    });
  }
});
