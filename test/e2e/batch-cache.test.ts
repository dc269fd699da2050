// A batch's KV cache rows are read where they are stored (lower-attention.ts `rowsOf`, kernel-builder.ts
// `sourceRows`): batch row b's keys and transposed values are sources of their own, those rows of the stored cache,
// not copies made by an op before any score. A copy read and wrote every cached row (llama2-7b, one layer, decode at
// batch 2: 644,222 cycles against 15,592 at batch 1). Issue 4: batch sizes above 1 compile, and well; the values
// are still the interpreter's.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../compiler/frontend.ts";
import { decompose } from "../../compiler/passes/decompose.ts";
import { expectExactRun } from "../support/exact.ts";
import { compileAndRunText, GQA } from "./helpers.ts";

/** helpers.ts GQA (four query heads over two kv heads, a cache of ctx = 8 tokens, dkv = 32) at batch 3. */
const BATCH = "3";

describe("a batch's KV cache rows are read in place", () => {
  for (const seq of ["1", "2"])
    it(`no op copies a stored tensor's rows; each batch row reads its own rows of both caches, with the interpreter's values (batch 3, seq ${seq})`, () => {
      const kernel = decompose(
        loadModel(GQA, "test.model", { batch: BATCH, seq }).graph!,
        "test.model",
      ).kernel;
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
      const run = compileAndRunText(GQA, { batch: BATCH, seq });
      expectExactRun(run);
      expect(run.maxRelError!).toBeLessThan(2e-3);
    });
});
