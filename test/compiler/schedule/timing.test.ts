// The scheduler's timing rules (compiler/schedule/timing.ts, geometry.ts) against docs/isa.md, one rule per test.
import { describe, expect, it } from "vitest";
import { slicePosition } from "../../../arch/machine.ts";
import { TSP_V1 } from "../../../arch/presets.ts";
import type { Placement, Task } from "../../../compiler/passes/task-ir.ts";
import { taskGeometry, vxmPosition } from "../../../compiler/schedule/geometry.ts";
import { lastEventOffset, linkLeaves, stepTiming } from "../../../compiler/schedule/timing.ts";

const m = TSP_V1;
const place = (tensor: string, slices: number[], addr = 0): Placement => ({
  tensor,
  chip: 0,
  rows: 8,
  blockRows: 960,
  blocks: [{ tile: 0, row0: 0, rows: 8, slices, addr }],
});

describe("timing rules", () => {
  it("a MEM read puts word i on its stream L_read + i cycles after issue", () => {
    const t = stepTiming(m, {
      kind: "read",
      ref: { tensor: "x", tile: 0, row: 0, n: 5, stride: 1 },
      type: "fp16",
    });
    expect([t.outOffset, t.busy, t.resource]).toEqual([m.mem.readLatency, 5, "read"]);
  });
  it("fp16 ABC takes an activation vector every cyclesPerVector cycles and occupies the array n * C cycles", () => {
    const t = stepTiming(m, { kind: "abc", type: "fp16", src: 0, n: 3, row0: 0, accumulate: false });
    expect([t.inSpacing, t.busy, t.resource]).toEqual([4, 12, "array"]);
  });
  it("IW occupies the array for installLatency cycles", () => {
    const t = stepTiming(m, { kind: "iw" });
    expect([t.busy, t.resource]).toEqual([m.mxm.installLatency, "array"]);
  });
  it("a link word takes lanes / linkBytesPerCycle = 19.2 cycles on tsp-v1: words leave at 20, 39, 58, 77", () => {
    expect([0, 1, 2, 3].map((j) => linkLeaves(m, j))).toEqual([20, 39, 58, 77]);
  });
  it("the last simulator event of an ABC is its last result landing in the accumulator", () => {
    expect(
      lastEventOffset(m, { kind: "abc", type: "fp16", src: 0, n: 2, row0: 0, accumulate: false }, 4),
    ).toBe(4 + m.mxm.latency);
  });
});

describe("task geometry: a value put at p in cycle t is taken at q in cycle t + |q - p|", () => {
  it("read (west slices) -> VXM add -> write (east slices): every relative cycle follows from latency and hops", () => {
    const task: Task = {
      id: "t",
      chip: 0,
      op: "add",
      after: [],
      steps: [
        { kind: "read", ref: { tensor: "a", tile: 0, row: 0, n: 4, stride: 1 }, type: "fp16" },
        { kind: "read", ref: { tensor: "b", tile: 0, row: 0, n: 4, stride: 1 }, type: "fp16" },
        { kind: "vbinary", fn: "add", type: "fp16", a: 0, b: 1, n: 4 },
        { kind: "write", ref: { tensor: "c", tile: 0, row: 0, n: 4, stride: 1 }, type: "fp16", src: 2 },
      ],
    };
    const placements = new Map([
      ["a", place("a", [0, 1])],
      ["b", place("b", [10, 11])],
      ["c", place("c", [60, 61])],
    ]);
    const geo = taskGeometry(m, task, placements, undefined);
    const vxm = geo.instances.find((i) => i.unit === "vxm")!;
    for (const inst of geo.instances.filter((i) => i.unit === "mem")) {
      const pos = slicePosition(m, "mem", inst.index!)!;
      if (inst.step < 2)
        // The read's word is on the stream L_read after issue, then crosses to the VXM.
        expect(inst.rel + m.mem.readLatency + (vxmPosition(m) - pos)).toBe(vxm.rel);
      else expect(vxm.rel + m.vxm.latency.simple + (pos - vxmPosition(m))).toBe(inst.rel);
    }
    expect(Math.min(...geo.instances.map((i) => i.rel))).toBe(0);
    // Byte planes of one operand travel side by side in one direction.
    expect(geo.groups.map((g) => g.dir)).toEqual(["e", "e", "e"]);
  });
});
