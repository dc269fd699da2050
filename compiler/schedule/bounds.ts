// Lower bounds on a compiled pass and the report `lpu compile` prints. In: the task graph, the schedule, the
// machine; out: each bound in cycles (compute, SRAM bandwidth, MXM weight loading, links, critical path) and the
// efficiency = largest bound / predicted cycles. Every bound follows from a mechanism of the machine model.
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { memSlices } from "../../arch/machine.ts";
import type { Step, Task, TaskGraph } from "../passes/task-ir.ts";
import type { ModelWork } from "./model-work.ts";
import { linkWordTime, mxmCyclesPerVector } from "./timing.ts";

export interface Bounds {
  /** The model's products over the MXM peak: every output element's K terms in column sums of at most `rows` terms
   * (model-work.ts), `cols` sums per vector per plane every cyclesPerVector cycles. */
  readonly compute: number;
  /** The bytes the model must read (weights, state, inputs; model-work.ts), one `lanes`-byte word per MEM slice per
   * cycle. */
  readonly sram: number;
  /** Every weight element a product reads enters an MXM plane in a row of `rows` elements: loaded (`lw`, at most
   * maxLoadWidth rows per cycle per plane) or streamed through the array as a vector (one per cyclesPerVector). */
  readonly weightLoad: number;
  /** The busiest link's words times the word time (the transfers this partition needs; 0 on one chip). */
  readonly link: number;
  /** The chain of fixed latencies: the task graph with every run shortened to one vector, scheduled with
   * unlimited queues, banks, streams and MXM planes. */
  readonly criticalPath: number;
}

/** Not a bound on the machine: the length of this compiler's decomposition with unlimited resources (full vector
 * runs, dependencies, latencies). The gap between it and the lower bound is the decomposition's cost. */
export interface Diagnosis {
  readonly decompositionPath: number;
}

export interface CompileReport {
  readonly model: string;
  readonly arch: string;
  readonly chips: number;
  readonly cycles: number;
  readonly latencyUs: number;
  /** New tokens per second: batch * seq tokens per pass over the latency. */
  readonly tokensPerS: number;
  readonly instructionsPerChip: readonly number[];
  readonly instructions: number;
  readonly sramBytesPerChip: readonly number[];
  readonly bounds: Bounds;
  readonly diagnosis: Diagnosis;
  readonly lowerBound: number;
  readonly boundName: keyof Bounds;
  readonly efficiency: number;
  readonly flops: number;
  /** The smallest chip count the partitioner fits the model on. */
  readonly minChips?: number;
  /** A stamped program (stamp.ts): its unit's span and the cycles between units (the span rounded up to a step). */
  readonly stamp?: { readonly span: number; readonly delta: number };
}

/** `criticalPath` is the length of the relaxed schedule (relaxed.ts, the cycles of the scheduler's option
 * `relaxed`) of `latencyOnly(g)` (or of `g` with the option `unitRuns`, the same schedule without a copy of the
 * graph). `work` is the model's (model-work.ts, from the model graph before decompose: the compute, SRAM and
 * weight-load bounds depend on no choice of this compiler). `copies[c]` (absent: 1) counts how many chips of the
 * program run chip c's tasks (a stamped program, stamp.ts): a copied link carries its original's words, so the
 * busiest link is the same, and the chips are the copies' sum. */
export function computeBounds(
  g: TaskGraph,
  criticalPath: number,
  m: Machine,
  work: ModelWork,
  copies?: readonly number[],
): Bounds {
  // Array time if every MXM column of every plane gave one useful column sum each vector at its type's rate.
  let macCycles = 0;
  for (const [type, macs] of work.macs)
    macCycles += (macs * mxmCyclesPerVector(m, type)) / (m.mxm.rows * m.mxm.cols);
  // A weight row enters a plane by its loader (maxLoadWidth a cycle) or its array (one per cyclesPerVector).
  let rowCycles = 0;
  for (const [type, rows] of work.weightRows)
    rowCycles += rows / (m.mxm.maxLoadWidth + 1 / mxmCyclesPerVector(m, type));
  const linkWords = new Map<string, number>();
  for (const t of g.tasks)
    for (const st of t.steps)
      if (st.kind === "send") {
        const key = `${t.chip}/${st.link}`;
        linkWords.set(key, (linkWords.get(key) ?? 0) + st.n * ELEM_BYTES[st.type]);
      }
  const chips = copies ? copies.reduce((a, b) => a + b, 0) : Math.max(1, g.chips);
  const planes = m.mxm.planes * chips;
  return {
    compute: Math.ceil(macCycles / planes),
    sram: Math.ceil(work.sramBytes / m.lanes / (memSlices(m) * chips)),
    weightLoad: Math.ceil(rowCycles / planes),
    link: Math.ceil((Math.max(0, ...linkWords.values()) * linkWordTime(m).num) / linkWordTime(m).den),
    criticalPath,
  };
}

