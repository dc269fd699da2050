// End to end: topk (ranks from exact pairwise differences on the MXM) and moe (every expert computed, weighted by a
// dense routing matrix) compiled, simulated and compared with the reference interpreter; a shrunk Mixtral.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expectExactRun } from "../support/exact.ts";
import { compileAndRunText } from "./helpers.ts";

const TOPK = `model topk
const t = 5
const e = 8
input x: fp16[t, e]
v, i = topk(relu(x), k=6)
output vals = v
output idx = i
w, j = topk(scale(x, factor=30000), k=3)
output big = w
output big_idx = j
`;

describe("topk over the last axis", () => {
  const cases: [string, Record<string, string>][] = [
    ["8 lanes", {}],
    ["40 lanes (1600 pair lanes: five column tiles), 7 rows", { e: "40", t: "7" }],
  ];
  for (const [name, sets] of cases)
    it(`${name}: values and int32 indices equal the interpreter's, ties (relu's zeros) lower index first`, () => {
      const run = compileAndRunText(TOPK, sets);
      expectExactRun(run);
      // Every step is exact: differences keep their sign, ranks are small integers, picks are products by 1.
      expect(run.maxAbsError).toBe(0);
    });
});

const MOE_IDS = `model moe_ids
const t = 4
const d = 64
const ff = 96
const experts = 4
input x: fp16[1, t, d]
input w: fp16[1, t, 2]
input idx: int32[1, t, 2]
param experts_gate: fp16[experts, d, ff]
param experts_up: fp16[experts, d, ff]
param experts_down: fp16[experts, ff, d]
output m = moe(x, w, idx, experts_gate, experts_up, experts_down, act=gelu)
`;

describe("moe", () => {
  it("expert ids from an int32 input (gelu experts): within a few fp16 ulps of the interpreter", () => {
    const run = compileAndRunText(MOE_IDS);
    expectExactRun(run);
    // Measured 9e-4: the hidden layer rounded to fp16 for the down product (the interpreter keeps it fp32).
    expect(run.maxRelError!).toBeLessThan(4e-3);
  });
});

const MIXTRAL = readFileSync("programs/mixtral-8x7b.model", "utf8");
const SMALL_MIXTRAL = { vocab: "300", d: "64", heads: "4", kv_heads: "2", ff: "96", ctx: "8" };

describe("programs/mixtral-8x7b.model shrunk (8 experts, top 2, bf16)", () => {
  const cases: [string, Record<string, string>][] = [
    ["1 layer, decode", { ...SMALL_MIXTRAL, layers: "1" }],
    ["2 layers, batch 2, prefill 2", { ...SMALL_MIXTRAL, layers: "2", batch: "2", seq: "2" }],
  ];
  for (const [name, sets] of cases)
    it(`${name}: no hazard, cycles equal the prediction, logits within the bf16 tolerance`, () => {
      const run = compileAndRunText(MIXTRAL, sets);
      expectExactRun(run);
      // Measured 2.1e-2 and 2.7e-2: about 7 bf16 ulps (2^-8 relative) gathered over the layers and the logits.
      expect(run.maxRelError!).toBeLessThan(6e-2);
    });
});
