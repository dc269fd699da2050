// End to end: attention over a KV cache (decode and prefill, batch > 1, grouped-query heads) compiled, simulated
// and compared with the reference interpreter.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expectExactRun } from "../support/exact.ts";
import { compileAndRunText, GQA } from "./helpers.ts";

const HEAD = readFileSync("programs/attention-head.model", "utf8");

describe("attention with a KV cache", () => {
  const cases: [string, string, Record<string, string>][] = [
    ["programs/attention-head.model as written (decode, ctx 16)", HEAD, {}],
    ["attention-head, batch 2 (keys of each batch row are their own weights)", HEAD, { batch: "2" }],
    ["attention-head, prefill of 3 tokens (causal mask: key j > C + i dropped)", HEAD, { seq: "3" }],
    ["attention-head, ctx 330 (keys over two weight tiles)", HEAD, { ctx: "330" }],
    [
      "attention-head, ctx 5440 (17 key tiles: the cached part reads copies of 1 / sum, lower-attention-decode.ts)",
      HEAD,
      { ctx: "5440" },
    ],
    ["4 query heads over 2 kv heads (grouped-query: head h reads kv head h / 2)", GQA, {}],
    ["4 heads over 4 kv heads, batch 2, prefill 2", GQA, { kv_heads: "4", batch: "2", seq: "2" }],
    ["4 query heads over 1 kv head, batch 2, prefill 2", GQA, { kv_heads: "1", batch: "2", seq: "2" }],
    [
      "4 query heads over 2 kv heads, batch 2, decode (each kv head's query heads stacked as rows; the new value row broadcast over the stacked heads, per batch row)",
      GQA,
      { batch: "2" },
    ],
    [
      "4 heads of 96 lanes (head 3 straddles the 320-lane tile boundary: two K tiles, V transposed in two bands)",
      GQA,
      { kv_heads: "4", head_dim: "96" },
    ],
    ["4 query heads of 96 lanes over 2 kv heads, prefill 2", GQA, { head_dim: "96", seq: "2" }],
  ];
  for (const [name, text, sets] of cases)
    it(`${name}: no hazard, cycles equal the prediction, outputs within 1e-2`, () => {
      const run = compileAndRunText(text, sets);
      expectExactRun(run);
      // Measured: at most about two fp16 ulps (p is rounded to fp16 for the MXM's p . V).
      expect(run.maxRelError!).toBeLessThan(2e-3);
    });
});

/** GQA without the caches: one decode step over its own key only. */
const NO_CACHE = GQA.replace(/^state .*\n/gm, "").replace(", k_cache, v_cache", "");

describe("attention without a KV cache", () => {
  for (const kvHeads of ["4", "2"])
    it(`decode over one key (4 query heads over ${kvHeads} kv heads): its probability is exactly 1, each head's output is v's row; no hazard, cycles equal the prediction, outputs within 1e-2`, () => {
      const run = compileAndRunText(NO_CACHE, { kv_heads: kvHeads, batch: "2" });
      expectExactRun(run);
      expect(run.maxRelError!).toBeLessThan(2e-3);
    });
});
