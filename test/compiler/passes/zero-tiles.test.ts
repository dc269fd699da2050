import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile, gatherRows } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { liveTiles } from "../../../compiler/passes/tile-live.ts";
import { unreadZeroTiles, zeroTiles } from "../../../compiler/passes/zero-tiles.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { expectExact } from "../../support/exact.ts";
import { GQA, MHA } from "../helpers/gqa-model.ts";

// In MHA (a kv head per head, as llama2-7b) each head's p . V and new value are masked to its 80 lanes by an
// epilogue mul, and the heads' sum is fused pointwise adds.
function kernelOf(text: string) {
  const graph = loadModel(text, "gqa.model").graph!;
  return { graph, kernel: decompose(graph, "gqa.model", { gatherRows: gatherRows(TSP_V1) }).kernel };
}

describe("zero tiles", () => {
  it("a band product's tiles outside its band are zero, kept through epilogue adds of tensors zero there", () => {
    const { kernel } = kernelOf(GQA);
    const zeros = zeroTiles(kernel);
    const moves = kernel.ops.filter(
      (op) =>
        op.kind === "matmul" &&
        op.bLayout?.kind === "band" &&
        kernel.tensors.find((t) => t.id === op.out)!.cols === 640,
    );
    expect(moves.length, "the heads' lane moves into the 640-wide row").toBeGreaterThan(0);
    for (const op of moves) {
      if (op.kind !== "matmul" || op.bLayout?.kind !== "band") continue;
      const [n0, n1] = op.bLayout.nTiles;
      const z = zeros.get(op.out) ?? new Set<number>();
      for (let j = 0; j < 2; j++) {
        const addsNonzero = (op.epilogue ?? []).some(
          (e) => e.kind === "row" && !(zeros.get(e.b)?.has(j) ?? false),
        );
        expect(z.has(j), `${op.id} tile ${j}`).toBe((j < n0 || j >= n1) && !addsNonzero);
      }
    }
    // The attention's output sums both kv heads: no tile of it is zero.
    const last = kernel.ops.find((op) => op.out === "a")!;
    expect(zeros.has(last.out)).toBe(false);
  });

  it("a product masked to a head's lanes (an epilogue mul by a lane mask) is zero outside them, and so is a fused add of such heads", () => {
    const { kernel } = kernelOf(MHA);
    const zeros = zeroTiles(kernel);
    let masked = 0;
    for (const op of kernel.ops) {
      if (op.kind !== "matmul") continue;
      for (const e of op.epilogue ?? []) {
        if (e.kind !== "row" || e.fn !== "mul" || !e.b.startsWith("const.mask")) continue;
        masked++;
        // The mask's zero tiles, from its values: those of the other four heads' tile.
        const values = kernel.constants!.get(e.b)!;
        for (let j = 0; j < 2; j++) {
          const zero = values.slice(j * 320, (j + 1) * 320).every((v) => v === 0);
          if (zero) expect(zeros.get(op.out)?.has(j), `${op.id} tile ${j}`).toBe(true);
        }
      }
    }
    expect(masked, "the heads' masked products").toBeGreaterThanOrEqual(8);
    const fused = kernel.ops.filter((op) => op.kind === "pointwise" && zeros.has(op.out));
    expect(fused.length, "partial sums of the heads, zero in the other tile").toBeGreaterThan(0);
    expect(zeros.has("a"), "all eight heads: no tile zero").toBe(false);
  });

  it("a masked product's epilogue row is computed at the tiles the product makes only: a head's new value at its own tile", () => {
    const { kernel } = kernelOf(MHA);
    const zeros = zeroTiles(kernel);
    const unread = unreadZeroTiles(kernel, zeros);
    const tiles = (x: string) => Math.ceil(kernel.tensors.find((t) => t.id === x)!.cols / 320);
    const live = liveTiles(kernel, tiles, () => false, unread);
    let rows = 0;
    for (const op of kernel.ops) {
      if (op.kind !== "matmul" || !unread.has(op.out)) continue;
      const made = [0, 1].filter((j) => !unread.get(op.out)!.has(j));
      for (const e of op.epilogue ?? []) {
        if (e.kind !== "row" || e.b.startsWith("const.")) continue;
        rows++;
        expect(live.get(e.b), `${e.b}, read by ${op.id}`).toEqual({
          j0: made[0],
          j1: made[made.length - 1]! + 1,
        });
      }
    }
    expect(rows, "the heads' new-value rows").toBeGreaterThanOrEqual(8);
  });

  for (const [name, text] of [
    ["grouped-query heads' lane moves", GQA],
    ["multi-head heads' masked products and fused adds", MHA],
  ] as const)
    it(`${name}: an add leaves a zero tile out, no task writes a zero tile only such adds read, and the program is exact with the interpreter's values`, () => {
      const { graph, kernel } = kernelOf(text);
      const zeros = zeroTiles(kernel);
      const unread = unreadZeroTiles(kernel, zeros);
      expect(
        [...unread.values()].some((s) => s.size > 0),
        "some heads' zero tiles are unread",
      ).toBe(true);
      const m = resolveMachine("tsp-v1");
      const r = compile(graph, m, { chips: 1, file: "gqa.model", sources: initialSources(graph, 0) });
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      for (const t of r.tasks!.tasks)
        for (const s of t.steps) {
          if (s.kind !== "read" && s.kind !== "write") continue;
          const base = s.ref.tensor.replace(/@(c|p)\d+$/, "");
          if (s.kind === "write")
            expect(
              unread.get(base)?.has(s.ref.tile) ?? false,
              `${t.id} writes ${base} tile ${s.ref.tile}`,
            ).toBe(false);
          // A zero tile is read only by another zero tile of a product (x - x of finite values), never by an add.
          else if (zeros.get(base)?.has(s.ref.tile))
            expect(t.id.endsWith(".zero"), `${t.id} reads zero tile ${s.ref.tile} of ${base}`).toBe(true);
        }
      expectExact(graph, r, m);
    }, 60_000);
});
