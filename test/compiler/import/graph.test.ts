// Every importer output is a valid model whose parameter count is the closed form of its config, worked out here
// independently of the emitter (so a dropped bias or a wrong projection width is caught), plus the published
// totals of the fixtures that are not example programs.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../compiler/frontend.ts";
import { graphStats } from "../../../compiler/graph/stats.ts";
import { importHfConfig } from "../../../compiler/import/hf.ts";
import { formatDiagnostics } from "../../../util/diagnostics.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const fixtureNames = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.slice(0, -".json".length))
  .sort();

type Config = Record<string, number | boolean | string | null | undefined>;

function fixture(name: string): Config {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8")) as Config;
}

function importedParams(config: Config): number {
  const r = importHfConfig(config);
  expect(formatDiagnostics(r.diagnostics)).toBe("");
  const loaded = loadModel(r.text!, "imported.model");
  expect(formatDiagnostics(loaded.diagnostics, r.text)).toBe("");
  return graphStats(loaded.graph!).params.count;
}

/** HuggingFace's parameter count of a config, from the model definitions in transformers. */
function closedForm(c: Config): number {
  const n = (k: string) => c[k] as number;
  if (c.model_type === "gpt2") {
    const d = n("n_embd");
    const ff = (c.n_inner as number | null | undefined) ?? 4 * d;
    const layer = 4 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * ff + ff) + (ff * d + d);
    const head = c.tie_word_embeddings === false ? d * n("vocab_size") : 0;
    return n("vocab_size") * d + n("n_positions") * d + n("n_layer") * layer + 2 * d + head;
  }
  const d = n("hidden_size");
  const heads = n("num_attention_heads");
  const kvHeads = (c.num_key_value_heads as number | undefined) ?? heads;
  const hd = (c.head_dim as number | null | undefined) ?? d / heads;
  const q = heads * hd;
  const kv = kvHeads * hd;
  const qkvBias = c.model_type === "qwen2" || c.attention_bias === true ? q + 2 * kv : 0;
  const oBias = c.attention_bias === true ? d : 0;
  const attention = d * q + 2 * d * kv + q * d + qkvBias + oBias;
  const ff = n("intermediate_size");
  const mlp =
    c.model_type === "mixtral"
      ? n("num_local_experts") * 3 * d * ff + d * n("num_local_experts")
      : 3 * d * ff + (c.mlp_bias === true ? 2 * ff + d : 0);
  const embeddings = n("vocab_size") * d * (c.tie_word_embeddings === true ? 1 : 2);
  return embeddings + n("num_hidden_layers") * (2 * d + attention + mlp) + d;
}

describe("imported models load and count what their configs define", () => {
  it("there are fixtures for every family", () => {
    const types = new Set(fixtureNames.map((f) => fixture(f).model_type));
    expect([...types].sort()).toEqual(["gpt2", "llama", "mistral", "mixtral", "qwen2"]);
  });

  for (const name of fixtureNames) {
    it(`${name}.json: no diagnostics, and the parameter count is the config's closed form`, () => {
      const config = fixture(name);
      expect(importedParams(config)).toBe(closedForm(config));
    });
  }

  it("variants: untied GPT-2, given n_inner, Llama biases, a head_dim wider than hidden / heads", () => {
    for (const config of [
      { ...fixture("gpt2"), tie_word_embeddings: false, n_inner: 1000 },
      { ...fixture("llama3-8b"), attention_bias: true, mlp_bias: true },
      { ...fixture("mistral-7b"), hidden_size: 5120, head_dim: 128 },
    ]) {
      expect(importedParams(config)).toBe(closedForm(config));
    }
  });

  // Published totals (model cards on huggingface.co: Mistral-7B-v0.1 7.24B, Qwen2-0.5B 0.49B) of the fixtures
  // that have no example program; the others are checked in test/programs.
  it("Mistral-7B-v0.1 declares its published 7.24B and Qwen2-0.5B its 0.49B, within 1%", () => {
    const mistral = importedParams(fixture("mistral-7b"));
    expect(Math.abs(mistral - 7.24e9) / 7.24e9).toBeLessThan(0.01);
    const qwen = importedParams(fixture("qwen2-0.5b"));
    expect(Math.abs(qwen - 0.49e9) / 0.49e9).toBeLessThan(0.01);
  });
});
