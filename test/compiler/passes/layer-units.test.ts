// The `layers` unit choice (compiler/passes/layers.ts): the smallest unit of q instances (q dividing the count) whose
// units, each on whole nodes, fit the chips; a q that cannot fit even at one node a unit is not placed, yet when no q
// fits, LPU5009 still names the one-instance unit's width and chip count.
import { describe, expect, it } from "vitest";
import { resolveMachine } from "../../../arch/derive.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { chainModel } from "../helpers/chain-model.ts";

/** Chained 640-wide matvec layers on chips of 640-word slices: a layer takes one chip, so a node (8 chips) a unit. */
const SMALL = resolveMachine("tsp-v1", { mem_words: "640" });
function layers(count: number, chips: number) {
  const graph = loadModel(chainModel(count), "chain.model").graph!;
  return partition(decompose(graph, "chain.model").kernel, SMALL, chips, "chain.model", "layers");
}

describe("layers: the smallest unit whose whole-node units fit the chips", () => {
  it("the prefix's node, one node per unit, one chip for the suffix: the unit grows as the chips shrink", () => {
    // 16 units need 8 + 16 * 8 + 1 = 137 chips, 8 need 73, 2 need 25, 1 needs 17.
    expect(layers(16, 137).partitioned.groups).toEqual({ base: 8, width: 8, unit: 1 });
    expect(layers(16, 136).partitioned.groups).toEqual({ base: 8, width: 8, unit: 2 });
    expect(layers(16, 72).partitioned.groups).toEqual({ base: 8, width: 8, unit: 4 });
    expect(layers(16, 17).partitioned.groups).toEqual({ base: 8, width: 8, unit: 16 });
  });

  it("LPU5009 when no unit fits names the one-instance unit's need, though it was never placed", () => {
    const r = layers(16, 16);
    expect(r.partitioned.groups).toBeUndefined();
    const [d] = r.diagnostics.filter((x) => x.code === "LPU5009");
    expect(d?.message).toContain(
      "16 instances of 'layer' on 8 chips each (whole nodes), after 8 for the ops",
    );
    expect(d?.message).toContain("with 1 after, need 137 chips");
  });
});
