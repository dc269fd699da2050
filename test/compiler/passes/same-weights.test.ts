// A product's chain of K tiles over a weight whose tiles hold the same values (a ones matrix's full tiles: the
// kernel tensor's `oneValue`) loads a tile only when it differs from the one the plane's staging buffer holds; the
// others are installed again from it (tile-context.ts kChain). Rule, and the simulator's verdict on it.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { tile } from "../../../compiler/passes/tile.ts";
import { planeRange } from "../../../compiler/passes/tile-matmul.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { expectExact } from "../../support/exact.ts";

const norm = (d: number) =>
  `model t\nconst d = ${d}\ninput x: fp16[1, d]\nparam g: fp16[d]\noutput y = rmsnorm(x, g, eps=1e-6)\n`;

describe("weight tiles holding the installed values", () => {
  it("each group of rmsnorm's lane sums (d = 4096: 12 full ones tiles, a partial 13th) loads a tile only first or where the tile is not a full ones tile like the one before, the partial one alone on its plane; every tile still has its install and product", () => {
    const graph = loadModel(norm(4096), "t.model").graph!;
    const p = partition(decompose(graph, "t.model").kernel, TSP_V1, 1, "t.model");
    const g = tile(p.partitioned, TSP_V1);
    const ones = g.tensors.find((t) => t.id.startsWith("const.ones."))!;
    expect(ones.oneValue).toBe(true);
    const whole = (k: number) => (k + 1) * TSP_V1.lanes <= ones.cols;
    // Per group, its K tiles in task order, each with whether it was loaded.
    const groups = new Map<string, { k: number; loaded: boolean; installed: boolean }[]>();
    const kOf = (id: string) => Number(/\.k(\d+)\.\w+$/.exec(id)![1]);
    for (const t of g.tasks) {
      if (!t.mxmGroup || !t.steps.some((s) => s.kind === "lw" || s.kind === "iw" || s.kind === "abc"))
        continue;
      if (
        !g.tasks.some(
          (u) =>
            u.mxmGroup === t.mxmGroup && u.steps.some((s) => s.kind === "read" && s.ref.tensor === ones.id),
        )
      )
        continue;
      const list = groups.get(t.mxmGroup) ?? [];
      groups.set(t.mxmGroup, list);
      const k = kOf(t.id);
      let e = list.find((x) => x.k === k);
      if (!e) {
        e = { k, loaded: false, installed: false };
        list.push(e);
      }
      if (t.steps.some((s) => s.kind === "lw")) e.loaded = true;
      if (t.steps.some((s) => s.kind === "iw")) e.installed = true;
    }
    expect(groups.size).toBeGreaterThan(1);
    let loads = 0;
    let tiles = 0;
    for (const list of groups.values())
      list.forEach((e, i) => {
        const reuse = i > 0 && whole(e.k) && whole(list[i - 1]!.k);
        expect({ k: e.k, loaded: e.loaded, installed: e.installed }).toEqual({
          k: e.k,
          loaded: !reuse,
          installed: true,
        });
        loads += e.loaded ? 1 : 0;
        tiles++;
      });
    // hi and lo, 13 tiles each, over the planes: fewer loads than tiles.
    expect(tiles).toBe(26);
    expect(loads).toBeLessThan(tiles);
    // The partial tile 12 is alone on its plane (planeRange's `lone`): each chain loads once, before its input.
    for (const list of groups.values())
      if (list.some((e) => e.k === 12)) expect(list.map((e) => e.k)).toEqual([12]);
    for (const list of groups.values()) expect(list.filter((e) => e.loaded)).toHaveLength(1);
  });

  it("planeRange: even contiguous shares; with `lone` the last tile alone on the last split, the rest shared evenly", () => {
    const ranges = (k0: number, k1: number, splits: number, lone: boolean) =>
      Array.from({ length: splits }, (_, s) => planeRange(k0, k1, s, splits, lone));
    expect(ranges(0, 13, 4, false)).toEqual([
      [0, 3],
      [3, 6],
      [6, 9],
      [9, 13],
    ]);
    expect(ranges(0, 13, 4, true)).toEqual([
      [0, 4],
      [4, 8],
      [8, 12],
      [12, 13],
    ]);
    expect(ranges(13, 26, 2, true)).toEqual([
      [13, 25],
      [25, 26],
    ]);
  });

  it("rmsnorm over 4096 lanes with reinstalled ones tiles runs hazard-free, cycle-exact, with the interpreter's values", () => {
    const graph = loadModel(norm(4096), "t.model").graph!;
    const r = compile(graph, TSP_V1, { chips: 1, file: "t.model", sources: initialSources(graph, 0) });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expectExact(graph, r, TSP_V1);
  });
});
