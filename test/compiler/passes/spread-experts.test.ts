// A moe's experts in the spread (compiler/passes/spread-experts.ts): one expert's products are heavy, their column
// splits take half a node (gate and up side by side), a node filled with its share of experts in order before the
// next is begun, and a small op read only by a group placed ahead is made on that group's chip. Before, mixtral's
// experts ran on nodes 0..2 only.
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { fuseEpilogues } from "../../../compiler/passes/fuse.ts";
import { groupPlacements, inPlaceGroup } from "../../../compiler/passes/in-place.ts";
import { kRange } from "../../../compiler/passes/pack.ts";
import { partition, usableBytesPerChip } from "../../../compiler/passes/partition.ts";
import {
  besideReaders,
  ExpertNodes,
  expertOf,
  expertProduct,
  readersOf,
  weightTiles,
} from "../../../compiler/passes/spread-experts.ts";
import { moeModel } from "../helpers/moe-model.ts";
import { budgetPackContext } from "../helpers/pack-context.ts";

/** 480 words per MEM slice: 13.5 MB a chip, 4.2 MB of it usable. */
const SMALL = resolveMachine("tsp-v1", { mem_words: "480" });

/** 4 experts of 8.2 MB a weight (640 x 6,400 fp16: 20 column tiles; a chip's usable 4.2 MB holds none whole), one
 * token. */
const MOE = moeModel({ t: 1, d: 640, ff: 6400, e: 4 });

/** No experts' weight tiles on each of `width` chips (`ExpertNodes.take` where the loads do not matter). */
const none = (width: number) => Array<number>(width).fill(0);

function contextOf(text: string) {
  const kernel = fuseEpilogues(decompose(loadModel(text, "test.model", {}).graph!, "test.model").kernel);
  return { kernel, ctx: budgetPackContext(kernel, usableBytesPerChip(SMALL)) };
}

