// A batch's KV cache rows are read where they are stored (lower-attention.ts `rowsOf`, kernel-builder.ts
// `sourceRows`): batch row b's keys and transposed values are sources of their own, those rows of the stored cache,
// not copies made by an op before any score. A copy read and wrote every cached row (llama2-7b, one layer, decode at
// batch 2: 644,222 cycles against 15,592 at batch 1). Issue 4: batch sizes above 1 compile, and well; the values
// are still the interpreter's.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../compiler/frontend.ts";
import { decompose } from "../../compiler/passes/decompose.ts";
import { expectExactRun } from "../support/exact.ts";
import { compileAndRunText } from "./helpers.ts";

/** Four query heads over two kv heads, a cache of ctx tokens per batch row. */
const GQA = `model gqa
const batch = 3
const seq = 1
const ctx = 8
const heads = 4
const kv_heads = 2
const head_dim = 16
const d = heads * head_dim
const dkv = kv_heads * head_dim
input x: fp16[batch, seq, d]
param wq: fp16[d, d]
param wk: fp16[d, dkv]
param wv: fp16[d, dkv]
state k_cache: fp16[batch, ctx, kv_heads, head_dim]
state v_cache: fp16[batch, ctx, kv_heads, head_dim]
q = reshape(matmul(x, wq), shape=[batch, seq, heads, head_dim])
k = reshape(matmul(x, wk), shape=[batch, seq, kv_heads, head_dim])
v = reshape(matmul(x, wv), shape=[batch, seq, kv_heads, head_dim])
a = attention(q, k, v, k_cache, v_cache, causal=true)
output y = reshape(a, shape=[batch, seq, d])
`;

describe("a batch's KV cache rows are read in place", () => {
  for (const seq of ["1", "2"])
    it(`no op copies a stored tensor's rows; each batch row reads its own rows of both caches, with the interpreter's values (batch 3, seq ${seq})`, () => {
      const kernel = decompose(loadModel(GQA, "test.model", { seq }).graph!, "test.model").kernel;
      const role = new Map(kernel.tensors.map((t) => [t.id, t.role]));
      const copied = kernel.ops.flatMap((op) =>
        op.kind === "copyRows" ? op.parts.map((p) => p.x).filter((x) => role.get(x) !== "temp") : [],
      );
      expect(copied).toEqual([]);
      // Batch row b's keys: cache rows b * ctx ..; its values, stored transposed per batch: rows b * dkv ...
      const views = kernel.tensors
        .filter((t) => t.source?.rows)
        .map((t) => [t.source!.node, t.source!.transposed, t.source!.rows!.first, t.rows]);
      const byKey = (x: unknown[][]) => x.map((v) => JSON.stringify(v)).sort();
      expect(byKey(views)).toEqual(
        byKey(
          [0, 1, 2].flatMap((b) => [
            ["k_cache", false, b * 8, 8],
            ["v_cache", true, b * 32, 32],
          ]),
        ),
      );
      const run = compileAndRunText(GQA, { seq });
      expectExactRun(run);
      expect(run.maxRelError!).toBeLessThan(2e-3);
    });
});
