// A product split by output columns and gathered on its first chip (tile-columns.ts): a reader on a third chip takes
// each tile from the chip of the split that made it (stages.ts `nearest`), not through the gathering chip, and the
// values are the interpreter's.
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { partId } from "../../../compiler/passes/in-place.ts";
import { expectExact } from "../../support/exact.ts";
import { compileSpread } from "../../support/spread.ts";

describe("a gathered column split's tiles reach other chips from where they were made", () => {
  it("every copy of a tile onto a chip other than the gathering one is sent from the chip of the split that made it, when that route is no longer: exact", () => {
    const m = resolveMachine("tsp-v1", { mem_words: "640", chips_per_node: "4" });
    const text = `model t
input x: fp16[1, 1600]
param w: fp8[1600, 1600]
param v: fp8[1600, 3200]
output y = matmul(matmul(x, w), v)
`;
    const { graph, r, p } = compileSpread(text, "t.model", m, 4);
    const n = p.nSplits?.get("matmul_0");
    // Both products split by columns over one node's chips: the second's chips read every tile of the first's.
    expect(n, "the first product split by columns").toBeDefined();
    expect(p.nSplits?.get("matmul_1"), "the second product split by columns").toBeDefined();
    const base = p.stageOf.get("matmul_0")!.base;
    const out = r.kernel!.ops.find((o) => o.id === "matmul_0")!.out;
    const madeOn = (tile: number) => base + n!.findIndex((b, c) => tile >= b && tile < n![c + 1]!);
    // The sends that move out's tiles (or its parts') to a chip other than the gathering one.
    let direct = 0;
    for (const t of r.tasks!.tasks) {
      const m1 = /^move\.(.+)\.t(\d+)\.r\d+\.c(\d+)-c(\d+)\.send$/.exec(t.id);
      if (!m1) continue;
      const [, tensor, tile, from, to] = m1;
      const j = Number(tile);
      if (Number(to) === base || (tensor !== out && !tensor!.startsWith(`${out}.c`))) continue;
      // A tile made on chip base + c is read there or sent on from there: never from the gathering chip when the
      // chip that made it is as near.
      if (tensor === out) expect(Number(from), `tile ${j} to chip ${to}`).toBe(base);
      else {
        expect(tensor).toBe(partId(out, madeOn(j) - base));
        direct++;
      }
    }
    expect(direct, "some tile goes straight from the chip that made it").toBeGreaterThan(0);
    expectExact(graph, r, m);
  }, 60_000);
});
