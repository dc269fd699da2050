// End to end: model text -> loadModel -> interpret, on the docs example and the bundled programs, with checks that
// hold whatever the seeded numbers are (causal prefixes, op decompositions, determinism) and one golden report.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../compiler/frontend.ts";
import type { ModelGraph } from "../../../compiler/graph/ir.ts";
import { evalCost } from "../../../compiler/reference/budget.ts";
import { checksum } from "../../../compiler/reference/checksum.ts";
import { interpret } from "../../../compiler/reference/interpret.ts";
import { evalReportText } from "../../../compiler/reference/report.ts";
import { expectClose } from "./graphs.ts";

const root = new URL("../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

function load(text: string, sets: Record<string, string> = {}, file = "test.model"): ModelGraph {
  const r = loadModel(text, file, sets);
  if (!r.graph) throw new Error(r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  return r.graph;
}

/** The first fenced block after "## A complete example" in docs/language.md. */
function docsExample(): string {
  const doc = read("docs/language.md");
  const at = doc.indexOf("## A complete example");
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(doc.slice(at));
  if (at < 0 || !m) throw new Error("docs/language.md has no example block");
  return m[1]!;
}

const bytes = (d: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) =>
  Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("hex");

describe("the docs/language.md example", () => {
  it("evaluates to finite fp16 logits over the vocabulary", () => {
    const g = load(docsExample());
    const [logits] = interpret(g, { seed: 0 }).outputs;
    expect(logits!.type).toEqual({ dtype: "fp16", shape: [1, 1, 256] });
    const c = checksum(logits!);
    expect(c.nonFinite).toBe(0);
    // Seeded weights are scaled by fan-in, so logits stay O(1) rather than blowing up through the layers.
    expect(Math.sqrt(c.sumSquares / c.count)).toBeGreaterThan(0.01);
    expect(Math.sqrt(c.sumSquares / c.count)).toBeLessThan(10);
  });
});

describe("programs/tiny-gpt.model", () => {
  const text = read("programs/tiny-gpt.model");

  it("prints the same report every time (golden)", async () => {
    const g = load(text, {}, "programs/tiny-gpt.model");
    const ev = interpret(g, { seed: 0 });
    await expect(evalReportText(g, 0, evalCost(g), ev.outputs, 8)).toMatchFileSnapshot(
      "./golden/tiny-gpt.eval.txt",
    );
  });

  it("same seed -> the same bytes; another seed -> other logits", () => {
    const g = load(text);
    const a = bytes(interpret(g, { seed: 11 }).outputs[0]!.data);
    expect(bytes(interpret(g, { seed: 11 }).outputs[0]!.data)).toBe(a);
    expect(bytes(interpret(g, { seed: 12 }).outputs[0]!.data)).not.toBe(a);
  });

  it("causality: token 0 of a 3-token pass gives exactly the 1-token pass's logits", () => {
    // Source streams are prefix-stable (element i is the i-th draw), so token 0 and the caches are the same in both
    // passes; the causal mask must keep tokens 1 and 2 from leaking into row 0.
    const one = interpret(load(text, { seq: "1" }), { seed: 3 }).outputs[0]!;
    const three = interpret(load(text, { seq: "3" }), { seed: 3 }).outputs[0]!;
    expect(three.type.shape).toEqual([1, 3, 256]);
    expect(bytes(three.data.subarray(0, 256))).toBe(bytes(one.data));
    // And the later rows do differ (they see other tokens), so the check above is not vacuous.
    expect(bytes(three.data.subarray(256, 512))).not.toBe(bytes(one.data));
  });
});

describe("small configurations of the large programs", () => {
  const small = { layers: "2", d: "64", heads: "4", kv_heads: "2", ff: "96", vocab: "300", ctx: "8" };

  it("llama2-7b shape (rmsnorm, rope, grouped-query heads) is causal and finite", () => {
    const text = read("programs/llama2-7b.model");
    const one = interpret(load(text, { ...small, seq: "1" }), { seed: 5 }).outputs[0]!;
    const two = interpret(load(text, { ...small, seq: "2" }), { seed: 5 }).outputs[0]!;
    expect(checksum(two).nonFinite).toBe(0);
    expect(bytes(two.data.subarray(0, 300))).toBe(bytes(one.data));
  });

  it("mixtral-8x7b shape (topk routing, moe) is causal and finite", () => {
    const text = read("programs/mixtral-8x7b.model");
    const sets = { ...small, experts: "4", top_k: "2" };
    const one = interpret(load(text, { ...sets, seq: "1" }), { seed: 5 }).outputs[0]!;
    const two = interpret(load(text, { ...sets, seq: "2" }), { seed: 5 }).outputs[0]!;
    expect(checksum(two).nonFinite).toBe(0);
    expect(bytes(two.data.subarray(0, 300))).toBe(bytes(one.data));
  });
});

describe("attention agrees with its decomposition into matmul, scale, softmax and matmul", () => {
  it("one query over 5 cached keys and its own, within fp32 rounding", () => {
    const g = load(`model attn_check
const c = 5
const dh = 4
input q: fp32[1, 1, 1, dh]
input k: fp32[1, 1, 1, dh]
input v: fp32[1, 1, 1, dh]
state kc: fp32[1, c, 1, dh]
state vc: fp32[1, c, 1, dh]
keys = reshape(concat(kc, k, axis=1), shape=[c + 1, dh])
vals = reshape(concat(vc, v, axis=1), shape=[c + 1, dh])
p = softmax(scale(matmul(reshape(q, shape=[1, dh]), keys, transpose_b=true), factor=0.5))
output fused = reshape(attention(q, k, v, kc, vc, causal=true), shape=[1, dh])
output parts = matmul(p, vals)
`);
    for (const seed of [0, 1, 2]) {
      const [fused, parts] = interpret(g, { seed }).outputs;
      expectClose(fused!.data, Array.from(parts!.data), 1e-6);
    }
  });
});
