// The op lowerings of `decompose` (lower-*.ts): which kernel ops each op becomes, and what is refused.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { fuseEpilogues } from "../../../compiler/passes/fuse.ts";
import { opInputs, printKernelGraph, verifyKernelGraph } from "../../../compiler/passes/kernel-ir.ts";
import { inputView } from "../../../compiler/passes/pointwise-ir.ts";
import { moeModel } from "../helpers/moe-model.ts";

function kernelOf(text: string, sets: Record<string, string> = {}) {
  const g = loadModel(text, "t.model", sets).graph!;
  return decompose(g, "t.model");
}

const header = `model t
const b = 2
const d = 64
input x: fp16[b, d]
`;

describe("lowering of lane reductions", () => {
  it("layernorm sums lanes with ones-matrix products and keeps the kernel graph well formed", () => {
    const { kernel, diagnostics } = kernelOf(
      `${header}param g: fp16[d]\nparam be: fp16[d]\noutput y = layernorm(x, g, be)\n`,
    );
    expect(diagnostics).toEqual([]);
    expect(verifyKernelGraph(kernel)).toEqual([]);
    const onesWeights = kernel.ops.filter((o) => o.kind === "matmul" && o.b.startsWith("const.ones."));
    // mean: one product; variance: bf16 hi and lo products.
    expect(onesWeights).toHaveLength(3);
    // The ones weight fills every lane of the padded output (320), so recip/rsqrt see finite padding.
    expect(kernel.tensors.find((t) => t.id === "const.ones.fp16.320x64")!.rows).toBe(320);
    expect(kernel.constants!.get("const.ones.fp16.320x64")!.every((v) => v === 1)).toBe(true);
  });
  it("softmax over a row axis is a lane softmax between two exact MXM transposes (identity activations)", () => {
    const { kernel, diagnostics } = kernelOf(`${header}output y = softmax(x, axis=0)\n`);
    expect(diagnostics).toEqual([]);
    expect(verifyKernelGraph(kernel)).toEqual([]);
    const eyes = kernel.ops.filter((o) => o.kind === "matmul" && o.a.startsWith("const.eye."));
    // [2, 64] -> [64, 2] (one 64-row identity band) -> softmax over 2 lanes -> [2, 64] (one 2-row band).
    expect(eyes.map((o) => (o.kind === "matmul" ? o.a : ""))).toEqual([
      "const.eye.fp16.64.0+64",
      "const.eye.fp16.2.0+2",
    ]);
  });
  it("an fp32 layernorm sums its mean from bf16 hi and lo halves too (four ones products, not three)", () => {
    const { kernel, diagnostics } = kernelOf(
      `${header}param g: fp32[d]\nparam be: fp32[d]\noutput y = layernorm(cast(x, to=fp32), g, be)\n`,
    );
    expect(diagnostics).toEqual([]);
    expect(kernel.ops.filter((o) => o.kind === "matmul" && o.b.startsWith("const.ones."))).toHaveLength(4);
  });
  it("a matmul of fp32 activations is refused (LPU5004) with the dtypes the MXM takes, not an internal error", () => {
    const { diagnostics } = kernelOf(
      `model t\ninput x: fp32[2, 64]\nparam w: fp32[64, 32]\noutput y = matmul(x, w)\n`,
    );
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "LPU5004",
        "node 'matmul_0' multiplies fp32 operands, which the MXM does not take (it multiplies int8, uint8, fp8, fp16 and bf16); cast them first, e.g. cast(x, to=fp16)",
      ],
    ]);
  });
  it("softmax over a row axis of an fp32 tensor is refused (LPU5003): fp32 cannot cross the MXM exactly", () => {
    const { diagnostics } = kernelOf(`${header}output y = softmax(cast(x, to=fp32), axis=0)\n`);
    expect(diagnostics.map((d) => d.code)).toEqual(["LPU5003"]);
  });
});

describe("lowering of lane movement", () => {
  it("split along the last axis is one selection matmul per part, each exact 0/1", () => {
    const { kernel, diagnostics } = kernelOf(
      `${header}p, q = split(x, axis=-1, sizes=[16, 48])\noutput y = add(q, q)\noutput z = relu(p)\n`,
    );
    expect(diagnostics).toEqual([]);
    const sel = kernel.ops
      .filter((o) => o.kind === "matmul")
      .map((o) => (o.kind === "matmul" ? o.b : ""))
      .sort();
    expect(sel).toEqual(["const.select.fp16.320x64.0to0+16", "const.select.fp16.320x64.16to0+48"]);
    const w = kernel.constants!.get("const.select.fp16.320x64.16to0+48")!;
    // Row r (output lane r) picks input lane 16 + r.
    expect(w[5 * 64 + 21]).toBe(1);
    expect(w.reduce((s, v) => s + v, 0)).toBe(48);
  });
  it("a tensor split into heads by reshape may not be read by an ordinary op (LPU5003)", () => {
    const { diagnostics } = kernelOf(`${header}h = reshape(x, shape=[b, 4, 16])\noutput y = relu(h)\n`);
    expect(diagnostics.map((d) => d.code)).toEqual(["LPU5003"]);
  });
});

