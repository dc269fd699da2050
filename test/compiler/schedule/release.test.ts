// When the scheduler releases a task of an MXM group that holds a plane (placement.ts `releaseCycle`): at the cycle
// its data and the plane's state let it start, a weight load no sooner than the array needs it. Hand-made tasks.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import type { Task, TaskGraph } from "../../../compiler/passes/task-ir.ts";
import { taskGeometry } from "../../../compiler/schedule/geometry.ts";
import { Placer } from "../../../compiler/schedule/placement.ts";
import type { GroupState } from "../../../compiler/schedule/plane-state.ts";
import { stepTiming } from "../../../compiler/schedule/timing.ts";
import { oneBlock, oneTileTensor } from "../helpers/tiled.ts";

const m = TSP_V1;

/** A 320-row weight tile read one row a cycle from slices 80, 81 (far east) into an lw on west plane 0. */
const load: Task = {
  id: "g.k1.lw",
  chip: 0,
  op: "mm",
  after: [],
  mxmGroup: "g",
  steps: [
    { kind: "read", ref: { tensor: "w", tile: 0, row: 0, n: 320, stride: 1 }, type: "fp16" },
    { kind: "lw", type: "fp16", src: 0, n: 320, row0: 0 },
  ],
};
const graph: TaskGraph = {
  name: "load",
  chips: 1,
  batch: 1,
  tokensPerPass: 1,
  tasks: [load],
  tensors: [oneTileTensor("w", "fp16", 320, "param")],
  outputs: [],
  placements: [oneBlock("w", [80, 81], 0, 320)],
};

const group = (stagingFree: number, arrayFree: number): GroupState => ({
  plane: 0,
  state: { owner: "g", stagingFree, arrayFree, accFree: [] },
  lwEnd: 0,
  weightsReady: 0,
  resultsReady: 0,
  accBase: -1,
});

describe("release of a group's weight load", () => {
  const placements = new Map(graph.placements!.map((p) => [p.tensor, p]));
  const geo = taskGeometry(m, load, placements, 0);
  const lw = geo.instances.find((x) => load.steps[x.step]!.kind === "lw")!;
  const loader = stepTiming(m, load.steps[1]!).busy;

  it("is the cycle its reads start for the lw to take the staging buffer the cycle the previous iw frees it", () => {
    // The reads start the rows' travel before the lw: released at the previous abc's end, the load came after
    // other planes' loads that started later.
    expect(lw.rel).toBeGreaterThan(50);
    const placer = new Placer(graph, m, false, false, () => {});
    const gs = group(1000, 0);
    expect(placer.releaseCycle(load, 0, gs, 0)).toBe(1000 - lw.rel);
    expect(placer.find(load, 0, gs, 0).planeReady).toBe(1000 - lw.rel);
  });
  it("is no sooner than the array frees less the loader's time, though the load may be placed earlier", () => {
    // A prefill's long abc holds the array: a load released as soon as the staging buffer frees would hold read
    // ports and streams long before its weights are needed.
    const placer = new Placer(graph, m, false, false, () => {});
    const gs = group(1000, 5000);
    expect(placer.releaseCycle(load, 0, gs, 0)).toBe(5000 - loader - lw.rel);
    expect(placer.find(load, 0, gs, 0).planeReady).toBe(1000 - lw.rel);
  });
});
