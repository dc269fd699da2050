// End to end: data movement between rows and lanes (transpose, concat, split along a row axis, softmax over a row
// axis) compiled, simulated and compared with the reference interpreter. Moves are exact, so the values must be.
import { describe, expect, it } from "vitest";
import { expectExactRun } from "../support/exact.ts";
import { compileAndRunText } from "./helpers.ts";

const LAYOUT = `model layout
const b = 2
const s = 3
const d = 40
input x: fp16[b, s, d]
input y: fp16[b, s, 24]
input z: fp16[2, 3, 4, 8]
output t5 = transpose(z, perm=[2, 0, 1, 3])
output t6 = transpose(z, perm=[1, 2, 3, 0])
output t2 = transpose(x, perm=[0, 2, 1])
output t3 = transpose(x, perm=[1, 0, 2])
output t4 = transpose(x, perm=[2, 0, 1])
output cl = concat(x, y, axis=-1)
output cr = concat(x, x, axis=1)
p, q = split(x, axis=1, sizes=[1, s - 1])
output sp = relu(q)
output pp = p
`;

/** Without [2, 0, 1], whose output rows interleave (one row copy per row: slow to simulate at 330 lanes). */
const WIDE = LAYOUT.split("\n")
  .filter((l) => !l.startsWith("output t4"))
  .join("\n");

describe("transpose, concat and split along a row axis", () => {
  const cases: [string, string, Record<string, string>][] = [
    ["40 lanes, 2 x 3 rows", LAYOUT, {}],
    ["330 lanes (two column tiles: the identity in two bands), 2 x 2 rows", WIDE, { d: "330", s: "2" }],
  ];
  for (const [name, text, sets] of cases)
    it(`${name}: no hazard, cycles equal the prediction, every moved value equal to the interpreter's`, () => {
      const run = compileAndRunText(text, sets);
      expectExactRun(run);
      // One product by 1 and the rest by exact zeros, or a VXM copy: nothing rounds.
      expect(run.maxAbsError).toBe(0);
    });
});

const SOFTMAX_AXIS = `model softmax_axis
const b = 2
const s = 5
const d = 24
input x: fp16[b, s, d]
output y = softmax(x, axis=1)
output z = softmax(x, axis=0)
`;

describe("softmax over a row axis", () => {
  it("axis 1 and axis 0 of [2, 5, 24]: within one fp16 ulp of the interpreter", () => {
    const run = compileAndRunText(SOFTMAX_AXIS);
    expectExactRun(run);
    // The transposes are exact; the lane softmax is the last-axis one (measured at most one fp16 ulp).
    expect(run.maxRelError!).toBeLessThan(1e-3);
  });
});
