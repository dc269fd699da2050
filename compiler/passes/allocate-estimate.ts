// The allocator's view of when work happens, before any schedule: in, the task list, its edges and the machine; out,
// each task's estimated length (the scheduler's own estimate), its earliest start with unlimited units, and its
// priority (the scheduler's: its length plus the longest path after it). Guarantees: one linear pass each way.
import type { Machine } from "../../arch/machine.ts";
import type { Dependencies } from "../schedule/dependencies.ts";
import { estimate, pathPriorities } from "../schedule/priority.ts";
import type { Task } from "./task-ir.ts";

export interface Estimates {
  readonly length: Float64Array;
  /** The earliest start from the data alone: every predecessor's earliest start plus its length. */
  readonly earliest: Float64Array;
  readonly priority: readonly number[];
}

export function taskEstimates(tasks: readonly Task[], machine: Machine, deps: Dependencies): Estimates {
  const n = tasks.length;
  const length = new Float64Array(n);
  for (let i = 0; i < n; i++) length[i] = estimate(tasks[i]!, machine, false);
  // Every `after` names an earlier task, so one pass in list order gives each task its earliest start.
  const earliest = new Float64Array(n);
  for (let i = 0; i < n; i++)
    for (let k = deps.afterStart[i]!; k < deps.afterStart[i + 1]!; k++) {
      const p = deps.afterOf[k]!;
      earliest[i] = Math.max(earliest[i]!, earliest[p]! + length[p]!);
    }
  return { length, earliest, priority: pathPriorities(length, deps.succStart, deps.succOf) };
}
