// A forced K split over chips meets attention's masked heads: each head's matmuls read only the K tiles of its own
// lanes (kTiles), so the partitioner may split them over at most that many chips, never leaving a chip without a
// K tile (it would have no partial sum to send: the compile crashed on an `after` naming no task).
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../arch/presets.ts";
import { compile } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend.ts";
import { initialSources } from "../../compiler/reference/init.ts";
import { expectExact } from "../support/exact.ts";
import { GQA } from "./helpers.ts";

/** helpers.ts GQA as two heads of 320 lanes, each its own kv head: q, k and v have two K tiles each, but each
 * head's scores read one. */
const TWO_HEADS = { heads: "2", kv_heads: "2", head_dim: "320" };

describe("K split of masked attention heads", () => {
  it("--partition k-split on 2 chips splits a matmul over at most as many chips as the K tiles it reads: compiles, cycle-exact, the interpreter's values", () => {
    const graph = loadModel(GQA, "two-heads.model", TWO_HEADS).graph!;
    const r = compile(graph, TSP_V1, {
      chips: 2,
      file: "two-heads.model",
      partition: "k-split",
      sources: initialSources(graph, 0),
      verifyEach: true,
    });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    // The projections (two K tiles) are split, so both chips work.
    expect(r.report!.chips).toBe(2);
    expectExact(graph, r, TSP_V1);
  });
});
