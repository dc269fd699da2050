// Runs on worker threads give exactly the samples of runs on one thread: run i depends only on (seed, i) and its
// batch's plan, never on which thread ran it or on what ran before it.
import { describe, expect, it } from "vitest";
import { deriveGpu } from "../../../arch/gpu/derive.ts";
import { type RunsOptions, simulateRuns } from "../../../simulator/gpu/runs.ts";
import { simulateRunsOnThreads } from "../../../simulator/gpu/threads.ts";
import { ENERGY_PRESETS } from "../../../simulator/report/cost/presets.ts";
import { midPlans } from "./mid-model.ts";

const preset = deriveGpu("h100-sxm").preset!;

function options(o: Partial<RunsOptions>): RunsOptions {
  const gpus = o.gpus ?? 1;
  return {
    preset,
    energy: ENERGY_PRESETS["h100-sxm"]!,
    gpus,
    runs: 9,
    seed: 5,
    cudaGraph: false,
    background: 0,
    concurrency: 1,
    plans: midPlans(preset, gpus),
    ...o,
  };
}

describe("GPU runs on threads", () => {
  it("two threads give the same samples, in run order, as one thread (batches, background, two GPUs)", async () => {
    const o = options({ concurrency: 6, background: 0.2, gpus: 2, plans: midPlans(preset, 2) });
    const one = simulateRuns(o);
    // minRequests 0: use threads even for this small model.
    const two = await simulateRunsOnThreads(o, 2, 0);
    expect(two).toEqual(one);
    // The runs really differ from each other, so a wrong order would show.
    expect(new Set(one.map((s) => s.ns)).size).toBeGreaterThan(1);
  });

  it("more threads than runs still gives every run once", async () => {
    const o = options({ runs: 2 });
    expect(await simulateRunsOnThreads(o, 4, 0)).toEqual(simulateRuns(o));
  });
});