describe("lowering of attention", () => {
  it("programs/attention-head.model as kernel ops (golden)", async () => {
    const text = readFileSync("programs/attention-head.model", "utf8");
    const { kernel, diagnostics } = kernelOf(text);
    expect(diagnostics).toEqual([]);
    expect(verifyKernelGraph(kernel)).toEqual([]);
    await expect(printKernelGraph(kernel)).toMatchFileSnapshot("./golden/attention-head.decompose.txt");
  });
  it("grouped-query heads move query lanes to their kv head's lanes and back (selection matmuls)", () => {
    const text = readFileSync("programs/llama2-7b.model", "utf8");
    const sets = {
      d: "128",
      heads: "4",
      kv_heads: "2",
      head_dim: "32",
      q_dim: "128",
      kv_dim: "64",
      ff: "64",
      vocab: "64",
      ctx: "4",
      layers: "1",
    };
    const { kernel, diagnostics } = kernelOf(text, sets);
    expect(diagnostics).toEqual([]);
    const moves = kernel.ops.flatMap((o) =>
      o.kind === "matmul" && o.b.startsWith("const.select") ? [o.b] : [],
    );
    // Query head 3 reads kv head 1: lanes 96.. move to 32.. (64 wide), and the result moves back.
    expect(moves).toContain("const.select.fp16.320x128.96to32+32");
    expect(moves).toContain("const.select.fp16.320x64.32to96+32");
  });
  it("a lane move stores only its nonzero block (band weight): 4096-lane heads need one 320 x 320 tile each", () => {
    const text = readFileSync("programs/llama2-7b.model", "utf8");
    const sets = { kv_heads: "8", kv_dim: "1024", ff: "64", vocab: "64", ctx: "4", layers: "1" };
    const { kernel, diagnostics } = kernelOf(text, sets);
    expect(diagnostics).toEqual([]);
    expect(verifyKernelGraph(kernel)).toEqual([]);
    const selects = kernel.tensors.filter((t) => t.id.startsWith("const.select."));
    // 32 query heads of 128 lanes over 8 kv heads: offsets mod 320 repeat, so moves share constants.
    expect(selects.length).toBeLessThan(64);
    for (const t of selects) expect(t.rows * t.cols).toBeLessThanOrEqual(640 * 640);
    const band = kernel.ops.find((o) => o.kind === "matmul" && o.b === selects[0]!.id);
    expect(band?.kind === "matmul" && band.bLayout?.kind).toBe("band");
  });
  it("a lane sum wider than one tile computes one output tile, repeated over the row's tiles by its reader", () => {
    const { kernel } = kernelOf(`${header}output y = softmax(x)\n`, { d: "700" });
    const sums = kernel.ops.filter((o) => o.kind === "matmul" && o.b.startsWith("const.ones."));
    const cols = (id: string) => kernel.tensors.find((t) => t.id === id)?.cols;
    expect(sums.map((o) => (o.kind === "matmul" ? [o.b, o.bLayout?.kind, cols(o.out)] : []))).toEqual([
      ["const.ones.bf16.320x700", undefined, 320],
      ["const.ones.bf16.320x700", undefined, 320],
    ]);
    // 1 / (sum hi + sum lo) stays one tile wide (one fused op), and p = e * that is repeated over e's three tiles.
    const inv = kernel.ops.filter((o) => sums.some((s) => opInputs(o).includes(s.out)));
    expect(inv.map((o) => [o.kind, cols(o.out), opInputs(o).map(cols)])).toEqual([
      ["pointwise", 320, [320, 320]],
    ]);
    const scale = kernel.ops.filter((o) => opInputs(o).includes(inv[0]!.out));
    expect(scale.map((o) => [cols(o.out), opInputs(o).map(cols)])).toEqual([[700, [700, 320]]]);
    const out = kernel.tensors.find((t) => t.id === scale[0]!.out)!;
    expect(inputView(kernel.tensors.find((t) => t.id === inv[0]!.out)!, out).tileRepeated).toBe(true);
    expect(verifyKernelGraph(kernel)).toEqual([]);
  });
});

