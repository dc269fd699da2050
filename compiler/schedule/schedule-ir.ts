// The scheduled program: per queue its instructions as the program's typed-array columns, sorted by issue cycle,
// with each one's busy cycles, resource, task and placing order beside it (no object per instruction: instAt makes
// one on demand), plus the task times and the predicted cycle count. Printable (one line per instruction, sorted
// by chip, queue, cycle).
import { cycleOf, instructionAt } from "../../arch/columns.ts";
import type { InstColumns, Instruction, QueueRef } from "../../arch/isa.ts";
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
  /** The task again, as the ISA's `Placed.note` (emit writes it into the queue's columns, arch/columns.ts). */
  readonly note: string;
}

export interface TaskTimes {
  readonly task: string;
  readonly op: string;
  /** Earliest the task could have started from its dependencies alone (data, links, reused space). */
  readonly ready: number;
  /** Earliest from its dependencies and its MXM plane's state (the staging buffer, the array, the accumulators):
   * `ready` for a task with no MXM step. */
  readonly planeReady: number;
  readonly start: number;
  readonly end: number;
  /** What delayed it beyond `planeReady` when it was: the resource that forced the first shift. */
  readonly waitedOn: "none" | "queue" | "bank" | "stream";
}

/** The resources an instruction occupies (timing.ts UnitResource; a deskew holds its queue), by code. */
export const RESOURCES = [
  "read",
  "write",
  "alu",
  "loader",
  "array",
  "drain",
  "sender",
  "receiver",
  "queue",
] as const;
export type Resource = (typeof RESOURCES)[number];

/** One queue's instructions (inst-sink.ts): the program's columns, sorted by issue cycle, and per row what the
 * schedule adds. Emit hands `columns` to the program as they are. */
export interface QueueInsts {
  readonly chip: number;
  readonly queue: QueueRef;
  readonly columns: InstColumns;
  /** Per row: cycles its resource is busy, the resource (RESOURCES index), and the order the scheduler placed it
   * in among all the schedule's instructions (explain's Gantt chart draws in that order). */
  readonly busy: Int32Array;
  readonly resource: Uint8Array;
  readonly seq: Int32Array;
  /** Per note (`columns.notes` index, a task id): the task's index in the graph; -1 for a deskew. */
  readonly noteTask: Int32Array;
}

export interface Schedule {
  readonly graph: TaskGraph;
  /** Every queue with instructions, by chip, queue kind (mem, vxm, mxm, sxm, c2c) and queue index. */
  readonly queues: readonly QueueInsts[];
  /** Instructions in all. */
  readonly count: number;
  readonly tasks: readonly TaskTimes[];
  /** Predicted cycles of the whole pass: the cycle after the last effect of the last instruction. */
  readonly cycles: number;
}

export function queueName(q: QueueRef): string {
  return `${q.kind}${q.index}`;
}

export const KIND_ORDER = { mem: 0, vxm: 1, mxm: 2, sxm: 3, c2c: 4 } as const;

/** Row k of queue q as an object (a new one each call: printers, checks and tests; nothing keeps them). */
export function instAt(g: TaskGraph, q: QueueInsts, k: number): ScheduledInst {
  const c = q.columns;
  const task = q.noteTask[c.note[k]!]!;
  const t = task >= 0 ? g.tasks[task]! : undefined;
  return {
    chip: q.chip,
    queue: q.queue,
    cycle: cycleOf(c, k)!,
    inst: instructionAt(c, k),
    busy: q.busy[k]!,
    resource: RESOURCES[q.resource[k]!]!,
    task: t ? t.id : "deskew",
    op: t ? t.op : "deskew",
    note: c.notes[c.note[k]!]!,
  };
}

/** Every instruction as an object, in the order the scheduler placed them (small schedules: tests and tools). */
export function scheduledInsts(s: Schedule): ScheduledInst[] {
  const out: ScheduledInst[] = new Array(s.count);
  for (const q of s.queues) for (let k = 0; k < q.columns.count; k++) out[q.seq[k]!] = instAt(s.graph, q, k);
  return out;
}

export function printSchedule(s: Schedule): string {
  const lines = [`schedule ${s.graph.name}: ${s.count} instructions, ${s.cycles} cycles`];
  for (const q of s.queues)
    for (let k = 0; k < q.columns.count; k++) {
      const i = instAt(s.graph, q, k);
      lines.push(`  chip${i.chip} ${queueName(i.queue)} @${i.cycle} ${JSON.stringify(i.inst)} ; ${i.task}`);
    }
  return `${lines.join("\n")}\n`;
}

/** Queue rules of a schedule (docs/isa.md "Queues and issue"): a queue issues at most one instruction per cycle,
 * and two instructions never occupy one resource of a unit in the same cycle. */
export function verifySchedule(s: Schedule): string[] {
  const errors: string[] = [];
  for (const queue of s.queues) {
    const q = `chip${queue.chip} ${queueName(queue.queue)}`;
    const lastEnd = new Map<string, { end: number; task: string }>();
    let a: ScheduledInst | undefined;
    for (let k = 0; k < queue.columns.count; k++) {
      const b = instAt(s.graph, queue, k);
      if (a && a.cycle === b.cycle) errors.push(`${q}: ${a.task} and ${b.task} both issue at ${b.cycle}`);
      const key = `${q} ${b.resource}`;
      const prev = lastEnd.get(key);
      if (prev && prev.end > b.cycle)
        errors.push(`${key}: ${prev.task} (until ${prev.end}) overlaps ${b.task} @${b.cycle}`);
      if (!prev || b.cycle + b.busy > prev.end) lastEnd.set(key, { end: b.cycle + b.busy, task: b.task });
      a = b;
    }
  }
  return errors;
}
