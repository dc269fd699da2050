// A lane sum over a row wider than 16 column tiles (llama2-70b's d = 8192 is 26): one output tile (K weight tiles),
// copied a few times, each copy read with a run of the row's tiles, rather than every output tile of a periodic
// ones weight (K x N weight tiles).
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { tile } from "../../../compiler/passes/tile.ts";

/** rmsnorm over one row of d lanes on one chip, tiled. */
function tiledNorm(d: number) {
  const text = `model t\nconst d = ${d}\ninput x: fp16[1, d]\nparam g: fp16[d]\noutput y = rmsnorm(x, g, eps=1e-6)\n`;
  const graph = loadModel(text, "t.model").graph!;
  const p = partition(decompose(graph, "t.model").kernel, TSP_V1, 1, "t.model");
  return tile(p.partitioned, TSP_V1);
}

describe("lane sums of rows wider than 16 tiles", () => {
  it("a wide lane sum's weight tiles are K (26 for d = 8192), not K x N (26 x 26)", () => {
    const g = tiledNorm(8192);
    // Weight tiles multiplied by, per product of the ones weight (its K tiles' products; a full tile is loaded once
    // per plane and installed again: tile-context.ts kChain): rmsnorm sums its squares as bf16 hi + lo, two products.
    const loads = productsOfOnes(g);
    expect([...loads.values()]).toEqual([26, 26]);
    // Each product writes one output tile, in every tensor its tasks write (partial sums included).
    const written = new Set<string>();
    for (const t of g.tasks)
      if (loads.has(t.op)) for (const s of t.steps) if (s.kind === "write") written.add(s.ref.tensor);
    expect(new Set([...written].map((id) => g.tensors.find((t) => t.id === id)!.tiles))).toEqual(
      new Set([1]),
    );
  });

  it("the sum's two copies are each read with 13 of the row's 26 tiles (allocate's rule leaves them a slice group)", () => {
    const g = tiledNorm(8192);
    const narrow = new Set(g.tensors.filter((t) => t.tiles === 2 && t.type === "fp32").map((t) => t.id));
    expect(narrow.size).toBeGreaterThan(0);
    // Per copy (tensor, tile): the wide tiles (26-tile tensors) read or written by the tasks that read it.
    const partners = new Map<string, Set<string>>();
    const wide = new Set(g.tensors.filter((t) => t.tiles === 26).map((t) => t.id));
    for (const t of g.tasks)
      for (const s of t.steps) {
        if (s.kind !== "read" || !narrow.has(s.ref.tensor)) continue;
        const key = `${s.ref.tensor}/${s.ref.tile}`;
        const set = partners.get(key) ?? new Set<string>();
        for (const o of t.steps)
          if ((o.kind === "read" || o.kind === "write") && wide.has(o.ref.tensor)) set.add(`${o.ref.tile}`);
        partners.set(key, set);
      }
    const counts = [...partners.values()].map((s) => s.size).filter((n) => n > 0);
    expect(counts.length).toBeGreaterThan(0);
    for (const n of counts) expect(n).toBe(13);
  });

  it("a row of 16 tiles or fewer still sums into one output tile (13 weight tiles for d = 4096)", () => {
    const g = tiledNorm(4096);
    expect([...productsOfOnes(g).values()]).toEqual([13, 13]);
  });
});

/** Per product with the ones weight (an op some task of which loads it): its `abc` steps, one per K tile and row
 * chunk. */
function productsOfOnes(g: ReturnType<typeof tiledNorm>): Map<string, number> {
  const ops = new Set(
    g.tasks
      .filter((t) => t.steps.some((s) => s.kind === "read" && s.ref.tensor.startsWith("const.ones.")))
      .map((t) => t.op),
  );
  const products = new Map<string, number>();
  for (const t of g.tasks)
    if (ops.has(t.op))
      for (const s of t.steps) if (s.kind === "abc") products.set(t.op, (products.get(t.op) ?? 0) + 1);
  return products;
}
