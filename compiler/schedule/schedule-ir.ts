// The scheduled program before encoding: every instruction with its chip, queue, issue cycle and the task it came
// from, plus the predicted cycle count. Printable (one line per instruction, sorted by chip, queue, cycle).
import type { Instruction, QueueRef } from "../../arch/isa.ts";
import type { TaskGraph } from "../passes/task-ir.ts";

export interface ScheduledInst {
  readonly chip: number;
  readonly queue: QueueRef;
  readonly cycle: number;
  readonly inst: Instruction;
  /** Cycles `resource` of the unit is occupied from `cycle` (docs/isa.md "slots"). */
  readonly busy: number;
  readonly resource: string;
  /** The task (and so the kernel op) it implements. */
  readonly task: string;
  readonly op: string;
}

export interface TaskTimes {
  readonly task: string;
  readonly op: string;
  /** Earliest the task could have started from its dependencies alone, and when it did. */
  readonly ready: number;
  readonly start: number;
  readonly end: number;
  /** What delayed it beyond `ready` when it was: the resource that forced the first shift. */
  readonly waitedOn: "none" | "queue" | "bank" | "stream" | "mxm";
}

export interface Schedule {
  readonly graph: TaskGraph;
  readonly insts: readonly ScheduledInst[];
  readonly tasks: readonly TaskTimes[];
  /** Predicted cycles of the whole pass: the cycle after the last effect of the last instruction. */
  readonly cycles: number;
}

export function queueName(q: QueueRef): string {
  return `${q.kind}${q.index}`;
}

export function sortInsts(insts: readonly ScheduledInst[]): ScheduledInst[] {
  const kindOrder = { mem: 0, vxm: 1, mxm: 2, sxm: 3, c2c: 4 } as const;
  return [...insts].sort(
    (a, b) =>
      a.chip - b.chip ||
      kindOrder[a.queue.kind] - kindOrder[b.queue.kind] ||
      a.queue.index - b.queue.index ||
      a.cycle - b.cycle,
  );
}

export function printSchedule(s: Schedule): string {
  const lines = [`schedule ${s.graph.name}: ${s.insts.length} instructions, ${s.cycles} cycles`];
  for (const i of sortInsts(s.insts))
    lines.push(`  chip${i.chip} ${queueName(i.queue)} @${i.cycle} ${JSON.stringify(i.inst)} ; ${i.task}`);
  return `${lines.join("\n")}\n`;
}

/** Queue rules of a schedule (docs/isa.md "Queues and issue"): a queue issues at most one instruction per cycle,
 * and two instructions never occupy one resource of a unit in the same cycle. */
export function verifySchedule(s: Schedule): string[] {
  const errors: string[] = [];
  const sorted = sortInsts(s.insts);
  const lastEnd = new Map<string, { end: number; task: string }>();
  for (let k = 0; k < sorted.length; k++) {
    const b = sorted[k]!;
    const q = `chip${b.chip} ${queueName(b.queue)}`;
    const a = sorted[k - 1];
    if (
      a &&
      a.chip === b.chip &&
      a.queue.kind === b.queue.kind &&
      a.queue.index === b.queue.index &&
      a.cycle === b.cycle
    )
      errors.push(`${q}: ${a.task} and ${b.task} both issue at ${b.cycle}`);
    const key = `${q} ${b.resource}`;
    const prev = lastEnd.get(key);
    if (prev && prev.end > b.cycle)
      errors.push(`${key}: ${prev.task} (until ${prev.end}) overlaps ${b.task} @${b.cycle}`);
    if (!prev || b.cycle + b.busy > prev.end) lastEnd.set(key, { end: b.cycle + b.busy, task: b.task });
  }
  return errors;
}
