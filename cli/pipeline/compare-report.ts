// `lpu compare --report`: the measured runs of both machines -> ReportData -> one self-contained HTML file. The
// latency histograms take every run's latency; the table, energy and cost take the same summaries the text table
// prints; the Gantt chart is one extra LPU run of the compiled program with the recorder on (its first cycles,
// chip 0), and the breakdown of where the cycles go is the first measured run's utilization.
import type { Program } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { Simulator } from "../../simulator/lpu/index.ts";
import type { RunResult } from "../../simulator/lpu/results.ts";
import type { CostModel } from "../../simulator/report/cost/derive.ts";
import { type Activity, costOf, energyOf } from "../../simulator/report/cost/model.ts";
import type { Condition, MachineSide, ReportData } from "../../simulator/report/html/data.ts";
import { lpuBreakdown, lpuGantt } from "../../simulator/report/html/from-lpu.ts";
import { type SummaryFields, sideFromSummary } from "../../simulator/report/html/from-summary.ts";
import { renderReport } from "../../simulator/report/html/render.ts";
import { lpuTimeline } from "../../simulator/report/trace/lpu.ts";
import { writeOutput } from "../common.ts";

/** The Gantt shows the schedule's first cycles: enough to see the units overlap, few enough to stay light. */
export const GANTT_CYCLES = 2000;

/** Hardware and electricity parts of $/Mtok from the activity the summary was computed from (the same model). */
export function costSplitOf(a: Activity, m: CostModel): NonNullable<MachineSide["costSplit"]> {
  const energy = energyOf(a, m.energy, m.scale);
  const cost = costOf(a, energy, m.energy, m.cost);
  return { capexUsdPerMtok: cost.capexUsdPerMtok, energyUsdPerMtok: cost.energyUsdPerMtok };
}

export interface ReportSide {
  readonly label: string;
  readonly latenciesUs: readonly number[];
  readonly summary: SummaryFields;
  readonly costSplit: NonNullable<MachineSide["costSplit"]>;
}

export interface ReportInput {
  readonly file: string;
  readonly modelName: string;
  readonly conditions: readonly Condition[];
  readonly lpu: ReportSide;
  readonly gpu: ReportSide;
  /** The compiled program, re-run once with the recorder for the Gantt chart. */
  readonly program: Program;
  readonly machine: Machine;
  /** The clock seed of that run (the first measured run's). */
  readonly seed: number;
  /** The first measured LPU run: its cycles bound the Gantt window and its utilization is the breakdown. */
  readonly first: RunResult;
}

export function compareReport(r: ReportInput): ReportData {
  const sim = new Simulator(r.program, r.machine, { seed: r.seed, functional: false });
  const { timeline } = lpuTimeline(sim, {
    until: GANTT_CYCLES,
    meta: { program: r.file, arch: r.machine.name, seed: r.seed },
  });
  return {
    title: `${r.modelName}: LPU vs GPU`,
    model: r.file,
    conditions: r.conditions,
    lpu: sideFromSummary(r.lpu.label, r.lpu.latenciesUs, r.lpu.summary, r.lpu.costSplit),
    gpu: sideFromSummary(r.gpu.label, r.gpu.latenciesUs, r.gpu.summary, r.gpu.costSplit),
    gantt: lpuGantt(timeline, r.first.cycles, GANTT_CYCLES),
    breakdown: lpuBreakdown(r.first, r.machine),
  };
}

export function writeReport(out: string, data: ReportData): void {
  writeOutput(out, renderReport(data));
}
