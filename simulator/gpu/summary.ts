// Run samples -> the GPU report: latency distribution (us), tokens per second, energy and cost per token.
// Guarantees: plain data with fixed field names (the `lpu gpu --json` contract), deterministic for the same samples.

import type { CostModel } from "../report/cost/derive.ts";
import { type Activity, costOf, energyOf } from "../report/cost/model.ts";
import { type PerTokenFigures, perTokenFigures } from "../report/cost/per-token.ts";
import { type Distribution, distribution } from "../report/stats.ts";
import type { RunSample } from "./runs.ts";

export interface GpuSummary extends PerTokenFigures {
  readonly runs: number;
  readonly gpus: number;
  readonly latency_us: Distribution;
  readonly batch_mean: number;
  readonly hbm: {
    readonly gb_per_run: number;
    readonly achieved_tbps: number;
    readonly row_hit_rate: number;
    readonly background_gb_per_run: number;
  };
  readonly min_clock_mhz: number;
}

export function activityOf(samples: readonly RunSample[], gpus: number): Activity {
  const macs: Record<string, number> = {};
  let vectorOps = 0;
  let sramBytes = 0;
  let dramBytes = 0;
  let linkBytes = 0;
  let seconds = 0;
  let tokens = 0;
  for (const s of samples) {
    for (const [d, n] of Object.entries(s.result.macs)) macs[d] = (macs[d] ?? 0) + n;
    vectorOps += s.result.vectorFlops;
    sramBytes += s.result.l2Bytes;
    dramBytes += s.result.hbmBytes;
    linkBytes += s.result.linkBytes;
    seconds += s.ns * 1e-9;
    tokens += s.tokens;
  }
  return { macs, vectorOps, sramBytes, dramBytes, linkBytes, seconds, chips: gpus, tokens };
}

export function summarize(samples: readonly RunSample[], gpus: number, model: CostModel): GpuSummary {
  const activity = activityOf(samples, gpus);
  const energy = energyOf(activity, model.energy, model.scale);
  const cost = costOf(activity, energy, model.energy, model.cost);
  const latency = distribution(samples.map((s) => s.ns / 1000));
  const seqPerUser = samples[0]!.tokens / samples[0]!.batch;
  let hits = 0;
  let accesses = 0;
  let background = 0;
  let minClock = Number.POSITIVE_INFINITY;
  for (const s of samples) {
    hits += s.result.rowHits;
    accesses += s.result.rowHits + s.result.rowMisses + s.result.rowConflicts;
    background += s.result.backgroundBytes;
    minClock = Math.min(minClock, s.result.minClockMHz);
  }
  return {
    runs: samples.length,
    gpus,
    latency_us: latency,
    ...perTokenFigures(activity, energy, cost, seqPerUser, latency.mean),
    batch_mean: samples.reduce((s, x) => s + x.batch, 0) / samples.length,
    hbm: {
      gb_per_run: activity.dramBytes / samples.length / 1e9,
      achieved_tbps: activity.dramBytes / gpus / activity.seconds / 1e12,
      row_hit_rate: accesses === 0 ? 0 : hits / accesses,
      background_gb_per_run: background / samples.length / 1e9,
    },
    min_clock_mhz: minClock,
  };
}
