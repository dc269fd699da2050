// End to end: layernorm, rmsnorm and softmax over the last axis (lane reductions as MXM products with a ones
// matrix) compiled, simulated, and compared with the reference interpreter.
import { describe, expect, it } from "vitest";
import { expectExactRun } from "../support/exact.ts";
import { compileAndRunText } from "./helpers.ts";

const ROW_OPS = `model row_ops
const batch = 1
const d = 64
input x: fp16[batch, d]
param g: fp16[d]
param b: fp16[d]
output ln = layernorm(x, g, b, eps=1e-5)
output rn = rmsnorm(x, g, eps=1e-6)
output sm = softmax(x, axis=-1)
`;

describe("row ops over the last axis (layernorm, rmsnorm, softmax)", () => {
  const cases: [string, Record<string, string>][] = [
    ["one row of 64 lanes", {}],
    [
      "two rows of 100 lanes (a partial tile: padding lanes must not leak into the sums)",
      { batch: "2", d: "100" },
    ],
    ["five rows of 700 lanes (three column tiles)", { batch: "5", d: "700" }],
    [
      "two rows of 8000 lanes (25 tiles, a partial one: each lane sum is two copies of one tile, over 13 and 12 tiles)",
      { batch: "2", d: "8000" },
    ],
    [
      "150 rows of 700 lanes (tasks of 64 rows, the last 22: each reads only its own rows' writers)",
      { batch: "150", d: "700" },
    ],
  ];
  for (const [name, sets] of cases)
    it(`${name}: no hazard, cycles equal the prediction, outputs within 1e-2 of the interpreter`, () => {
      const run = compileAndRunText(ROW_OPS, sets);
      expectExactRun(run);
      // Measured: at most one fp16 ulp (4.9e-4 relative).
      expect(run.maxRelError!).toBeLessThan(2e-3);
    });
});
