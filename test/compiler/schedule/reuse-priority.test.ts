// The scheduler's priorities follow the task graph's edges before allocation (compile.ts `priorityEdges`): SRAM
// reuse adds order edges from an old tenant's readers to the new tenant's writers, and ranked through them the
// readers took the path of a later tenant (bert-base's chip 0, which reuses first: every group of a layer's MLP
// ranked alike, by the path of some later layer). The reuse edges still order placement.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import { allocate } from "../../../compiler/passes/allocate.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { placeStages } from "../../../compiler/passes/stages.ts";
import { tile } from "../../../compiler/passes/tile.ts";
import { verifyAccOrder } from "../../../compiler/schedule/acc-order.ts";
import { dependencies } from "../../../compiler/schedule/dependencies.ts";
import { priorities } from "../../../compiler/schedule/priority.ts";
import { verifySchedule } from "../../../compiler/schedule/schedule-ir.ts";
import { schedule } from "../../../compiler/schedule/scheduler.ts";
import { verifySramOrder } from "../../../compiler/schedule/sram-order.ts";

/** A side branch (s, read by a relu and by a mul with itself, so a temporary of its own) beside three layers: a later layer's
 * output takes s's freed space (reuse first), so s's readers get order edges to that layer's writers. */
const LAYERS = `model layers
const d = 960
input x: fp16[1, d]
param ws: fp16[d, d]
block layer(h: fp16[1, d]) -> fp16[1, d] {
  param wl: fp16[d, d]
  o = relu(matmul(h, wl))
  return o
}
s = matmul(x, ws)
output side = relu(s)
output side2 = mul(s, s)
output z = repeat 3 layer(x)
`;

describe("priorities from the edges before allocation", () => {
  const graph = loadModel(LAYERS, "test.model").graph!;
  const d = decompose(graph, "test.model");
  const p = partition(d.kernel, TSP_V1, 1, "test.model");
  const tasks = placeStages(tile(p.partitioned, TSP_V1), p.partitioned, TSP_V1);
  const a = allocate(tasks, TSP_V1, "test.model", { reuseFirst: true }).graph;
  const before = dependencies(tasks.tasks);
  const after = dependencies(a.tasks);

  it("reuse adds order edges, and ranked through them some task takes a later tenant's path", () => {
    expect(after.succOf.length).toBeGreaterThan(before.succOf.length);
    const ranked = priorities(a.tasks, TSP_V1, false, after.succStart, after.succOf);
    const own = priorities(a.tasks, TSP_V1, false, before.succStart, before.succOf);
    expect(ranked.some((x, i) => x > own[i]!)).toBe(true);
  });
  it("the schedule ranked by the edges before allocation still keeps every reuse's order", () => {
    const s = schedule(a, TSP_V1, { priorityEdges: before });
    expect(verifySchedule(s)).toEqual([]);
    expect(verifySramOrder(s, TSP_V1)).toEqual([]);
    expect(verifyAccOrder(s, TSP_V1)).toEqual([]);
  });
});
