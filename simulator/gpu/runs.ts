// K runs of the GPU model, each with its own seed and (with --concurrency) its own batch: the latency
// distribution plus the summed activity the energy and cost model needs.
// Concurrency: requests arrive as a Poisson process and are batched continuously; in steady state the number of
// other requests sharing the tagged request's decode step is Poisson with mean C - 1 (an M/G/inf queue), so each
// run draws its batch that way and runs the kernel list lowered for that batch. `plans` supplies those lists.
import type { GpuPreset } from "../../arch/gpu/presets.ts";
import { hashString, Rng } from "../../util/random.ts";
import type { EnergyPreset } from "../report/cost/presets.ts";
import type { GpuRecord } from "../report/trace/gpu.ts";
import { type RunResult, simulateRun } from "./engine.ts";
import type { PreparedPlan } from "./prepare.ts";

export interface RunsOptions {
  readonly preset: GpuPreset;
  readonly energy: EnergyPreset;
  readonly gpus: number;
  readonly runs: number;
  readonly seed: number;
  readonly cudaGraph: boolean;
  readonly background: number;
  readonly concurrency: number;
  /** The prepared plan for a batch size (the caller lowers and caches). */
  readonly plans: (batch: number) => PreparedPlan;
}

export interface RunSample {
  readonly ns: number;
  /** Requests served by the run's pass: the lowered plan's batch (the model's own `batch` at concurrency 1, else
   * the batch this run drew), so tokens / batch is what one user gets. */
  readonly batch: number;
  readonly tokens: number;
  readonly result: RunResult;
}

/** Poisson sample: Knuth's product method below 30, a rounded normal above (the batch only needs its spread). */
function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

export function batchFor(seed: number, run: number, concurrency: number): number {
  if (concurrency <= 1) return 1;
  const rng = new Rng(hashString(`${seed}/${run}/arrivals`));
  return Math.min(4 * concurrency, 1 + poisson(rng, concurrency - 1));
}

/** Run i of a set: its batch from (seed, i), its own seed from (seed, i), so any run can be computed alone (and
 * recorded alone: `record` sees that run's timeline records; the sample is the same either way). */
export function simulateRunAt(o: RunsOptions, i: number, record?: (r: GpuRecord) => void): RunSample {
  const batch = batchFor(o.seed, i, o.concurrency);
  const plan = o.plans(batch);
  const result = simulateRun({
    plan,
    preset: o.preset,
    energy: o.energy,
    gpus: o.gpus,
    seed: hashString(`${o.seed}:${i}`),
    cudaGraph: o.cudaGraph,
    background: o.background,
    record,
  });
  return { ns: result.ns, batch: plan.batch, tokens: plan.batch * plan.seq, result };
}

export function simulateRuns(o: RunsOptions): RunSample[] {
  const out: RunSample[] = [];
  for (let i = 0; i < o.runs; i++) out.push(simulateRunAt(o, i));
  return out;
}
