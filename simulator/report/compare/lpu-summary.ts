// K simulated runs of one compiled LPU program (one per clock-drift seed) -> the LPU report: the latency
// distribution, the distinct cycle counts (the determinism check), tokens per second, energy and cost per token.
// Guarantees: plain data with the same field names as the GPU report; the same runs give the same report.

import type { CostModel } from "../cost/derive.ts";
import { type Activity, costOf, energyOf } from "../cost/model.ts";
import { type PerTokenFigures, perTokenFigures } from "../cost/per-token.ts";
import { type Distribution, distribution } from "../stats.ts";
import type { LpuCounts } from "./lpu-activity.ts";

/** One simulated run: the clock seed it ran with, and what the simulator measured. */
export interface LpuRunSample {
  readonly seed: number;
  /** Program cycles from launch to the last event (the same on every chip clock for a correct schedule). */
  readonly cycles: number;
  /** Largest deskew pause of a chip, in nominal cycles of global time (depends on the seed; 0 on one chip). */
  readonly pauseCycles: number;
  readonly counts: LpuCounts;
}

export interface LpuSummary extends PerTokenFigures {
  readonly runs: number;
  readonly chips: number;
  readonly batch: number;
  readonly latency_us: Distribution;
  /** The determinism check: every distinct cycle count over the runs, ascending (one for a correct schedule). */
  readonly cycles: { readonly distinct: readonly number[]; readonly identical: boolean };
  readonly deskew_pause_cycles: { readonly min: number; readonly max: number };
  /** Per run (they are equal for a deterministic program; the mean otherwise). */
  readonly activity_per_run: {
    readonly macs: Readonly<Record<string, number>>;
    readonly vector_ops: number;
    readonly sram_bytes: number;
    readonly link_bytes: number;
  };
}

export interface LpuSummaryInput {
  readonly samples: readonly LpuRunSample[];
  readonly chips: number;
  readonly clockMHz: number;
  /** Requests in one pass (the compiled batch) and tokens each request gets per pass (seq). */
  readonly batch: number;
  readonly seq: number;
  readonly cost: CostModel;
}

/** The energy model's input, summed over all runs: every count is per run, static power over the run's time. */
export function lpuActivity(inp: LpuSummaryInput): Activity {
  const macs: Record<string, number> = {};
  let vectorOps = 0;
  let sramBytes = 0;
  let linkBytes = 0;
  let seconds = 0;
  for (const s of inp.samples) {
    for (const [d, n] of Object.entries(s.counts.macs)) macs[d] = (macs[d] ?? 0) + (n ?? 0);
    vectorOps += s.counts.vectorOps;
    sramBytes += s.counts.sramBytes;
    linkBytes += s.counts.linkBytes;
    // The chips are powered for the program's cycles at the preset clock (drift moves this by at most 1e-4).
    seconds += s.cycles / (inp.clockMHz * 1e6);
  }
  return {
    macs,
    vectorOps,
    sramBytes,
    dramBytes: 0, // SRAM only: no off-chip memory
    linkBytes,
    seconds,
    chips: inp.chips,
    tokens: inp.samples.length * inp.batch * inp.seq,
  };
}

export function summarizeLpu(inp: LpuSummaryInput): LpuSummary {
  if (inp.samples.length === 0) throw new Error("summarizeLpu: no runs");
  const a = lpuActivity(inp);
  const energy = energyOf(a, inp.cost.energy, inp.cost.scale);
  const cost = costOf(a, energy, inp.cost.energy, inp.cost.cost);
  // The distribution of integer cycles, then scaled: identical runs give a stdev of exactly 0, not rounding noise.
  const c = distribution(inp.samples.map((s) => s.cycles));
  const us = 1 / inp.clockMHz;
  const latency: Distribution = {
    min: c.min * us,
    p50: c.p50 * us,
    p90: c.p90 * us,
    p99: c.p99 * us,
    p999: c.p999 * us,
    max: c.max * us,
    mean: c.mean * us,
    stdev: c.stdev * us,
  };
  const distinct = [...new Set(inp.samples.map((s) => s.cycles))].sort((x, y) => x - y);
  const pauses = inp.samples.map((s) => s.pauseCycles);
  const k = inp.samples.length;
  const macs: Record<string, number> = {};
  for (const d of Object.keys(a.macs).sort()) macs[d] = a.macs[d as keyof typeof a.macs]! / k;
  return {
    runs: k,
    chips: inp.chips,
    batch: inp.batch,
    latency_us: latency,
    ...perTokenFigures(a, energy, cost, inp.seq, latency.mean),
    cycles: { distinct, identical: distinct.length === 1 },
    deskew_pause_cycles: { min: Math.min(...pauses), max: Math.max(...pauses) },
    activity_per_run: {
      macs,
      vector_ops: a.vectorOps / k,
      sram_bytes: a.sramBytes / k,
      link_bytes: a.linkBytes / k,
    },
  };
}
