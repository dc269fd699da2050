// LPU5006 (chips given but left idle) names the reason of the strategy the user chose: a forced K split or
// pipeline is not advised to force it, and none says it keeps matmuls whole.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import type { PartitionStrategy } from "../../../compiler/passes/partition.ts";

const MLP2 = "programs/mlp2.model";

function unusedWarning(partition: PartitionStrategy): string {
  const graph = loadModel(readFileSync(MLP2, "utf8"), MLP2, {}).graph!;
  const r = compile(graph, TSP_V1, { chips: 8, file: MLP2, partition });
  const ds = r.diagnostics.filter((d) => d.code === "LPU5006");
  expect(ds).toHaveLength(1);
  return ds[0]!.message;
}

describe("LPU5006: chips left idle", () => {
  it("auto: the split would not pay for its links; k-split or pipeline forces it", () => {
    expect(unusedWarning("auto")).toBe(
      "8 chips were given but the partitioner uses 1 (splitting further would cost more link time than it saves; --partition k-split or pipeline forces it)",
    );
  });
  it("k-split: each chip needs a K tile of its own (mlp2's 784 inputs are 3 tiles), so the advice is not to force it", () => {
    const m = unusedWarning("k-split");
    expect(m).toBe(
      "8 chips were given but the partitioner uses 3 (a K split gives each chip at least one 320-lane K tile the matmul reads, on at most the 8 chips of a node)",
    );
  });
  it("pipeline and none name their own limits, never advise forcing what was forced", () => {
    const pipeline = unusedWarning("pipeline");
    expect(pipeline).toContain("pipeline stages are cut between ops");
    expect(unusedWarning("none")).toContain("--partition none keeps every matmul on one chip");
    expect(pipeline).not.toContain("forces it");
  });
});
