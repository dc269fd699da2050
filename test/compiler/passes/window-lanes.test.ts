import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { expectExact } from "../../support/exact.ts";

// A prefill without a cache: each head's p . V^T takes the new values transposed on the MXM (a computed weight,
// loaded one row a cycle). 6 heads of 128 lanes: heads 0 and 1 share V^T's first 320-row tile, head 2 straddles
// the first two tiles (lanes 256..383).
const PREFILL = `model heads_prefill
input q: fp16[1, 8, 768]
input k: fp16[1, 8, 768]
input v: fp16[1, 8, 768]
a = attention(reshape(q, shape=[1, 8, 6, 128]), reshape(k, shape=[1, 8, 6, 128]), reshape(v, shape=[1, 8, 6, 128]), causal=true)
output y = reshape(a, shape=[1, 8, 768])
`;

describe("a head's p . V^T over a computed V^T (matmul window lanes)", () => {
  it("loads only its head's rows of each V^T tile, into the plane rows they take there; exact with the interpreter's values", () => {
    const m = resolveMachine("tsp-v1");
    const lanes = m.mxm.cols;
    const graph = loadModel(PREFILL, "prefill.model").graph!;
    const r = compile(graph, m, { chips: 1, file: "prefill.model", sources: initialSources(graph, 0) });
    const windows = r.kernel!.ops.flatMap((op) =>
      op.kind === "matmul" && op.bLayout?.kind === "window" && op.bLayout.lanes
        ? [{ id: op.id, lanes: op.bLayout.lanes }]
        : [],
    );
    expect(windows.length, "one p . V^T per head").toBe(6);
    for (const {
      id,
      lanes: [l0, l1],
    } of windows) {
      const loaded: number[] = [];
      for (const t of r.tasks!.tasks) {
        if (t.op !== id) continue;
        const lw = t.steps.find((s) => s.kind === "lw");
        const read = t.steps[0];
        if (lw?.kind !== "lw" || read?.kind !== "read") continue;
        const j = Number(/\.n(\d+)\./.exec(t.mxmGroup!)![1]);
        // Rows of b are output lanes: output tile j's row r is b's row j * 320 + r.
        expect(read.ref.row, t.id).toBe(j * lanes + lw.row0);
        expect(
          read.ref.row >= l0 && read.ref.row + lw.n <= l1,
          `${t.id} reads only lanes ${l0}..${l1 - 1}`,
        ).toBe(true);
        for (let row = read.ref.row; row < read.ref.row + lw.n; row++) loaded.push(row);
      }
      // Every row of the head's lanes loaded once per row chunk of p (one here: 8 rows).
      expect(
        loaded.sort((x, y) => x - y),
        id,
      ).toEqual(Array.from({ length: l1 - l0 }, (_, i) => l0 + i));
    }
    expectExact(graph, r, m);
  }, 60_000);
});
