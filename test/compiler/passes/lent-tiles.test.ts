// lent-tiles.ts: down kept in place over K ranges that differ by one tile lends part of each heavier chip's first K
// tile to a lighter chip of its node with SRAM room, so the chips' weight loads even out.
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { lentTiles } from "../../../compiler/passes/lent-tiles.ts";
import { scheduledInsts } from "../../../compiler/schedule/schedule-ir.ts";
import { expectExact } from "../../support/exact.ts";
import { compileSpread } from "../../support/spread.ts";

/** The fp8 70b unit's MLP: 90 K tiles over chips 8..31 (nodes of 8), chips 8, 12, 16, ... take 3, the others 4. */
const unitK = (c: number) => Math.floor(((c + 1) * 90) / 24) - Math.floor((c * 90) / 24);

describe("lentTiles: heavier chips lend their first K tile to a lighter chip of their node", () => {
  it("each light chip with room takes x = 3 x outTiles / (1 + r) output tiles from each of its r heavy chips", () => {
    expect([0, 4, 8, 12, 16, 20].map(unitK)).toEqual([3, 3, 3, 3, 3, 3]);
    const lent = lentTiles(8, 24, 8, unitK, 26, () => 1000);
    // Node B (chips 16..23 = 8..15 of the split): 17, 18, 19 lend to 16, 21, 22, 23 to 20; 78 / 4 = 19 each.
    for (const [h, l] of [
      [9, 8],
      [10, 8],
      [11, 8],
      [13, 12],
      [14, 12],
      [15, 12],
    ]) {
      expect(lent.get(h)?.to, `chip ${h}`).toBe(l);
      expect([18, 19].map((j) => lent.get(h)!.lends(j))).toEqual([true, false]);
    }
    expect([0, 4, 8, 12, 16, 20].filter((c) => lent.has(c))).toEqual([]);
  });

  it("a light chip without room for one lender's whole K tile takes none, and its node's heavy chips lend nowhere else; with room for fewer lenders, fewer lend, each more", () => {
    // Chips 0..7: room for 25 weight tiles, one short of a K tile's 26 output tiles. Chip 8: room for two lenders.
    const room = (c: number) => (c < 8 ? 25 : c < 12 ? 60 : 1000);
    const lent = lentTiles(8, 24, 8, unitK, 26, room);
    for (let c = 0; c < 8; c++) expect(lent.has(c), `chip ${c}`).toBe(false);
    // Chip 8 of the split takes its first two heavy chips' K tiles whole in room (2 x 26 <= 60), 78 / 3 = 26 output
    // tiles each; chip 11, left out, lends to the next light chip after it in its node with room (chip 12, whose
    // four lenders 11, 13, 14, 15 take 78 / 5 = 15 output tiles each).
    expect([9, 10].map((h) => [lent.get(h)!.to, lent.get(h)!.lends(25)])).toEqual([
      [8, true],
      [8, true],
    ]);
    for (const h of [11, 13, 14, 15]) {
      expect(lent.get(h)?.to, `chip ${h}`).toBe(12);
      expect([14, 15].map((j) => lent.get(h)!.lends(j))).toEqual([true, false]);
    }
  });

  it("a heavy chip left out lends to the next light chip after it in its node with room left, never before it or across nodes", () => {
    // Node B (chips 8..15 of the split): light chips 8 (room for one lender) and 12 (room for four). 9 -> 8 (at or
    // before it); 10 and 11 are left out; 12's own lenders 13, 14, 15 leave it room for one: 10 takes it (the
    // first after it), 11 lends nowhere (12 is full; 8 is before it; chips 0 and 16 are in other nodes).
    const room = (c: number) => (c === 8 ? 26 : c === 12 ? 104 : 1000);
    const lent = lentTiles(8, 24, 8, unitK, 26, room);
    expect([9, 10, 13, 14, 15].map((h) => lent.get(h)?.to)).toEqual([8, 12, 12, 12, 12]);
    expect(lent.has(11)).toBe(false);
    // A light chip before a left-out chip is passed over even with room: 8 has room for four, and 9, 10, 11 (at or
    // after it, before 12) take three; 12 has room for one, 13 takes it; 14 and 15 are left out and lend nowhere,
    // though 8 could take one more (it is before them).
    const before = lentTiles(8, 24, 8, unitK, 26, (c) => (c === 8 ? 104 : c === 12 ? 26 : 1000));
    expect([9, 10, 11, 13].map((h) => before.get(h)?.to)).toEqual([8, 8, 8, 12]);
    expect([14, 15].map((h) => before.has(h))).toEqual([false, false]);
  });

  it("even K ranges, or ranges differing by more than one tile, lend nothing", () => {
    expect(
      lentTiles(
        0,
        8,
        8,
        () => 3,
        26,
        () => 1000,
      ).size,
    ).toBe(0);
    expect(
      lentTiles(
        0,
        8,
        8,
        (c) => (c === 0 ? 1 : 3),
        26,
        () => 1000,
      ).size,
    ).toBe(0);
  });

  it("a gated MLP kept in place over nodes of 2 chips: the lent groups run on the light chip from the lender's part, exact with the interpreter's values", () => {
    // 10 column tiles over 6 chips (1, 2, 2, 1, 2, 2): node (0, 1) lends to its light chip before the heavy one,
    // node (2, 3) to its light chip after it (none at or before), node (4, 5) holds none and lends nothing.
    const m = resolveMachine("tsp-v1", { mem_words: "640", chips_per_node: "2" });
    const text = `model gated
input x: fp16[1, 3200]
param g: fp8[3200, 3200]
param u: fp8[3200, 3200]
param w: fp8[3200, 3200]
output y = matmul(mul(silu(matmul(x, g)), matmul(x, u)), w)
`;
    const { graph, r, p } = compileSpread(text, "gated.model", m, 16);
    const down = r.kernel!.ops.at(-1)!;
    const k = p.kSplits?.get(down.id);
    expect(k, "down K-split in place").toEqual(p.nSplits?.get(r.kernel!.ops[0]!.id));
    const base = p.stageOf.get(down.id)!.base;
    const lentGroups = r.tasks!.tasks.filter((t) => t.op === down.id && /\.l\d+\.acc$/.test(t.id));
    expect(lentGroups.length, `lent groups over K bounds ${k}`).toBeGreaterThan(0);
    // Each runs on a light chip of its lender's node, and only the lenders' parts of mul move (one local hop).
    for (const t of lentGroups) {
      const [c, h] = t.id
        .match(/\.c(\d+)\.l(\d+)\.acc$/)!
        .slice(1)
        .map(Number);
      expect(Math.floor((base + c!) / 2), t.id).toBe(Math.floor((base + h!) / 2));
      expect(k![c! + 1]! - k![c!]!, t.id).toBe(k![h! + 1]! - k![h!]! - 1);
    }
    const moved = new Set(
      scheduledInsts(r.schedule!)
        .filter((i) => i.op.startsWith("move."))
        .map((i) => i.op.slice(5)),
    );
    const lenders = new Set(lentGroups.map((t) => `mul_0.c${t.id.match(/\.l(\d+)\.acc$/)![1]}`));
    expect([...moved].filter((t) => t.startsWith("mul_0")).sort()).toEqual([...lenders].sort());
    expectExact(graph, r, m);
  }, 120_000);
});
