// Which stream ids a task takes (trial.ts): a weight load's flows from id 0 up, every other flow from the top down,
// so a short read does not split the ids a 14-to-16-stream load needs. Hand-made tasks on tsp-v1.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import type { Placement, Task } from "../../../compiler/passes/task-ir.ts";
import { deskewPeriodOf } from "../../../compiler/schedule/deskew.ts";
import { taskGeometry } from "../../../compiler/schedule/geometry.ts";
import { Trial } from "../../../compiler/schedule/trial.ts";
import { oneBlock } from "../helpers/tiled.ts";

const m = TSP_V1;
const placements = new Map<string, Placement>([
  ["x", oneBlock("x", [40, 41], 0, 4)],
  ["y", oneBlock("y", [2, 3], 0, 4)],
  ["w", oneBlock("w", [80, 81], 0, 320)],
]);
const copy: Task = {
  id: "copy",
  chip: 0,
  op: "copy",
  after: [],
  steps: [
    { kind: "read", ref: { tensor: "x", tile: 0, row: 0, n: 4, stride: 1 }, type: "fp16" },
    { kind: "vunary", fn: "copy", type: "fp16", src: 0, n: 4 },
    { kind: "write", ref: { tensor: "y", tile: 0, row: 0, n: 4, stride: 1 }, type: "fp16", src: 1 },
  ],
};
const load: Task = {
  id: "g.k0.lw",
  chip: 0,
  op: "mm",
  after: [],
  mxmGroup: "g",
  steps: [
    { kind: "read", ref: { tensor: "w", tile: 0, row: 0, n: 320, stride: 1 }, type: "fp16" },
    { kind: "lw", type: "fp16", src: 0, n: 320, row0: 0 },
  ],
};

describe("stream ids", () => {
  it("a flow that feeds no weight load takes the highest free ids, a weight load's flow the lowest", () => {
    const trial = new Trial(m, 1, placements, false, deskewPeriodOf(m));
    const copyGeo = taskGeometry(m, copy, placements, undefined);
    trial.newSearch(copyGeo);
    const c = trial.tryAt(copyGeo, 0, 100, copy);
    expect(c.shift).toBe(0);
    // Two flows of 2 fp16 streams each (read -> copy, copy -> write): the top two ids of their directions.
    for (const s of c.choice!.streams) expect(s.id).toBe(m.streamsPerDirection - 2);
    const loadGeo = taskGeometry(m, load, placements, 0);
    trial.newSearch(loadGeo);
    const l = trial.tryAt(loadGeo, 0, 100, load);
    expect(l.shift).toBe(0);
    expect(l.choice!.streams.map((s) => s.id)).toEqual([0]);
  });
});
