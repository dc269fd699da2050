// The lower bound's work comes from the model graph before decompose (model-work.ts): the padding every schedule on
// the MXM pays (a column sum adds at most `rows` products into one output) is counted, this compiler's own choices
// (ones-matrix lane sums, 0/1 lane movement, padded score columns, its constants and tile layouts) are not.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { modelWork } from "../../../compiler/schedule/model-work.ts";

const graph = (text: string) => loadModel(text, "t.model", {}).graph!;

describe("model work for the lower bound", () => {
  it("rounds a product's K up to whole MXM rows, and neither M nor N", () => {
    const g = graph(`model m
input x: fp16[3, 400]
param w: fp16[400, 50]
output y = matmul(x, w)
`);
    const w = modelWork(g, TSP_V1);
    // 3 x 50 outputs, each 400 terms: two column sums of at most 320 products.
    expect(w.macs.get("fp16")).toBe(3 * 50 * 640);
    expect(w.flops).toBe(2 * 3 * 50 * 400);
    // Every weight element enters a plane in rows of 320: 20,000 / 320 rounded up.
    expect(w.weightRows.get("fp16")).toBe(Math.ceil((400 * 50) / 320));
    // Weights and input, each byte read once.
    expect(w.sramBytes).toBe(2 * (400 * 50 + 3 * 400));
  });

  it("counts no product for a layernorm, though this compiler sums its lanes with ones-matrix products", () => {
    const g = graph(`model m
input x: fp16[4, 768]
param g: fp16[768]
param b: fp16[768]
output y = layernorm(x, g, b)
`);
    expect(modelWork(g, TSP_V1).macs.size).toBe(0);
    const r = compile(g, TSP_V1, { chips: 1, file: "t.model" });
    expect(r.kernel!.ops.some((op) => op.kind === "matmul")).toBe(true);
    expect(r.report!.bounds.compute).toBe(0);
    expect(r.report!.flops).toBe(0);
  });

  it("counts a causal query's visible keys only: query i of S after C cached keys sees C + i + 1", () => {
    const text = (causal: boolean) => `model m
input q: fp16[1, 4, 2, 64]
input k: fp16[1, 4, 2, 64]
input v: fp16[1, 4, 2, 64]
state kc: fp16[1, 6, 2, 64]
state vc: fp16[1, 6, 2, 64]
output y = attention(q, k, v, kc, vc, causal=${causal})
`;
    const heads = 2;
    const visible = [7, 8, 9, 10];
    const sum = visible.reduce((a, b) => a + b, 0);
    // Scores: one output per visible key, 64 terms (one column sum of 320); p.V: 64 outputs, `visible` terms.
    const causal = heads * (sum * 320 + visible.length * 64 * 320);
    expect(modelWork(graph(text(true)), TSP_V1).macs.get("fp16")).toBe(causal);
    expect(modelWork(graph(text(true)), TSP_V1).flops).toBe(2 * heads * 2 * sum * 64);
    expect(modelWork(graph(text(false)), TSP_V1).macs.get("fp16")).toBe(heads * 4 * (10 * 320 + 64 * 320));
    // Activations times activations: no weight rows.
    expect(modelWork(graph(text(true)), TSP_V1).weightRows.size).toBe(0);
  });

  it("counts an moe's chosen experts per token, and the weights of the experts the tokens can pick", () => {
    const g = graph(`model m
input x: fp16[1, 1, 320]
input w: fp16[1, 1, 2]
input idx: int32[1, 1, 2]
param gate: fp16[8, 320, 640]
param up: fp16[8, 320, 640]
param down: fp16[8, 640, 320]
output y = moe(x, w, idx, gate, up, down)
`);
    const work = modelWork(g, TSP_V1);
    // One token, two experts: gate and up (640 sums of 320 terms each), down (320 sums of 640).
    expect(work.macs.get("fp16")).toBe(2 * (2 * 640 * 320 + 320 * 640));
    // Two of the eight experts' three matrices enter the MXM; the same two are read from SRAM.
    expect(work.weightRows.get("fp16")).toBe((3 * 2 * 320 * 640) / 320);
    expect(work.sramBytes).toBe(2 * (3 * 2 * 320 * 640) + 2 * 320 + 2 * 2 + 4 * 2);
  });

  it("reads only the looked-up rows of an embedding table", () => {
    const g = graph(`model m
input ids: int32[1, 3]
param table: fp16[1000, 64]
output y = embedding(ids, table)
`);
    expect(modelWork(g, TSP_V1).sramBytes).toBe(3 * 64 * 2 + 3 * 4);
  });
});
