import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile, gatherRows } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { opInputs } from "../../../compiler/passes/kernel-ir.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { expectExact } from "../../support/exact.ts";
import { decodeAttentionModel } from "../helpers/gqa-model.ts";

// Decode with grouped-query heads: 8 query heads of 160 lanes over 4 kv heads (two tiles wide, each kv head's
// lanes in one), 960 cached keys (three K tiles).
const GQA = decodeAttentionModel({ name: "gqa", d: 640, heads: 8, kvHeads: 4, dh: 160, ctx: 960 });

describe("attention heads, decode with stacked query heads", () => {
  it("the new value's row is a row broadcast of one fp32 row, not copied once per stacked head", () => {
    const graph = loadModel(GQA, "gqa.model").graph!;
    const kernel = decompose(graph, "gqa.model", { gatherRows: gatherRows(TSP_V1) }).kernel;
    const rowsOf = new Map(kernel.tensors.map((t) => [t.id, t.rows]));
    // No copy stacks one tensor's row on itself (the old repetition of v's row).
    for (const op of kernel.ops)
      if (op.kind === "copyRows")
        expect(
          op.parts.length > 1 &&
            op.parts.every((p) => p.x === op.parts[0]!.x && p.row0 === op.parts[0]!.row0),
          `${op.id} repeats one row`,
        ).toBe(false);
    // Each kv head's p . v over the new key (fused with its other terms) reads v's one fp32 row beside its 2
    // stacked rows: a row broadcast.
    const v32 = kernel.ops.flatMap((op) => (op.kind === "convert" && op.x === "matmul_2" ? [op.out] : []));
    expect(v32.length).toBe(4);
    for (const v of v32) {
      expect(rowsOf.get(v)).toBe(1);
      const readers = kernel.ops.filter((op) => opInputs(op).includes(v));
      expect(readers.map((op) => rowsOf.get(op.out))).toEqual([2]);
    }
  });

  it("a window product (a head's p . V over the cache) splits its K chain over the idle planes; exact with the interpreter's values", () => {
    const m = resolveMachine("tsp-v1");
    const graph = loadModel(GQA, "gqa.model").graph!;
    const r = compile(graph, m, { chips: 1, file: "gqa.model", sources: initialSources(graph, 0) });
    const windows = r
      .kernel!.ops.filter((op) => op.kind === "matmul" && op.bLayout?.kind === "window")
      .map((op) => op.id);
    expect(windows.length, "one p . V over the cache per kv head").toBe(4);
    for (const id of windows) {
      // One output tile of two (the other is zero), three K tiles: a chain on each of three planes.
      const splits = new Set(
        r
          .tasks!.tasks.filter((t) => t.op === id && t.mxmGroup)
          .map((t) => /\.s(\d+)$/.exec(t.mxmGroup!)?.[1]),
      );
      expect(splits, id).toEqual(new Set(["0", "1", "2"]));
    }
    expectExact(graph, r, m);
  }, 60_000);
});
