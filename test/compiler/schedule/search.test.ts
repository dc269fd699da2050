// The scheduler's search for a start (placement.ts, trial.ts, resources.ts): skipping ahead must land where trying
// every cycle lands, and the priorities must respect the task order. Hand-made tasks on tsp-v1.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import type { Task, TaskGraph } from "../../../compiler/passes/task-ir.ts";
import { dependencies } from "../../../compiler/schedule/dependencies.ts";
import { deskewPeriodOf } from "../../../compiler/schedule/deskew.ts";
import { taskGeometry } from "../../../compiler/schedule/geometry.ts";
import { Placer } from "../../../compiler/schedule/placement.ts";
import { estimate, priorities } from "../../../compiler/schedule/priority.ts";
import { IntervalSet } from "../../../compiler/schedule/resources.ts";
import { Trial } from "../../../compiler/schedule/trial.ts";
import { oneBlock, oneTileTensor } from "../helpers/tiled.ts";

const m = TSP_V1;

/** read x (n vectors) -> copy -> write `out`: every copy reads the same slices, so they queue for them. */
const copy = (id: string, out: string, n: number, after: string[] = []): Task => ({
  id,
  chip: 0,
  op: "copy",
  after,
  steps: [
    { kind: "read", ref: { tensor: "x", tile: 0, row: 0, n, stride: 1 }, type: "fp16" },
    { kind: "vunary", fn: "copy", type: "fp16", src: 0, n },
    { kind: "write", ref: { tensor: out, tile: 0, row: 0, n, stride: 1 }, type: "fp16", src: 1 },
  ],
});

/** Copies of 1 to 4 vectors into outputs that share one bank of slices 2 and 3 (queue and bank conflicts). */
function copies(count: number): TaskGraph {
  const tasks = Array.from({ length: count }, (_, i) => copy(`c${i}`, `y${i}`, 1 + (i % 4)));
  return {
    name: "copies",
    chips: 1,
    batch: 1,
    tokensPerPass: 1,
    tasks,
    tensors: [
      oneTileTensor("x", "fp16", 4, "input"),
      ...tasks.map((_, i) => oneTileTensor(`y${i}`, "fp16", 4, "temp")),
    ],
    outputs: [],
    placements: [oneBlock("x", [40, 41], 0, 4), ...tasks.map((_, i) => oneBlock(`y${i}`, [2, 3], 8 * i, 4))],
  };
}

describe("start search", () => {
  it("skipping starts where a fixed queue or bank is taken lands on the first start where trying every cycle fits", () => {
    const g = copies(40);
    const placements = new Map(g.placements!.map((p) => [p.tensor, p]));
    const placer = new Placer(g, m, false, false, () => {});
    // A second set of tables, filled with the same placements, to try every cycle against.
    const trial = new Trial(m, 1, placements, false, deskewPeriodOf(m));
    for (const [index, task] of g.tasks.entries()) {
      const found = placer.find(task, undefined, undefined);
      const geo = taskGeometry(m, task, placements, undefined);
      let first = found.readyAt;
      for (;;) {
        trial.newSearch(geo);
        if (trial.tryAt(geo, 0, first, task).shift === 0) break;
        first++;
      }
      expect(found.start, task.id).toBe(first);
      trial.commit();
      placer.place(task, undefined, undefined, found, index);
    }
    // The copies queue for slice 40's read port: most start later than they are ready.
    expect(placer.times.filter((t) => t.start > t.ready).length).toBeGreaterThan(20);
  });
});

describe("IntervalSet.clearance", () => {
  const intervals = fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 20 }).map((starts) => {
    // Disjoint intervals from sorted starts: each ends at most where the next begins.
    const sorted = [...starts].sort((a, b) => a - b);
    return sorted.map((s, i) => [s, Math.min(s + 1 + (s % 3), sorted[i + 1] ?? 100)] as const);
  });

  it("is the smallest shift after which the request overlaps nothing, and never less than conflict's", () => {
    fc.assert(
      fc.property(
        intervals,
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 1, max: 5 }),
        (ivs, s, len) => {
          const set = new IntervalSet();
          for (const [a, b] of ivs) set.add(a, b);
          let d = 0;
          while (set.conflict(s + d, s + d + len) > 0) d++;
          expect(set.clearance(s, s + len)).toBe(d);
          expect(set.conflict(s, s + len)).toBeLessThanOrEqual(d);
        },
      ),
    );
  });

  it("jumps a run of back-to-back intervals at once (conflict moves past one of them)", () => {
    const set = new IntervalSet();
    for (let t = 10; t < 20; t++) set.add(t, t + 1);
    expect(set.conflict(10, 11)).toBe(1);
    expect(set.clearance(10, 11)).toBe(10);
    expect(set.clearance(12, 14)).toBe(8);
  });
});

describe("priorities", () => {
  it("a task's priority is its own estimate plus the largest priority among the tasks that depend on it", () => {
    const tasks = [
      copy("a", "y0", 4),
      copy("b", "y1", 2, ["a"]),
      copy("c", "y2", 1, ["a"]),
      copy("d", "y3", 3, ["b", "c"]),
    ];
    const { succStart, succOf } = dependencies(tasks);
    const p = priorities(tasks, m, false, succStart, succOf);
    const e = tasks.map((t) => estimate(t, m, false));
    expect(p[3]).toBe(e[3]);
    expect(p[1]).toBe(e[1]! + p[3]!);
    expect(p[2]).toBe(e[2]! + p[3]!);
    expect(p[0]).toBe(e[0]! + Math.max(p[1]!, p[2]!));
  });
});
