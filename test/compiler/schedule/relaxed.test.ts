// The report's relaxed runs without the scheduler (compiler/schedule/relaxed.ts): the same cycles as the
// scheduler's `relaxed` option task by task, shapes shared by key only where the geometry is the same, and the
// data-order edges taken from the allocated list's.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TSP_V1 } from "../../../arch/presets.ts";
import { compile } from "../../../compiler/compile.ts";
import { loadModel } from "../../../compiler/frontend.ts";
import type { TaskGraph } from "../../../compiler/passes/task-ir.ts";
import { unitRuns } from "../../../compiler/schedule/bounds.ts";
import { dependenciesLike, uncachedDependencies } from "../../../compiler/schedule/dependencies.ts";
import { onPlane, taskGeometry } from "../../../compiler/schedule/geometry.ts";
import { prepareRelaxed, relaxedRun } from "../../../compiler/schedule/relaxed.ts";
import { appendRecord, HEAD, PER_STEP } from "../../../compiler/schedule/relaxed-shapes.ts";
import { schedule } from "../../../compiler/schedule/scheduler.ts";

const m = TSP_V1;

function allocated(
  file: string,
  sets: Record<string, string>,
  chips: number,
  partition?: "layers",
): TaskGraph {
  const graph = loadModel(readFileSync(file, "utf8"), file, sets).graph!;
  const r = compile(graph, m, { chips, file, partition });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.tasks!;
}

const SMALL_70B = { layers: "1", d: "512", ff: "1024", heads: "4", kv_heads: "2", ctx: "64", vocab: "1024" };
const cases = [
  { name: "tiny-gpt on one chip", file: "programs/tiny-gpt.model", sets: {}, chips: 1 },
  { name: "tiny-gpt on 4 chips (links)", file: "programs/tiny-gpt.model", sets: {}, chips: 4 },
  {
    name: "a small llama2-70b-fp8 layer (wide 8-bit loads)",
    file: "programs/llama2-70b-fp8.model",
    sets: SMALL_70B,
    chips: 1,
  },
] as const;

describe("the relaxed runs without the scheduler", () => {
  for (const c of cases)
    it(`give every task the end and the run the length of the scheduler's relaxed option (${c.name})`, () => {
      const g = allocated(c.file, c.sets, c.chips);
      const rg = prepareRelaxed(g, m);
      for (const unit of [true, false]) {
        const want = schedule(g, m, { relaxed: true, unitRuns: unit });
        const got = relaxedRun(rg, { unitRuns: unit });
        expect(got.cycles).toBe(want.cycles);
        const ends = new Map(want.tasks.map((t) => [t.task, t.end]));
        expect([...got.ends]).toEqual(g.tasks.map((t) => ends.get(t.id)));
      }
    });

  it("counts a chain's tasks from their inputs alone and reports each arrival as the scheduler does (stamped tiny-gpt)", () => {
    const g = allocated("programs/tiny-gpt.model", { layers: "4" }, 64, "layers");
    const rg = prepareRelaxed(g, m);
    const recvChips = g.tasks.filter((t) => t.steps.some((s) => s.kind === "recv")).map((t) => t.chip);
    const chainFrom = Math.min(...recvChips);
    for (const unit of [true, false]) {
      const arrivals: string[] = [];
      const want = schedule(g, m, {
        relaxed: true,
        unitRuns: unit,
        chainFrom,
        onArrival: (task, from, cycle) => arrivals.push(`${task.id}<${from}@${cycle}`),
      });
      const got: string[] = [];
      const run = relaxedRun(rg, {
        unitRuns: unit,
        chainFrom,
        onArrival: (recv, send, cycle) => got.push(`${g.tasks[recv]!.id}<${g.tasks[send]!.id}@${cycle}`),
      });
      expect(arrivals.length).toBeGreaterThan(0);
      expect(got).toEqual(arrivals);
      const ends = new Map(want.tasks.map((t) => [t.task, t.end]));
      expect([...run.ends]).toEqual(g.tasks.map((t) => ends.get(t.id)));
      // Some task on the chain's chips follows from no input: its cycles stay negative (plane-state.ts NO_INPUT).
      expect([...run.ends].some((e) => e < 0)).toBe(true);
    }
  });

  it("shares a shape only between tasks whose geometry gives the same record on every plane", () => {
    const g = allocated("programs/llama2-70b-fp8.model", SMALL_70B, 1);
    const rg = prepareRelaxed(g, m);
    const placements = new Map((g.placements ?? []).map((p) => [p.tensor, p]));
    let shared = 0;
    const seen = new Set<number>();
    for (const [i, task] of g.tasks.entries())
      for (const unit of [false, true]) {
        const t = unit ? unitRuns(task) : task;
        const id = (unit ? rg.unitShape : rg.shape)[i]!;
        if (seen.has(id)) shared++;
        seen.add(id);
        const planes = task.mxmGroup ? m.mxm.planes : 0;
        const own: number[] = [];
        if (planes === 0) appendRecord(m, t, taskGeometry(m, t, placements, undefined), own);
        else for (let k = 0; k < planes; k++) appendRecord(m, t, taskGeometry(m, t, placements, k), own);
        const table = [...rg.shapeData.subarray(rg.shapeOffset[id]!, rg.shapeOffset[id]! + own.length)];
        expect(table).toEqual(own);
        expect(own.length).toBe(Math.max(1, planes) * (HEAD + PER_STEP * t.steps.length));
      }
    // Most tasks repeat a shape: the point of the table.
    expect(shared).toBeGreaterThan(g.tasks.length);
    // onPlane is what the table solves the other planes with.
    const mxm = g.tasks.find((t) => t.mxmGroup && t.steps.some((s) => s.kind === "read"))!;
    expect(onPlane(m, mxm, taskGeometry(m, mxm, placements, 0), 1)).toStrictEqual(
      taskGeometry(m, mxm, placements, 1),
    );
  });

  it("takes the data-order edges from the allocated list's where a task's `after` list is the same object", () => {
    const g = allocated("programs/tiny-gpt.model", {}, 1);
    // Drop every other task's first `after` edge, as withDataOrder drops allocate's reuse edges.
    const data = g.tasks.map((t, i) =>
      i % 2 === 0 && t.after.length > 0 ? { ...t, after: t.after.slice(1) } : t,
    );
    expect(data.some((t, i) => t !== g.tasks[i])).toBe(true);
    expect(dependenciesLike(data, g.tasks)).toEqual(uncachedDependencies(data));
  });
});
