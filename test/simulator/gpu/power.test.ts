// The power governor: when the modelled dynamic power of recent kernels exceeds the budget (TDP less static
// power), the clock drops, never below min_clock_mhz, and compute-bound work takes longer. Prefill (1,024 tokens) is
// compute-bound enough for the clock to show in the latency; at the H100's 700 W the modelled power stays under
// budget and the clock stays at boost.
import { describe, expect, it } from "vitest";
import { deriveGpu } from "../../../arch/gpu/derive.ts";
import { simulateRuns } from "../../../simulator/gpu/runs.ts";
import { ENERGY_PRESETS } from "../../../simulator/report/cost/presets.ts";
import { midPlans } from "./mid-model.ts";

function prefill(gpuSets: Record<string, string>) {
  const preset = deriveGpu("h100-sxm", gpuSets).preset!;
  const samples = simulateRuns({
    preset,
    energy: ENERGY_PRESETS["h100-sxm"]!,
    gpus: 1,
    runs: 4,
    seed: 11,
    cudaGraph: true,
    background: 0,
    concurrency: 1,
    plans: midPlans(preset, 1, { seq: "1024" }),
  });
  return { preset, samples };
}

describe("power limit", () => {
  const free = prefill({});
  const capped = prefill({ tdp_w: "60" });
  const tighter = prefill({ tdp_w: "30" });

  it("under the power limit the clock stays at boost", () => {
    for (const s of free.samples) expect(s.result.minClockMHz).toBe(free.preset.boostClockMHz);
  });

  it("over the power limit the clock drops, but not below min_clock_mhz, and every run takes longer", () => {
    for (let i = 0; i < free.samples.length; i++) {
      const run = capped.samples[i]!;
      expect(run.result.minClockMHz).toBeLessThan(free.preset.boostClockMHz);
      expect(run.result.minClockMHz).toBeGreaterThanOrEqual(capped.preset.minClockMHz);
      // Same seed, same refresh phases and host timing: only the clock differs.
      expect(run.ns).toBeGreaterThan(free.samples[i]!.ns);
    }
  });

  it("a lower power limit costs more latency", () => {
    for (let i = 0; i < free.samples.length; i++) {
      expect(tighter.samples[i]!.ns).toBeGreaterThan(capped.samples[i]!.ns);
    }
  });
});
