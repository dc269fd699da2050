// What every evaluation of an `lpu sweep` shares, the metric columns it fills, and how parameters are named in a
// combination: `chips`, `arch`, `arch.KEY` (an --arch-set key) for the LPU; `gpus`, `gpu` for the GPU baseline;
// `set.NAME` (a model constant) for both.

import type { MetricColumn } from "../../compiler/sweep/sheet.ts";
import type { Diagnostic } from "../../util/diagnostics.ts";

export interface SweepContext {
  readonly file: string;
  /** The model text, read once by the main thread so that every worker sees the same file. */
  readonly text: string;
  readonly seed: number;
  /** GPU runs sampled per configuration. */
  readonly runs: number;
  /** Simulate a compiled LPU program when it has at most this many instructions (0: never). */
  readonly simulateUpTo: number;
}

export const SET_PREFIX = "set.";
export const ARCH_SET_PREFIX = "arch.";

/** The columns of every sweep, LPU and GPU alike; a cell an evaluation cannot give stays empty. */
export const SWEEP_METRICS: readonly MetricColumn[] = [
  // LPU: the compiler's prediction, which the simulator must match exactly; GPU: the median over the runs.
  { key: "latency_us", title: "latency us", digits: 3 },
  // GPU only: the LPU's schedule is static, so it has one latency, not a distribution.
  { key: "p99_us", title: "p99 us", digits: 3 },
  { key: "tokens_per_s", title: "tokens/s", digits: 1 },
  // Chips (or GPUs) the program actually runs on.
  { key: "chips_used", title: "chips used", digits: 0 },
  // The fewest chips that hold the model (the LPU partitioner's minChips), or the fewest GPUs (up to one NVLink
  // node) whose HBM holds it with the row's constants; empty when no GPU count up to 8 does.
  { key: "chips_needed", title: "chips needed", digits: 0 },
  // Both span decades (a small model on an LPU, a large one on GPUs): significant digits, not fixed ones.
  { key: "joules_per_token", title: "J/token", digits: 4, significant: 4 },
  { key: "usd_per_mtok", title: "$/Mtok", digits: 3, significant: 4 },
  { key: "cycles", title: "cycles", digits: 0 },
  { key: "instructions", title: "instructions", digits: 0 },
  { key: "efficiency", title: "efficiency", digits: 3 },
  // Cycles the simulator took, when the program was small enough to simulate during the sweep.
  { key: "simulated_cycles", title: "simulated", digits: 0 },
];

/** The params that start with `prefix`, without it. */
export function withPrefix(params: Readonly<Record<string, string>>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** Error diagnostics as one line for a failed row: `LPU5001: message (hint)`, joined by "; ". */
export function errorLine(ds: readonly Diagnostic[]): string {
  return ds
    .filter((d) => d.severity === "error")
    .map((d) => `${d.code}: ${d.message}${d.hint ? ` (${d.hint})` : ""}`)
    .join("; ");
}
