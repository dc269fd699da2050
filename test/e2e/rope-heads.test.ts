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
import { compileAndRunText, GQA } from "./helpers.ts";

/** helpers.ts GQA with 8 query heads of 128 lanes over its 2 kv heads, q and k roped as attention reads them. */
const ROPED = GQA.replace("const heads = 4", "const heads = 8")
  .replace("const head_dim = 16", "const head_dim = 128")
  .replace(
    "a = attention(q, k,",
    "a = attention(rope(q, start=ctx, base=10000), rope(k, start=ctx, base=10000),",
  );

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
