// The plane-split rule (compiler/passes/plane-split.ts): a column split's chip runs a tile's K chain over several
// MXM planes only when the shorter chain saves more than the added partial-sum task costs, from the preset's numbers;
// the spread's time line reads the same numbers.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { spreadTiming } from "../../../compiler/passes/partition.ts";
import {
  chainCycles,
  type PlaneChain,
  partialSumCycles,
  planeSplits,
  planeTiming,
} from "../../../compiler/passes/plane-split.ts";

const t = planeTiming(TSP_V1);
const bf16 = (groups: number, kTiles: number): PlaneChain => ({
  groups,
  kTiles,
  rows: 1,
  weightBytes: 2,
  activationBytes: 2,
  computedWeight: false,
});
const fp8 = (groups: number, kTiles: number): PlaneChain => ({ ...bf16(groups, kTiles), weightBytes: 1 });

describe("the plane-split rule", () => {
  it("reads the preset: two planes a side, 32 streams a direction, a partial sum's trip over a hemisphere's 44 MEM slices each way", () => {
    expect(t.planesBySide).toEqual([2, 2]);
    expect(t.streamsPerDirection).toBe(32);
    // read latency 2 + 2 x 44 slices + write latency 1.
    expect(t.roundTrip).toBe(91);
    expect(t.convertWidth).toBe(3);
    expect(spreadTiming(TSP_V1).planeSplit).toEqual(t);
  });

  it("a bf16 chain of 40-cycle loads: one plane alone a tile per load and install (48), four planes share two loads at a time (80 a tile)", () => {
    expect(chainCycles(t, bf16(1, 13), 1)).toBe(13 * 48);
    expect(chainCycles(t, bf16(2, 13), 1)).toBe(13 * 48);
    expect(chainCycles(t, bf16(2, 13), 2)).toBe(7 * 80);
    // A converted fp8 load (3 rows a cycle, 107 cycles) leaves every plane its streams.
    expect(chainCycles(t, fp8(2, 26), 2)).toBe(13 * (107 + 8));
    expect(partialSumCycles(t, bf16(2, 13), 1)).toBe(0);
    expect(partialSumCycles(t, bf16(2, 13), 2)).toBe(91 + 2 + 1);
  });

  it("a column split's chip splits a tile's K over planes only when the chain saves more than the partial sum costs", () => {
    const gains = (c: PlaneChain, s: number) =>
      chainCycles(t, c, 1) - chainCycles(t, c, s) > partialSumCycles(t, c, s);
    // Splits: llama2-70b-fp8's q and o, 2 of 26 column tiles a chip, 26 K tiles of a 107-cycle converted load.
    expect(planeSplits(t, fp8(2, 26))).toBe(2);
    expect(gains(fp8(2, 26), 2)).toBe(true);
    // Splits: one bf16 tile alone on its chip, 13 K tiles (4 chains of 4 tiles at 80 beat one of 13 at 48).
    expect(planeSplits(t, bf16(1, 13))).toBe(4);
    // Does not: llama2-7b's bf16 q, 2 of 13 column tiles a chip, 13 K tiles: 7 tiles at 80 and the sum (654)
    // against 13 at 48 (624).
    expect(planeSplits(t, bf16(2, 13))).toBe(1);
    expect(gains(bf16(2, 13), 2)).toBe(false);
    // Does not: a bf16 chain of 2 K tiles saves one 48-cycle tile, less than the sum's trip (an fp8 one, 115, more).
    expect(planeSplits(t, bf16(1, 2))).toBe(1);
    expect(planeSplits(t, fp8(1, 2))).toBe(2);
    // Never with as many groups as planes running in one round, nor more planes than K tiles.
    expect(planeSplits(t, fp8(4, 26))).toBe(1);
    expect(planeSplits(t, fp8(1, 3))).toBeLessThanOrEqual(3);
  });

  it("with a plane's worth of groups or more, chains run in rounds of one a plane: split where fewer tile-loads a plane result, and only where every plane loads at once", () => {
    // Six fp8 groups of 26 K tiles (a heavy pair kept in place over four nodes: three column tiles of gate and of up
    // a chip): whole, two rounds of 26 tiles a plane; split in two, three rounds of 13.
    expect(planeSplits(t, fp8(6, 26))).toBe(2);
    // The same six counted as three groups of the product and three beside it (its sibling's, on the same planes).
    expect(planeSplits(t, { ...fp8(3, 26), beside: 3 })).toBe(2);
    // Three alone fit one round: split in two they would take two rounds of 13 (as many tile-loads) and a sum.
    expect(planeSplits(t, fp8(3, 26))).toBe(1);
    // Eight: two rounds of 26 whole, four of 13 split: no fewer tile-loads, not split.
    expect(planeSplits(t, fp8(8, 26))).toBe(1);
    // bf16 loads share the streams (one a side at a time): the streams bound the chains, not the planes.
    expect(planeSplits(t, bf16(6, 26))).toBe(1);
    expect(planeSplits(t, { ...bf16(3, 26), beside: 3 })).toBe(1);
  });

  it("takes the split count whose chain and sum end soonest, fewer planes on a tie", () => {
    for (const c of [bf16(1, 5), bf16(1, 13), bf16(2, 35), fp8(1, 5), fp8(3, 26), fp8(1, 26)]) {
      const cost = (s: number) => chainCycles(t, c, s) + partialSumCycles(t, c, s);
      const s = planeSplits(t, c);
      const most = Math.max(1, Math.min(c.kTiles, Math.floor(4 / c.groups)));
      for (let o = 1; o <= most; o++)
        expect(cost(o) > cost(s) || (cost(o) === cost(s) && o >= s), `${JSON.stringify(c)}: ${o}`).toBe(true);
    }
  });
});