describe("lowering of routing", () => {
  const moe = moeModel({ t: 2, d: 64, ff: 32, e: 4 });
  it("moe computes each expert as its own products (lower-routing.ts lowerMoe): its rows of the stacked transposed weights, routing applied after down", () => {
    const { kernel, diagnostics } = kernelOf(moe);
    expect(diagnostics).toEqual([]);
    expect(verifyKernelGraph(kernel)).toEqual([]);
    const byId = new Map(kernel.tensors.map((t) => [t.id, t]));
    const matmuls = kernel.ops.filter((o) => o.kind === "matmul");
    for (let e = 0; e < 4; e++) {
      // Gate and up: rows e * ff .. of [e * ff, d] (each expert's [d, ff] transposed); down: rows e * d .. of
      // [e * d, ff] (each expert's [ff, d] transposed).
      const gate = byId.get(`g^T.e${e}`)!;
      expect([gate.rows, gate.cols, gate.source]).toEqual([
        32,
        64,
        { node: "g", transposed: true, batches: 4, rows: { first: e * 32, count: 32, at: 0 } },
      ]);
      const down = byId.get(`dn^T.e${e}`)!;
      expect([down.rows, down.cols, down.source]).toEqual([
        64,
        32,
        { node: "dn", transposed: true, batches: 4, rows: { first: e * 64, count: 64, at: 0 } },
      ]);
      // One product each, down reading that expert's hidden layer [t, ff] only.
      for (const w of [`g^T.e${e}`, `u^T.e${e}`, `dn^T.e${e}`])
        expect(matmuls.filter((o) => o.kind === "matmul" && o.b === w)).toHaveLength(1);
      const d = matmuls.find((o) => o.kind === "matmul" && o.b === `dn^T.e${e}`)!;
      expect(d.kind === "matmul" && byId.get(d.a)!.cols).toBe(32);
    }
    // No expert product reads the routing: the routing weights reach the experts' outputs [t, d] only.
    const routed = new Set<string>(["router^T"]);
    for (const op of kernel.ops) if (opInputs(op).some((x) => routed.has(x))) routed.add(op.out);
    expect(routed.has(kernel.outputs[0]!.tensor)).toBe(true);
    for (const op of matmuls)
      if (op.kind === "matmul" && /\^T\.e\d$/.test(op.b)) expect(routed.has(op.a)).toBe(false);
    // topk's int32 indices have no reader but moe, which takes the exact fp32 ones: no int32 tensor is made.
    expect(kernel.tensors.filter((t) => t.dtype === "int32")).toEqual([]);
  });
  it("moe sums the experts' scaled outputs in a chain from the first expert (lower-routing.ts): each expert's down product, fused, adds the sum of the experts before it", () => {
    const one = fuseEpilogues(kernelOf(moe.replace("const t = 2", "const t = 1")).kernel);
    const downs = [0, 1, 2, 3].map((e) => one.ops.find((o) => o.kind === "matmul" && o.b === `dn^T.e${e}`)!);
    for (const [e, op] of downs.entries()) {
      if (op.kind !== "matmul") throw new Error("down is a product");
      const rows = (op.epilogue ?? []).map((r) => (r.kind === "row" ? `${r.fn} ${r.b}` : r.kind));
      // Scaled by its routing weight (a row made from the routing), then the previous expert's sum added; the last
      // expert's rounded to the output's type last (fuse.ts: an epilogue convert).
      expect(rows[0]).toMatch(/^mul /);
      expect(rows.slice(1)).toEqual(
        e > 0 ? [`add ${downs[e - 1]!.out}`, ...(e === 3 ? ["convert"] : [])] : [],
      );
    }
    // The last expert's product ends the chain: it makes the moe's output.
    expect(downs[3]!.out).toBe(one.outputs[0]!.tensor);
  });
  it("topk's pair weight holds +1/-1 so that lane (j, i) is x_j - x_i for j > i and x_i - x_j for j < i", () => {
    const { kernel } = kernelOf(moe);
    const w = kernel.constants!.get("const.topk-diff.fp16.4")!;
    const at = (j: number, i: number, c: number) => w[(j * 4 + i) * 4 + c];
    expect([at(3, 1, 3), at(3, 1, 1), at(1, 3, 3), at(1, 3, 1), at(2, 2, 2)]).toEqual([1, -1, 1, -1, 0]);
  });
});
