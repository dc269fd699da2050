// The compile report of a stamped program (stamp.ts): the reduced model's report + the full kernel + the stamping
// -> the report of the full program. Exact: cycles (the reduced program's + (U - r) delta for U units, r of them in
// the reduced program, since every chip copies a reduced chip shifted by at most (U - r) delta and the group after
// unit 0 by exactly that), instructions per chip, SRAM per chip, the link bound (the reduced tasks with each chip
// counted as often as it is copied) and the compute, SRAM and weight-load bounds (the full model's work,
// model-work.ts, over all chips). The critical path and the decomposition path in the reduced report are already
// the full program's chain of units (stamp-bound.ts, computed by compile.ts).
import { instructionCount } from "../../arch/copies.ts";
import type { Machine } from "../../arch/machine.ts";
import type { KernelGraph } from "../passes/kernel-ir.ts";
import type { TaskGraph } from "../passes/task-ir.ts";
import { type Bounds, type CompileReport, computeBounds } from "./bounds.ts";
import type { ModelWork } from "./model-work.ts";
import type { Stamped } from "./stamp.ts";

export function stampedReport(
  reduced: CompileReport,
  full: KernelGraph,
  g: TaskGraph,
  s: Stamped,
  m: Machine,
  work: ModelWork,
): CompileReport {
  const chips = s.program.chips.length;
  const copies = new Array<number>(g.chips).fill(0);
  for (let f = 0; f < chips; f++) copies[s.templateOf(f).chip]!++;
  // The reduced tasks, each counted once per copy of its chip; the critical path is the chain of units already.
  const bounds = computeBounds(g, reduced.bounds.criticalPath, m, work, copies);
  const entries = Object.entries(bounds) as [keyof Bounds, number][];
  const [boundName, lowerBound] = entries.reduce((best, e) => (e[1] > best[1] ? e : best));
  const cycles = reduced.cycles + s.added;
  const latencyUs = cycles / m.clockMHz;
  const byChip = new Map(s.program.chips.map((c) => [c.chip, c]));
  const instructionsPerChip = s.program.chips.map((c) => instructionCount(s.program, c, byChip));
  return {
    ...reduced,
    model: full.name,
    chips,
    cycles,
    latencyUs,
    tokensPerS: latencyUs > 0 ? (full.tokensPerPass * 1e6) / latencyUs : 0,
    instructionsPerChip,
    instructions: instructionsPerChip.reduce((a, b) => a + b, 0),
    sramBytesPerChip: s.program.chips.map((_, f) => reduced.sramBytesPerChip[s.templateOf(f).chip] ?? 0),
    bounds,
    lowerBound,
    boundName,
    efficiency: cycles > 0 ? lowerBound / cycles : 0,
    flops: work.flops,
    stamp: { span: s.span, delta: s.delta },
  };
}
