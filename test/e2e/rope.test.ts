// End to end: rope's rotate-half as a diagonal weight (per output tile only the input tiles within half a head,
// kernel-ir.ts `diagonal`), over heads that straddle 320-lane tiles, equal to the interpreter's.
import { describe, it } from "vitest";
import { expectExactRun } from "../support/exact.ts";
import { compileAndRunText } from "./helpers.ts";

const ROPE = `model ropewide
const heads = 5
const head_dim = 128
input x: fp16[1, 2, heads * head_dim]
q = reshape(x, shape=[1, 2, heads, head_dim])
output y = reshape(rope(q, start=7, base=10000), shape=[1, 2, heads * head_dim])
`;

describe("rope with a diagonal rotation", () => {
  for (const [name, sets] of [
    ["5 heads of 128 lanes (heads straddle tiles; each output tile reads its neighbours)", {}],
    [
      "2 heads of 768 lanes (half a head is 384 lanes: two tiles either side)",
      { heads: "2", head_dim: "768" },
    ],
  ] as const)
    it(`${name}: no hazard, cycles equal the prediction, outputs within 1e-2`, () => {
      const run = compileAndRunText(ROPE, sets);
      expectExactRun(run);
    });
});
