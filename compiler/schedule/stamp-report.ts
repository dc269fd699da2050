// The compile report of a stamped program (stamp.ts): the reduced model's report + the full kernel + the stamping
// -> the report of the full program. Exact: cycles (the reduced program's + (n - 3) delta, since every chip copies a
// reduced chip shifted by at most (n - 3) delta and the last instance and the suffix by exactly that), instructions
// per chip, SRAM per chip, and the compute, SRAM, weight-load and link bounds (sums over the reduced tasks with each
// chip counted as often as it is copied). The critical path is the reduced model's: a lower bound of the full
// program's (its chain of instances contains the reduced one's), not tight: each stamped instance adds its own path.
import { instructionCount } from "../../arch/copies.ts";
import { ELEM_BYTES } from "../../arch/isa.ts";
import type { Machine } from "../../arch/machine.ts";
import { memSlices } from "../../arch/machine.ts";
import type { KernelGraph } from "../passes/kernel-ir.ts";
import type { TaskGraph } from "../passes/task-ir.ts";
import type { Bounds, CompileReport } from "./bounds.ts";
import type { Stamped } from "./stamp.ts";
import { mxmCyclesPerVector } from "./timing.ts";

/** The model's multiply-accumulates per MXM input type, and its FLOPs (2 per MAC). */
export function kernelWork(k: KernelGraph): { work: Map<string, number>; flops: number } {
  const work = new Map<string, number>();
  let flops = 0;
  const byId = new Map(k.tensors.map((t) => [t.id, t]));
  for (const op of k.ops)
    if (op.kind === "matmul") {
      const a = byId.get(op.a)!;
      const b = byId.get(op.b)!;
      // b is stored transposed ([N, K], one row per output column), so the product is M x K x N = a.rows x
      // a.cols x b.rows; b.cols is K again.
      const macs = a.rows * a.cols * b.rows;
      work.set(a.dtype, (work.get(a.dtype) ?? 0) + macs);
      flops += 2 * macs;
    }
  return { work, flops };
}

export function stampedReport(
  reduced: CompileReport,
  full: KernelGraph,
  g: TaskGraph,
  s: Stamped,
  m: Machine,
): CompileReport {
  const chips = s.program.chips.length;
  const copies = new Array<number>(g.chips).fill(0);
  for (let f = 0; f < chips; f++) copies[s.templateOf(f).chip]!++;
  const { work, flops } = kernelWork(full);
  let macCycles = 0;
  for (const [type, macs] of work)
    macCycles += (macs * mxmCyclesPerVector(m, type)) / (m.mxm.rows * m.mxm.cols);
  // The same sums as computeBounds (bounds.ts), each task counted once per copy of its chip.
  let wordsRead = 0;
  let lwCycles = 0;
  const counted = new Set<string>();
  const tensorById = new Map(g.tensors.map((t) => [t.id, t]));
  for (const t of g.tasks)
    for (const st of t.steps) {
      const times = copies[t.chip]!;
      if (st.kind === "lw") lwCycles += times * Math.ceil(st.n / m.mxm.maxLoadWidth);
      if (st.kind === "read") {
        const tt = tensorById.get(st.ref.tensor)!;
        if (tt.role === "temp") continue;
        const key = `${st.ref.tensor}/${st.ref.tile}/${st.ref.row}/${st.ref.stride}/${st.ref.n}`;
        if (counted.has(key)) continue;
        counted.add(key);
        wordsRead += times * (st.ref.stride === 0 ? 1 : st.ref.n) * ELEM_BYTES[tt.type];
      }
      if (st.kind === "gather") wordsRead += times * st.ref.n * ELEM_BYTES[st.type];
    }
  const planes = m.mxm.planes * chips;
  const bounds: Bounds = {
    compute: Math.ceil(macCycles / planes),
    sram: Math.ceil(wordsRead / (memSlices(m) * chips)),
    weightLoad: Math.ceil(lwCycles / planes),
    // Every link of a copy carries what its template's carries.
    link: reduced.bounds.link,
    criticalPath: reduced.bounds.criticalPath,
  };
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
    flops,
  };
}
