// A chip that reuses first spends the room it has left on fresh space for its earliest temporaries, before any
// freed block that costs something (allocate.ts `spareRoom`, allocate-round.ts `freshBudget`).
import { describe, expect, it } from "vitest";
import { allocateRound, type RoundPolicy } from "../../../compiler/passes/allocate-round.ts";
import type { Placement } from "../../../compiler/passes/task-ir.ts";
import { tinyGptRoundInput as roundInput } from "../helpers/round-input.ts";

const onChip = (ps: readonly Placement[] | undefined, chip: number) =>
  JSON.stringify((ps ?? []).filter((p) => p.chip === chip));
/** Blocks placed in reused space on chip 0. */
const reusedBlocks = (ps: readonly Placement[] | undefined) =>
  (ps ?? []).filter((p) => p.chip === 0).flatMap((p) => p.blocks.filter((b) => b.reuses)).length;

describe("allocate: a reuse-first chip's spare room", () => {
  const input = roundInput();
  const policy = (budget: number): RoundPolicy => ({
    narrow: () => false,
    stopWhenFull: false,
    reuseFirst: (chip) => chip === 0,
    byTurn: () => true,
    freshBudget: (chip) => (chip === 0 ? budget : 0),
  });
  const tight = allocateRound(input, { ...policy(0), freshBudget: undefined });

  it("with no room, the reuse-first placements unchanged", () => {
    const none = allocateRound(input, policy(0));
    expect(onChip(none.graph.placements, 0)).toBe(onChip(tight.graph.placements, 0));
  });

  it("room goes to fresh space instead of costly reuse, as much as the budget allows and no more: a tiny budget is spent before any reused block is spared, a small one spares some, a large one all it can; the other chip unchanged", () => {
    // The case is only a test if the reuse-first chip reuses space to begin with.
    const reusedTight = reusedBlocks(tight.graph.placements);
    expect(reusedTight).toBeGreaterThan(0);
    const reused = [32, 64, 1024, 65536].map((budget) => {
      const r = allocateRound(input, policy(budget));
      expect(r.fullChips).toEqual([]);
      expect(onChip(r.graph.placements, 1)).toBe(onChip(tight.graph.placements, 1));
      return reusedBlocks(r.graph.placements);
    });
    // 32 slice-words: spent on the first small temporaries (were the budget not spent, every temporary of 32 words
    // or fewer would go fresh: 47 reused blocks, not 71). 64: some of the earliest temporaries take fresh space, then
    // the budget is spent. 1024 and more: every temporary that wants fresh space has it. The high water is not
    // bounded by the budget (a block taken fresh changes which freed blocks later temporaries find: +668 words at a
    // budget of 64 here), so allocate.ts keeps a spare round only if every chip fits (fullChips).
    expect(reused[0]).toBe(reusedTight);
    expect(reused[1]).toBeLessThan(reused[0]!);
    expect(reused[2]).toBeLessThan(reused[1]!);
    expect(reused[3]).toBe(reused[2]);
  });
});
