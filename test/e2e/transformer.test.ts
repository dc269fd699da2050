// End to end: the small transformer programs (embedding by MEM gathers, layernorm, split into heads,
// attention over a KV cache, gelu MLP, tied lm head) compiled, simulated and compared with the interpreter.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expectExactRun } from "../support/exact.ts";
import { compileAndRunText } from "./helpers.ts";

const TINY = readFileSync("programs/tiny-gpt.model", "utf8");

/** Just the embeddings: token ids and positions looked up, added. */
const EMBED = `model embed
const vocab = 700
const d = 64
const batch = 1
const seq = 1
input tokens: int32[batch, seq]
input positions: int32[batch, seq]
param wte: fp16[vocab, d]
param wpe: fp16[64, d]
output e = add(embedding(tokens, wte), embedding(positions, wpe))
`;

describe("embedding (int32 ids)", () => {
  const cases: [string, Record<string, string>][] = [
    ["one token, a 700-row table", {}],
    ["batch 3, 2 tokens each", { batch: "3", seq: "2" }],
  ];
  for (const [name, sets] of cases)
    it(`${name}: the looked-up rows equal the table's exactly`, () => {
      const run = compileAndRunText(EMBED, sets);
      expectExactRun(run);
      // Gathers copy the rows exactly; only the fp16 add of the two rows rounds, as in the interpreter.
      expect(run.maxAbsError).toBe(0);
    });
});

describe("programs/tiny-gpt.model", () => {
  const cases: [string, Record<string, string>, number][] = [
    ["as written (decode, ctx 32)", {}, 1],
    ["prefill of 3 tokens, batch 2, ctx 8", { batch: "2", seq: "3", ctx: "8" }, 1],
    ["with --chips 2 (auto partition: the partitioner may keep it on one chip)", {}, 2],
    ["with --chips 8 (auto partition)", {}, 8],
  ];
  for (const [name, sets, chips] of cases)
    it(`${name}: no hazard, cycles equal the prediction, logits within 1e-2 of the interpreter`, () => {
      const run = compileAndRunText(TINY, sets, chips);
      expectExactRun(run);
      // Measured 2e-3 to 4e-3: a few fp16 ulps gathered over two layers and the logits.
      expect(run.maxRelError!).toBeLessThan(1e-2);
    });
});

const LLAMA = readFileSync("programs/llama2-7b.model", "utf8");
/** llama2-7b's graph (rmsnorm, rope with start = ctx, grouped-query attention, silu-gated MLP) at a small size. */
const SMALL_LLAMA = {
  d: "128",
  heads: "4",
  head_dim: "32",
  q_dim: "128",
  ff: "256",
  vocab: "300",
  ctx: "16",
};

describe("programs/llama2-7b.model shrunk", () => {
  const cases: [string, Record<string, string>][] = [
    ["1 layer, 4 heads, decode", { ...SMALL_LLAMA, kv_heads: "4", kv_dim: "128", layers: "1" }],
    [
      "2 layers, 4 query heads over 2 kv heads, batch 2, prefill 2",
      { ...SMALL_LLAMA, kv_heads: "2", kv_dim: "64", layers: "2", batch: "2", seq: "2" },
    ],
  ];
  for (const [name, sets] of cases)
    it(`${name}: no hazard, cycles equal the prediction, logits within 1e-2`, () => {
      const run = compileAndRunText(LLAMA, sets);
      expectExactRun(run);
      // Measured 2.9e-3 and 4.6e-3.
      expect(run.maxRelError!).toBeLessThan(1e-2);
    });
});
