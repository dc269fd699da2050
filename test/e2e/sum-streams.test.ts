// A task's flow groups choose their streams most constrained first: those with one direction (producer and consumer
// on opposite sides) before those that may take either. In index order, a K-split sum of many fp32 parts over 16
// rows let its undirected reads take one side's last free ids, a directed read after them found none at any start,
// and the scheduler stopped with "conflicts with itself" (llama2-70b-fp8 prefill, seq 16; here on 6 to 8 chips).
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { expectExact } from "../support/exact.ts";

const K_SPLIT = `model ks
const rows = 16
const k = 2560
input x: fp16[rows, k]
param w: fp16[k, 320]
output y = matmul(x, w)
`;

describe("stream choice of a wide K-split sum", () => {
  for (const chips of [6, 8])
    it(`a product split by K over ${chips} chips, 16 rows: its sum of ${chips} fp32 parts finds streams; cycle-exact, the interpreter's values`, () => {
      const graph = loadModel(K_SPLIT, "ks.model", {}).graph!;
      const r = compile(graph, TSP_V1, {
        chips,
        file: "ks.model",
        partition: "k-split",
        sources: initialSources(graph, 0),
        verifyEach: true,
      });
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(r.report!.chips).toBe(chips);
      expectExact(graph, r, TSP_V1);
    });
});