/** The allocated tasks (their placements and load widths) with the dependencies they had before allocation: a
 * reuse edge orders a block's later tenant after its earlier one's readers, which is SRAM contention, not data.
 * Counted in the critical path it made that "bound" longer than a schedule with other placements needs. */
export function withDataOrder(allocated: TaskGraph, before: TaskGraph): TaskGraph {
  // Allocate keeps the task order and each task's `after` list where it adds no edge: only those tasks are copied,
  // and the ids are looked up only where the lists differ in order (stamp-order.ts may re-sort them).
  let byId: Map<string, readonly string[]> | undefined;
  const afterOf = (t: Task, i: number) => {
    const b = before.tasks[i];
    if (b?.id === t.id) return b.after;
    byId ??= new Map(before.tasks.map((x) => [x.id, x.after]));
    return byId.get(t.id) ?? t.after;
  };
  const tasks = allocated.tasks.map((t, i) => {
    const after = afterOf(t, i);
    return after === t.after ? t : { ...t, after };
  });
  return { ...allocated, tasks };
}

/** The task graph with every vector run shortened to one vector: what is left is latency, not throughput. */
export function latencyOnly(g: TaskGraph): TaskGraph {
  return { ...g, tasks: g.tasks.map(unitRuns) };
}

/** The task with every run shortened to one vector (`latencyOnly` of one task; the scheduler's `unitRuns` option
 * applies it task by task instead of copying the graph). */
export function unitRuns(t: Task): Task {
  return { ...t, steps: t.steps.map(oneVector) };
}

/** Whether `unitRuns` would change the task: some step runs more than one vector. */
export function hasLongRun(t: Task): boolean {
  for (const st of t.steps) {
    const n =
      st.kind === "read" || st.kind === "write" || st.kind === "gather"
        ? st.ref.n
        : st.kind === "iw"
          ? 1
          : st.n;
    if (n !== 1) return true;
  }
  return false;
}

/** The step with its run shortened to one vector (a module function: a closure made per task showed in profiles). */
function oneVector(st: Step): Step {
  switch (st.kind) {
    case "read":
    case "write":
    case "gather":
      return { ...st, ref: { ...st.ref, n: 1 } };
    case "iw":
      return st;
    default:
      return { ...st, n: 1 };
  }
}

export function formatReport(r: CompileReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `model ${r.model} on ${r.chips} chip(s) of ${r.arch}`,
    `  predicted cycles   ${r.cycles}`,
    `  latency            ${r.latencyUs.toFixed(3)} us`,
    `  tokens/s           ${r.tokensPerS.toFixed(1)}`,
    `  instructions       ${r.instructions} (per chip: ${r.instructionsPerChip.join(", ")})`,
    // The allocator's footprint, not the words a run writes (`lpu run` says "SRAM written" for that).
    `  SRAM allocated     ${r.sramBytesPerChip.map((b) => `${b} B`).join(", ")} (per chip: each MEM slice up to its highest allocated word)`,
    `  lower bound        ${r.lowerBound} cycles (${r.boundName})`,
    `    compute          ${r.bounds.compute}`,
    `    SRAM bandwidth   ${r.bounds.sram}`,
    `    MXM weight load  ${r.bounds.weightLoad}`,
    `    links            ${r.bounds.link}`,
    `    critical path    ${r.bounds.criticalPath} (fixed latencies)`,
    `  efficiency         ${pct(r.efficiency)} (lower bound / predicted)`,
    `  decomposition      ${r.diagnosis.decompositionPath} cycles with unlimited units (the rest is contention)`,
  ];
  return `${lines.join("\n")}\n`;
}
