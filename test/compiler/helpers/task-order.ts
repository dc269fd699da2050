// Random task orders for back-end tests: a task graph's tasks in a seeded random topological order (MXM groups
// keep their own tasks' order), and a compile of a model through the passes with that order between `tile` and
// `allocate`. The allocator reads lifetimes from the list order and the scheduler breaks ties by it, so any such
// order must compile to the same values.
import type { Machine } from "../../../arch/machine.ts";
import { compileReport } from "../../../compiler/compile.ts";
import { emitProgram } from "../../../compiler/emit/program.ts";
import type { ModelGraph } from "../../../compiler/graph/ir.ts";
import { type AllocateOptions, allocate } from "../../../compiler/passes/allocate.ts";
import { decompose } from "../../../compiler/passes/decompose.ts";
import { partition } from "../../../compiler/passes/partition.ts";
import { placeStages } from "../../../compiler/passes/stages.ts";
import type { Task, TaskGraph } from "../../../compiler/passes/task-ir.ts";
import { tile } from "../../../compiler/passes/tile.ts";
import { initialSources } from "../../../compiler/reference/init.ts";
import { modelWork } from "../../../compiler/schedule/model-work.ts";
import { schedule } from "../../../compiler/schedule/scheduler.ts";
import { Rng } from "../../../util/random.ts";

/** The tasks in a random order that keeps every `after` edge and each MXM group's own order. */
export function shuffleTasks(g: TaskGraph, seed: number): TaskGraph {
  const rng = new Rng(seed);
  const index = new Map(g.tasks.map((t, i) => [t.id, i]));
  const preds = g.tasks.map((t) => t.after.map((a) => index.get(a)!));
  const groupPrev = new Map<string, number>();
  g.tasks.forEach((t, i) => {
    if (!t.mxmGroup) return;
    const prev = groupPrev.get(t.mxmGroup);
    if (prev !== undefined) preds[i]!.push(prev);
    groupPrev.set(t.mxmGroup, i);
  });
  const succs: number[][] = g.tasks.map(() => []);
  const pending = preds.map((p) => p.length);
  preds.forEach((ps, i) => {
    for (const p of ps) succs[p]!.push(i);
  });
  const ready = pending.flatMap((c, i) => (c === 0 ? [i] : []));
  const out: Task[] = [];
  while (ready.length > 0) {
    const i = ready.splice(rng.int(0, ready.length), 1)[0]!;
    out.push(g.tasks[i]!);
    for (const s of succs[i]!) if (--pending[s]! === 0) ready.push(s);
  }
  if (out.length !== g.tasks.length) throw new Error("the task graph has a cycle");
  return { ...g, tasks: out };
}

const same = (g: TaskGraph) => g;

/** compile() on one chip with the tasks in the order `order` gives them, and `allocated` applied to allocate's
 * result (both the identity by default), with allocate's options `alloc`. */
export function compileWithOrder(
  graph: ModelGraph,
  m: Machine,
  order: (g: TaskGraph) => TaskGraph = same,
  allocated: (g: TaskGraph) => TaskGraph = same,
  alloc: AllocateOptions = {},
) {
  const d = decompose(graph, "test.model");
  const p = partition(d.kernel, m, 1, "test.model");
  const tasks = order(placeStages(tile(p.partitioned, m), p.partitioned, m));
  const a = allocated(allocate(tasks, m, "test.model", alloc).graph);
  const s = schedule(a, m);
  const program = emitProgram(s, m, initialSources(graph, 0));
  return { schedule: s, program, report: compileReport(modelWork(graph, m), a, s, m) };
}
