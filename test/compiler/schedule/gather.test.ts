// The scheduler's gather step (timing.ts, geometry.ts, scheduler.ts) against docs/isa.md's `gather`: one rule per
// test, on hand-made tasks.
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import type { Task, TaskGraph } from "../../../compiler/passes/task-ir.ts";
import { taskGeometry, vxmPosition } from "../../../compiler/schedule/geometry.ts";
import { scheduledInsts } from "../../../compiler/schedule/schedule-ir.ts";
import { schedule } from "../../../compiler/schedule/scheduler.ts";
import { stepTiming } from "../../../compiler/schedule/timing.ts";
import { oneBlock, oneTileTensor } from "../helpers/tiled.ts";

const m = TSP_V1;
const bankWords = m.mem.wordsPerSlice / m.mem.banksPerSlice;

/** read ids (int32) -> copy -> gather table rows -> write out: the shape tile.ts gives one lookup task. */
const lookup = (n: number): Task => ({
  id: "lookup",
  chip: 0,
  op: "embedding",
  after: [],
  steps: [
    { kind: "read", ref: { tensor: "ids", tile: 0, row: 0, n, stride: 1 }, type: "int32" },
    { kind: "vunary", fn: "copy", type: "int32", src: 0, n },
    { kind: "gather", ref: { tensor: "table", tile: 0, row: 0, n, stride: 0 }, type: "fp16", map: 1 },
    { kind: "write", ref: { tensor: "out", tile: 0, row: 0, n, stride: 1 }, type: "fp16", src: 2 },
  ],
});

describe("gather", () => {
  it("takes the map at t + i and puts the word L_read + i cycles after issue, on the slice's read port", () => {
    const t = stepTiming(m, lookup(5).steps[2]!);
    expect([t.inOffset, t.outOffset, t.busy, t.resource]).toEqual([0, m.mem.readLatency, 5, "read"]);
  });

  it("each byte plane's slice takes the map from the VXM at its own distance and writes its word plane by plane", () => {
    const placements = new Map([
      ["ids", oneBlock("ids", [40, 41, 42, 43], 0, 4)],
      ["table", oneBlock("table", [10, 11], 0, 100)],
      ["out", oneBlock("out", [2, 3], 0, 4)],
    ]);
    const geo = taskGeometry(m, lookup(4), placements, undefined);
    const copy = geo.instances.find((i) => i.unit === "vxm")!;
    const gathers = geo.instances.filter((i) => i.step === 2);
    const writes = geo.instances.filter((i) => i.step === 3);
    expect(gathers).toHaveLength(2);
    gathers.forEach((g, b) => {
      // The copy's result reaches slice g at issue + L_simple + hops; the gather takes it in that cycle.
      expect(g.rel).toBe(copy.rel + m.vxm.latency.simple + (vxmPosition(m) - g.pos));
      // Plane b's word flows on west to plane b of the write.
      expect(writes[b]!.rel).toBe(g.rel + m.mem.readLatency + (g.pos - writes[b]!.pos));
    });
    // One map group of four streams feeds both slices: eight flows, four streams.
    const mapGroup = geo.groups.find((g) => g.flows.length === 8)!;
    expect(mapGroup.streams).toBe(4);
  });

  it("holds every bank its table block spans for its whole run (the address is data): a write to the other bank waits", () => {
    // The table block spans both banks of slices 10 and 11; y sits in bank 1 there. A write may overlap a read of
    // the same slice in another bank (docs/isa.md), so without the rule the gather would hold only its base
    // word's bank and the write could run beside it, into a bank some id reads.
    const n = 50;
    const other: Task = {
      id: "other",
      chip: 0,
      op: "copy",
      after: [],
      steps: [
        { kind: "read", ref: { tensor: "x", tile: 0, row: 0, n, stride: 1 }, type: "fp16" },
        { kind: "vunary", fn: "copy", type: "fp16", src: 0, n },
        { kind: "write", ref: { tensor: "y", tile: 0, row: 0, n, stride: 1 }, type: "fp16", src: 1 },
      ],
    };
    const g: TaskGraph = {
      name: "banks",
      chips: 1,
      batch: 1,
      tokensPerPass: 1,
      tasks: [lookup(n), other],
      tensors: [
        oneTileTensor("ids", "int32", n, "input"),
        oneTileTensor("out", "fp16", n, "temp"),
        oneTileTensor("table", "fp16", 200, "param"),
        oneTileTensor("x", "fp16", n, "input"),
        oneTileTensor("y", "fp16", n, "temp"),
      ],
      outputs: [],
      placements: [
        oneBlock("ids", [40, 41, 42, 43], 0, n),
        oneBlock("out", [2, 3], 0, n),
        oneBlock("table", [10, 11], bankWords - 100, 200),
        oneBlock("x", [60, 61], 0, n),
        oneBlock("y", [10, 11], bankWords + 500, n),
      ],
    };
    const s = schedule(g, m);
    const gather = scheduledInsts(s).find((i) => i.inst.op === "gather" && i.queue.index === 10)!;
    const write = scheduledInsts(s).find((i) => i.inst.op === "write" && i.queue.index === 10)!;
    const apart = write.cycle >= gather.cycle + gather.busy || write.cycle + write.busy <= gather.cycle;
    expect(apart).toBe(true);
  });
});
