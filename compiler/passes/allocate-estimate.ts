// The allocator's view of when work happens, before any schedule: in, the task list, its edges and the machine; out,
// each task's estimated length (the scheduler's own estimate), its earliest start with unlimited units, and its
// priority (the scheduler's: its length plus the longest path after it). Guarantees: one linear pass each way.
// The lengths are computed once per compile (compile.ts): allocation leaves every task's length as it was (a weight
// load's width shortens its `lw`, never below the read that feeds it), so the schedule's priorities and the
// relaxed runs reuse them.
import type { Machine } from "../../arch/machine.ts";
import { offHeapFloat64 } from "../../util/off-heap.ts";
import type { Dependencies } from "../schedule/dependencies.ts";
import { estimate, pathPriorities } from "../schedule/priority.ts";
import type { Task } from "./task-ir.ts";

export interface Estimates {
  readonly length: Float64Array;
  /** The earliest start from the data alone: every predecessor's earliest start plus its length. */
  readonly earliest: Float64Array;
  readonly priority: readonly number[];
}

/** Each task's estimated length (priority.ts `estimate`, full runs). */
export function taskLengths(tasks: readonly Task[], machine: Machine): Float64Array {
  const length = offHeapFloat64(tasks.length);
  for (let i = 0; i < tasks.length; i++) length[i] = estimate(tasks[i]!, machine, false);
  return length;
}

/** `length`: taskLengths of `tasks`, when the caller has them. */
export function taskEstimates(
  tasks: readonly Task[],
  machine: Machine,
  deps: Dependencies,
  length: Float64Array = taskLengths(tasks, machine),
): Estimates {
  const n = tasks.length;
  // Every `after` names an earlier task, so one pass in list order gives each task its earliest start.
  const earliest = offHeapFloat64(n);
  for (let i = 0; i < n; i++)
    for (let k = deps.afterStart[i]!; k < deps.afterStart[i + 1]!; k++) {
      const p = deps.afterOf[k]!;
      earliest[i] = Math.max(earliest[i]!, earliest[p]! + length[p]!);
    }
  return { length, earliest, priority: pathPriorities(length, deps.succStart, deps.succOf) };
}
