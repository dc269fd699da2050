// stages.ts `sumHeads`: where each later node of a K split adds its chips' partial sums before one sum goes to the
// split's first chip. The rule: farthest node first, a chip with the fewest K tiles, then a position no farther
// head took (the sums cross the nodes between on wires of their own, relayed), then chip 0's position, then the next.
import { describe, expect, it } from "vitest";
import { routeOver, sumHeads } from "../../../compiler/passes/stages.ts";

/** The wires between nodes a route from `from` to `to` crosses, as `a>b`. */
function wires(size: number, from: number, to: number): string[] {
  const path = routeOver(size, true, from, to);
  const out: string[] = [];
  for (let i = 1; i < path.length; i++)
    if (Math.floor(path[i - 1]! / size) !== Math.floor(path[i]! / size))
      out.push(`${path[i - 1]}>${path[i]}`);
  return out;
}

describe("sumHeads: each later node's partial sums meet on a head of its own", () => {
  it("even shares over four nodes of 8 (31 chips): the farthest at chip 0's position, the others at the next positions, no wire shared", () => {
    const head = sumHeads(0, 31, 8, () => 3);
    const heads = [8, 16, 24].map((c) => head(c));
    expect(heads).toEqual([10, 17, 24]);
    for (let c = 0; c < 31; c++) if (c >= 8) expect(Math.floor(head(c) / 8)).toBe(Math.floor(c / 8));
    const crossed = heads.flatMap((h) => wires(8, h, 0));
    expect(new Set(crossed).size).toBe(crossed.length);
  });

  it("a chip with fewer K tiles is the head (its fp8 loads share the VXM with the adds less long)", () => {
    // llama2-70b-fp8's MLP on 31 chips: 90 column tiles, chips 0, 10 and 20 take 2, the others 3.
    const k = (c: number) => Math.floor(((c + 1) * 90) / 31) - Math.floor((c * 90) / 31);
    expect([0, 10, 20].map(k)).toEqual([2, 2, 2]);
    const head = sumHeads(0, 31, 8, k);
    expect([head(8), head(16), head(24)]).toEqual([10, 20, 24]);
  });

  it("a split starting inside a node: positions counted from its first chip's, relative chips returned", () => {
    // Chips 3 | 4, 5 on nodes of 4 (pack.test.ts's split): chip 4 (position 0) follows chip 3's position (3) first.
    const head = sumHeads(3, 3, 4, () => 2);
    expect([head(1), head(2)]).toEqual([1, 1]);
    // Two later nodes (3 | 4..7 | 8..11): the farthest takes position 3 (chip 11, relative 8), the nearer position 0.
    const two = sumHeads(3, 9, 4, () => 1);
    expect([two(1), two(8)]).toEqual([1, 8]);
  });
});
