// End to end: a rope read only by attention as q is roped per kv head where the heads use it (decompose-ops.ts
// `deferRope`, lower-rope.ts `ropeHeads`): each kv head's stacked query heads get a band rotation over their own
// tiles, and no op rotates the whole row. Heads of 128 lanes straddle 320-lane tiles; exact against the
// interpreter, which ropes the whole row first.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { gatherRows } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { decompose } from "../../compiler/passes/decompose.ts";
import { expectExactRun } from "../support/exact.ts";
import { compileAndRunText } from "./helpers.ts";

const ROPED = `model roped
const batch = 1
const seq = 1
const ctx = 8
const heads = 8
const kv_heads = 2
const head_dim = 128
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
a = attention(rope(q, start=ctx, base=10000), rope(k, start=ctx, base=10000), v, k_cache, v_cache, causal=true)
output y = reshape(a, shape=[batch, seq, d])
`;

/** The same model with q's rope also a model output: the whole row is roped (the rope has a reader besides q). */
const SHARED = ROPED.replace(
  "a = attention(rope(q, start=ctx, base=10000),",
  "qr = rope(q, start=ctx, base=10000)\noutput roped = reshape(qr, shape=[batch, seq, d])\na = attention(qr,",
);

function rotations(text: string, sets: Record<string, string> = {}): string[] {
  const graph = loadModel(text, "roped.model", sets).graph!;
  const kernel = decompose(graph, "roped.model", { gatherRows: gatherRows(TSP_V1) }).kernel;
  return kernel.ops.flatMap((op) =>
    op.kind === "matmul" && (op.b.includes("rotate-half") || op.b.includes("rotate-heads"))
      ? [`${op.b.split(".")[1]}:${op.bLayout?.kind}`]
      : [],
  );
}

describe("rope of q deferred to the attention's kv heads", () => {
  it("q's rope is a band rotation per kv head; k's (read as k) stays one diagonal product", () => {
    // k: one diagonal product over its 256 lanes; q: one band per kv head.
    expect(rotations(ROPED)).toEqual(["rotate-half:diagonal", "rotate-heads:band", "rotate-heads:band"]);
  });

  it("a rope with another reader is lowered whole, once", () => {
    expect(SHARED).not.toBe(ROPED);
    expect(rotations(SHARED)).toEqual(["rotate-half:diagonal", "rotate-half:diagonal"]);
  });

  const cases: [string, Record<string, string>, number][] = [
    ["8 query heads of 128 lanes over 2 kv heads, decode", {}, 1],
    ["8 heads over 8 kv heads (no stacking: each head masked), decode", { kv_heads: "8" }, 1],
    [
      "8 query heads over 2 kv heads, batch 2, prefill 3 (positions per row of the stack)",
      { batch: "2", seq: "3" },
      1,
    ],
    ["8 query heads over 2 kv heads on 4 chips (auto)", {}, 4],
  ];
  for (const [name, sets, chips] of cases)
    it(`${name}: no hazard, cycles equal the prediction, outputs within 1e-2`, () => {
      expectExactRun(compileAndRunText(ROPED, sets, chips));
    });
});
