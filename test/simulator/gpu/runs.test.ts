// The GPU model's run-to-run behaviour: the same seed repeats exactly, and the width of the latency distribution
// responds to the mechanisms the issue names (concurrency, GPU count, background load) in the stated direction,
// while a lone request on an idle GPU varies little. Directions are asserted, not tuned values.
import { describe, expect, it } from "vitest";
import { deriveGpu } from "../../../arch/gpu/derive.ts";
import type { PreparedPlan } from "../../../simulator/gpu/prepare.ts";
import { simulateRuns } from "../../../simulator/gpu/runs.ts";
import { ENERGY_PRESETS } from "../../../simulator/report/cost/presets.ts";
import { distribution } from "../../../simulator/report/stats.ts";
import { midPlans } from "./mid-model.ts";

const preset = deriveGpu("h100-sxm").preset!;
// The decoder of mid-model.ts (weights too large for L2, so every pass streams from HBM), one planner per GPU count.
const planners = new Map<number, (batch: number) => PreparedPlan>();
function plans(gpus: number): (batch: number) => PreparedPlan {
  let planner = planners.get(gpus);
  if (!planner) {
    planner = midPlans(preset, gpus);
    planners.set(gpus, planner);
  }
  return planner;
}

/** CUDA graphs by default: the pass is then GPU-bound, so the host's own timing does not mask the other effects. */
function runs(o: {
  gpus?: number;
  concurrency?: number;
  background?: number;
  seed?: number;
  runs?: number;
  cudaGraph?: boolean;
}) {
  const gpus = o.gpus ?? 1;
  return simulateRuns({
    preset,
    energy: ENERGY_PRESETS["h100-sxm"]!,
    gpus,
    runs: o.runs ?? 40,
    seed: o.seed ?? 7,
    cudaGraph: o.cudaGraph ?? true,
    background: o.background ?? 0,
    concurrency: o.concurrency ?? 1,
    plans: plans(gpus),
  });
}

/** Relative width of a latency distribution: coefficient of variation (stdev / mean). */
function width(samples: ReturnType<typeof runs>): number {
  const d = distribution(samples.map((s) => s.ns));
  return d.stdev / d.mean;
}

describe("GPU runs", () => {
  const lone = runs({});

  it("the same seed gives identical runs; another seed gives different ones", () => {
    const again = runs({});
    expect(again.map((s) => s.ns)).toEqual(lone.map((s) => s.ns));
    expect(again.map((s) => s.result)).toEqual(lone.map((s) => s.result));
    const other = runs({ seed: 8 });
    expect(other.map((s) => s.ns)).not.toEqual(lone.map((s) => s.ns));
  });

  it("a lone request on one idle GPU varies, but little (stdev under 2% of the mean)", () => {
    const d = distribution(lone.map((s) => s.ns));
    expect(d.max).toBeGreaterThan(d.min);
    expect(width(lone)).toBeLessThan(0.02);
  });

  it("continuous batching of concurrent requests widens the distribution", () => {
    expect(width(runs({ concurrency: 8 }))).toBeGreaterThan(2 * width(lone));
  });

  it("more GPUs in a collective widen the distribution (every all-reduce waits for the slowest host)", () => {
    // Host-launched kernels: each GPU's host thread is its own source of stalls, and each collective waits for
    // the slowest GPU, so the chance that a run meets a stall grows with the GPU count.
    const one = runs({ cudaGraph: false, runs: 60 });
    const four = runs({ cudaGraph: false, runs: 60, gpus: 4 });
    expect(width(four)).toBeGreaterThan(width(one));
  });

  it("without CUDA graphs the host thread's launch timing dominates a short pass and widens the distribution", () => {
    const launched = runs({ cudaGraph: false });
    expect(width(launched)).toBeGreaterThan(width(lone));
  });

  it("co-tenant HBM traffic slows the pass and widens the distribution", () => {
    const busy = runs({ background: 0.3 });
    expect(distribution(busy.map((s) => s.ns)).p50).toBeGreaterThan(distribution(lone.map((s) => s.ns)).p50);
    expect(width(busy)).toBeGreaterThan(width(lone));
  });
});
