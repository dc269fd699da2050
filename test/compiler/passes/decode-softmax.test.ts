// A decode head's softmax (lower-attention-decode.ts): its denominator is made once per kv group, from one lane-sum
// product over the cached keys' exps and the new key's own lane sums, and nothing after it is a product other than
// p . V over the cache (the new key's p . v is VXM work). Counted on the kernel ops of `decompose` (fused).
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { gatherRows } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { type KOp, opInputs } from "../../../compiler/passes/kernel-ir.ts";

/** Decode over a cache of `ctx` keys: `heads` query heads of 160 lanes over `kvHeads` kv heads. */
const decode = (heads: number, kvHeads: number, ctx: number) => `model decode
input x: fp16[1, 1, 640]
param wq: fp16[640, ${heads * 160}]
param wk: fp16[640, ${kvHeads * 160}]
param wv: fp16[640, ${kvHeads * 160}]
param wo: fp16[${heads * 160}, 640]
state k_cache: fp16[1, ${ctx}, ${kvHeads}, 160]
state v_cache: fp16[1, ${ctx}, ${kvHeads}, 160]
q = reshape(matmul(x, wq), shape=[1, 1, ${heads}, 160])
k = reshape(matmul(x, wk), shape=[1, 1, ${kvHeads}, 160])
v = reshape(matmul(x, wv), shape=[1, 1, ${kvHeads}, 160])
a = attention(q, k, v, k_cache, v_cache, causal=true)
output y = matmul(reshape(a, shape=[1, 1, ${heads * 160}]), wo)
`;

function kernelOps(text: string): readonly KOp[] {
  const graph = loadModel(text, "decode.model").graph!;
  return decompose(graph, "decode.model", { gatherRows: gatherRows(TSP_V1) }).kernel.ops;
}

/** Whether an op computes a reciprocal (alone, in a matmul's epilogue or as a fused step). */
function recips(op: KOp): boolean {
  switch (op.kind) {
    case "unary":
      return op.fn === "recip";
    case "matmul":
      return (op.epilogue ?? []).some((e) => e.kind === "unary" && e.fn === "recip");
    case "pointwise":
      return op.steps.some((s) => s.kind === "unary" && s.fn === "recip");
    default:
      return false;
  }
}

describe("decode softmax", () => {
  for (const [heads, kvHeads, ctx] of [
    [4, 4, 960],
    [8, 4, 960],
    [8, 2, 6400],
  ] as const)
    it(`a decode head's softmax denominator is computed once per kv group: one recip and one lane-sum product over the cached exps per group (${heads} heads over ${kvHeads}, ${ctx} cached keys)`, () => {
      const ops = kernelOps(decode(heads, kvHeads, ctx));
      const readers = (t: string) => ops.filter((op) => opInputs(op).includes(t));
      const sumsOver = (cols: number) =>
        ops.filter((op) => op.kind === "matmul" && op.b.startsWith(`const.ones.bf16.320x${cols}`));
      // Past 16 tiles (6400 keys: 20) the cached part reads copies of 1 / sum: a second recip writes them.
      const perGroup = Math.ceil(Math.ceil(ctx / 320) / 16);
      expect(ops.filter(recips).length, "recips").toBe(kvHeads * perGroup);
      expect(sumsOver(ctx).length, "lane sums of the cached keys' exps").toBe(kvHeads);
      // The new key's exp: its bf16 high half and its low half, each summed once.
      expect(sumsOver(1).length, "lane sums of the new key's exp").toBe(2 * kvHeads);
      // After 1 / sum: VXM ops, then p . V over the cache (a window product) and nothing else on the MXM.
      for (const r of ops.filter(recips)) {
        const after = readers(r.out).flatMap((op) => [op, ...readers(op.out)]);
        const products = after.filter((op) => op.kind === "matmul");
        expect(
          products.every((op) => op.kind === "matmul" && op.bLayout?.kind === "window"),
          `${r.out}: ${products.map((op) => op.out).join(", ")}`,
        ).toBe(true);
        expect(
          readers(r.out).every((op) => op.kind !== "matmul"),
          r.out,
        ).toBe(true);
      }
    });
});
