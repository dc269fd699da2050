// End to end: layernorm, rmsnorm and softmax over the last axis (lane reductions as MXM products with a ones
// matrix) compiled, simulated, and compared with the reference interpreter.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { runModel, TOLERANCE } from "../../cli/run-model.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { expectExactRun } from "../support/exact.ts";

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

/** Garbage in x's padding lanes (compile.ts `inputPadding`; finite, so a leak shows as a wrong value, not a NaN
 * the comparison might treat alike): the emitted images otherwise zero them, and a sum that read them would pass. */
const PADDING = 5;

/** `text` on the seeded sources (x plus `offset`: rows centred away from zero), x's padding lanes holding PADDING:
 * compiled verifying every pass, simulated, compared with the interpreter. */
function runRows(text: string, sets: Record<string, string>, offset = 0) {
  const graph = loadModel(text, "test.model", sets).graph!;
  const sources = initialSources(graph, 0);
  sources.set(
    "x",
    Float32Array.from(sources.get("x")!, (v) => Math.fround(v + offset)),
  );
  const r = compile(graph, TSP_V1, {
    chips: 1,
    file: "test.model",
    sources,
    verifyEach: true,
    inputPadding: PADDING,
  });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return {
    ...runModel(graph, r.program!, r.report!, TSP_V1, { functional: true, seed: 0, sources }),
    kernel: r.kernel!,
  };
}

describe("row ops over the last axis (layernorm, rmsnorm, softmax)", () => {
  const cases: [string, Record<string, string>][] = [
    ["one row of 64 lanes", {}],
    [
      `two rows of 100 lanes (a partial tile: padding lanes, holding ${PADDING}, must not leak into the sums)`,
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
      const run = runRows(ROW_OPS, sets);
      expectExactRun(run);
      // Measured: at most one fp16 ulp (4.9e-4 relative).
      expect(run.maxRelError!).toBeLessThan(2e-3);
    });
});

const ROW_OPS_FP32 = ROW_OPS.replaceAll("fp16", "fp32");

/** `text` (ROW_OPS or ROW_OPS_FP32), `rows` rows of `d` lanes, centred at `offset`. */
function runCentred(text: string, d: number, offset: number, rows = 2) {
  return runRows(text, { batch: String(rows), d: String(d) }, offset);
}

describe("fp32 row ops: lane sums of fp32 values as bf16 hi + lo, within the fp32 tolerance", () => {
  for (const [d, offset] of [
    [320, 0],
    [2560, 0],
    [320, 2],
  ] as const)
    it(`${d} lanes, rows centred at ${offset}: a layernorm's mean summed from both halves, outputs within ${TOLERANCE.fp32} of the interpreter`, () => {
      const run = runCentred(ROW_OPS_FP32, d, offset);
      expectExactRun(run);
      // Measured 2.4e-7 to 4.8e-7; with the mean from x's bf16 rounding alone 4.4e-5 and 3.3e-5 centred at 0, over 1e-4 at 2.
      expect(run.maxAbsError!).toBeLessThan(TOLERANCE.fp32!);
      expect(run.outputsMatch).toBe(true);
    });
});

describe("a 16-bit layernorm's variance in one pass (E[x^2] - mean^2, lower-reduce.ts lowerNorm)", () => {
  // The seeded x is uniform with a standard deviation of 1, so the offset is the mean in standard deviations; one
  // pass loses E[x^2]'s low bits to mean^2 as the mean grows. Measured: 9.8e-4 (one fp16 ulp) at 32, 1.3e-2 absolute
  // at 256, wrong at 512.
  for (const offset of [0, 32])
    it(`768 lanes, rows centred at ${offset} standard deviations: outputs within 2e-3 of the interpreter`, () => {
      const run = runCentred(ROW_OPS, 768, offset);
      expectExactRun(run);
      expect(run.maxAbsError!).toBeLessThan(2e-3);
      expect(run.outputsMatch).toBe(true);
    });
});

describe("a 16-bit layernorm of 2 or 3 column tiles folds its squares' tiles (lower-reduce.ts foldsTiles)", () => {
  // x^2's three column tiles are added on the VXM (one task reading each tile, PointwiseOp inputTiles), so E[x^2]'s
  // hi and lo take one K tile each, in 64-row chunks (matmul rowChunks); the fold rounds at 2^-24 and hi + lo keeps
  // about 2^-17, so the one-pass variance keeps the precision above (the 2-row cases fold too).
  it("64 rows of 768 lanes centred at 32 standard deviations: one fold, outputs within 2e-3", () => {
    const run = runCentred(ROW_OPS, 768, 32, 64);
    const folds = run.kernel.ops.filter((o) => o.kind === "pointwise" && o.inputTiles !== undefined);
    expect(folds.length).toBe(1);
    expectExactRun(run);
    expect(run.maxAbsError!).toBeLessThan(2e-3);
    expect(run.outputsMatch).toBe(true);
  });
  it(`2 rows of 400 lanes (2 tiles, the second partial: its padding lanes, holding ${PADDING}, masked before the fold adds them to tile 0's) centred at 32: one fold, outputs within 2e-3`, () => {
    const run = runCentred(ROW_OPS, 400, 32, 2);
    const folds = run.kernel.ops.filter((o) => o.kind === "pointwise" && o.inputTiles !== undefined);
    expect(folds.map((o) => o.kind === "pointwise" && o.inputTiles)).toEqual([[0, 1, 1]]);
    expectExactRun(run);
    expect(run.maxAbsError!).toBeLessThan(2e-3);
    expect(run.outputsMatch).toBe(true);
  });
});
