import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { gatherRows } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import type { PartitionedGraph } from "../../../compiler/passes/partition.ts";
import { arrivalOrder, tileRanks } from "../../../compiler/passes/tile-arrival.ts";
import { zeroTiles } from "../../../compiler/passes/zero-tiles.ts";
import { GQA } from "../helpers/gqa-model.ts";

/** The GQA kernel with kv head h's ops (from its first product over the cache on) on chip `chipOfHead(h)`; the
 * ranks of the tiles of o's input `a`. */
function placed(chipOfHead: (h: number) => number) {
  const graph = loadModel(GQA, "gqa.model").graph!;
  const kernel = decompose(graph, "gqa.model", { gatherRows: gatherRows(TSP_V1) }).kernel;
  const role = new Map(kernel.tensors.map((t) => [t.id, t.role]));
  const chipOf = new Map<string, number>();
  let state = 0;
  for (const op of kernel.ops) {
    if (op.kind === "matmul" && role.get(op.b) === "state") state++;
    // Two products over the cache a kv head (scores, then p . V); the ops after the last head stay on its chip.
    chipOf.set(op.out, state === 0 ? 0 : chipOfHead(Math.min(1, Math.floor((state - 1) / 2))));
  }
  const p = { kernel, chipOf, matmulChips: new Map(), stageOf: new Map() } as unknown as PartitionedGraph;
  const o = kernel.ops[kernel.ops.length - 1]!;
  if (o.kind !== "matmul") throw new Error("the last op is o's product");
  return { ranks: tileRanks(p, zeroTiles(kernel)), a: o.a };
}

describe("arrival order of a product's input tiles (tile-arrival.ts)", () => {
  it("a kv head whose products over the cache queue behind another's on one chip: its tile ranks later", () => {
    const { ranks, a } = placed(() => 0);
    expect(ranks(a, 1)).toBeGreaterThan(ranks(a, 0));
  });

  it("kv heads one a chip rank their tiles equal (K order kept)", () => {
    const { ranks, a } = placed((h) => h);
    expect(ranks(a, 1)).toBe(ranks(a, 0));
    expect(arrivalOrder(ranks, a, 2)).toEqual([0, 1]);
  });

  it("the order is by rank, ties in K order", () => {
    const r = [2, 1, 2, 0];
    expect(arrivalOrder((_, i) => r[i]!, "x", 4)).toEqual([3, 1, 0, 2]);
  });
});
