// When an MXM group may take a plane (group-starts.ts): the inputs of its last task (the drain, which may write SRAM
// that reuses an old tenant's space, so it waits for that tenant's readers) do not hold back its products. A group
// whose other inputs are placed is parked as near (it takes a plane while another stays free); it is fully in, and
// takes any free plane, once the drain's inputs are placed too.
import { describe, expect, it } from "vitest";
import type { Task } from "../../../compiler/passes/task-ir.ts";
import { dependencies } from "../../../compiler/schedule/dependencies.ts";
import { GroupStarts } from "../../../compiler/schedule/group-starts.ts";

const task = (id: string, after: string[], group?: string, end?: boolean): Task => ({
  id,
  chip: 0,
  op: id,
  steps: [],
  after,
  ...(group ? { mxmGroup: group } : {}),
  ...(end ? { mxmGroupEnd: true } : {}),
});

// x: the group's input; old: the old tenant's reader whose space the drain reuses, after y (not placed: old is far
// from placed); g.lw, g.acc: the group.
const tasks = [
  task("x", []),
  task("y", []),
  task("old", ["y"]),
  task("g.lw", ["x"], "g"),
  task("g.acc", ["g.lw", "old"], "g", true),
];

function setup(free: number) {
  const { afterStart, afterOf, succStart, succOf } = dependencies(tasks);
  const placed = tasks.map(() => false);
  const released = tasks.map(() => false);
  const priority = [5, 4, 3, 2, 1];
  const before = (a: number, b: number) => priority[b]! - priority[a]! || a - b;
  const starts = new GroupStarts(tasks, afterStart, afterOf, priority, before, placed, released, () => free);
  // x is released and placed at cycle 0 (old is not even released): then g.lw is released and parked.
  released[0] = true;
  starts.inputReleased(0, 0, succStart, succOf, 0);
  placed[0] = true;
  const touched: number[] = [];
  for (let k = succStart[0]!; k < succStart[1]!; k++) starts.inputPlaced(0, succOf[k]!, 0, 0, touched);
  released[3] = true;
  expect(starts.park(3, 0)).toBe(true);
  return { starts, placed, succStart, succOf };
}

describe("a group's drain inputs and its plane", () => {
  it("a group whose products' inputs are placed takes a plane while another stays free, before its drain's inputs are", () => {
    expect(setup(2).starts.peek()).toBe(3);
    expect(setup(2).starts.parkedIn[3]).toBe(false);
  });
  it("but not the last free plane: an early group never holds every plane", () => {
    expect(setup(1).starts.peek()).toBeUndefined();
  });
  it("once the drain's inputs are placed, the group takes the last free plane too", () => {
    const { starts, placed, succStart, succOf } = setup(1);
    placed[2] = true;
    const touched: number[] = [];
    for (let k = succStart[2]!; k < succStart[3]!; k++) starts.inputPlaced(2, succOf[k]!, 0, 0, touched);
    for (const c of touched) starts.offer(c);
    expect(starts.parkedIn[3]).toBe(true);
    expect(starts.peek()).toBe(3);
  });
});
