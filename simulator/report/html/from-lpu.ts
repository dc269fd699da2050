// The LPU parts of a ReportData from a simulator run: the busy/idle breakdown per unit kind (from the run's
// utilization, which counts each queue's busy cycles once even when its instructions overlap) and the Gantt
// window of the schedule's first cycles. `lpu compare --report` adds the latency, energy and cost sides.
import type { Machine } from "../../../arch/machine.ts";
import { QUEUE_KIND_ORDER, queueCount } from "../../../arch/presets.ts";
import type { RunResult } from "../../lpu/results.ts";
import type { Timeline } from "../trace/timeline.ts";
import type { Breakdown, GanttData } from "./data.ts";
import { ganttFromTimeline } from "./gantt.ts";

const KIND_NAMES: Readonly<Record<string, string>> = {
  mem: "MEM slices",
  vxm: "VXM ALUs",
  mxm: "MXM planes",
  sxm: "SXM units",
  c2c: "C2C links",
};

/** Busy and idle unit-cycles per unit kind over all chips: busy = utilization x units x cycles. */
export function lpuBreakdown(r: RunResult, m: Machine): Breakdown {
  const rows = QUEUE_KIND_ORDER.map((kind) => {
    const total = queueCount(m, kind) * r.chips * r.cycles;
    const busy = Math.round(r.utilization[kind] * total);
    return { name: `${KIND_NAMES[kind]} (${queueCount(m, kind) * r.chips})`, cycles: [busy, total - busy] };
  });
  return {
    states: ["busy", "idle"],
    rows,
    unit: `unit-cycles over all ${r.chips} chip(s) and ${r.cycles} cycles`,
  };
}

/** The Gantt of chip `process`'s first `cycles` cycles (the whole run when shorter). */
export function lpuGantt(t: Timeline, runCycles: number, cycles = 2000, process?: number): GanttData {
  const to = Math.max(1, Math.min(runCycles, cycles));
  return ganttFromTimeline(t, { window: { from: 0, to }, process });
}
