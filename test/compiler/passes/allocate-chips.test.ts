// With a cursor per chip the allocator's chips are independent: a chip's placements depend only on its own
// tensors, so narrowing one chip's weight loads leaves every other chip's wide loads as they were.
import { describe, expect, it } from "vitest";
import { allocateRound } from "../../../compiler/passes/allocate-round.ts";
import type { Placement } from "../../../compiler/passes/task-ir.ts";
import { tinyGptRoundInput as roundInput } from "../helpers/round-input.ts";

const onChip = (ps: readonly Placement[] | undefined, chip: number) =>
  (ps ?? []).filter((p) => p.chip === chip);
const wideBlocks = (ps: readonly Placement[]) =>
  ps.flatMap((p) => p.blocks.filter((b) => (b.width ?? 1) > 1));

describe("allocate: chips placed independently", () => {
  it("narrowing every weight of chip 0 leaves chip 1's placements (wide loads included) byte-identical", () => {
    const input = roundInput();
    const tensors = input.g.tensors;
    expect(new Set(tensors.map((t) => t.chip))).toEqual(new Set([0, 1]));
    const wide = allocateRound(input, {
      narrow: () => false,
      stopWhenFull: false,
      reuseFirst: () => false,
      byTurn: () => true,
    });
    const chip0Narrow = allocateRound(input, {
      narrow: (ti) => tensors[ti]!.chip === 0,
      stopWhenFull: false,
      reuseFirst: () => false,
      byTurn: () => true,
    });
    expect(wide.fullChips).toEqual([]);
    expect(chip0Narrow.fullChips).toEqual([]);
    // The case is only a test if both chips load something wide to begin with.
    expect(wideBlocks(onChip(wide.graph.placements, 0)).length).toBeGreaterThan(0);
    expect(wideBlocks(onChip(wide.graph.placements, 1)).length).toBeGreaterThan(0);
    expect(wideBlocks(onChip(chip0Narrow.graph.placements, 0))).toEqual([]);
    expect(JSON.stringify(onChip(chip0Narrow.graph.placements, 1))).toBe(
      JSON.stringify(onChip(wide.graph.placements, 1)),
    );
  });

  it("the reuse-first policy applies per chip: on chip 0 only, chip 1 keeps its fresh-first placements and chip 0 gets the all-chips reuse-first ones", () => {
    const input = roundInput();
    const fresh = allocateRound(input, {
      narrow: () => false,
      stopWhenFull: false,
      reuseFirst: () => false,
      byTurn: () => true,
    });
    const tight = allocateRound(input, {
      narrow: () => false,
      stopWhenFull: false,
      reuseFirst: () => true,
      byTurn: () => true,
    });
    const chip0 = allocateRound(input, {
      narrow: () => false,
      stopWhenFull: false,
      reuseFirst: (chip) => chip === 0,
      byTurn: () => true,
    });
    const reuses = (ps: readonly Placement[]) => ps.filter((p) => p.blocks.some((b) => b.reuses)).length;
    // The case is only a test if the two policies place chip 0 differently.
    expect(reuses(onChip(tight.graph.placements, 0))).toBeGreaterThan(
      reuses(onChip(fresh.graph.placements, 0)),
    );
    expect(JSON.stringify(onChip(chip0.graph.placements, 1))).toBe(
      JSON.stringify(onChip(fresh.graph.placements, 1)),
    );
    expect(JSON.stringify(onChip(chip0.graph.placements, 0))).toBe(
      JSON.stringify(onChip(tight.graph.placements, 0)),
    );
  });
});
