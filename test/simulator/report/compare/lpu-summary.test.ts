// The LPU report from K runs: the determinism check (distinct cycle counts), latency = cycles at the clock, and
// energy and cost through the shared model, checked by hand.
import { describe, expect, it } from "vitest";
import type { LpuCounts } from "../../../../simulator/report/compare/lpu-activity.ts";
import { type LpuRunSample, summarizeLpu } from "../../../../simulator/report/compare/lpu-summary.ts";
import { deriveCost } from "../../../../simulator/report/cost/derive.ts";

const counts: LpuCounts = {
  macs: { fp16: 1e6 },
  vectorOps: 1000,
  sramBytes: 1e6,
  linkBytes: 0,
  mxmVectors: 10,
  vectors: 100,
};
const run = (seed: number, cycles: number, pauseCycles = 0): LpuRunSample => ({
  seed,
  cycles,
  pauseCycles,
  counts,
});
const cost = deriveCost("lpu", { energy_scale: "1" }).model!;

describe("LPU summary", () => {
  it("identical cycle counts: one distinct count, every percentile equal, a stdev of exactly 0", () => {
    const s = summarizeLpu({
      samples: [run(1, 900), run(2, 900), run(3, 900)],
      chips: 1,
      clockMHz: 900,
      batch: 1,
      seq: 1,
      cost,
    });
    expect(s.cycles).toEqual({ distinct: [900], identical: true });
    expect(s.latency_us).toEqual({ min: 1, p50: 1, p90: 1, p99: 1, p999: 1, max: 1, mean: 1, stdev: 0 });
  });

  it("different cycle counts are reported, not hidden: every distinct count, ascending", () => {
    const s = summarizeLpu({
      samples: [run(1, 1800), run(2, 900), run(3, 1800)],
      chips: 2,
      clockMHz: 900,
      batch: 1,
      seq: 1,
      cost,
    });
    expect(s.cycles).toEqual({ distinct: [900, 1800], identical: false });
    expect(s.latency_us.max).toBe(2);
    expect(s.latency_us.stdev).toBeGreaterThan(0);
  });

  it("joules per token = MACs x pJ + SRAM bytes x pJ + VXM ops x pJ + static share x TDP x chips x time", () => {
    // 2 runs of 900 cycles at 900 MHz = 2 us in all; batch 4 x seq 1 = 8 tokens.
    const s = summarizeLpu({
      samples: [run(1, 900), run(2, 900)],
      chips: 2,
      clockMHz: 900,
      batch: 4,
      seq: 1,
      cost,
    });
    const pj = 1e-12;
    const dynamic = 2 * (1e6 * 1.5 * pj + 1e6 * (20 / 8) * pj + 1000 * 2.3 * pj); // Horowitz 45 nm, scale 1
    const stat = 0.3 * 300 * 2 * 2e-6;
    expect(s.joules_per_token).toBeCloseTo((dynamic + stat) / 8, 15);
    expect(s.energy_j_per_token.dram).toBe(0);
    expect(s.tokens_per_s.total).toBeCloseTo(4e6, 6); // 4 tokens per 1 us pass
    expect(s.tokens_per_s.per_user).toBeCloseTo(1e6, 6);
    expect(s.activity_per_run.macs).toEqual({ fp16: 1e6 });
  });

  it("the deskew pause range is reported apart from the cycles", () => {
    const s = summarizeLpu({
      samples: [run(1, 900, 12.5), run(2, 900, 200)],
      chips: 2,
      clockMHz: 900,
      batch: 1,
      seq: 1,
      cost,
    });
    expect(s.deskew_pause_cycles).toEqual({ min: 12.5, max: 200 });
    expect(s.cycles.identical).toBe(true);
  });
});
