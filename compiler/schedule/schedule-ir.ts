// The scheduled program before encoding: every instruction with its chip, queue, issue cycle and the task it came
// from, plus the predicted cycle count. Printable (one line per instruction, sorted by chip, queue, cycle).
import type { Instruction, QueueRef } from "../../arch/isa.ts";
import type { TaskGraph } from "../passes/task-ir.ts";

export interface ScheduledInst {
  readonly chip: number;
  readonly queue: QueueRef;
  readonly cycle: number;
  readonly inst: Instruction;
  /** Cycles the queue is busy from `cycle`. */
  readonly busy: number;
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

/** Queue rules of a schedule: no two instructions of one queue overlap in time. */
export function verifySchedule(s: Schedule): string[] {
  const errors: string[] = [];
  const sorted = sortInsts(s.insts);
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1]!;
    const b = sorted[k]!;
    if (
      a.chip === b.chip &&
      a.queue.kind === b.queue.kind &&
      a.queue.index === b.queue.index &&
      a.cycle + a.busy > b.cycle
    )
      errors.push(
        `chip${a.chip} ${queueName(a.queue)}: ${a.task} @${a.cycle} (+${a.busy}) overlaps ${b.task} @${b.cycle}`,
      );
  }
  return errors;
}
