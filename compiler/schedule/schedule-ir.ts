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

const KIND_ORDER = { mem: 0, vxm: 1, mxm: 2, sxm: 3, c2c: 4 } as const;

/** By chip, queue kind, queue index, cycle. A queue issues at most one instruction per cycle, so the order is
 * total; computed as buckets per (chip, queue), then each bucket by cycle, without a comparator over objects. */
export function sortInsts(insts: readonly ScheduledInst[]): ScheduledInst[] {
  let maxIndex = 0;
  let maxChip = 0;
  for (const i of insts) {
    if (i.queue.index > maxIndex) maxIndex = i.queue.index;
    if (i.chip > maxChip) maxChip = i.chip;
  }
  const perChip = 5 * (maxIndex + 1);
  const bucketOf = (i: ScheduledInst) =>
    i.chip * perChip + KIND_ORDER[i.queue.kind] * (maxIndex + 1) + i.queue.index;
  const starts = new Int32Array((maxChip + 1) * perChip + 1);
  for (const i of insts) starts[bucketOf(i) + 1]!++;
  for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
  const order = new Int32Array(insts.length);
  const fill = starts.slice();
  for (let k = 0; k < insts.length; k++) order[fill[bucketOf(insts[k]!)]!++] = k;
  const cycles = new Float64Array(insts.length);
  for (let k = 0; k < insts.length; k++) cycles[k] = insts[k]!.cycle;
  const out: ScheduledInst[] = new Array(insts.length);
  for (let b = 0; b + 1 < starts.length; b++) {
    const lo = starts[b]!;
    const hi = starts[b + 1]!;
    const run = order.subarray(lo, hi);
    let sorted = true;
    for (let k = lo + 1; k < hi && sorted; k++) sorted = cycles[order[k]!]! >= cycles[order[k - 1]!]!;
    if (!sorted) run.sort((x, y) => cycles[x]! - cycles[y]! || x - y);
    for (let k = lo; k < hi; k++) out[k] = insts[order[k]!]!;
  }
  return out;
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
