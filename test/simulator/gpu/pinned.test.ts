// A seed's runs are pinned: the exact latency, row-buffer outcomes and lowest clock of every run of a few
// configurations (per-bank and all-bank refresh, host launches and CUDA graphs, two GPUs, background traffic,
// batching, the power governor), so that work on the simulator's speed cannot change what it computes unnoticed.
// A change to these numbers must be a deliberate modelling change, named in its commit.
import { describe, expect, it } from "vitest";
import { deriveGpu } from "../../../arch/gpu/derive.ts";
import { type RunsOptions, simulateRuns } from "../../../simulator/gpu/runs.ts";
import { ENERGY_PRESETS } from "../../../simulator/report/cost/presets.ts";
import { midPlans } from "./mid-model.ts";

interface Case {
  readonly name: string;
  readonly gpu: string;
  readonly gpuSets?: Record<string, string>;
  readonly modelSets?: Record<string, string>;
  readonly options: Partial<RunsOptions>;
}

const CASES: readonly Case[] = [
  { name: "h100, CUDA graph", gpu: "h100-sxm", options: { cudaGraph: true, seed: 7 } },
  {
    name: "h100, 2 GPUs, host launches, background 0.3",
    gpu: "h100-sxm",
    options: { gpus: 2, background: 0.3 },
  },
  { name: "a100 (all-bank refresh), concurrency 4", gpu: "a100-sxm", options: { concurrency: 4, seed: 9 } },
  {
    name: "h100 at 60 W, prefill of 256 tokens",
    gpu: "h100-sxm",
    gpuSets: { tdp_w: "60" },
    modelSets: { seq: "256" },
    options: { cudaGraph: true, runs: 3 },
  },
];

function table(c: Case): string {
  const preset = deriveGpu(c.gpu, c.gpuSets).preset!;
  const gpus = c.options.gpus ?? 1;
  const samples = simulateRuns({
    preset,
    energy: ENERGY_PRESETS[c.gpu]!,
    gpus,
    runs: 6,
    seed: 3,
    cudaGraph: false,
    background: 0,
    concurrency: 1,
    plans: midPlans(preset, gpus, c.modelSets),
    ...c.options,
  });
  const rows = samples.map(
    (s, i) =>
      `  run ${i}: batch ${s.batch}, ${s.ns} ns, row hits ${s.result.rowHits}, misses ${s.result.rowMisses}, ` +
      `conflicts ${s.result.rowConflicts}, lowest clock ${s.result.minClockMHz} MHz`,
  );
  return [`${c.name}:`, ...rows].join("\n");
}

describe("pinned runs", () => {
  it("every run of each configuration gives exactly its recorded latency and row-buffer counts", async () => {
    await expect(`${CASES.map(table).join("\n\n")}\n`).toMatchFileSnapshot("./golden/pinned-runs.txt");
  });
});