describe("a moe's experts in the spread", () => {
  it("an expert product is one whose weight is rows of a stacked weight (the experts' gate, up and down), not the router's nor the routing's", () => {
    const { kernel, ctx } = contextOf(MOE);
    const products = kernel.ops.filter((op) => op.kind === "matmul");
    const experts = products.filter((op) => expertProduct(ctx, op)).map((op) => op.kind === "matmul" && op.b);
    expect(experts.sort()).toEqual(
      [0, 1, 2, 3].flatMap((e) => [`dn^T.e${e}`, `g^T.e${e}`, `u^T.e${e}`]).sort(),
    );
  });

  it("an expert's column split takes half a node from its first or middle chip, on a node no expert began while there are more nodes than experts", () => {
    const all = () => true;
    const nodes = new ExpertNodes(8, 8, ["m#0", "m#1", "m#2", "m#3"]);
    expect([
      nodes.allows("m#0", 0, 8, 4, all),
      nodes.allows("m#0", 0, 12, 4, all),
      nodes.allows("m#0", 0, 10, 4, all),
      nodes.allows("m#0", 0, 8, 8, all),
      nodes.allows("m#0", 0, 8, 3, all),
    ]).toEqual([true, true, false, false, false]);
    nodes.take("m#0", { base: 8, width: 4 }, none(4));
    // Node 1 holds its share (one expert): expert 1 begins another; expert 0 may still use its own node.
    expect([
      nodes.allows("m#1", 0, 8, 4, all),
      nodes.allows("m#1", 0, 16, 4, all),
      nodes.allows("m#0", 0, 12, 4, all),
    ]).toEqual([false, true, true]);
  });

  it("with fewer nodes than experts a node's share is the even one, and with no node left to begin any begun node where it fits takes the rest", () => {
    const all = () => true;
    const nodes = new ExpertNodes(8, 2, ["m#0", "m#1", "m#2", "m#3", "m#4", "m#5"]);
    for (const e of [0, 1, 2]) {
      expect(nodes.allows(`m#${e}`, 0, 0, 4, all)).toBe(true);
      nodes.take(`m#${e}`, { base: 0, width: 8 }, none(8));
    }
    expect([nodes.allows("m#3", 0, 0, 4, all), nodes.allows("m#3", 0, 8, 4, all)]).toEqual([false, true]);
    // A begun node under its share where the next expert does not fit: a node no expert began takes it.
    const two = new ExpertNodes(8, 2, ["m#0", "m#1", "m#2", "m#3"]);
    two.take("m#0", { base: 0, width: 8 }, none(8));
    expect([two.allows("m#1", 0, 0, 4, all), two.allows("m#1", 0, 8, 4, all)]).toEqual([true, false]);
    expect([two.allows("m#1", 0, 0, 4, (n) => n !== 0), two.allows("m#1", 0, 8, 4, (n) => n !== 0)]).toEqual([
      false,
      true,
    ]);
    nodes.take("m#3", { base: 8, width: 8 }, none(8));
    nodes.take("m#4", { base: 8, width: 8 }, none(8));
    nodes.take("m#5", { base: 8, width: 8 }, none(8));
    // Both nodes hold three: expert 6 may go to either where it fits.
    expect([nodes.allows("m#6", 0, 0, 4, all), nodes.allows("m#6", 0, 8, 4, (n) => n === 1)]).toEqual([
      true,
      true,
    ]);
    expect(nodes.allows("m#6", 0, 0, 4, (n) => n === 1)).toBe(false);
  });

  it("an expert's later products go to a node it took while they fit there, not to a node no expert began (the whole mixtral's unit: expert 3's up beside its gate)", () => {
    const all = () => true;
    const nodes = new ExpertNodes(8, 2, ["m#0", "m#1", "m#2", "m#3"]);
    nodes.take("m#0", { base: 0, width: 8 }, none(8));
    nodes.take("m#1", { base: 0, width: 4 }, none(4));
    // Node 0 holds its share (two experts); expert 1's next product stays there, node 1 (begun by no expert) is not
    // open to it.
    expect([nodes.allows("m#1", 0, 4, 4, all), nodes.allows("m#1", 0, 8, 4, all)]).toEqual([true, false]);
    // Where it does not fit on its node, the rule before: a node no expert began is open to it too.
    expect(nodes.allows("m#1", 0, 8, 4, (n) => n !== 0)).toBe(true);
  });

  it("an expert's own node before the spread's current node is not open to its next product: the rule for a product new to the nodes applies (a column split on or after the current node)", () => {
    const all = () => true;
    const nodes = new ExpertNodes(8, 3, ["m#0", "m#1", "m#2", "m#3", "m#4"]);
    nodes.take("m#0", { base: 0, width: 8 }, none(8));
    nodes.take("m#1", { base: 0, width: 8 }, none(8));
    nodes.take("m#2", { base: 8, width: 4 }, none(4));
    // From node 0, expert 0's next product stays on its node 0 (it fits there).
    expect([nodes.allows("m#0", 0, 0, 4, all), nodes.allows("m#0", 0, 8, 4, all)]).toEqual([true, false]);
    // From node 1 the spread weighs no split on node 0: node 1 (begun by expert 2, under its share of two) is open.
    expect([nodes.allows("m#0", 1, 8, 4, all), nodes.allows("m#0", 1, 16, 4, all)]).toEqual([true, false]);
  });

  it("an expert group's shares: the larger ones on the chips `larger` names, ending at the tiles, down's K ranges the same (in-place.ts groupPlacements)", () => {
    const { ctx } = contextOf(MOE);
    const of = (w: string) => ctx.ops.findIndex((op) => op.kind === "matmul" && op.b === w);
    const g = inPlaceGroup(ctx, of("g^T.e0"), of("u^T.e0"))!;
    const tiles = Math.ceil(6400 / ctx.lanes);
    const asked: number[] = [];
    const big = new Set([0, 2, 5, 6]);
    const places = groupPlacements(ctx, g, 8, 8, (n) => {
      asked.push(n);
      return big;
    });
    expect(asked).toEqual([tiles]);
    const bounds = places.get(g.gate)!.nBounds!;
    const shares = bounds.slice(1).map((b, c) => b - bounds[c]!);
    const small = Math.floor(tiles / 8);
    expect(shares).toEqual(shares.map((_, c) => small + (big.has(c) ? 1 : 0)));
    expect(bounds[8]).toBe(tiles);
    for (const k of [g.up, ...g.chain]) expect(places.get(k)!.nBounds).toEqual(bounds);
    expect(places.get(g.down)).toEqual({ base: 8, width: 8, kBounds: bounds });
    // Undefined from `larger`: kRange's shares, other chips than these taking the larger.
    const before = groupPlacements(ctx, g, 8, 8, () => undefined).get(g.gate)!.nBounds!;
    expect(before).toEqual([...before.keys()].map((c) => kRange(0, tiles, c, 8)[0]));
    expect(before).not.toEqual(bounds);
  });

  it("a product's weight tiles a chip: its column tiles there times its K tiles (a column split), its K tiles there times its column tiles (a K split), all of them on one chip (weightTiles)", () => {
    const { ctx } = contextOf(MOE);
    const i = ctx.ops.findIndex((op) => op.kind === "matmul" && op.b === "g^T.e1");
    const [k, n] = [Math.ceil(640 / ctx.lanes), Math.ceil(6400 / ctx.lanes)];
    expect(weightTiles(ctx, ctx.ops[i]!, { base: 4, width: 3, nBounds: [0, 7, 14, n] })).toEqual([
      7 * k,
      7 * k,
      (n - 14) * k,
    ]);
    expect(weightTiles(ctx, ctx.ops[i]!, { base: 4, width: 2, kBounds: [0, 1, k] })).toEqual([
      n,
      (k - 1) * n,
    ]);
    expect(weightTiles(ctx, ctx.ops[i]!, { base: 5, width: 1 })).toEqual([k * n]);
  });

  it("an expert group's larger column shares go to the chips with the fewest experts' weight tiles, the last on a tie, and kRange's where all hold as many (ExpertNodes.larger)", () => {
    const nodes = new ExpertNodes(8, 2, ["m#0", "m#1", "m#2"]);
    // Nothing held yet: undefined (kRange's shares, the placement before).
    expect(nodes.larger(0, 8, 45)).toBeUndefined();
    // kRange's shares of 45 tiles over 8 chips (5, 6, 5, 6, 6, 5, 6, 6), 13 K tiles each.
    nodes.take(
      "m#0",
      { base: 0, width: 8, nBounds: [0, 5, 11, 16, 22, 28, 33, 39, 45] },
      [65, 78, 65, 78, 78, 65, 78, 78],
    );
    // The five larger shares: chips 0, 2 and 5 (65 tiles), then of the 78s the last two.
    expect([...nodes.larger(0, 8, 45)!].sort((a, b) => a - b)).toEqual([0, 2, 5, 6, 7]);
    // A span of the node: only its own chips count.
    expect([...nodes.larger(4, 4, 45)!].sort((a, b) => a - b)).toEqual([1]);
  });

  it("an expert is named by its moe's block instance and its index in the stacked weight", () => {
    const { ctx } = contextOf(MOE);
    const names = ctx.ops.filter((op) => expertProduct(ctx, op)).map((op) => expertOf(ctx, op));
    expect([...new Set(names)].sort()).toEqual(["#0", "#1", "#2", "#3"]);
  });

  it("an op read only by a group placed ahead on one chip, wider than its made inputs (an expert's routing weight over d lanes), goes to that chip", () => {
    const { kernel, ctx } = contextOf(MOE);
    const readers = readersOf(ctx.ops);
    const made = new Set(ctx.ops.map((op) => op.out));
    const down = ctx.ops.findIndex((op) => op.kind === "matmul" && op.b === "dn^T.e2");
    const downOp = ctx.ops[down]!;
    if (downOp.kind !== "matmul") throw new Error("down is a product");
    const pickRow = downOp.epilogue!.find((r) => r.kind === "row" && r.fn === "mul")!;
    const pick = ctx.ops.findIndex((op) => op.out === (pickRow.kind === "row" ? pickRow.b : ""));
    const has = (x: string) => made.has(x);
    const forced = new Map([[down, { p: { base: 12, width: 8, kBounds: [] } }]]);
    expect(besideReaders(ctx, pick, readers, forced, has)).toBe(12);
    // Its reader not placed ahead: the estimate places it.
    expect(besideReaders(ctx, pick, readers, new Map(), has)).toBeUndefined();
    expect(kernel.ops.length).toBe(ctx.ops.length);
  });

  it("the spread puts each expert's gate and up on a node of its own when a node holds one expert's shares (this small machine's): placed half a node each, side by side, then kept in place over the whole node (in-place.ts; 64 chips given)", () => {
    const { kernel } = contextOf(MOE);
    const p = partition(kernel, SMALL, 64, "test.model", "spread").partitioned;
    const nodesOf = (w: string) => {
      const op = kernel.ops.find((o) => o.kind === "matmul" && o.b === w)!;
      const s = p.stageOf.get(op.id)!;
      return [Math.floor(s.base / 8), Math.floor((s.base + s.width - 1) / 8), s.width];
    };
    const seen = new Set<number>();
    for (let e = 0; e < 4; e++) {
      const [g0, g1, gw] = nodesOf(`g^T.e${e}`);
      const [u0, u1, uw] = nodesOf(`u^T.e${e}`);
      expect([g0 === g1, u0 === u1, g0 === u0, gw, uw]).toEqual([true, true, true, 8, 8]);
      expect(seen.has(g0!)).toBe(false);
      seen.add(g0!);
    }
  });
});
