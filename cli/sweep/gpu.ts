// One GPU configuration of a sweep: the model lowered to kernels for `gpus` GPUs of a preset, `runs` seeded runs of
// the GPU/HBM baseline, summarised as median and p99 latency, tokens/s, J/token and $/Mtok, and the fewest GPUs
// whose HBM holds the model. The same steps as `lpu gpu` with its defaults (one request at a time, no co-tenant
// traffic, no CUDA graph), without printing.
import { deriveGpu } from "../../arch/gpu/derive.ts";
import type { GpuPreset } from "../../arch/gpu/presets.ts";
import { lowerToKernels } from "../../compiler/gpu/lower.ts";
import type { ModelGraph } from "../../compiler/graph/ir.ts";
import type { Outcome } from "../../compiler/sweep/evaluation.ts";
import type { Combination } from "../../compiler/sweep/grid.ts";
import { prepare } from "../../simulator/gpu/prepare.ts";
import { simulateRuns } from "../../simulator/gpu/runs.ts";
import { summarize } from "../../simulator/gpu/summary.ts";
import { type CostModel, deriveCost } from "../../simulator/report/cost/derive.ts";
import { memoryDiagnostic, smallestFittingGpus } from "../pipeline/gpu-memory.ts";
import { errorLine, SET_PREFIX, type SweepContext, withPrefix } from "./context.ts";
import { loadGraph } from "./lpu.ts";

/** The fewest GPUs that hold the model, by preset and constants: every GPU count of a sweep shares the answer. */
const fewest = new Map<string, number | undefined>();

function fewestGpus(graph: ModelGraph, preset: GpuPreset, sets: Record<string, string>): number | undefined {
  const key = JSON.stringify([preset.name, Object.entries(sets).sort()]);
  if (!fewest.has(key)) fewest.set(key, smallestFittingGpus(graph, preset));
  return fewest.get(key);
}

export function evaluateGpu(c: Combination, ctx: SweepContext): Outcome {
  const name = c.params.gpu ?? "h100-sxm";
  const gpus = Number(c.params.gpus ?? "1");
  const derived = deriveGpu(name);
  if (!derived.preset) return { kind: "failed", reason: errorLine(derived.diagnostics) };
  const preset = derived.preset;
  const costed = deriveCost(name);
  if (!costed.model) return { kind: "failed", reason: errorLine(costed.diagnostics) };
  // As `lpu gpu` does: the GPU preset owns TDP and the static share, and the energy model follows it.
  const model: CostModel = {
    ...costed.model,
    energy: { ...costed.model.energy, tdpW: preset.power.tdpW, staticShare: preset.power.staticShare },
  };
  const sets = withPrefix(c.params, SET_PREFIX);
  const graph = loadGraph(ctx, sets);
  // The fewest GPUs that hold the model do not depend on this row's count: a failed row says it too.
  const needed = fewestGpus(graph, preset, sets);
  const failed = (reason: string): Outcome =>
    needed === undefined
      ? { kind: "failed", reason }
      : { kind: "failed", reason, metrics: { chips_needed: needed } };
  const lowered = lowerToKernels(graph, { gpus, sms: preset.sms });
  if (!lowered.kernels) return failed(errorLine(lowered.diagnostics));
  // As `lpu gpu` does: a model that does not fit the GPUs' HBM is a failed row that says so (LPU7008).
  const tooBig = memoryDiagnostic(ctx.file, graph, lowered.kernels, preset);
  if (tooBig) return failed(errorLine([tooBig]));
  const plan = prepare(lowered.kernels, preset);
  const samples = simulateRuns({
    preset,
    energy: model.energy,
    gpus,
    runs: ctx.runs,
    seed: ctx.seed,
    cudaGraph: false,
    background: 0,
    concurrency: 1,
    plans: () => plan,
  });
  const s = summarize(samples, gpus, model);
  const metrics: Record<string, number> = {
    latency_us: s.latency_us.p50,
    p99_us: s.latency_us.p99,
    tokens_per_s: s.tokens_per_s.total,
    chips_used: gpus,
    joules_per_token: s.joules_per_token,
    usd_per_mtok: s.usd_per_mtok,
  };
  if (needed !== undefined) metrics.chips_needed = needed;
  return { kind: "ok", metrics };
}
