// List-scheduling priorities: in, the tasks (in dependency order) and their successor lists; out, each task's
// estimated length plus the longest estimated path after it. A task never ranks below any task that depends on it
// through the edges given (the scheduler's: the edges before allocation, scheduler.ts `priorityEdges`).
import type { Machine } from "../../arch/machine.ts";
import type { Task } from "../passes/task-ir.ts";
import { mxmCyclesPerVector } from "./timing.ts";

/** Priority per task (index as in `tasks`); `succStart`/`succOf` as dependencies.ts gives them; `lengths`: each
 * task's `estimate` (full runs), when the caller has them (compile.ts computes them once). */
export function priorities(
  tasks: readonly Task[],
  m: Machine,
  unit: boolean,
  succStart: ArrayLike<number>,
  succOf: ArrayLike<number>,
  lengths?: ArrayLike<number>,
): number[] {
  if (lengths && !unit) return pathPriorities(lengths, succStart, succOf);
  return pathPriorities(
    tasks.map((t) => estimate(t, m, unit)),
    succStart,
    succOf,
  );
}

/** Each task's length (`estimate`, given per task index) plus the longest path of lengths after it: the priorities
 * of `priorities` from lengths computed once (the relaxed runs share them between runs, relaxed.ts). */
export function pathPriorities(
  lengths: ArrayLike<number>,
  succStart: ArrayLike<number>,
  succOf: ArrayLike<number>,
): number[] {
  const priority = new Array<number>(lengths.length).fill(0);
  for (let i = lengths.length - 1; i >= 0; i--) {
    let best = 0;
    for (let k = succStart[i]!; k < succStart[i + 1]!; k++) best = Math.max(best, priority[succOf[k]!]!);
    priority[i] = lengths[i]! + best;
  }
  return priority;
}

/** A task's rough length for priorities: its longest busy step plus its fixed latencies. With `unit`, of the task
 * as bounds.ts `unitRuns` shortens it (every n taken as 1), without building that copy. */
export function estimate(t: Task, m: Machine, unit: boolean): number {
  let busy = 0;
  for (const s of t.steps) {
    if (s.kind === "read" || s.kind === "write" || s.kind === "gather")
      busy = Math.max(busy, unit ? 1 : s.ref.n);
    else if (s.kind === "abc")
      busy = Math.max(busy, (unit ? 1 : s.n) * mxmCyclesPerVector(m, s.type) + m.mxm.latency);
    else if (s.kind === "iw") busy = Math.max(busy, m.mxm.installLatency);
    else if (s.kind !== "lw") busy = Math.max(busy, unit ? 1 : s.n);
    else busy = Math.max(busy, Math.ceil((unit ? 1 : s.n) / (s.width ?? 1)));
  }
  return busy + m.mem.readLatency + m.mem.writeLatency;
}
