// `lpu gpu --trace`: one run of a set, simulated again with the engine's recorder on, as a Chrome trace (one process
// per GPU; threads Host, Kernels, SMs in four groups, HBM channels in four groups, NVLink). Guarantees: the traced
// run is run `index` of the set exactly (the recorder only reads the simulation: its latency must equal the
// sample's, checked here), and the trace passes the validator before anyone writes it.
import { batchFor, type RunSample, type RunsOptions, simulateRunAt } from "../../simulator/gpu/runs.ts";
import { type ChromeTrace, formatChromeTrace, toChromeTrace } from "../../simulator/report/trace/chrome.ts";
import { type GpuRecord, gpuTimeline } from "../../simulator/report/trace/gpu.ts";
import type { ArgValue } from "../../simulator/report/trace/timeline.ts";
import { validateChromeTrace } from "../../simulator/report/trace/validate.ts";
import { writeOutput } from "../common.ts";

/** Threads per kind of unit: enough to see SMs and channels disagree, few enough to read. */
const GROUPS = 4;

export interface GpuTrace {
  readonly trace: ChromeTrace;
  readonly sample: RunSample;
  readonly records: number;
}

export function traceGpuRun(
  runs: RunsOptions,
  index: number,
  meta: Readonly<Record<string, ArgValue>> = {},
): GpuTrace {
  const records: GpuRecord[] = [];
  const sample = simulateRunAt(runs, index, (r) => records.push(r));
  const plan = runs.plans(batchFor(runs.seed, index, runs.concurrency));
  const p = runs.preset;
  const timeline = gpuTimeline(records, {
    gpuName: p.name,
    gpus: runs.gpus,
    slotsPerGroup: Math.ceil(p.sms / GROUPS),
    // Whole gangs per thread (the simulator serves a gang of pseudo-channels as one).
    channelsPerGroup: Math.ceil(p.hbm.channels / p.hbm.gang / GROUPS) * p.hbm.gang,
    kernelNames: plan.kernels.map((k) => k.name),
    meta: { ...meta, run: index, batch: sample.batch, latency_ns: sample.ns },
  });
  const trace = toChromeTrace(timeline);
  const problems = validateChromeTrace(trace);
  if (problems.length > 0)
    throw new Error(
      `the GPU trace breaks its own rules: ${problems.map((x) => `event ${x.event}: ${x.message}`).join("; ")}`,
    );
  return { trace, sample, records: records.length };
}

export function writeTrace(out: string, trace: ChromeTrace): void {
  writeOutput(out, formatChromeTrace(trace));
}
